"""The zero-shot hand-off of the lmms-eval pack (runs in the main environment: the hook needs no lmms-eval): a
record's window becomes one mp4 of the window's length with its audio as the soundtrack; under the modality
ablation the same clip with a silent soundtrack or black frames."""

from __future__ import annotations

import numpy as np

from amuse_tasks.lm_eval_glue.dataset import DROP_KEY
from amuse_tasks.lmms_eval_glue.hooks import window_clip
from amuse_tasks.media import probe, read_audio, read_video
from amuse_tasks.schema import ROOT_KEY, load_records


def test_window_clips_carry_the_window_and_honour_drop(synth_root, tmp_path):
    rec = next(r for r in load_records(synth_root).records if r["task"] == "avsa")
    doc = {**rec, ROOT_KEY: str(synth_root)}
    full = window_clip(doc)
    info = probe(full)
    assert info.has_video and info.has_audio
    assert abs(info.duration - (rec["end"] - rec["start"])) < 0.15
    heard = read_audio(full, 0.0, info.duration - 0.2)  # AAC ends a frame or two before the video
    original = read_audio(synth_root / rec["audio"], rec["start"], rec["end"])
    assert np.abs(heard).max() > 0.01 and abs(len(heard) - len(original)) < 0.05 * len(original)
    muted = window_clip({**doc, DROP_KEY: ["audio"]})
    blank = window_clip({**doc, DROP_KEY: ["video"]})
    assert len({full, muted, blank}) == 3  # one kept file per window and drop
    assert np.abs(read_audio(muted, 0.0, info.duration - 0.2)).max() < 1e-3 and read_video(muted, num_frames=2)[0].max() > 50
    assert read_video(blank, num_frames=2)[0].max() < 20 and np.abs(read_audio(blank, 0.0, info.duration - 0.2)).max() > 0.01
    assert window_clip(doc) == full and full.stat().st_mtime_ns == window_clip(doc).stat().st_mtime_ns  # cut once
