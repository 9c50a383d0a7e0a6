"""Cut a clip out of the user's media: an H.264/AAC mp4 plus a 16 kHz mono wav (decided).

Builders always cut (never reference the source files): a dataset is then self-contained, its
media paths stay inside the dataset root, and times are clip seconds.  Several parts are joined
in order (scene clips).  Every part is scaled and letterboxed to one frame size; a source without
a video stream gets a black frame (audio-only recordings such as AMI headset mixes).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from amuse_tasks import media
from amuse_tasks.media import MediaInfo


class MediaCutError(RuntimeError):
    """ffmpeg could not cut a clip; the message names the clip and the source files."""


def probe(path: str | Path) -> MediaInfo:
    """``amuse_tasks.media.probe``, failing as a cut error that names the file."""
    try:
        return media.probe(path)
    except media.MediaError as e:
        raise MediaCutError(f"{path}: cannot read media ({e.problem})") from e


@dataclass(frozen=True)
class Placement:
    """Where a source frame lands in the clip frame: pixel offset and scaled size."""

    x: float
    y: float
    w: float
    h: float

    def box(self, norm: list[float]) -> list[float]:
        """Normalised [x, y, w, h] of the source frame -> pixels of the clip frame."""
        return [round(self.x + norm[0] * self.w, 1), round(self.y + norm[1] * self.h, 1),
                round(norm[2] * self.w, 1), round(norm[3] * self.h, 1)]


def frame_size(first: MediaInfo, height: int) -> tuple[int, int]:
    """Clip frame size: ``height`` rows, width from the first source's aspect ratio (even)."""
    if first.width and first.height:
        w = max(2, round(first.width * height / first.height / 2) * 2)
    else:
        w = round(height * 4 / 3 / 2) * 2
    return w, height


def placement(src: MediaInfo, size: tuple[int, int]) -> Placement:
    W, H = size
    if not (src.width and src.height):
        return Placement(0, 0, W, H)
    s = min(W / src.width, H / src.height)
    w, h = src.width * s, src.height * s
    return Placement((W - w) / 2, (H - h) / 2, w, h)


def cut_clip(parts: list[tuple[Path, float, float]], out_mp4: Path, out_wav: Path, *,
             height: int = 360, fps: int = 25, clip_id: str = "", audio: Path | None = None) -> list[Placement]:
    """Write the joined parts as ``out_mp4`` (H.264 + AAC) and ``out_wav`` (16 kHz mono PCM).

    ``audio``: a separate sound file on the same clock as the parts (a corpus whose videos have no
    sound, e.g. AMI's room cameras beside the headset mix); else each part's own audio stream.

    Returns one Placement per part (for converting face boxes to clip pixels).
    """
    infos = [probe(p) for p, _, _ in parts]
    size = frame_size(infos[0], height)
    W, H = size
    args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    chains, labels = [], []
    n_in = 0
    for k, ((src, s, e), info) in enumerate(zip(parts, infos)):
        dur = e - s
        if dur <= 0:
            raise MediaCutError(f"clip {clip_id}: empty part {s}-{e} of {src}")
        if info.duration and s >= info.duration:
            raise MediaCutError(f"clip {clip_id}: part starts at {s:.2f} s but {src} lasts {info.duration:.2f} s")
        args += ["-ss", f"{s:.3f}", "-t", f"{dur:.3f}", "-i", str(src)]
        a_in = v_in = n_in
        n_in += 1
        if audio is not None:
            args += ["-ss", f"{s:.3f}", "-t", f"{dur:.3f}", "-i", str(audio)]
            a_in = n_in
            n_in += 1
        if not info.width:
            args += ["-f", "lavfi", "-t", f"{dur:.3f}", "-i", f"color=c=black:s={W}x{H}:r={fps}"]
            v_in = n_in
            n_in += 1
        chains.append(
            f"[{v_in}:v]scale={W}:{H}:force_original_aspect_ratio=decrease,pad={W}:{H}:(ow-iw)/2:(oh-ih)/2,"
            f"setsar=1,fps={fps},format=yuv420p,trim=duration={dur:.3f},setpts=PTS-STARTPTS[v{k}]")
        chains.append(f"[{a_in}:a]aresample=16000,aformat=channel_layouts=mono,"
                      f"apad,atrim=duration={dur:.3f},asetpts=PTS-STARTPTS[a{k}]")
        labels.append(f"[v{k}][a{k}]")
    chains.append(f"{''.join(labels)}concat=n={len(parts)}:v=1:a=1[v][a]")
    chains.append("[a]asplit=2[am][aw]")
    out_mp4.parent.mkdir(parents=True, exist_ok=True)
    args += ["-filter_complex", ";".join(chains),
             "-map", "[v]", "-map", "[am]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "28",
             "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", str(out_mp4),
             "-map", "[aw]", "-c:a", "pcm_s16le", "-ar", "16000", "-ac", "1", str(out_wav)]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        sources = ", ".join([str(p) for p, _, _ in parts] + ([str(audio)] if audio else []))
        tail = proc.stderr.strip().splitlines()[-3:]
        raise MediaCutError(f"clip {clip_id}: ffmpeg failed on {sources}: {' | '.join(tail)}")
    return [placement(i, size) for i in infos]
