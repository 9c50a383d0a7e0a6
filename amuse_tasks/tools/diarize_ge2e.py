"""Diarization backend ``ge2e``: trained speaker embeddings + spectral clustering, offline.

Resemblyzer's GE2E speaker encoder (Wan et al. 2018; ``pretrained.pt`` ships inside the
``resemblyzer`` wheel, Apache-2.0) embeds the clip in 1.6 s partial windows, RATE per second; the
d-vectors are clustered by Google's ``spectralcluster`` (Wang et al. 2018, "Speaker Diarization
with LSTM") with that paper's affinity refinement (crop diagonal, blur, row-wise threshold,
symmetrise, diffuse, normalise), which estimates the number of speakers from the eigengap
(2-8; ``ge2e:N`` fixes it to N). Silero VAD regions are then split where the label of the
nearest window centre changes. One label at a time: overlapping speech is not modelled.
Torch and BLAS run at one thread for the call, so results are identical whatever the machine.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from amuse_tasks.tools.base import require
from amuse_tasks.tools.clip import SAMPLE_RATE, Clip

RATE = 4.0  # partial embeddings per second
MAX_SPEAKERS = 8
_ENCODER = []


@contextmanager
def one_thread(torch):
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


class GE2EDiarizer:
    kind, name, media = "diarize", "ge2e", "audio"

    def __init__(self, option: str | None = None):
        self.speakers = int(option) if option else None
        self.settings = {"encoder": "resemblyzer-ge2e", "rate": RATE, "clustering": "spectralcluster-icassp2018",
                         "speakers": self.speakers or f"auto (2-{MAX_SPEAKERS})"}

    def _encoder(self):
        if not _ENCODER:
            resemblyzer = require("resemblyzer", "resemblyzer", "diarize=ge2e")
            _ENCODER.append(resemblyzer.VoiceEncoder("cpu", verbose=False))
        return _ENCODER[0]

    def run(self, clip: Clip, ctx) -> list[dict]:
        """``[{speaker, start, end}]`` in seconds from the window start; speaker ids are cluster numbers."""
        torch = require("torch", "torch", "diarize=ge2e")
        configs = require("spectralcluster.configs", "spectralcluster", "diarize=ge2e")
        wav = clip.samples().astype(np.float32)
        speech = [r for r in ctx.speech() if r["end"] - r["start"] >= 0.2]
        if not speech or len(wav) < SAMPLE_RATE:
            return [{"speaker": "spk0", "start": r["start"], "end": r["end"]} for r in speech]
        with one_thread(torch):
            _, partials, slices = self._encoder().embed_utterance(wav, return_partials=True, rate=RATE)
        centres = np.array([(sl.start + sl.stop) / 2 / SAMPLE_RATE for sl in slices])
        voiced = np.array([any(r["start"] - 0.4 <= c <= r["end"] + 0.4 for r in speech) for c in centres])
        if voiced.sum() < 4 or self.speakers == 1:
            labels = np.zeros(len(centres), int)
        else:
            lo, hi = (self.speakers, self.speakers) if self.speakers else (2, min(MAX_SPEAKERS, int(voiced.sum()) - 1))
            clusterer = configs.SpectralClusterer(min_clusters=lo, max_clusters=hi,
                                                  refinement_options=configs.icassp2018_refinement_options)
            labels = np.full(len(centres), -1)
            labels[voiced] = clusterer.predict(partials[voiced])
        keep = labels >= 0
        centres, labels = centres[keep], labels[keep]
        bounds = [(centres[i] + centres[i + 1]) / 2 for i in range(len(centres) - 1) if labels[i] != labels[i + 1]]
        out: list[dict] = []
        for r in speech:
            cuts = [r["start"], *[b for b in bounds if r["start"] < b < r["end"]], r["end"]]
            for a, b in zip(cuts, cuts[1:]):
                spk = f"spk{int(labels[np.argmin(np.abs(centres - (a + b) / 2))])}"
                if out and out[-1]["speaker"] == spk and abs(out[-1]["end"] - a) < 1e-6:
                    out[-1]["end"] = round(b, 3)
                else:
                    out.append({"speaker": spk, "start": round(a, 3), "end": round(b, 3)})
        return out
