"""The one interface of the perception tools: ``Toolbox(clip, backends, cache)``.

Each tool is computed once over the whole sample window (cached on disk), then answered for the
asked span, so labels stay stable across calls: VOICE_n numbered by first speech, FACE_X letters in a
salted hash order of the tracks (``labels.py``: neither appearance order nor screen position). ``call(name, arguments)`` is what an agent uses (``calls.py``: it
validates the call, returns an error message instead of raising, and gives up on a call that runs
past ``call_timeout`` seconds, so a hung backend cannot stall the run).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from amuse_tasks.tools.backends import backends_tag, build_backend, parse_backends
from amuse_tasks.tools.base import ToolError, seconds as _r
from amuse_tasks.tools.cache import ToolCache, cache_key, default_cache_dir, file_hash
from amuse_tasks.tools.calls import CALL_TIMEOUT, TimedRunner, quote, run_call
from amuse_tasks.tools.clip import Clip
from amuse_tasks.tools.labels import face_labels, window_salt
from amuse_tasks.tools.utterances import split_by_voice

TIME_SLACK = 0.05  # seconds past the window end still accepted (rounding in the model's numbers)


def _overlaps(item: dict, start: float, end: float) -> bool:
    return item["start"] < end and item["end"] > start


class Toolbox:
    def __init__(self, clip: Clip, backends: str | dict | None = "offline", cache: ToolCache | str | Path | None = None,
                 call_timeout: float | None = CALL_TIMEOUT):
        self.clip = clip
        self.runner = TimedRunner(call_timeout)
        self.chosen = parse_backends(backends)
        self.tag = backends_tag(self.chosen)
        self.cache = cache if isinstance(cache, ToolCache) else ToolCache(cache if cache is not None else default_cache_dir())
        self._backends: dict[str, object] = {}
        self._memo: dict[str, object] = {}

    @classmethod
    def for_record(cls, record: dict, root: str | Path, **kwargs) -> "Toolbox":
        return cls(Clip.from_record(record, root), **kwargs)

    # -- backends and whole-window results (cached) -------------------------------------------
    def backend(self, kind: str):
        if kind not in self._backends:
            self._backends[kind] = build_backend(kind, self.chosen[kind])
        return self._backends[kind]

    def _cached(self, tool: str, backend, compute, arguments: dict | None = None):
        memo = f"{tool}:{sorted((arguments or {}).items())}"
        if memo in self._memo:
            return self._memo[memo]
        compute = self.runner.guard(compute)  # a timed-out call's late result is kept nowhere
        if backend.media == "record":
            value = compute()
        else:
            value = self.cache.get_or_compute(self._media_key(tool, backend, {**self.clip.window(), **(arguments or {})}),
                                              compute)
        self._memo[memo] = value
        return value

    def cached_for_file(self, tool: str, backend, part: int, compute):
        """A backend's result over one fixed part of its media file (``part`` numbers the backend's own
        split of the file), shared by every window of the clip that overlaps it."""
        return self.cache.get_or_compute(self._media_key(tool, backend, {"file_part": part}), compute)

    def _media_key(self, tool: str, backend, arguments: dict) -> str:
        """The cache key of a backend's result on this clip's audio or video file."""
        media_path = self.clip.audio if backend.media == "audio" else self.clip.video
        return cache_key(tool, backend.name, backend.settings, file_hash(media_path), arguments)

    def speech(self) -> list[dict]:
        b = self.backend("vad")
        return self._cached("vad", b, lambda: b.run(self.clip, self))

    def speaker_turns(self) -> list[dict]:
        b = self.backend("diarize")
        return self._cached("diarize", b, lambda: b.run(self.clip, self))

    def asr(self) -> list[dict]:
        b = self.backend("asr")
        return self._cached("transcribe", b, lambda: b.run(self.clip, self))

    def face_tracks(self) -> list[dict]:
        b = self.backend("faces")
        return self._cached("track_faces", b, lambda: b.run(self.clip, self))

    def _motion(self) -> dict:
        b, faces = self.backend("lipsync"), self.backend("faces")
        return self._cached("lip_motion", b, lambda: b.motion(self.clip, self.face_tracks()),
                            {"faces": faces.name, "faces_settings": faces.settings})

    # -- anonymous labels ---------------------------------------------------------------------
    def voice_labels(self) -> dict[str, str]:
        if "voices" not in self._memo:
            order: dict[str, str] = {}
            for seg in sorted(self.speaker_turns(), key=lambda s: s["start"]):
                order.setdefault(seg["speaker"], f"VOICE_{len(order) + 1}")
            self._memo["voices"] = order
        return self._memo["voices"]

    def face_labels(self) -> dict[str, str]:
        if "faces" not in self._memo:
            self._memo["faces"] = face_labels([tr["id"] for tr in self.face_tracks()], window_salt(self.clip))
        return self._memo["faces"]

    def _face_raw(self, face_id) -> str:
        labels = self.face_labels()
        for raw, label in labels.items():
            if label == face_id:
                return raw
        known = ", ".join(labels.values()) or "none: no face was found in this clip"
        raise ToolError(f"unknown face_id {quote(face_id)}; face ids of this clip: {known}")

    # -- argument checks ----------------------------------------------------------------------
    def _span(self, start, end) -> tuple[float, float]:
        for name, v in (("start", start), ("end", end)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ToolError(f"argument {name!r} must be a number of seconds, got {quote(v)}")
        dur = self.clip.duration
        if start < 0 or end > dur + TIME_SLACK:
            raise ToolError(f"time outside the clip: start={start}, end={end}; the clip runs from 0 to {dur:.2f} s")
        if end <= start:
            to_end = f"start={start}, end={dur:.2f} to the end of the clip, or " if 0 <= start < dur else ""
            raise ToolError(f"empty span: end ({end}) must be after start ({start}); the clip runs from 0 to "
                            f"{dur:.2f} s, e.g. {to_end}start=0, end={dur:.2f} for the whole clip")
        return float(start), float(min(end, dur))

    # -- the tools ----------------------------------------------------------------------------
    def vad(self, start, end) -> dict:
        s, e = self._span(start, end)
        return {"speech": [{"start": _r(max(x["start"], s)), "end": _r(min(x["end"], e))}
                           for x in self.speech() if _overlaps(x, s, e)]}

    def diarize(self, start, end) -> dict:
        s, e = self._span(start, end)
        voices = self.voice_labels()
        return {"segments": [{"voice": voices[x["speaker"]], "start": _r(max(x["start"], s)), "end": _r(min(x["end"], e))}
                             for x in sorted(self.speaker_turns(), key=lambda x: x["start"]) if _overlaps(x, s, e)]}

    def utterances(self) -> list[dict]:
        """ASR segments split where the voice changes (word timestamps), with voice labels."""
        if "utterances" not in self._memo:
            same_ids = self.chosen["asr"] == "oracle" and self.chosen["diarize"] == "oracle"
            self._memo["utterances"] = split_by_voice(self.asr(), self.speaker_turns(), self.voice_labels(), same_ids)
        return self._memo["utterances"]

    def transcribe(self, start, end) -> dict:
        s, e = self._span(start, end)
        return {"utterances": [u for u in self.utterances() if _overlaps(u, s, e)]}

    def track_faces(self, start, end) -> dict:
        s, e = self._span(start, end)
        labels = self.face_labels()
        faces = []
        for tr in sorted(self.face_tracks(), key=lambda t: (t["start"], t["boxes"][0][1])):
            if not (tr["start"] <= e and tr["end"] >= s):
                continue
            a, b = max(tr["start"], s), min(tr["end"], e)
            box = min(tr["boxes"], key=lambda x: abs(x[0] - (a + b) / 2))[1:]
            faces.append({"face": labels[tr["id"]], "start": _r(a), "end": _r(b), "box": [round(v) for v in box]})
        return {"faces": faces}

    def lip_sync(self, face_id, start, end) -> dict:
        s, e = self._span(start, end)
        raw = self._face_raw(face_id)
        if self.chosen["lipsync"] == "oracle":
            return {"face": face_id, "start": _r(s), "end": _r(e), **self.backend("lipsync").score_person(self.clip, raw, s, e)}
        motion = self._motion()
        series = [m for tr, m in zip(self.face_tracks(), motion["tracks"]) if tr["id"] == raw]
        return {"face": face_id, "start": _r(s), "end": _r(e), **self.backend("lipsync").score(series, motion["rms"], s, e)}

    def face_crop(self, face_id, t) -> dict:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 <= t <= self.clip.duration:
            raise ToolError(f"argument 't' must be a time within the clip (0 to {self.clip.duration:.2f} s), got {quote(t)}")
        raw = self._face_raw(face_id)
        visible = [tr for tr in self.face_tracks() if tr["id"] == raw and tr["start"] - 0.5 <= t <= tr["end"] + 0.5]
        if not visible:
            raise ToolError(f"{face_id} is not visible at t={t}")
        tt, *box = min((b for tr in visible for b in tr["boxes"]), key=lambda b: abs(b[0] - t))
        _, frames = self.clip.frames(fps=25.0, start=max(0.0, t), end=min(self.clip.duration, t + 0.04))
        if len(frames) == 0:
            raise ToolError(f"no video frame at t={t}")
        x, y, w, h = (int(v) for v in box)
        crop = frames[0][max(0, y): y + h, max(0, x): x + w]
        out_dir = (self.cache.root or Path(tempfile.gettempdir()) / "amuse_tools") / "crops"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{self.clip.clip_id}_{self.clip.start:.2f}_{face_id}_{t:.2f}.png"
        Image.fromarray(np.ascontiguousarray(crop)).save(path)
        return {"face": face_id, "t": _r(t), "box": [x, y, w, h], "image": str(path)}

    # -- the agent's entry point ------------------------------------------------------------
    def call(self, name, arguments) -> dict:
        """Run one tool call; never raises. ``{name, arguments, ok, result, error, seconds, summary}``."""
        return run_call(self, name, arguments)
