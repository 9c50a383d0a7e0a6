"""Diarization backend ``baseline``: a stated baseline, not a trained diarizer.

Silero VAD speech regions are cut into 1 s windows (0.5 s hop); each window is described by the
mean MFCCs and its median pitch (autocorrelation F0 of voiced frames); the standardised features
(pitch weighted up: synthetic and real voices differ most in it) are clustered agglomeratively with a distance threshold (so the number of speakers is estimated).
Consecutive windows with the same cluster become one segment. Overlapping speech is not modelled.
"""

from __future__ import annotations

import numpy as np

from amuse_tasks.tools.base import require
from amuse_tasks.tools.clip import SAMPLE_RATE, Clip

WIN, HOP = 1.0, 0.5
PITCH_WEIGHT = 3.0


def median_f0(wav: np.ndarray, sr: int = SAMPLE_RATE) -> float | None:
    """Median F0 (Hz) over 40 ms frames whose normalised autocorrelation peak (60-400 Hz) exceeds 0.5."""
    frame, hop, lo, hi = sr // 25, sr // 50, sr // 400, sr // 60
    f0 = []
    for i in range(0, len(wav) - frame, hop):
        f = wav[i: i + frame] - wav[i: i + frame].mean()
        if np.sqrt(np.mean(f ** 2)) < 0.01:
            continue
        ac = np.correlate(f, f, "full")[frame - 1:]
        ac = ac / (ac[0] + 1e-9)
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5:
            f0.append(sr / lag)
    return float(np.median(f0)) if f0 else None


class BaselineDiarizer:
    kind, name, media = "diarize", "baseline", "audio"

    def __init__(self, option: str | None = None):
        self.threshold = float(option) if option else 1.2
        self.settings = {"features": "mfcc19-mean+logf0", "pitch_weight": PITCH_WEIGHT, "win": WIN, "hop": HOP,
                         "linkage": "average", "distance_threshold": self.threshold}

    def _features(self, wav: np.ndarray) -> np.ndarray:
        torch = require("torch", "torch", "diarize=baseline")
        ta = require("torchaudio", "torchaudio", "diarize=baseline")
        x = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32))
        mfcc = ta.transforms.MFCC(sample_rate=SAMPLE_RATE, n_mfcc=20,
                                  melkwargs={"n_fft": 512, "hop_length": 160, "n_mels": 40})(x)[1:]  # drop energy c0
        f0 = median_f0(wav)
        return np.concatenate([mfcc.mean(1).numpy(), [np.log(f0) if f0 else np.nan]])

    def run(self, clip: Clip, ctx) -> list[dict]:
        """``[{speaker, start, end}]`` in seconds from the window start; speaker ids are cluster numbers."""
        cluster = require("sklearn.cluster", "scikit-learn", "diarize=baseline")
        wav = clip.samples()
        windows = []
        for region in ctx.speech():
            s, e = region["start"], region["end"]
            starts = np.arange(s, max(s, e - WIN) + 1e-6, HOP) if e - s > WIN else np.array([s])
            for i, ws in enumerate(starts):
                we = min(e, ws + WIN)
                seg_end = e if i == len(starts) - 1 else ws + HOP
                chunk = wav[int(ws * SAMPLE_RATE): int(we * SAMPLE_RATE)]
                if len(chunk) >= SAMPLE_RATE // 10:
                    windows.append((ws, seg_end, chunk))
        if not windows:
            return []
        if len(windows) == 1:
            labels = np.zeros(1, dtype=int)
        else:
            feats = np.stack([self._features(w) for _, _, w in windows])
            feats[np.isnan(feats[:, -1]), -1] = np.nanmean(feats[:, -1]) if np.isfinite(feats[:, -1]).any() else 0.0
            feats = (feats - feats.mean(0)) / (feats.std(0) + 1e-6)
            feats[:, -1] *= PITCH_WEIGHT
            feats /= np.sqrt(feats.shape[1] - 1 + PITCH_WEIGHT ** 2)
            labels = cluster.AgglomerativeClustering(n_clusters=None, distance_threshold=self.threshold,
                                                     linkage="average").fit_predict(feats)
        out: list[dict] = []
        for (s, e, _), lab in zip(windows, labels):
            if out and out[-1]["speaker"] == f"spk{lab}" and s - out[-1]["end"] < 0.05:
                out[-1]["end"] = float(e)
            else:
                out.append({"speaker": f"spk{lab}", "start": float(s), "end": float(e)})
        return out
