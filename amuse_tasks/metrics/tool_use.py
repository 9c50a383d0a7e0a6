"""The agentic transcript (``<plan>``, ``<tool_call>``, ``<tool_response>``, ``<reflect>``,
``<answer>``, then one ``<trace>{JSON}</trace>`` from the agent) and the tool-use metrics on it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from amuse_tasks.tasks import TOOL_NAMES

_ANSWER = (re.compile(r"<answer>", re.IGNORECASE), re.compile(r"</answer>", re.IGNORECASE))
_CALL = (re.compile(r"<tool_call>"), re.compile(r"</tool_call>"))
_TRACE = (re.compile(r"<trace>"), re.compile(r"</trace>"))

# termination quality: answered within the step budget / answered after hitting it / no answer.
TERMINATION = {"answered": 1.0, "answered_at_limit": 0.5, "no_answer": 0.0}


def _blocks(text: str, tags: tuple[re.Pattern, re.Pattern]) -> list[str]:
    """Contents of the ``<tag>...</tag>`` blocks, as ``re.findall(r"<tag>(.*?)</tag>", re.DOTALL)`` finds them,
    in linear time: past an opening tag with no closing tag after it nothing can match, where the regex
    would rescan the rest of the text from every later opening tag (minutes on a hostile answer)."""
    opening, closing = tags
    out, pos = [], 0
    while (start := opening.search(text, pos)) and (end := closing.search(text, start.end())):
        out.append(text[start.end():end.start()])
        pos = end.end()
    return out


def extract_answer(text: str | None) -> str | None:
    """Content of the last ``<answer>...</answer>``, stripped; None when there is none."""
    found = _blocks(text or "", _ANSWER)
    return found[-1].strip() if found else None


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
    out = Transcript(answer=extract_answer(text))
    traces = _blocks(text, _TRACE)
    if traces:
        try:
            trace = json.loads(traces[-1])
            out.trace = trace if isinstance(trace, dict) else None
        except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
            out.trace = None
    if out.trace is not None and isinstance(out.trace.get("calls"), list):
        out.calls = [(str(c.get("name")), bool(c.get("ok"))) for c in out.trace["calls"] if isinstance(c, dict)]
        return out
    for block in _blocks(text, _CALL):
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
