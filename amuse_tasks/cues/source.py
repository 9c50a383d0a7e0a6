"""Where a guided prompt's cues come from: one object per spelling, for every entry point (lm-eval metadata,
``amuse-cues``, the agent's tool specs, RAFT's ``--cue_source``)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from amuse_tasks.cues.cache import read_tool_cues, tool_cues_path
from amuse_tasks.cues.from_tools import tool_cues
from amuse_tasks.tools.cache import write_json_atomic


CUES_ENV = "AMUSE_CUES"
DEFAULT_CUES = "offline"


NAMED_SOURCES = ("none", "record")  # the spellings that are no tool backend spec


def labelled(cues: dict) -> bool:
    """Whether a cue dict holds ground truth: tool cues with an oracle backend among their tools, or a record's own
    cues that say they are ground truth (``source: oracle``)."""
    kind, _, tag = str(cues.get("source", "")).partition(":")
    return kind == "oracle" or (kind == "tools" and "oracle" in tag.split("+"))


class CueSource:
    """Where a guided prompt's cues come from, parsed and validated once: ``none`` (cues removed, ablation),
    ``record`` (the record's own ``cues`` field, else the ``offline`` tools), or a tool backend spec (default
    ``offline``; ``oracle``, the ground truth, is the preset whose every tool answers from the record's labels, so
    ``oracle`` and ``oracle;asr=faster-whisper`` differ only in their transcripts), whose cues are read
    from ``cues/<tag>/<id>.json`` when ``amuse-cues`` wrote them, else computed now (cached) and written
    there. Build it with ``cue_source``; ``name`` travels into the prompt header (the cue dict's ``source``)
    and the lm-eval docs."""

    def __init__(self, spec: str):
        from amuse_tasks.tools.backends import backends_tag, parse_backends

        self.name = spec
        self.backends = None if spec in NAMED_SOURCES else parse_backends(spec)
        self.tag = spec if self.backends is None else backends_tag(self.backends)

    def __repr__(self) -> str:
        return f"CueSource({self.name!r})"

    @property
    def reads_labels(self) -> bool:
        """Whether any part of these cues is the ground truth by their spec: a spec with an oracle backend
        (``oracle``, ``offline;lipsync=oracle``). ``record`` cues are known only once read (``labelled``). Training
        reads these, never the spelling of the spec."""
        return self.backends is not None and any(value.partition(":")[0] == "oracle" for value in self.backends.values())

    def cues(self, record: dict, root, *, cache=None) -> dict:
        """The cue dict of one record (window seconds). Raises on a missing backend or broken media."""
        if self.name == "none":
            return {"source": "none (cues removed)"}
        if self.name == "record":
            from amuse_tasks.schema import load_cues

            return load_cues(root, record) or cue_source("offline").cues(record, root, cache=cache)
        path = Path(root) / tool_cues_path(self.tag, record["id"])
        cues = read_tool_cues(path, self.backends)
        if cues is not None:
            return cues
        cues = tool_cues(record, root, backends=self.backends, cache=cache)
        write_json_atomic(path, cues)
        return cues


@functools.lru_cache(maxsize=16)
def _cue_source(spec: str) -> CueSource:
    return CueSource(spec)


def cue_source(spec: str | None = None) -> CueSource:
    """The one precedence rule of every entry point (lm-eval ``--metadata '{"cues": ...}'``, ``amuse-cues
    --tools``, RAFT's ``--cue_source``, the benches): the spec given, else ``$AMUSE_CUES``, else
    ``offline``. One object per spec and process, so a spec is parsed once however many docs use it."""
    return _cue_source(spec or os.environ.get(CUES_ENV) or DEFAULT_CUES)
