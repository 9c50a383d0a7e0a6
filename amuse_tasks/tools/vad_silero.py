"""VAD backend ``silero``: Silero VAD (its weights ship inside the ``silero-vad`` package)."""

from __future__ import annotations

from amuse_tasks.tools.base import require
from amuse_tasks.tools.clip import SAMPLE_RATE, Clip

_MODEL = []


class SileroVAD:
    kind, name, media = "vad", "silero", "audio"

    def __init__(self, option: str | None = None):
        self.threshold = float(option) if option else 0.5
        self.settings = {"threshold": self.threshold, "min_silence_ms": 150, "min_speech_ms": 150}

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        """Speech regions ``[{start, end}]`` in seconds from the window start."""
        silero = require("silero_vad", "silero-vad", "vad=silero")
        torch = require("torch", "torch", "vad=silero")
        if not _MODEL:
            _MODEL.append(silero.load_silero_vad())
        wav = torch.from_numpy(clip.samples())
        stamps = silero.get_speech_timestamps(
            wav, _MODEL[0], sampling_rate=SAMPLE_RATE, threshold=self.threshold,
            min_silence_duration_ms=self.settings["min_silence_ms"],
            min_speech_duration_ms=self.settings["min_speech_ms"], return_seconds=True)
        return [{"start": float(s["start"]), "end": float(s["end"])} for s in stamps]
