"""Time-interval answers (``stg``): parsing and temporal IoU.

Accepted forms: ``3.2-5``, ``12.3 - 15 s``, ``0:12-0:15`` (mm:ss, also h:mm:ss), ``3 to 5``,
several intervals separated by anything ("1-2, 4-5").  Several intervals are compared as the
union of the predicted vs. the union of the reference intervals.
"""

from __future__ import annotations

import re

from amuse_tasks.intervals import Interval, union

_TIME = r"(\d+(?::\d{1,2}){0,2}(?:\.\d+)?)\s*(?:s\b|sec\b|secs\b|seconds\b)?"
# (?<!\d): never start inside a number, so a long digit run costs linear, not super-quadratic, time.
_INTERVAL = re.compile(r"(?<!\d)" + _TIME + r"\s*(?:-|–|—|to|until)\s*" + _TIME, re.IGNORECASE)

RECALL_THRESHOLDS = (0.3, 0.5, 0.7)
OFF_BY_ONE_SECONDS = 1.0


def _seconds(token: str) -> float:
    value = 0.0
    for part in token.split(":"):
        value = value * 60 + float(part)
    return value


def find_intervals(text: str | None) -> list[tuple[int, Interval]]:
    """(character offset, interval) of every ``start-end`` interval in the text, in order (the one
    grammar of a time span in text: answers, rewards, RAFT's temporal windows).

    An interval whose end is before its start is dropped (not a valid answer).
    """
    out = []
    for m in _INTERVAL.finditer(text or ""):
        s, e = _seconds(m.group(1)), _seconds(m.group(2))
        if e >= s:
            out.append((m.start(), (s, e)))
    return out


def parse_intervals(text: str | None) -> list[Interval]:
    """Every ``start-end`` interval in the text, in order; [] when there is none."""
    return [iv for _, iv in find_intervals(text)]


def _length(intervals: list[Interval]) -> float:
    return sum(e - s for s, e in intervals)


def tiou(pred: list[Interval], ref: list[Interval]) -> float:
    """|union(pred) ∩ union(ref)| / |union(pred) ∪ union(ref)|, in [0, 1]; 0 when pred is empty."""
    p, r = union(pred), union(ref)
    if not p or not r:
        return 0.0
    inter = 0.0
    for ps, pe in p:
        for rs, re_ in r:
            inter += max(0.0, min(pe, re_) - max(ps, rs))
    either = _length(p) + _length(r) - inter
    return inter / either if either > 0 else 0.0


def off_by_one(pred: list[Interval], ref: list[Interval], tolerance: float = OFF_BY_ONE_SECONDS) -> bool:
    """Both boundaries of every merged reference interval within ``tolerance`` s of the prediction's.

    The merged prediction must have as many intervals as the merged reference.
    """
    p, r = union(pred), union(ref)
    if not p or len(p) != len(r):
        return False
    return all(abs(ps - rs) <= tolerance and abs(pe - re_) <= tolerance for (ps, pe), (rs, re_) in zip(p, r))


def score_intervals(pred: list[Interval], ref: list[Interval]) -> dict[str, float]:
    """Per-sample stg metrics: tIoU x100, R@0.3/0.5/0.7 and off-by-one (0/1)."""
    t = tiou(pred, ref)
    out = {"tiou": 100.0 * t}
    for k in RECALL_THRESHOLDS:
        out[f"r@{k}"] = float(t >= k)
    out["off_by_one"] = float(off_by_one(pred, ref))
    return out
