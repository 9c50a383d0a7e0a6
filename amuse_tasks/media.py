"""Decode the part of a clip a sample covers: video frames (PyAV) and 16 kHz mono audio.

Every problem with a file (missing, corrupt, truncated, no audio stream, a span outside the
file) raises ``MediaError`` naming the file and what is wrong; callers turn it into a failure
of that one sample.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile as sf

SAMPLE_RATE = 16000
SPAN_SLACK = 0.05  # seconds a span may run past the end of a file (frame/packet rounding)


class MediaError(RuntimeError):
    """A media file that cannot serve the requested span: ``<path>: <problem>``."""

    def __init__(self, path: str | Path, problem: str):
        self.path, self.problem = str(path), problem
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class MediaInfo:
    duration: float  # seconds, longest stream
    fps: float | None  # None without a video stream
    width: int | None
    height: int | None
    sample_rate: int | None  # None without an audio stream
    has_video: bool
    has_audio: bool


def _exists(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise MediaError(p, "file not found")
    return p


def _open(p: Path) -> av.container.InputContainer:
    try:
        return av.open(str(p))
    except (av.error.FFmpegError, UnicodeDecodeError) as e:
        raise MediaError(p, f"corrupt or unreadable media ({e})") from None


def probe(path: str | Path) -> MediaInfo:
    """Duration, frame rate, size and sample rate of a media file (WAV or a container)."""
    p = _exists(path)
    if p.suffix.lower() == ".wav":
        info = _wav_info(p)
        return MediaInfo(info.frames / info.samplerate, None, None, None, info.samplerate, False, True)
    with _open(p) as c:
        v = c.streams.video[0] if c.streams.video else None
        a = c.streams.audio[0] if c.streams.audio else None
        durations = [float(s.duration * s.time_base) for s in (v, a) if s is not None and s.duration]
        if not durations and c.duration:
            durations = [c.duration / av.time_base]
        return MediaInfo(
            max(durations) if durations else 0.0,
            float(v.average_rate) if v is not None and v.average_rate else None,
            v.codec_context.width if v is not None else None,
            v.codec_context.height if v is not None else None,
            a.codec_context.sample_rate if a is not None else None,
            v is not None, a is not None,
        )


def _check_span(p: Path, start: float, end: float | None, duration: float) -> float:
    if start < 0 or (end is not None and end <= start):
        raise MediaError(p, f"invalid span [{start}, {end}] s")
    if start >= duration or (end is not None and end > duration + SPAN_SLACK):
        raise MediaError(p, f"span [{start}, {end}] s is outside the file (duration {duration:.3f} s)")
    return min(end, duration) if end is not None else duration


def _rgb(held: list) -> np.ndarray:
    """The RGB array of a held ``[time, frame, array or None]``, converted once."""
    if held[2] is None:
        held[2] = held[1].to_ndarray(format="rgb24")
    return held[2]


def read_video(path: str | Path, start: float = 0.0, end: float | None = None, *,
               fps: float | None = None, num_frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Frames of ``[start, end)`` as uint8 (T, H, W, 3) RGB, and their timestamps (file seconds).

    ``fps``: sample at that rate; ``num_frames``: that many frames evenly spread over the span;
    neither: every frame.  A sampled time takes the latest frame shown at that time.
    """
    if fps is not None and num_frames is not None:
        raise ValueError("pass fps or num_frames, not both")
    p = _exists(path)
    with _open(p) as c:
        if not c.streams.video:
            raise MediaError(p, "no video stream")
        stream = c.streams.video[0]
        duration = probe(p).duration
        end = _check_span(p, start, end, duration)
        if num_frames is not None:
            if num_frames < 1:
                raise ValueError(f"num_frames must be >= 1, got {num_frames}")
            step = (end - start) / num_frames
            targets = start + step * (np.arange(num_frames) + 0.5)
        elif fps is not None:
            if fps <= 0:
                raise ValueError(f"fps must be > 0, got {fps}")
            targets = np.arange(start, end - 1e-9, 1.0 / fps)
        else:
            targets = None
        frames, times = [], []
        try:
            c.seek(max(0, int((start - 1.0) / stream.time_base)), stream=stream, backward=True)
            held: tuple[float, np.ndarray] | None = None
            k = 0
            last_t = -1.0
            for frame in c.decode(stream):
                t = float(frame.pts * stream.time_base) if frame.pts is not None else float(frame.time)
                last_t = t
                if targets is None:
                    if start - 1e-6 <= t < end:
                        frames.append(frame.to_ndarray(format="rgb24"))
                        times.append(t)
                    elif t >= end:
                        break
                    continue
                while k < len(targets) and targets[k] < t and held is not None:
                    frames.append(_rgb(held))
                    times.append(held[0])
                    k += 1
                if k >= len(targets):
                    break
                held = [t, frame, None]  # converted to RGB only if a sampled time takes it
            while targets is not None and k < len(targets) and held is not None:
                frames.append(_rgb(held))
                times.append(held[0])
                k += 1
        except av.error.FFmpegError as e:
            raise MediaError(p, f"corrupt video data ({e})") from None
    if not frames:
        raise MediaError(p, f"no frames decoded in [{start}, {end}] s (truncated or corrupt file)")
    frame_s = 1.0 / float(stream.average_rate) if stream.average_rate else 0.1
    needed = end if targets is None else float(targets[-1])
    if last_t < needed - max(0.5, 2 * frame_s):
        raise MediaError(p, f"video data ends at {last_t:.3f} s, before the span end {end} s (truncated)")
    return np.stack(frames), np.asarray(times, np.float64)


