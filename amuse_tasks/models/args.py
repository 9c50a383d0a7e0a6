"""Model arguments as lm-eval hands them over: ``--model_args a=true,b=1`` arrive as bools, ints or strings."""

from __future__ import annotations

TRUE, FALSE, AUTO = ("1", "true", "yes"), ("0", "false", "no"), ("auto", "none", "")


def as_bool(value) -> bool:
    """``True``/``"true"``/``"yes"``/``1`` -> True; anything else -> False."""
    return value if isinstance(value, bool) else str(value).lower() in TRUE


def as_choice(name: str, value) -> bool | None:
    """A yes/no/auto argument: True, False or None (auto); anything else is an error naming ``name``."""
    text = str(value).strip().lower()
    for result, words in ((True, TRUE), (False, FALSE), (None, AUTO)):
        if text in words:
            return result
    raise ValueError(f"{name}={value!r}: use auto, true or false")
