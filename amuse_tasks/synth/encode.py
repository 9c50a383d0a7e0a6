"""Write a clip: MP4 (H.264 video + AAC audio, via PyAV) and a 16 kHz mono 16-bit WAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np
import soundfile as sf

AAC_FRAME = 1024


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    sf.write(str(path), audio, sample_rate, subtype="PCM_16")


def write_mp4(path: Path, frames: Iterable[np.ndarray], fps: int, width: int, height: int,
              audio: np.ndarray, sample_rate: int) -> int:
    """Encode frames (RGB uint8) and mono float audio into ``path``; returns the frame count."""
    n = 0
    # faststart: the index goes first, so players and decoders can start before the end
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "faststart"}) as out:
        vs = out.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "23", "threads": "1"})
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        as_ = out.add_stream("aac", rate=sample_rate)
        as_.layout = "mono"
        for img in frames:
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = n
            frame.time_base = Fraction(1, fps)
            out.mux(vs.encode(frame))
            n += 1
        out.mux(vs.encode())
        pcm = np.asarray(audio, np.float32)
        for i in range(0, len(pcm), AAC_FRAME):
            chunk = pcm[i:i + AAC_FRAME]
            af = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            af.sample_rate = sample_rate
            af.pts = i
            af.time_base = Fraction(1, sample_rate)
            out.mux(as_.encode(af))
        out.mux(as_.encode())
    return n
