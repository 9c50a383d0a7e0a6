"""Which parts of a reply restate its prompt: an echo of the cues, the transcript or the question is
the prompt's, not the model's, so neither the claim rewards nor the temporal term count it."""

from __future__ import annotations

import re
from functools import lru_cache

ECHO_SHARE = 0.6  # a clause with at least this share of its word trigrams in the prompt restates it
LINE_SHARE = 0.8  # ... or with at least this share of its words in one line of the prompt


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_.]+", text.lower())


def _trigrams(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)}


@lru_cache(maxsize=64)
def _prompt_index(prompt_text: str) -> tuple[str, frozenset, tuple[frozenset, ...]]:
    tokens = _tokens(prompt_text)
    lines = tuple(frozenset(_tokens(line)) for line in prompt_text.splitlines() if line.strip())
    return " ".join(tokens), frozenset(_trigrams(tokens)), lines


def restates(clause: str, prompt_text: str) -> bool:
    """The clause is in the prompt verbatim (8 characters or more) or with small changes: at least
    ``ECHO_SHARE`` of its word trigrams are the prompt's, or (three words or more) at least
    ``LINE_SHARE`` of its distinct words stand in one prompt line (a cue line reworded or trimmed)."""
    tokens = _tokens(clause)
    joined, seen, lines = _prompt_index(prompt_text)
    flat = " ".join(tokens)
    if len(flat) >= 8 and flat in joined:
        return True
    grams = _trigrams(tokens)
    if grams and len(grams & seen) >= ECHO_SHARE * len(grams):
        return True
    distinct = set(tokens)
    return len(tokens) >= 3 and any(len(distinct & line) >= LINE_SHARE * len(distinct) for line in lines)
