"""JSON function schemas of the perception tools, as chat templates take them (``tools=``).

The agent prompt, the agent loop and the tool-use metrics all read this list.
"""

from __future__ import annotations

from amuse_tasks.tasks import TOOL_NAMES


def _span_params(extra: dict | None = None, required: tuple[str, ...] = ()) -> dict:
    props = {
        "start": {"type": "number", "description": "start time in seconds from the clip start"},
        "end": {"type": "number", "description": "end time in seconds from the clip start"},
    }
    props.update(extra or {})
    return {"type": "object", "properties": props, "required": [*required, "start", "end"]}


def _fn(name: str, description: str, parameters: dict) -> dict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


_FACE_ID = {"face_id": {"type": "string", "description": "a face track id returned by track_faces, e.g. FACE_A"}}

TOOL_SCHEMAS: list[dict] = [
    _fn("transcribe", "Speech recognition: timestamped utterances with anonymous voice labels.", _span_params()),
    _fn("diarize", "Speaker diarization: who spoke when, with anonymous voice labels.", _span_params()),
    _fn("track_faces", "Face tracks with stable ids, screen positions and visible time spans.", _span_params()),
    _fn("lip_sync", "Score (0-1) that a face track is the one speaking in a span.",
        _span_params(_FACE_ID, required=("face_id",))),
    _fn("vad", "Voice activity detection: the spans with speech, without voice labels.", _span_params()),
    _fn("face_crop", "An image crop of a face track at a time (image-capable models only).",
        {"type": "object",
         "properties": {**_FACE_ID, "t": {"type": "number", "description": "time in seconds from the clip start"}},
         "required": ["face_id", "t"]}),
]

assert tuple(s["function"]["name"] for s in TOOL_SCHEMAS) == TOOL_NAMES


def schemas_for(names: list[str] | tuple[str, ...] | None = None) -> list[dict]:
    """Schemas of the named tools (all when None), in the canonical order."""
    return [s for s in TOOL_SCHEMAS if names is None or s["function"]["name"] in names]


def offered_tools(disabled=(), face_crop: bool = False) -> list[str]:
    """The tools an agent is offered, in the canonical order: every tool but the ``disabled`` ones, and
    ``face_crop`` only for image-capable models that ask for it. ``amuse-agent`` and RAFT's agentic
    rollouts (``raft_trl.environment``) both read this."""
    return [t for t in TOOL_NAMES if t not in disabled and (t != "face_crop" or face_crop)]
