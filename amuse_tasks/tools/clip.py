"""The media a tool call sees: one clip file and the sample window inside it.

Tools take and return seconds from the window start (record ``start`` = 0); the window is all a
tool may look at, so a next-speaker sample cannot peek past its cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from amuse_tasks import media
from amuse_tasks.schema import resolve_media

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Clip:
    clip_id: str
    video: Path
    audio: Path
    start: float  # window start, seconds in the file
    end: float  # window end, seconds in the file
    record: dict | None = field(default=None, compare=False, repr=False)  # ground truth, for oracle backends

    @property
    def duration(self) -> float:
        return self.end - self.start

    @classmethod
    def from_record(cls, record: dict, root: str | Path) -> "Clip":
        where = f"record {record.get('id')!r}"
        return cls(record["clip_id"], resolve_media(root, record["video"], where=where, field_name="video"),
                   resolve_media(root, record["audio"], where=where, field_name="audio"),
                   float(record["start"]), float(record["end"]), record)

    @classmethod
    def from_reference(cls, ref: dict, record: dict | None = None) -> "Clip":
        """From a zero-shot/agentic media reference ``{clip_id, video, audio, start, end}``."""
        return cls(ref["clip_id"], Path(ref["video"]), Path(ref["audio"]), float(ref["start"]), float(ref["end"]), record)

    def window(self) -> dict:
        """The window, as part of a cache key."""
        return {"clip_start": round(self.start, 3), "clip_end": round(self.end, 3)}

    def samples(self, start: float = 0.0, end: float | None = None) -> np.ndarray:
        """16 kHz mono float32 audio of [start, end] seconds from the window start."""
        end = self.duration if end is None else end
        return media.read_audio(self.audio, self.start + start, self.start + end, sample_rate=SAMPLE_RATE)

    def frames(self, fps: float, start: float = 0.0, end: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(times from the window start, uint8 RGB frames [T, H, W, 3]) sampled at ``fps``."""
        end = self.duration if end is None else end
        frames, times = media.read_video(self.video, self.start + start, self.start + end, fps=fps)
        return np.asarray(times, dtype=float) - self.start, frames
