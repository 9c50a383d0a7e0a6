"""What every corpus reader produces: recordings of who spoke when, who is visible where.

Corpus formats differ; the task rules (``amuse_tasks.builders.task_rules``) only see these
classes.  Times are seconds in the source media file; face boxes are normalised to the frame
(x, y, w, h in 0-1) so they survive the rescaling of the cut clips.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("amuse_tasks.builders")


@dataclass
class Turn:
    """One speaker segment (RTTM turn, transcript utterance, labelled face-track span)."""

    speaker: str
    start: float
    end: float
    text: str = ""
    partial: bool = False  # cut by a clip boundary: its text covers more than its span


@dataclass
class FaceTrack:
    """A person's face over time: piecewise-constant normalised boxes (start, end, [x, y, w, h])."""

    track: str
    person: str
    boxes: list[tuple[float, float, list[float]]] = field(default_factory=list)


@dataclass
class SummaryUnit:
    """A reference summary sentence and the source spans it summarises (for ``avds``)."""

    text: str
    spans: list[tuple[float, float]]


@dataclass
class Recording:
    """One source media file with its annotations.

    ``descriptions`` says how a person looks or what they are (e.g. an AMI role); people
    without one are described in each clip by an utterance of theirs (see task_rules).
    """

    id: str
    media: Path  # the video (or the only media file)
    turns: list[Turn]
    faces: list[FaceTrack] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)
    summary: list[SummaryUnit] = field(default_factory=list)
    audio: Path | None = None  # a separate audio file (AMI: the headset mix beside a video without sound)

    @property
    def has_text(self) -> bool:
        return any(t.text.strip() for t in self.turns)


@dataclass
class SkippedRows:
    """What did not make it into the dataset, nothing in silence.

    ``skip``: a malformed input row, logged with file, line and field. ``lose``: a well-formed
    input element that no record can use (untimed, empty, unmatched, ...), counted per kind and
    reason beside ``seen`` (how many of that kind were read), so a build can report and bound the
    fraction it lost (``loss_fractions``).
    """

    messages: list[str] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    lost: dict[str, dict[str, int]] = field(default_factory=dict)

    def skip(self, path: str | Path, line: int | str, field_name: str, problem: str) -> None:
        msg = f"{path}:{line}: field '{field_name}': {problem} (row skipped)"
        self.messages.append(msg)
        log.warning("%s", msg)

    def count(self, kind: str, n: int = 1) -> None:
        self.seen[kind] = self.seen.get(kind, 0) + n

    def lose(self, kind: str, reason: str, n: int = 1) -> None:
        by_reason = self.lost.setdefault(kind, {})
        by_reason[reason] = by_reason.get(reason, 0) + n

    def loss_fractions(self) -> dict[str, float]:
        """kind -> lost / seen, for the kinds that were counted."""
        return {k: round(sum(self.lost.get(k, {}).values()) / n, 4) for k, n in self.seen.items() if n}

    def __len__(self) -> int:
        return len(self.messages)
