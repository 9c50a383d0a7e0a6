"""Perception tools: one interface (``Toolbox``), backends chosen by name, results cached on disk.

Names are imported lazily, so ``amuse_tasks.tools.schemas`` stays cheap (no media/torch import).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Toolbox": "toolbox", "Clip": "clip", "ToolCache": "cache", "ToolError": "base", "BackendUnavailable": "base",
    "PRESETS": "backends", "parse_backends": "backends", "backends_tag": "backends",
    "TOOL_SCHEMAS": "schemas", "schemas_for": "schemas",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"amuse_tasks.tools.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'amuse_tasks.tools' has no attribute {name!r}")
