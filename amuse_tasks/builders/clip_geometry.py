"""Clip geometry of the task rules: cutting source spans into clip seconds, overlap statistics,
dialogue windows and excerpts (see ``task_rules`` for the rules themselves)."""

from __future__ import annotations

from amuse_tasks.builders.clip_plan import BuildConfig, record_time as _r
from amuse_tasks.builders.conversation import FaceTrack, Recording, Turn
from amuse_tasks.intervals import union


def to_clip(turns: list[Turn], faces: list[FaceTrack], spans: list[tuple[float, float]]):
    """Turns and face tracks of the source spans, clipped and shifted into clip seconds.

    A face track becomes one track per span (a track does not continue across a cut).
    """
    out_t, out_f, offset = [], [], 0.0
    for k, (s0, e0) in enumerate(spans):
        for t in turns:
            s, e = max(t.start, s0), min(t.end, e0)
            if e > s:
                out_t.append(Turn(t.speaker, _r(s - s0 + offset), _r(e - s0 + offset), t.text,
                                  t.partial or s > t.start or e < t.end))
        for f in faces:
            boxes = [(_r(max(a, s0) - s0 + offset), _r(min(b, e0) - s0 + offset), box)
                     for a, b, box in f.boxes if min(b, e0) > max(a, s0)]
            if boxes:
                out_f.append(FaceTrack(f"{f.track}@{k}" if len(spans) > 1 else f.track, f.person, boxes))
        offset += e0 - s0
    out_t.sort(key=lambda t: (t.start, t.end, t.speaker))
    return out_t, out_f


def overlap_of(turn: Turn, turns: list[Turn]) -> float:
    """Seconds of ``turn`` during which another speaker is also speaking."""
    return sum(e - s for s, e in union((max(t.start, turn.start), min(t.end, turn.end)) for t in turns
                                       if t.speaker != turn.speaker and t.end > turn.start and t.start < turn.end))


def overlap_ratio(turns: list[Turn]) -> float:
    """Fraction of speech time with two or more speakers at once (the overlap statistic of the AMUSE paper)."""
    edges = sorted({x for t in turns for x in (t.start, t.end)})
    speech = both = 0.0
    for a, b in zip(edges, edges[1:]):
        mid = (a + b) / 2
        n = len({t.speaker for t in turns if t.start <= mid < t.end})
        speech += (b - a) if n else 0.0
        both += (b - a) if n >= 2 else 0.0
    return round(both / speech, 4) if speech else 0.0


def clean(t: Turn, turns: list[Turn], min_len: float, max_overlap: float = 0.0) -> bool:
    """Whole (not cut by the clip), long enough, and overlapped by others at most ``max_overlap``."""
    return (not t.partial and t.end - t.start >= min_len
            and overlap_of(t, turns) <= max_overlap * (t.end - t.start))


def windows(rec: Recording, cfg: BuildConfig) -> list[tuple[float, float]]:
    """Non-overlapping dialogue windows of ``min_clip``-``max_clip`` seconds with >= 2 speakers."""
    turns = sorted(rec.turns, key=lambda t: (t.start, t.end))
    out, i = [], 0
    while i < len(turns):
        w0, w1, inside = turns[i].start, turns[i].start, []
        for t in turns[i:]:
            if t.start - w1 > cfg.max_gap and inside:
                break
            if t.end - w0 <= cfg.max_clip:
                inside.append(t)
                w1 = max(w1, t.end)
        if w1 - w0 >= cfg.min_clip and len({t.speaker for t in inside}) >= 2:
            out.append((_r(w0), _r(w1)))
            while i < len(turns) and turns[i].start < w1:
                i += 1
        else:
            i += 1
    return out


def excerpt(turns: list[Turn], i: int, lo: float, hi: float) -> tuple[float, float] | None:
    """A span starting at turns[i].start and ending at a turn end, lo-hi seconds long."""
    s = turns[i].start
    ends = [t.end for t in turns[i:] if t.start >= s and t.end - s <= hi]
    if not ends or max(ends) - s < lo:
        return None
    return s, max(ends)


