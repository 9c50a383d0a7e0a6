"""What the rule baseline (``baseline_policy``) reads off tool results: word overlap of texts, seats
of the faces visible at a time, scene cuts from face appearances, stretches where one voice is heard alone."""

from __future__ import annotations

import re

RAISES = re.compile(r"\b(problem|before i forget|worr|concern|trouble|risk|snag|just so you know|i heard)", re.IGNORECASE)  # phrases that raise an issue
_WORD = re.compile(r"[a-z0-9']+")
STOP = frozenset("""a an the and or but so of to in on at for with by from is are was were be been it its this that
these those i we you he she they me us our your my their there here about as not no do does did have has had will
would can could should just also then than too very all any some what who which when where how if after before
again one problem though news good way issue""".split())


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOP}


def overlap_f1(a: list[str], b: list[str]) -> float:
    common = sum(min(a.count(w), b.count(w)) for w in set(a))
    if not common:
        return 0.0
    p, r = common / len(b), common / len(a)
    return 2 * p * r / (p + r)


def seat_of(fact: dict) -> tuple[int, str | None] | None:
    """(column, row) of a ``people[]`` entry or an option fact with a ``seat``."""
    seat = fact.get("seat")
    return (seat["column"], seat["row"]) if seat else None


def seats(faces: list[dict], t: float) -> dict[str, tuple[int, str | None]]:
    """Face id -> (column from the left, 'top'/'bottom' or None) of the faces visible at t."""
    vis = [f for f in faces if f["start"] - 0.01 <= t <= f["end"] + 0.01]
    if not vis:
        return {}
    yc = sorted((f["box"][1] + f["box"][3] / 2, f["face"]) for f in vis)
    h = sorted(f["box"][3] for f in vis)[len(vis) // 2]
    gaps = [(yc[i + 1][0] - yc[i][0], i) for i in range(len(yc) - 1)]
    split = max(gaps)[1] if gaps and max(gaps)[0] > 0.5 * h else None
    row_of = {face: (None if split is None else ("top" if i <= split else "bottom")) for i, (_, face) in enumerate(yc)}
    out = {}
    for row in set(row_of.values()):
        in_row = sorted((f for f in vis if row_of[f["face"]] == row), key=lambda f: f["box"][0])
        for col, f in enumerate(in_row, 1):
            out[f["face"]] = (col, row)
    return out


def best_seat_time(faces: list[dict], t_from: float, t_to: float) -> float:
    """The time in [t_from, t_to] (0.25 s grid) at which the most faces are visible."""
    grid = [t_from + 0.25 * k for k in range(int(max(0.0, t_to - t_from) / 0.25) + 1)]
    return max(grid, key=lambda t: (len(seats(faces, t)), -t)) if grid else t_from


def exclusive(a: float, b: float, others: list[dict], *, fallback: bool = True) -> tuple[float, float] | None:
    """The longest part (> 0.2 s) of [a, b] that no item of ``others`` (spans of other voices)
    overlaps: lip sync is clearest where one voice is heard alone. When every part is overlapped:
    [a, b] itself, or None without ``fallback``."""
    free = [(a, b)]
    for o in others:
        free = [piece for s, e in free for piece in ((s, min(e, o["start"])), (max(s, o["end"]), e)) if piece[1] - piece[0] > 0.2]
    if free:
        return max(free, key=lambda p: p[1] - p[0])
    return (a, b) if fallback else None


def cut_times(faces: list[dict]) -> list[float]:
    """Scene cuts: times where at least half of the visible faces start a new appearance together
    (faces first found in the first second are the clip's first scene, not a cut)."""
    starts = sorted(f["start"] for f in faces if f["start"] > 1.0)
    cuts: list[float] = []
    for s in starts:
        together = [x for x in starts if abs(x - s) <= 0.5]
        if len(together) >= max(1, len(seats(faces, s + 0.6)) / 2) and not any(abs(c - s) <= 1.0 for c in cuts):
            cuts.append(s)
    return cuts
