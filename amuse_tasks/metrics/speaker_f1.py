"""Speaker-attribution F1 of ``avds`` summaries (decided): the people labels mentioned in the
summary vs. the labels mentioned in the reference summary."""

from __future__ import annotations

import re


def mentioned_labels(text: str | None, labels: list[str]) -> set[str]:
    """Labels that occur in the text as whole words (case-insensitive)."""
    if not text:
        return set()
    return {lab for lab in labels if re.search(rf"(?<!\w){re.escape(lab)}(?!\w)", text, re.IGNORECASE)}


def speaker_f1(pred: str | None, ref: str, labels: list[str]) -> float:
    """F1 of mentioned speaker labels, in [0, 1]; 1.0 when neither mentions anyone."""
    p, r = mentioned_labels(pred, labels), mentioned_labels(ref, labels)
    if not p and not r:
        return 1.0
    tp = len(p & r)
    if tp == 0:
        return 0.0
    precision, recall = tp / len(p), tp / len(r)
    return 2 * precision * recall / (precision + recall)