def read_audio(path: str | Path, start: float = 0.0, end: float | None = None,
               sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Audio of ``[start, end)`` as mono float32 at ``sample_rate`` (WAV via soundfile, else PyAV)."""
    p = _exists(path)
    if p.suffix.lower() == ".wav":
        info = _wav_info(p)
        end = _check_span(p, start, end, info.frames / info.samplerate)
        try:
            data, sr = sf.read(str(p), start=int(round(start * info.samplerate)),
                               stop=int(round(end * info.samplerate)), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            raise MediaError(p, f"corrupt WAV ({e})") from None
        mono = data.mean(axis=1)
        return _resample(mono, sr, sample_rate)
    with _open(p) as c:
        if not c.streams.audio:
            raise MediaError(p, "no audio stream")
        stream = c.streams.audio[0]
        end = _check_span(p, start, end, probe(p).duration)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks = []
        try:
            for frame in c.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as e:
            raise MediaError(p, f"corrupt audio data ({e})") from None
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    a, b = int(round(start * sample_rate)), int(round(end * sample_rate))
    if b > len(audio) + int(SPAN_SLACK * sample_rate):
        raise MediaError(p, f"audio ends at {len(audio) / sample_rate:.3f} s, before the span end {end} s (truncated)")
    return audio[a:b]


def _resample(x: np.ndarray, sr: int, target: int) -> np.ndarray:
    if sr == target:
        return x.astype(np.float32, copy=False)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(sr, target)
    return resample_poly(x, target // g, sr // g).astype(np.float32)


def _wav_info(p: Path) -> sf._SoundFileInfo:
    """soundfile's info, after checking the RIFF header promises no more audio than the file holds."""
    try:
        info = sf.info(str(p))
    except (sf.LibsndfileError, RuntimeError) as e:
        raise MediaError(p, f"corrupt WAV ({e})") from None
    declared, available = _wav_data_sizes(p)
    if declared is not None and declared > available:
        raise MediaError(p, f"truncated WAV: header declares {declared} bytes of audio, file holds {available}")
    return info


def _wav_data_sizes(p: Path) -> tuple[int | None, int]:
    """(bytes the 'data' chunk declares, bytes present after its header); (None, 0) if not RIFF."""
    with open(p, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None, 0
        size = p.stat().st_size
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None, 0
            cid, n = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                if n == 0xFFFFFFFF:  # streamed WAV with unknown length
                    return None, 0
                return n, size - f.tell()
            f.seek(n + (n & 1), 1)
