"""Distinct synthetic voices: espeak-ng voice variants and pitch, resampled to 16 kHz by sox."""

from __future__ import annotations

import random
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000

# Base voice + variant pairs that sound clearly different from each other.
VARIANTS = (
    "en-us+m1", "en+f2", "en+m3", "en-us+f4", "en+m7", "en+f1", "en-us+m4", "en+f3",
    "en-gb-x-rp+m2", "en-us+f5", "en+m6", "en+f4", "en-029+m5", "en-gb-scotland+klatt2",
)
PITCHES = (25, 35, 45, 55, 65, 75)


@dataclass(frozen=True)
class Voice:
    """One speaker's voice: espeak-ng voice name, pitch (0-99) and speed (words per minute)."""

    name: str
    pitch: int
    speed: int

    def describe(self) -> str:
        return f"{self.name} pitch {self.pitch} speed {self.speed}"


def pick_voices(rng: random.Random, n: int) -> list[Voice]:
    """``n`` voices with different variants (so they differ even when pitches collide)."""
    if n > len(VARIANTS):
        raise ValueError(f"at most {len(VARIANTS)} distinct voices, asked for {n}")
    names = rng.sample(VARIANTS, n)
    return [Voice(v, rng.choice(PITCHES), rng.randrange(150, 186, 5)) for v in names]


def require_tools() -> None:
    """espeak-ng and sox must be on PATH; say how to get them otherwise."""
    missing = [t for t in ("espeak-ng", "sox") if shutil.which(t) is None]
    if missing:
        raise RuntimeError(
            f"AMUSE-Synth needs {' and '.join(missing)} on PATH "
            "(Debian/Ubuntu: apt-get install -y espeak-ng sox)"
        )


def speak(text: str, voice: Voice) -> np.ndarray:
    """16 kHz mono float32 speech for ``text``, leading and trailing silence trimmed."""
    espeak = subprocess.run(
        ["espeak-ng", "-v", voice.name, "-p", str(voice.pitch), "-s", str(voice.speed), "--stdout", text],
        check=True, capture_output=True,
    )
    sox = subprocess.run(
        ["sox", "-D", "-t", "wav", "-", "-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1",
         "-e", "floating-point", "-b", "32", "-"],
        input=espeak.stdout, check=True, capture_output=True,
    )
    audio = np.frombuffer(sox.stdout, dtype="<f4").astype(np.float32)
    return trim_silence(audio)


def trim_silence(audio: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """Cut the silence espeak-ng puts around an utterance, so segment times are tight."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio[:0]
    pad = SAMPLE_RATE // 100
    return audio[max(0, loud[0] - pad): loud[-1] + pad + 1]
