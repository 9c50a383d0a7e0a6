"""Word error rate: word-level edit distance over the reference length (ASR quality, RAFT's speech reward)."""

from __future__ import annotations


def wer(hyp: list[str], ref: list[str]) -> float:
    """Word error rate of hyp against ref (edit distance / len(ref))."""
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
