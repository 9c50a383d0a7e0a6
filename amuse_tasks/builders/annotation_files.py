"""Readers of the plain annotation formats several corpora share: RTTM, STM and SRT.

A malformed row is skipped and counted (``SkippedRows``) with file, line and field; the rest of
the file is kept.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from amuse_tasks.builders.conversation import SkippedRows, Turn


def _num(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def read_rttm(path: str | Path, skipped: SkippedRows) -> dict[str, list[Turn]]:
    """NIST RTTM ``SPEAKER <file> <chnl> <tbeg> <tdur> <ortho> <stype> <name> <conf> [<slat>]``.

    Only SPEAKER rows are turns; other row types (SPKR-INFO, LEXEME, ...) are ignored.
    Returns file id -> turns sorted by start.
    """
    out: dict[str, list[Turn]] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            if not fields or fields[0].startswith(("#", ";")):
                continue
            if fields[0] != "SPEAKER":
                continue
            if len(fields) < 8:
                skipped.skip(path, n, "<row>", f"expected 9-10 space-separated fields, got {len(fields)}")
                continue
            tbeg, tdur = _num(fields[3]), _num(fields[4])
            if tbeg is None or tbeg < 0:
                skipped.skip(path, n, "tbeg", f"expected a non-negative number of seconds, got {fields[3]!r}")
                continue
            if tdur is None or tdur <= 0:
                skipped.skip(path, n, "tdur", f"expected a positive number of seconds, got {fields[4]!r}")
                continue
            if fields[7] in ("<NA>", ""):
                skipped.skip(path, n, "name", "missing speaker name")
                continue
            out.setdefault(fields[1], []).append(Turn(fields[7], round(tbeg, 3), round(tbeg + tdur, 3)))
    for turns in out.values():
        turns.sort(key=lambda t: (t.start, t.end))
    return out


# The optional STM label field: comma-separated categories in angle brackets, "<o,f0,male>".
_STM_LABEL = re.compile(r"<[^<>\s,]*(?:,[^<>\s,]*)+>")
# An event or special token inside a transcript: "<LAUGH>", "<UNK>", "[noise]", "(()) ".
_STM_EVENT = re.compile(r"<([^<>\s]+)>")


def stm_text(rest: str) -> tuple[str, int]:
    """The transcript of an STM row after ``<end>`` (label field removed) and how many event tokens it
    held. Events (``<LAUGH>``, ``<UNK>``) stay, written ``[laugh]``, so the transcript cue shows them
    and no word after them is lost."""
    rest = rest.strip()
    first = rest.split(maxsplit=1)
    if first and _STM_LABEL.fullmatch(first[0]):
        rest = first[1] if len(first) > 1 else ""
    events = len(_STM_EVENT.findall(rest))
    return _STM_EVENT.sub(lambda m: f"[{m.group(1).lower()}]", rest).strip(), events


def read_stm(path: str | Path, skipped: SkippedRows) -> dict[str, list[Turn]]:
    """NIST STM ``<file> <channel> <speaker> <begin> <end> [<label>] <transcript>``; ``;;`` comments.

    The label field is told from transcript tokens by its form (``<o,f0,male>``: categories with
    commas); a leading ``<LAUGH>`` is transcript. Rows marked ``ignore_time_segment_in_scoring``
    are regions the corpus excludes: counted, not read."""
    out: dict[str, list[Turn]] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith(";;"):
                continue
            fields = line.split(maxsplit=5)
            if len(fields) < 5:
                skipped.skip(path, n, "<row>", f"expected at least 5 fields, got {len(fields)}")
                continue
            s, e = _num(fields[3]), _num(fields[4])
            if s is None or s < 0:
                skipped.skip(path, n, "begin", f"expected a non-negative number, got {fields[3]!r}")
                continue
            if e is None or e <= s:
                skipped.skip(path, n, "end", f"expected a number after begin {fields[3]}, got {fields[4]!r}")
                continue
            text, events = stm_text(fields[5] if len(fields) > 5 else "")
            if "ignore_time_segment_in_scoring" in text:
                skipped.count("transcript rows marked ignore_time_segment_in_scoring (not read)")
                continue
            skipped.count("transcript rows")
            if events:
                skipped.count("transcript event tokens", events)
            out.setdefault(fields[0], []).append(Turn(fields[2], round(s, 3), round(e, 3), text))
    return out


_SRT_TIME = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d{1,3})\s*-->\s*(\d+):(\d\d):(\d\d)[,.](\d{1,3})")


def read_srt(path: str | Path, skipped: SkippedRows) -> list[Turn]:
    """SubRip cues as speakerless turns (speaker ``""``); text lines joined with spaces."""
    out: list[Turn] = []
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        block_start = i
        while i < len(lines) and lines[i].strip():
            i += 1
        block = lines[block_start:i]
        t_idx = next((k for k, l in enumerate(block) if "-->" in l), None)
        m = _SRT_TIME.search(block[t_idx]) if t_idx is not None else None
        if m is None:
            skipped.skip(path, block_start + 1 + (t_idx or 0), "time", "expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'")
            continue
        g = [int(x) for x in m.groups()]
        s = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 10 ** len(m.group(4))
        e = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 10 ** len(m.group(8))
        if e <= s:
            skipped.skip(path, block_start + 1 + t_idx, "time", f"end {e:.3f} is not after start {s:.3f}")
            continue
        text = " ".join(l.strip() for l in block[t_idx + 1:]).strip()
        out.append(Turn("", round(s, 3), round(e, 3), text))
    return out


def attach_text(turns: list[Turn], utterances: list[Turn], skipped: SkippedRows, kind: str) -> list[Turn]:
    """Give each speaker turn the text of the transcript utterances that fall in it.

    An utterance goes to the turn it overlaps most, preferring turns of the same speaker name
    (STM); speakerless utterances (SRT) go to the turn of largest overlap.  Utterances that
    overlap no turn cannot be placed: counted as lost under ``kind``.
    """
    texts: dict[int, list[tuple[float, str]]] = {}
    for u in utterances:
        if not u.text.strip():
            continue
        skipped.count(kind)
        best, best_key = None, (0.0, 0.0)
        for i, t in enumerate(turns):
            ov = min(t.end, u.end) - max(t.start, u.start)
            if ov <= 0:
                continue
            key = (1.0 if u.speaker and u.speaker == t.speaker else 0.0, ov)
            if key > best_key:
                best, best_key = i, key
        if best is not None:
            texts.setdefault(best, []).append((u.start, u.text.strip()))
        else:
            skipped.lose(kind, "overlaps no speaker turn")
    return [Turn(t.speaker, t.start, t.end, " ".join(x for _, x in sorted(texts.get(i, []))))
            for i, t in enumerate(turns)]
