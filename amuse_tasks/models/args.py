"""Model arguments as lm-eval hands them over: ``--model_args a=true,b=1`` arrive as bools, ints or strings."""

from __future__ import annotations


def as_bool(value) -> bool:
    """``True``/``"true"``/``"yes"``/``1`` -> True; anything else -> False."""
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
