"""Helpers of the builder tests: tiny real media (espeak-ng speech on a timeline, ffmpeg video), a dialogue."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_media(path: Path, duration: float, utterances=(), *, video: bool = True,
               size: tuple[int, int] = (96, 72), fps: int = 10) -> Path:
    """Write ``path``: a test-pattern video (or audio only) whose audio speaks each (start, text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    inputs, filters, labels = [], [], []
    for k, (start, text) in enumerate(utterances):
        wav = path.with_name(f"{path.stem}.u{k}.wav")
        subprocess.run(["espeak-ng", "-s", "190", "-w", str(wav), text], check=True, capture_output=True)
        inputs += ["-i", str(wav)]
        ms = int(start * 1000)
        filters.append(f"[{k + 1}:a]adelay={ms}|{ms}[u{k}]")
        labels.append(f"[u{k}]")
    args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-t", str(duration), "-i", "anullsrc=r=16000:cl=mono", *inputs]
    mix = f"[0:a]{''.join(labels)}amix=inputs={len(labels) + 1}:normalize=0:duration=first[a]"
    filters.append(mix)
    if video:
        args += ["-f", "lavfi", "-t", str(duration), "-i", f"testsrc=s={size[0]}x{size[1]}:r={fps}"]
        vmap = ["-map", f"{len(utterances) + 1}:v", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    else:
        vmap = []
    args += ["-filter_complex", ";".join(filters), "-map", "[a]", *vmap]
    args += ["-c:a", "aac"] if path.suffix == ".mp4" else []
    args += ["-t", str(duration), str(path)]
    subprocess.run(args, check=True, capture_output=True)
    for wav in path.parent.glob(f"{path.stem}.u*.wav"):
        wav.unlink()
    return path



SPEAKERS = ("alice", "bob", "carol", "bob", "alice", "carol", "alice")
WORDS = ("budget", "design", "remote", "colour", "battery", "price", "market", "button", "screen", "plastic")


def dialogue(n: int = 28) -> list[tuple[str, float, float, str]]:
    """(speaker, start, end, text): a three-person conversation, one 2.5 s turn every 3 s."""
    return [(SPEAKERS[k % len(SPEAKERS)], round(0.5 + 3 * k, 2), round(3.0 + 3 * k, 2),
             f"we should talk about the {WORDS[k % len(WORDS)]} number {k}") for k in range(n)]
