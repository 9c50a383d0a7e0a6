"""The agentic transcript (``<plan>``, ``<tool_call>``, ``<tool_response>``, ``<reflect>``,
``<answer>``, then one ``<trace>{JSON}</trace>`` from the agent) and the tool-use metrics on it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from amuse_tasks.metrics.answer_span import agentic_answer, tag_blocks
from amuse_tasks.tasks import TOOL_NAMES

_CALL = (re.compile(r"<tool_call>"), re.compile(r"</tool_call>"))
_TRACE = (re.compile(r"<trace>"), re.compile(r"</trace>"))

# termination quality: answered within the step budget / answered after hitting it / no answer.
TERMINATION = {"answered": 1.0, "answered_at_limit": 0.5, "no_answer": 0.0}


@dataclass
class Transcript:
    """What an agentic response says: the calls made (name, ok) and the agent's trace, if any."""

    calls: list[tuple[str, bool]] = field(default_factory=list)
    trace: dict | None = None
    answer: str | None = None

    @property
    def steps(self) -> int:
        if self.trace is not None and isinstance(self.trace.get("steps"), int):
            return self.trace["steps"]
        return len(self.calls)

    @property
    def limit_reached(self) -> bool:
        return bool(self.trace and self.trace.get("limit_reached"))


def parse_transcript(text: str | None) -> Transcript:
    """Calls come from the ``<trace>`` when present (it knows which calls failed), else from the
    ``<tool_call>`` blocks (a block that is not JSON with a known tool name counts as invalid)."""
    text = text or ""
    out = Transcript(answer=agentic_answer(text))
    traces = tag_blocks(text, _TRACE)
    if traces:
        try:
            trace = json.loads(traces[-1])
            out.trace = trace if isinstance(trace, dict) else None
        except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
            out.trace = None
    if out.trace is not None and isinstance(out.trace.get("calls"), list):
        out.calls = [(str(c.get("name")), bool(c.get("ok"))) for c in out.trace["calls"] if isinstance(c, dict)]
        return out
    for block in tag_blocks(text, _CALL):
        try:
            call = json.loads(block)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
            out.calls.append(("<invalid json>", False))
            continue
        name = call.get("name") if isinstance(call, dict) else None
        ok = name in TOOL_NAMES and isinstance(call.get("arguments", {}), dict)
        out.calls.append((str(name), ok))
    return out


def tool_metrics(text: str | None, expected: set[str] | frozenset[str]) -> dict[str, float]:
    """Per-sample tool metrics: set precision/recall/F1 of called tools vs. the expected ones
    (0 when nothing was called), invalid-call rate, steps, termination quality."""
    t = parse_transcript(text)
    called = {name for name, _ in t.calls}
    hit = len(called & set(expected))
    precision = hit / len(called) if called else 0.0
    recall = hit / len(expected) if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    invalid = sum(1 for _, ok in t.calls if not ok) / len(t.calls) if t.calls else 0.0
    if t.answer is None:
        term = TERMINATION["no_answer"]
    else:
        term = TERMINATION["answered_at_limit" if t.limit_reached else "answered"]
    return {"tool_precision": precision, "tool_recall": recall, "tool_f1": f1,
            "invalid_call_rate": invalid, "steps": float(t.steps), "termination": term}


def pass_hat_k(outcomes: list[list[bool]], k: int) -> float:
    """tau-bench's pass^k: the chance that k episodes drawn from a question's n sampled episodes are all
    right, C(c, k) / C(n, k) with c of them right, averaged over questions (pass^1 = mean accuracy)."""
    from math import comb

    rows = [o for o in outcomes if o]
    if k < 1 or not rows or any(len(o) < k for o in rows):
        raise ValueError(f"pass^{k} needs at least {k} episodes per question")
    return sum(comb(sum(map(bool, o)), k) / comb(len(o), k) for o in rows) / len(rows)
