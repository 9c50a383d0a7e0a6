"""lmms-eval's per-doc hooks: the lm-eval hooks (prompts, cues, metrics) plus the media hand-off of omni model
classes, which take a video file: the record's window cut into its own mp4 with the soundtrack muxed in."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from amuse_tasks.lm_eval_glue.dataset import DROP_KEY
from amuse_tasks.lm_eval_glue.docs import doc_to_text_guided, doc_to_text_zeroshot
from amuse_tasks.schema import ROOT_KEY, media_reference

WINDOWS_DIR = ".lmms_windows"  # under the dataset root: one mp4 per record window and drop


def window_clip(doc: dict) -> Path:
    """The doc's window as one mp4 (H.264 + AAC) with its audio file as the soundtrack, cut once and kept.
    Under the modality ablation the frames are black (``drop`` video) or the soundtrack silent (audio): the
    same clip otherwise, as lm-eval's ``amuse-omni`` does."""
    ref = media_reference(doc)
    drop = tuple(doc.get(DROP_KEY, ()))
    key = hashlib.sha256(repr((ref["video"], ref["audio"], ref["start"], ref["end"], drop)).encode()).hexdigest()[:12]
    out = Path(doc[ROOT_KEY]) / WINDOWS_DIR / f"{doc['id']}-{key}.mp4"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    span = ["-ss", f"{ref['start']:.3f}", "-to", f"{ref['end']:.3f}"]
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *span, "-i", ref["video"], *span, "-i", ref["audio"],
           "-map", "0:v:0", "-map", "1:a:0", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
    if "video" in drop:
        cmd += ["-vf", "drawbox=t=fill:color=black"]
    if "audio" in drop:
        cmd += ["-af", "volume=0"]
    tmp = out.with_suffix(f".{os.getpid()}.part.mp4")  # processes cutting the same window never share a file
    done = subprocess.run([*cmd, str(tmp)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"record {doc['id']!r}: cutting {ref['video']} [{ref['start']}, {ref['end']}] s failed: "
                           f"{done.stderr.strip()[-300:]}")
    tmp.replace(out)
    return out


def doc_to_visual_zeroshot(doc: dict) -> list[str]:
    return [str(window_clip(doc))]


def doc_to_visual_guided(doc: dict) -> list:
    """Guided: the cues are text; no media."""
    return []


def doc_to_text_zeroshot_lmms(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return doc_to_text_zeroshot(doc)


def doc_to_text_guided_lmms(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return doc_to_text_guided(doc)

