"""Diarization backend ``pyannote``: a pyannote.audio pipeline from a local path or a Hub id.

``diarize=pyannote:<config.yaml or dir or Hub id>``; a gated Hub pipeline also needs ``HF_TOKEN``.
"""

from __future__ import annotations

import os

from amuse_tasks.tools.base import BackendUnavailable, require
from amuse_tasks.tools.clip import SAMPLE_RATE, Clip

_PIPELINES: dict[str, object] = {}


class PyannoteDiarizer:
    kind, name, media = "diarize", "pyannote", "audio"

    def __init__(self, option: str | None = None):
        if not option:
            raise BackendUnavailable("backend 'pyannote' needs a pipeline: pass diarize=pyannote:<local config.yaml "
                                     "or Hub id, e.g. pyannote/speaker-diarization-3.1> (gated Hub pipelines need HF_TOKEN)")
        self.pipeline_ref = option
        self.settings = {"pipeline": option}

    def _pipeline(self):
        if self.pipeline_ref not in _PIPELINES:
            audio = require("pyannote.audio", "pyannote.audio", "diarize=pyannote")
            try:
                pipe = audio.Pipeline.from_pretrained(self.pipeline_ref, token=os.environ.get("HF_TOKEN"))
            except Exception as e:  # gated / offline / bad config
                raise BackendUnavailable(f"pyannote could not load pipeline {self.pipeline_ref!r} ({type(e).__name__}: {e}); "
                                         "pass a local pipeline config, or a Hub id with HF_TOKEN set and the gate accepted") from e
            if pipe is None:
                raise BackendUnavailable(f"pyannote returned no pipeline for {self.pipeline_ref!r}: accept its "
                                         "conditions on the Hub and set HF_TOKEN, or pass a local config")
            _PIPELINES[self.pipeline_ref] = pipe
        return _PIPELINES[self.pipeline_ref]

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        torch = require("torch", "torch", "diarize=pyannote")
        out = self._pipeline()({"waveform": torch.from_numpy(clip.samples()).unsqueeze(0), "sample_rate": SAMPLE_RATE})
        annotation = getattr(out, "speaker_diarization", out)  # pyannote 4 wraps the annotation
        return [{"speaker": str(spk), "start": float(seg.start), "end": float(seg.end)}
                for seg, _, spk in annotation.itertracks(yield_label=True)]
