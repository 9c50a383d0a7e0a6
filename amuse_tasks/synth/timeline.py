"""Place the spoken lines of a plot in time: pauses, interruptions, backchannels and scene cuts.

Each main line either waits a pause after the previous one or interrupts it; the amount of
interruption is chosen greedily so that the running overlap ratio (fraction of speech time with
two or more simultaneous speakers) tracks the requested target.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from amuse_tasks.synth.story import Plot

GRID = 100  # overlap bookkeeping resolution: 10 ms


@dataclass
class Placed:
    line: int  # index into plot.lines
    speaker: int
    start: float
    end: float


@dataclass
class Timeline:
    placed: list[Placed]
    scenes: list[tuple[float, float]]
    duration: float
    nsp_end: float  # a turn end followed by a pause and a different speaker


def speech_and_overlap(spans: list[tuple[float, float]]) -> tuple[float, float]:
    """(seconds with one or more speakers, seconds with two or more), on a 10 ms grid."""
    if not spans:
        return 0.0, 0.0
    n = int(max(e for _, e in spans) * GRID) + 2
    count = [0] * (n + 1)
    for s, e in spans:
        count[int(round(s * GRID))] += 1
        count[int(round(e * GRID))] -= 1
    active = multi = run = 0
    for c in count:
        run += c
        active += run >= 1
        multi += run >= 2
    return active / GRID, multi / GRID


def overlap_ratio(spans: list[tuple[float, float]]) -> float:
    """Fraction of speech time (union of spans) covered by two or more spans."""
    active, multi = speech_and_overlap(spans)
    return multi / active if active else 0.0


def _overlap_of(spans: list[tuple[float, float]], s: float, e: float) -> float:
    return sum(max(0.0, min(e, b) - max(s, a)) for a, b in spans)


def schedule(plot: Plot, durations: list[float], rng: random.Random, overlap: float) -> Timeline:
    """Start/end of every line of ``plot`` (durations in seconds), scenes and the nsp turn end."""
    placed: list[Placed] = []
    spans: list[tuple[float, float]] = []
    scene_starts = [0.0]
    prev_main: Placed | None = None
    for i, ln in enumerate(plot.lines):
        d = durations[i]
        if ln.intent == "backchannel":
            assert prev_main is not None
            start = prev_main.start + rng.uniform(0.3, 0.6) * (prev_main.end - prev_main.start)
        else:
            new_scene = prev_main is not None and ln.scene != plot.lines[prev_main.line].scene
            if prev_main is None:
                start = 0.4
            elif new_scene:
                last_end = max(p.end for p in placed)
                cut = last_end + rng.uniform(0.3, 0.5)
                scene_starts.append(round(cut, 3))
                start = cut + rng.uniform(0.4, 0.8)
            elif prev_main.line == plot.nsp_turn:
                start = max(p.end for p in placed) + rng.uniform(0.45, 0.8)
            else:
                # overlap x that brings (multi + x) / (speech + d - x) to the target
                speech, multi = speech_and_overlap(spans)
                want = (overlap * (speech + d) - multi) / (1 + overlap)
                cap = 0.6 * min(d, prev_main.end - prev_main.start)
                if want > 0.15:
                    x = min(want, cap)
                    start = prev_main.end - x
                else:
                    start = prev_main.end + rng.uniform(0.15, 0.7)
            # nobody talks over themselves
            own = [(p.start, p.end) for p in placed if p.speaker == ln.speaker]
            while _overlap_of(own, start, start + d) > 0:
                start = max(b for a, b in own if a < start + d) + 0.1
        start = round(start, 3)
        p = Placed(i, ln.speaker, start, round(start + d, 3))
        placed.append(p)
        spans.append((p.start, p.end))
        if ln.intent != "backchannel":
            prev_main = p
    duration = round(max(p.end for p in placed) + 0.6, 3)
    scenes = [(s, e) for s, e in zip(scene_starts, scene_starts[1:] + [duration])]
    nsp = next(p for p in placed if p.line == plot.nsp_turn)
    nsp_end = max(q.end for q in placed if q.start < nsp.end)
    return Timeline(placed, scenes, duration, nsp_end)
