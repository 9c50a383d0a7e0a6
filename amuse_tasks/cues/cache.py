"""Cue files on disk: where ``amuse-cues`` writes a record's tool cues (``cues/<tag>/<id>.json`` beside the
records), and reading one back only when the same backends with the same settings wrote it."""

from __future__ import annotations

import json
from pathlib import Path

CUES_DIR = "cues"


def tool_cues_path(tag: str, record_id: str) -> str:
    """Where ``amuse-cues`` writes a record's cues, relative to the dataset root."""
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in record_id)
    return f"{CUES_DIR}/{tag}/{safe}.json"


def read_tool_cues(path: Path, chosen: dict) -> dict | None:
    """The cue file at ``path`` when it is valid and was written by the ``chosen`` backends with their
    current settings; else None (missing, broken or stale: the caller recomputes it)."""
    import logging

    from amuse_tasks.schema import validate_cues
    from amuse_tasks.tools.backends import backends_fingerprint

    if not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8") as f:
            cues = validate_cues(json.load(f), str(path))
    except ValueError as e:  # a broken file is recomputed
        logging.getLogger(__name__).warning("recomputing cues: %s", e)
        return None
    if cues.get("backends") != backends_fingerprint(chosen):
        logging.getLogger(__name__).warning("recomputing cues: %s was written by other tool backends or settings", path)
        return None
    return cues
