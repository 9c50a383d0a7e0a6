"""ASR backend ``openai-whisper``: the reference Whisper, by checkpoint name or local ``.pt`` file."""

from __future__ import annotations

from pathlib import Path

from amuse_tasks.tools.base import BackendUnavailable, require
from amuse_tasks.tools.clip import Clip

_MODELS: dict[str, object] = {}


class OpenAIWhisperASR:
    kind, name, media = "asr", "openai-whisper", "audio"

    def __init__(self, option: str | None = None):
        if not option:
            raise BackendUnavailable("backend 'openai-whisper' needs a checkpoint: pass "
                                     "transcribe=openai-whisper:<name, e.g. tiny.en> or transcribe=openai-whisper:/path/model.pt")
        self.model_ref = option
        self.settings = {"model": Path(option).name, "fp16": False}

    def _model(self):
        if self.model_ref not in _MODELS:
            whisper = require("whisper", "openai-whisper", "transcribe=openai-whisper")
            is_file = Path(self.model_ref).is_file()
            if not is_file and self.model_ref not in whisper.available_models():
                raise BackendUnavailable(f"openai-whisper: {self.model_ref!r} is neither a file nor a checkpoint name; "
                                         f"pass a local .pt path or one of {', '.join(whisper.available_models())}")
            try:
                _MODELS[self.model_ref] = whisper.load_model(self.model_ref, device="cpu")
            except Exception as e:  # download failures offline, corrupt checkpoints
                raise BackendUnavailable(f"openai-whisper could not load {self.model_ref!r} ({type(e).__name__}: {e}); "
                                         "download the checkpoint where you have internet and pass its local .pt path") from e
        return _MODELS[self.model_ref]

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        result = self._model().transcribe(clip.samples(), fp16=False, word_timestamps=True,
                                          condition_on_previous_text=False, language="en")
        out = []
        for s in result["segments"]:
            words = [{"start": float(w["start"]), "end": float(w["end"]), "word": w["word"]} for w in s.get("words", [])]
            out.append({"start": float(s["start"]), "end": float(s["end"]), "text": s["text"].strip(), "words": words})
        return out
