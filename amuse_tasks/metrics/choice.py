"""Option-letter extraction for multiple-choice answers, strict and lenient (like gsm8k's two filters).

An answer that names no option, or more than one, is unparseable (None): it scores as wrong and
counts in ``parse_fail``; there is never a fallback to a default option.
"""

from __future__ import annotations

import re

from amuse_tasks.schema import LETTERS

# Whole reply is a letter: "B", "(B)", "B.", "Answer: B", "Answer: (B). because ..." (rationale allowed).
_STRICT = re.compile(r"^\s*(?:(?i:answer)\s*:\s*)?\(?([A-Z])\)?\s*(?:[.:)]|$)")
# "the answer is b", "answer: option C", "Answer - (d)".
_STATED = re.compile(
    r"\banswer\s*(?:is|:|-|=)?\s*(?:option\s*)?\(?([A-Za-z])\)?(?![A-Za-z])(?!\s+or\s)", re.IGNORECASE
)
# A capital letter standing alone: "I pick (C).", "C is right".
_LONE = re.compile(r"(?<![A-Za-z'])\(?([A-Z])\)?(?![A-Za-z'])")


def _valid(n_options: int) -> str:
    return LETTERS[:n_options]


def extract_strict(text: str | None, n_options: int) -> str | None:
    """The letter when the reply starts with it ("B", "(B)", "Answer: B"); else None."""
    if not text:
        return None
    valid = _valid(n_options)
    m = _STRICT.match(text)
    if not m or m.group(1) not in valid or _several_letters(text, valid):
        return None
    return m.group(1)


def extract_lenient(text: str | None, n_options: int, options: list[str] | None = None) -> str | None:
    """The letter a reader would take from the reply, or None when it names none or several.

    Order: the strict form; an explicit "answer is X"; exactly one distinct stand-alone capital
    letter among the options; exactly one option text quoted verbatim (case-insensitive).
    """
    if not text:
        return None
    valid = _valid(n_options)
    if _several_letters(text, valid):
        return None
    strict = extract_strict(text, n_options)
    if strict:
        return strict
    stated = {m.group(1).upper() for m in _STATED.finditer(text) if _letter_not_word(m, text)} & set(valid)
    if len(stated) == 1:
        return stated.pop()
    if len(stated) > 1:
        return None
    lone = {m.group(1) for m in _LONE.finditer(text)} & set(valid)
    if len(lone) == 1:
        return lone.pop()
    if len(lone) > 1:
        return None
    if options:
        low = text.lower()
        named = {valid[i] for i, o in enumerate(options[:n_options]) if o.strip() and o.strip().lower() in low}
        if len(named) == 1:
            return named.pop()
    return None


def _letter_not_word(m: re.Match, text: str) -> bool:
    """A lower-case letter counts only at the end of a clause ("is b."), not as a word ("is a bit")."""
    return m.group(1).isupper() or re.match(r"\s*(?:[.,;:!)]|$)", text[m.end():]) is not None


def _several_letters(text: str, valid: str) -> bool:
    """True when the reply offers alternatives such as "A or B", "(A)/(B)", "A and B"."""
    return bool(re.search(rf"\b[{valid}]\b\)?\s*(?:or|and|/|,)\s*\(?[{valid}]\b", text))
