"""One agentic episode: tool rounds against a Toolbox, written out in the transcript format.

The transcript (the agentic protocol of task_yamls/README.md): ``<plan>``, then per call ``<tool_call>{json}</tool_call>``
followed by ``<tool_response>...</tool_response>``, then ``<reflect>`` and ``<answer>``, and one
``<trace>{json}</trace>`` at the end with steps, max_steps, limit_reached, calls and seconds.
A step is one round: a model turn with one or more tool calls. Each call's record keeps the form the
model wrote it in (``call_format``, ``amuse_tasks.tools.call_forms``), so lenient parsing shows in the trace.
"""

from __future__ import annotations

import json
import reprlib
import time

from amuse_tasks.tools import Toolbox
from amuse_tasks.tools.calls import summarize, unknown_tool

MAX_RESPONSE_CHARS = 4000


def _dump(obj) -> str:
    """JSON text of ``obj``, at most MAX_RESPONSE_CHARS; a short repr when it is no JSON (e.g. nested too deep)."""
    try:
        text = json.dumps(obj, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = reprlib.repr(obj)
    return text if len(text) <= MAX_RESPONSE_CHARS else text[:MAX_RESPONSE_CHARS] + " ...(truncated)"


def _traceable(obj):
    """``obj`` as the trace's JSON can hold it: itself when small JSON, else the text of ``_dump``."""
    text = _dump(obj)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _not_run(name, arguments, error: str) -> dict:
    """The record of a call refused before the toolbox, shaped like the toolbox's own (``run_call``)."""
    rec = {"name": name, "arguments": arguments, "ok": False, "result": None, "error": error, "seconds": 0.0}
    return {**rec, "summary": summarize(rec)}


class Episode:
    def __init__(self, toolbox: Toolbox, max_steps: int = 8, disabled: dict[str, str] | None = None,
                 offered: list[str] | None = None):
        self.toolbox, self.max_steps = toolbox, max_steps
        self.disabled = disabled or {}  # tool name -> why (modality ablations)
        self.offered = offered  # the tool names the model was given (None: every tool); others are unknown to it
        self.parts: list[str] = []
        self.calls: list[dict] = []
        self.steps = 0
        self.limit_reached = False
        self.reminders = 0  # turns without a call or an answer that the policy answered with a reminder
        self.t0 = time.perf_counter()

    def write(self, text: str) -> None:
        self.parts.append(text)

    @property
    def can_call(self) -> bool:
        return self.steps < self.max_steps

    def round(self, calls: list[tuple] | list[str]) -> list[dict]:
        """Run one round of calls, each ``(name, arguments)`` or ``(name, arguments, call_format)``, or the
        error text of a block that is no call; returns the call records (``result`` holds the tool output).

        Past ``max_steps`` nothing runs: the limit is noted in the trace and an empty list returned."""
        if not self.can_call:
            self.limit_reached = True
            return []
        self.steps += 1
        records = []
        for call in calls:
            form = call[2] if not isinstance(call, str) and len(call) > 2 else None
            if isinstance(call, str):
                rec = _not_run("<invalid>", None, call)
            elif self.refuses(call[0]):
                rec = _not_run(call[0], call[1], self.refusal(call[0]))
            else:
                rec = self.toolbox.call(call[0], call[1])
            rec["call_format"] = form
            if not isinstance(call, str):
                self.write(self.call_text(call[0], call[1]))
            else:
                self.write("<tool_call>(unparseable)</tool_call>")
            self.write(f"<tool_response>{self.response_text(rec)}</tool_response>")
            self.calls.append(rec)
            records.append(rec)
        return records

    def refuses(self, name) -> bool:
        """A call the model may not make here: a dropped tool, or any name outside the offer (a name that is no
        string, as a hostile endpoint may send, is never offered and never hashed)."""
        dropped = isinstance(name, str) and name in self.disabled
        return dropped or (self.offered is not None and name not in self.offered)

    def refusal(self, name) -> str:
        """Why a tool the model was not given does not run: the ablation that removed it, else the tools it has
        (never the full tool list: a run without tools must not name them)."""
        if isinstance(name, str) and name in self.disabled:
            return f"tool {name!r} is not available in this run ({self.disabled[name]})"
        return unknown_tool(name, self.offered)

    @staticmethod
    def call_text(name: str, arguments) -> str:
        """A call as the transcript writes it, whatever form the model used."""
        return f'<tool_call>{_dump({"name": name, "arguments": arguments})}</tool_call>'

    @staticmethod
    def response_text(rec: dict) -> str:
        return _dump(rec["result"] if rec["ok"] else {"error": rec["error"]})

    def trace(self) -> dict:
        return {"steps": self.steps, "max_steps": self.max_steps, "limit_reached": self.limit_reached,
                "reminders": self.reminders,
                "calls": [{k: _traceable(c.get(k)) if k == "arguments" else c.get(k)
                           for k in ("name", "arguments", "ok", "error", "seconds", "summary", "call_format")} for c in self.calls],
                "seconds": round(time.perf_counter() - self.t0, 3)}

    def transcript(self) -> str:
        return "".join(self.parts) + f"<trace>{json.dumps(self.trace(), default=str)}</trace>"
