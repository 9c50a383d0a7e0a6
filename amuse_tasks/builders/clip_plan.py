"""What the task rules produce: the build's configuration, one ``ClipPlan`` per clip file to cut,
and the record skeleton every task maker fills in (seeded option drawing included)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from amuse_tasks.builders.conversation import FaceTrack, Turn
from amuse_tasks.schema import LETTERS, SCHEMA_VERSION
from amuse_tasks.tasks import TASK_IDS, TASKS


@dataclass
class BuildConfig:
    seed: int = 0
    min_clip: float = 10.0
    max_clip: float = 50.0
    per_recording: int = 4  # most records of one task from one recording
    max_options: int = 4
    tasks: tuple[str, ...] = TASK_IDS
    srid_gap: float = 20.0
    max_gap: float = 8.0  # a window does not span a silence longer than this
    csnl_scenes: int = 3

    def __post_init__(self):
        if not 0 < self.min_clip < self.max_clip:
            raise ValueError(f"need 0 < min_clip < max_clip, got {self.min_clip}, {self.max_clip}")
        unknown = set(self.tasks) - set(TASK_IDS)
        if unknown:
            raise ValueError(f"unknown task(s) {sorted(unknown)} (one of {', '.join(TASK_IDS)})")
        if self.max_options < 2:
            raise ValueError("max_options must be at least 2")


@dataclass
class ClipPlan:
    """One clip file to cut (parts joined in order) and the records that use it.

    Records are complete except ``video``/``audio`` (set when the clip is written) and
    ``faces`` (set from ``faces`` in pixels of the written frame).
    """

    clip_id: str
    parts: list[tuple[Path, float, float]]
    records: list[dict] = field(default_factory=list)
    faces: list[FaceTrack] = field(default_factory=list)
    audio: Path | None = None  # the sound of every part, when it is a file of its own

    @property
    def duration(self) -> float:
        return round(sum(e - s for _, s, e in self.parts), 3)


def record_time(x: float) -> float:
    """A time as records hold it: seconds, 3 decimals."""
    return round(float(x), 3)


def rng_for(cfg: BuildConfig, *keys: object) -> random.Random:
    return random.Random("|".join(map(str, (cfg.seed, *keys))))


def draw_options(rng: random.Random, answer: str, others: list[str], cfg: BuildConfig) -> tuple[list[str], str]:
    distractors = rng.sample(sorted(set(others) - {answer}), min(cfg.max_options - 1, len(set(others) - {answer})))
    options = [answer, *distractors]
    rng.shuffle(options)
    return options, LETTERS[options.index(answer)]


def make_record(task: str, rid: str, clip_id: str, end: float, question: str, options: list[str], answer,
                people: dict[str, str], turns: list[Turn], scenes: list[dict], meta: dict, faces_of: dict,
                query: dict | None = None) -> dict:
    """A complete record but for ``video``/``audio``/``faces``; ``query``: what the question states (schema)."""
    segs = [{"speaker": t.speaker, "start": t.start, "end": min(t.end, end), "text": t.text}
            for t in turns if t.start < end]
    return {
        "schema_version": SCHEMA_VERSION, "id": rid, "task": task, "clip_id": clip_id,
        "video": "", "audio": "", "start": 0.0, "end": record_time(end), "question": question,
        "options": options, "answer": answer,
        "people": [{"label": p, "description": d, "face_track": faces_of.get(p)} for p, d in sorted(people.items())],
        "segments": segs, "scenes": scenes, "expected_tools": sorted(TASKS[task].expected_tools),
        "cues": None, "query": query or {}, "meta": meta,
    }


def faces_of(faces: list[FaceTrack]) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in faces:
        out.setdefault(f.person, f.track)
    return out
