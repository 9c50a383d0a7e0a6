"""One agentic episode: tool rounds against a Toolbox, written out in the transcript format.

The transcript (the agentic protocol of task_yamls/README.md): ``<plan>``, then per call ``<tool_call>{json}</tool_call>``
followed by ``<tool_response>...</tool_response>``, then ``<reflect>`` and ``<answer>``, and one
``<trace>{json}</trace>`` at the end with steps, max_steps, limit_reached, calls and seconds.
A step is one round: a model turn with one or more tool calls.
"""

from __future__ import annotations

import json
import re
import reprlib
import time

from amuse_tasks.tools import Toolbox

MAX_RESPONSE_CHARS = 4000
_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)


def parse_calls(text: str) -> list[tuple[str, dict] | str]:
    """The tool calls in a model turn: (name, arguments) or, for a block that is not a call, its error."""
    out: list[tuple[str, dict] | str] = []
    for block in _CALL.findall(text):
        try:
            call = json.loads(block)
        except (ValueError, RecursionError) as e:
            out.append(f"the tool call is not valid JSON ({type(e).__name__}: {str(e)[:100]}); "
                       'write <tool_call>{"name": ..., "arguments": {...}}</tool_call>')
            continue
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            out.append('a tool call must be a JSON object {"name": ..., "arguments": {...}}')
            continue
        args = call.get("arguments", {})
        if isinstance(args, str):  # some chat models send arguments as a JSON string
            try:
                args = json.loads(args)
            except (ValueError, RecursionError):
                pass
        out.append((call["name"], args))
    return out


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


class Episode:
    def __init__(self, toolbox: Toolbox, max_steps: int = 8, disabled: dict[str, str] | None = None):
        self.toolbox, self.max_steps = toolbox, max_steps
        self.disabled = disabled or {}  # tool name -> why (modality ablations)
        self.parts: list[str] = []
        self.calls: list[dict] = []
        self.steps = 0
        self.limit_reached = False
        self.t0 = time.perf_counter()

    def write(self, text: str) -> None:
        self.parts.append(text)

    @property
    def can_call(self) -> bool:
        return self.steps < self.max_steps

    def round(self, calls: list[tuple[str, dict] | str]) -> list[dict]:
        """Run one round of calls; returns the call records (``result`` holds the tool output).

        Past ``max_steps`` nothing runs: the limit is noted in the trace and an empty list returned."""
        if not self.can_call:
            self.limit_reached = True
            return []
        self.steps += 1
        records = []
        for call in calls:
            if isinstance(call, str):
                rec = {"name": "<invalid>", "arguments": None, "ok": False, "result": None, "error": call,
                       "seconds": 0.0, "summary": f"error: {call}"[:200]}
            elif call[0] in self.disabled:
                err = f"tool {call[0]!r} is not available in this run ({self.disabled[call[0]]})"
                rec = {"name": call[0], "arguments": call[1], "ok": False, "result": None, "error": err,
                       "seconds": 0.0, "summary": f"error: {err}"}
            else:
                rec = self.toolbox.call(call[0], call[1])
            if not isinstance(call, str):
                self.write(f'<tool_call>{_dump({"name": call[0], "arguments": call[1]})}</tool_call>')
            else:
                self.write("<tool_call>(unparseable)</tool_call>")
            self.write(f"<tool_response>{self.response_text(rec)}</tool_response>")
            self.calls.append(rec)
            records.append(rec)
        return records

    @staticmethod
    def response_text(rec: dict) -> str:
        return _dump(rec["result"] if rec["ok"] else {"error": rec["error"]})

    def trace(self) -> dict:
        return {"steps": self.steps, "max_steps": self.max_steps, "limit_reached": self.limit_reached,
                "calls": [{k: _traceable(c.get(k)) if k == "arguments" else c.get(k)
                           for k in ("name", "arguments", "ok", "error", "seconds", "summary")} for c in self.calls],
                "seconds": round(time.perf_counter() - self.t0, 3)}

    def transcript(self) -> str:
        return "".join(self.parts) + f"<trace>{json.dumps(self.trace(), default=str)}</trace>"
