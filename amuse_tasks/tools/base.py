"""What every perception backend shares: the two kinds of failure, the optional-import check, and how
times in tool results are rounded."""

from __future__ import annotations

import importlib
from types import ModuleType


def seconds(x: float) -> float:
    """A time in a tool result: seconds, 2 decimals."""
    return round(float(x), 2)


class ToolError(ValueError):
    """A bad tool call (unknown tool, bad arguments, time outside the clip): told to the model."""


class BackendUnavailable(RuntimeError):
    """A backend whose package or weights are missing; the message says what to install or pass."""


def require(module: str, install: str, backend: str) -> ModuleType:
    """Import ``module`` or raise one message naming the backend and the fix."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise BackendUnavailable(f"backend {backend!r} needs the Python package {module!r} ({e}); "
                                 f"install it with: pip install {install}") from e
