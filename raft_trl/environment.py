"""The AMUSE perception tools as a TRL tool environment: agentic RAFT rollouts run real tool calls.

TRL's ``GRPOTrainer(environment_factory=...)`` makes one instance per rollout, calls ``reset(**row)``
with the dataset row's columns, renders the instance's public methods as tools through the chat
template, runs every call the model writes and sends its result back as a tool message whose tokens
are masked out of the loss. Here ``reset`` opens the row's clip in a ``Toolbox`` (the one
``amuse-agent`` uses: same backends, cache, argument checks and fixable error messages) and each tool
method is made from the agent's tool schema (``amuse_tasks.tools.schemas``), so training offers exactly
the tools, descriptions and arguments that the agentic evaluation offers. A failed call raises, which
TRL counts as a tool failure and returns to the model as ``{"error": ...}``; the step goes on.

``calls`` keeps the rollout's trace (``amuse-agent``'s call records: name, arguments, ok, result or
error, seconds, summary) for the tool-use reward and the training trace.
"""

from __future__ import annotations

import functools
import inspect
import json

from amuse_tasks.tools.base import ToolError
from amuse_tasks.tools.call_forms import parse_turn
from amuse_tasks.tools.schemas import offered_tools, schemas_for

_TYPES = {"number": float, "string": str, "integer": int, "boolean": bool}


class AmuseToolEnv:
    """One rollout's clip behind the agent's tools. Build the factory with ``AmuseToolEnv.factory``."""

    backends: str | dict = "offline"
    cache: str | None = None

    def __init__(self, backends: str | dict | None = None, cache: str | None = None):
        self.backends = backends or type(self).backends
        self.cache = cache or type(self).cache
        self.toolbox = None
        self.calls: list[dict] = []
        self.record_id: str | None = None

    @classmethod
    def factory(cls, backends: str | dict = "offline", cache: str | None = None):
        """A no-argument factory for ``environment_factory`` with these tool backends and cache."""
        return functools.partial(cls, backends, cache)

    def reset(self, record: str, root: str, **_) -> None:
        """Open the row's clip (``record``: the record as JSON, ``root``: its dataset root); nothing is added
        to the prompt, which already holds the question."""
        from amuse_tasks.tools.toolbox import Toolbox

        rec = json.loads(record)
        self.toolbox = Toolbox.for_record(rec, root, backends=self.backends, cache=self.cache)
        self.record_id = rec.get("id")
        self.calls = []

    def _run(self, name: str, arguments: dict) -> str:
        if self.toolbox is None:
            raise ToolError("no clip is open: reset() was not called")
        call = self.toolbox.call(name, arguments)
        self.calls.append(call)
        if not call["ok"]:
            raise ToolError(call["error"])
        return json.dumps(call["result"])


def _tool_method(schema: dict):
    """A method that runs one tool, with the signature, type hints and Google-style docstring that
    transformers turns back into this very schema for the chat template."""
    fn = schema["function"]
    params = fn["parameters"]
    names = list(params["required"]) + [n for n in params["properties"] if n not in params["required"]]

    def method(self, **arguments) -> str:
        return self._run(fn["name"], arguments)

    kinds = {n: _TYPES[params["properties"][n]["type"]] for n in names}
    method.__name__ = method.__qualname__ = fn["name"]
    method.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=kinds[n]) for n in names],
        return_annotation=str)
    method.__annotations__ = {**kinds, "return": str}
    args = "\n".join(f"    {n}: {params['properties'][n]['description']}" for n in names)
    method.__doc__ = f"{fn['description']}\n\nArgs:\n{args}\n\nReturns:\n    The tool's result as JSON."
    return method


def read_calls_like_the_agent(tokenizer) -> None:
    """Make TRL's tool-call parsing find the calls ``amuse-agent`` runs. TRL reads calls with the tokenizer's
    response template, which knows only the chat template's own form (``<tool_call>`` tags for Qwen); small models
    often write the call as bare JSON (Qwen2.5-Coder-0.5B: every call of its agentic cell, ``bench/agent_models``),
    which the agent reads (``amuse_tasks.tools.call_forms``). A turn the template parses without calls is read
    again the agent's way, and the calls found (with object arguments) become the turn's ``tool_calls``."""
    if getattr(tokenizer, "_amuse_reads_calls", False):
        return
    template_parse = tokenizer.parse_response

    def parse_response(response, *args, **kwargs):
        parsed = template_parse(response, *args, **kwargs)
        if not isinstance(parsed, dict) or parsed.get("tool_calls") or not isinstance(parsed.get("content"), str):
            return parsed
        turn = parse_turn(parsed["content"])
        calls = [c for c in turn.calls if isinstance(c, tuple) and isinstance(c[1], dict)]
        if not calls:
            return parsed
        return {**parsed, "content": turn.text.strip(),
                "tool_calls": [{"type": "function", "function": {"name": n, "arguments": a}} for n, a, _ in calls]}

    tokenizer.parse_response = parse_response
    tokenizer._amuse_reads_calls = True


for _schema in schemas_for(offered_tools()):
    setattr(AmuseToolEnv, _schema["function"]["name"], _tool_method(_schema))
del _schema

TOOLS = tuple(offered_tools())
