"""A reply's answer as its task reads it, for the lm-eval metrics and the RAFT rewards alike (one extraction).

The scored span is ``answer_span.final_answer`` (agentic transcripts: ``agentic_answer`` first, so no tag and no
line is no answer); from it a choice task reads the strict and the lenient letter, ``stg`` its intervals, a text
task (``avds``) keeps the span itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from amuse_tasks.intervals import Interval
from amuse_tasks.metrics.answer_span import agentic_answer, final_answer
from amuse_tasks.metrics.choice import extract_lenient, extract_strict
from amuse_tasks.metrics.temporal import parse_intervals
from amuse_tasks.tasks import TASKS


@dataclass(frozen=True)
class TaskAnswer:
    """What one reply answers: ``text`` the scored span (None: no answer); ``letter`` (lenient, the scored one) and
    ``strict`` for choice tasks; ``intervals`` for ``stg``."""

    text: str | None
    letter: str | None = None
    strict: str | None = None
    intervals: tuple[Interval, ...] = ()


def read_answer(task: str, reply: str | None, options: list[str] | None = None, *, mode: str = "guided") -> TaskAnswer:
    """The answer of one reply to a ``task`` record with these ``options`` (choice tasks); ``mode="agentic"`` reads
    a transcript."""
    spec = TASKS[task]
    text = final_answer(agentic_answer(reply, rest=spec.is_text) if mode == "agentic" else reply, rest=spec.is_text)
    if spec.is_choice:
        n = len(options or [])
        return TaskAnswer(text, letter=extract_lenient(text, n, options), strict=extract_strict(text, n))
    if spec.is_intervals:
        return TaskAnswer(text, intervals=tuple(parse_intervals(text)))
    return TaskAnswer(text)
