"""Lip-sync backend ``correlation``: mouth-region activity vs. speech energy, documented as such.

For each face track, the lower-middle part of its box (the mouth region) is cropped in frames
sampled at ``fps``; its activity is how dark it is (an open mouth shows the dark oral cavity),
relative to that face's own range over the window. Speech energy is the audio RMS over the same
frame intervals. The score of a face over a span is the fraction of the span's speech frames
(RMS above a tenth of the clip's loud level) in which that face's mouth moves, i.e. its opening
changed by more than MOVE of its range since the previous frame: articulating, not just open (a
face about to speak holds its mouth ajar, still). 1 = its mouth moves whenever speech is heard,
0 = never. A frame co-activity measure rather than a Pearson correlation, because under
overlapping speech the correlation with the mixed energy rates every talking face alike. It is
not SyncNet: no learned audio-visual embedding and no offset search. ``mouth_open`` is the
fraction of all sampled frames of the span (speech or not) with the mouth at least ajar (above
AJAR of its range): a face getting ready to speak opens it a little, silently.

Measured with the rule baseline on AMUSE-Synth (seed 101, 20 records per task, ``offline``
preset): scoring "open" frames instead of moving ones gave avsa 0.75 / nsp 0.50 / csnl 0.35,
moving frames give 0.85 / 0.80 / 0.50-0.55 (MOVE 0.1-0.2 all alike).
"""

from __future__ import annotations

import numpy as np

from amuse_tasks.media import MediaError
from amuse_tasks.tools.base import require
from amuse_tasks.tools.clip import SAMPLE_RATE, Clip

CHUNK = 5.0  # seconds of video decoded at a time (bounded memory)
MOVE = 0.15  # a mouth moves (articulates) when its opening changes by this share of its own range between frames
AJAR = 0.25  # it is ajar (``mouth_open``: about to speak, silently) above this share of its range
SCORE = f"moving-mouth fraction of speech frames (move {MOVE}, ajar {AJAR})"


def box_at(track: dict, t: float) -> list | None:
    """The box of a track nearest in time to t, or None outside the track's span (+ half a second)."""
    if t < track["start"] - 0.5 or t > track["end"] + 0.5:
        return None
    return min(track["boxes"], key=lambda b: abs(b[0] - t))[1:]


def speech_energy(clip: Clip, times: list[float], fps: float) -> list[list[float]]:
    """``[t, RMS]`` of the audio over the frame interval ending at each time; all 0 for a video
    without sound (its faces then never count as speaking)."""
    try:
        wav = clip.samples()
    except MediaError as e:
        if "no audio" not in e.problem:
            raise
        return [[t, 0.0] for t in times]
    hop = 1.0 / fps
    out = []
    for t in times:
        chunk = wav[max(0, int((t - hop) * SAMPLE_RATE)): int(t * SAMPLE_RATE)]
        out.append([t, float(np.sqrt(np.mean(chunk ** 2))) if len(chunk) else 0.0])
    return out


class CorrelationLipSync:
    kind, name, media = "lipsync", "correlation", "video"

    def __init__(self, option: str | None = None):
        self.fps = float(option) if option else 12.0
        self.settings = {"fps": self.fps, "mouth": "lower 35% x middle 60%", "activity": "darkness",
                         "score": SCORE}

    def mouth_measure(self):
        """``f(rgb frame, face box) -> mouth activity or None``: here the darkness of the mouth region."""
        cv2 = require("cv2", "'opencv-python-headless<5'", "lip_sync=correlation")

        def darkness(rgb: np.ndarray, box) -> float | None:
            x, y, w, h = (int(v) for v in box)
            y0, y1 = max(0, y + int(0.65 * h)), min(rgb.shape[0], y + h)
            x0, x1 = max(0, x + int(0.2 * w)), min(rgb.shape[1], x + int(0.8 * w))
            if y1 <= y0 or x1 <= x0:
                return None
            gray = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
            crop = cv2.resize(gray, (32, 16), interpolation=cv2.INTER_AREA).astype(np.float32)
            return float(255.0 - crop.mean())
        return darkness

    def motion(self, clip: Clip, tracks: list[dict]) -> dict:
        """Per track, mouth activity (``mouth_measure``) at the sampled frame times, decoded CHUNK seconds
        at a time, plus the audio RMS at those times."""
        measure = self.mouth_measure()
        series = {i: [] for i in range(len(tracks))}
        all_times = []
        t0 = 0.0
        while t0 < clip.duration - 1e-6:
            times, frames = clip.frames(self.fps, t0, min(clip.duration, t0 + CHUNK))
            for t, rgb in zip(times, frames):
                all_times.append(float(t))
                for i, tr in enumerate(tracks):
                    box = box_at(tr, t)
                    value = None if box is None else measure(rgb, box)
                    if value is not None:
                        series[i].append([float(t), value])
            t0 += CHUNK
        return {"tracks": [series[i] for i in range(len(tracks))], "rms": speech_energy(clip, all_times, self.fps)}

    @staticmethod
    def score(series: list[list], rms: list, start: float, end: float) -> dict:
        """Fraction of the speech frames in [start, end] during which this face's mouth moves.

        series: the activity series of each track of this face (each judged against its own range,
        since lighting changes between scenes)."""
        opening: dict[float, float] = {}  # each frame's opening relative to the track's own range
        moving: dict[float, bool] = {}  # ... and whether it changed by more than MOVE since the frame before
        for activity in series:
            if len(activity) < 4:
                continue
            values = np.array([a for _, a in activity])
            lo, hi = np.percentile(values, 20), np.percentile(values, 95)
            if hi - lo < 1.0:  # a mouth region that never changes gives no evidence of speaking
                rel = np.zeros(len(values))
            else:
                rel = (values - lo) / (hi - lo)
            for k, (t, _) in enumerate(activity):
                opening[round(t, 4)] = float(rel[k])
                moving[round(t, 4)] = bool(k > 0 and abs(rel[k] - rel[k - 1]) > MOVE)
        loud = np.percentile([e for _, e in rms], 95) if rms else 0.0
        visible = [t for t in opening if start <= t <= end]
        mouth = round(sum(opening[t] > AJAR for t in visible) / len(visible), 3) if visible else 0.0
        seen = [round(t, 4) for t, e in rms if start <= t <= end and e > 0.1 * loud and round(t, 4) in moving]
        if not seen:
            return {"score": 0.0, "mouth_open": mouth, "frames": 0, "note": "no speech while this face is visible in this span"}
        return {"score": round(sum(moving[t] for t in seen) / len(seen), 3), "mouth_open": mouth, "frames": len(seen)}
