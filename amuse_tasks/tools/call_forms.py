"""The tool calls in one model turn, in the forms real models write them.

Tagged forms are read with transformers' response parser (``transformers.utils.chat_parsing``, what
``transformers serve`` uses to turn a generation into OpenAI ``tool_calls``), one response template
per form: each names its delimiters and reads the body as JSON. The parser is kept upstream and
handles streaming, repeats and lax JSON; what is ours is the list of forms and the check that a body
is a call (an object with a string ``name``). A turn with none of the tagged forms is searched for a
bare JSON call object. Every call keeps its form (``call_format`` in the trace), so lenient parsing
is visible in the results:

| form | what the model wrote |
|---|---|
| ``native`` | OpenAI ``tool_calls`` from an endpoint (parsed by the server) |
| ``hermes`` | ``<tool_call>{...}</tool_call>`` (the protocol; Qwen2.5, Hermes, SmolLM3) |
| ``tool_response`` | a call wrapped in ``<tool_response>`` by mistake |
| ``python_tag`` | Llama 3.1's ``<|python_tag|>{...}`` |
| ``mistral`` | Mistral's ``[TOOL_CALLS][{...}]`` |
| ``fenced_json`` | a fenced code block holding the call |
| ``bare_json`` | ``{"name": ..., "arguments": ...}`` in plain text |

Arguments may come as ``arguments`` or ``parameters``, as an object or a JSON string. Arguments
wrapped in their schema's shape, ``{"type": "object", "properties": {"start": 0.0, "end": 9.5}}``,
are unwrapped and the form gets ``+schema_args`` (e.g. ``bare_json+schema_args``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from transformers.utils.chat_parsing import parse_response

CALL_SYNTAX = 'write <tool_call>{"name": ..., "arguments": {...}}</tool_call>'

_TAGGED = {  # form -> (open, close) of its region, as response-template anchors
    "hermes": ({"open_pattern": r"\s*<tool_call>"}, {"close": "</tool_call>"}),
    "tool_response": ({"open_pattern": r"\s*<tool_response>"}, {"close": "</tool_response>"}),
    "python_tag": ({"open": "<|python_tag|>"}, {"close_pattern": r"<\|eom_id\|>|<\|eot_id\|>|\n\n"}),
    "mistral": ({"open": "[TOOL_CALLS]"}, {"close_pattern": r"</s>|\n\n"}),
    "fenced_json": ({"open_pattern": r"```(?:json|JSON)?[ \t]*\n"}, {"close": "```"}),
}


def _template(form: str, content: str) -> dict:
    opening, closing = _TAGGED[form]
    args = {"allow_non_json": True} if content == "json" else {}
    return {"start_anchor_pattern": "^", "fields": {
        "calls": {**opening, **closing, "repeats": True, "content": content, "content_args": args},
        "content": {"content": "text"}}}


_TEMPLATES = {form: _template(form, "json") for form in _TAGGED}
_RAW_TEMPLATES = {form: _template(form, "text") for form in _TAGGED}


def _bodies(text: str, form: str) -> list:
    """The decoded bodies of a form's regions (a body that is no JSON stays its text). A body nested too
    deep for ``json`` stops the parser for the whole turn, so then each body is decoded on its own."""
    try:
        return parse_response(text, _TEMPLATES[form], prefix="").get("calls") or []
    except RecursionError:
        out = []
        for raw in parse_response(text, _RAW_TEMPLATES[form], prefix="").get("calls") or []:
            try:
                out.append(json.loads(raw))
            except (ValueError, RecursionError):
                out.append(raw)
        return out
_BARE_START = re.compile(r'\{\s*"name"\s*:')


@dataclass
class Turn:
    """A model turn: its text (calls removed) and its calls, each ``(name, arguments, form)`` or the
    error text of a block that looked like a call and is none."""

    text: str
    calls: list = field(default_factory=list)


def _as_call(obj, form: str):
    """``(name, arguments, form)`` of a decoded call object, or the error text."""
    if isinstance(obj, list) and len(obj) == 1:
        obj = obj[0]
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        return f'a tool call must be a JSON object {{"name": ..., "arguments": {{...}}}} ({form}); {CALL_SYNTAX}'
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):  # some models send arguments as a JSON string
        try:
            args = json.loads(args)
        except (ValueError, RecursionError):
            pass  # passed on as a string: the tool reports the bad arguments to the model
    values = _schema_values(args)
    return (obj["name"], values, f"{form}+schema_args") if values is not None else (obj["name"], args, form)


def _schema_values(args):
    """The values of arguments written in the shape of their JSON schema (``{"type": "object",
    "properties": {"start": 0.0, ...}}``), a small model's copy of the tool listing; None for
    arguments of any other shape, and for a copy of the schema itself (no values to keep)."""
    if not (isinstance(args, dict) and args.get("type") == "object" and isinstance(args.get("properties"), dict)
            and set(args) <= {"type", "properties", "required"}):
        return None
    props = args["properties"]
    if not props or any(isinstance(v, dict) and "type" in v for v in props.values()):
        return None
    return props


def _region_calls(values: list, form: str) -> list:
    out = []
    for value in values:
        if isinstance(value, str):  # allow_non_json: the body was no JSON
            out.append(f"the tool call is not valid JSON: {value[:100]!r}; {CALL_SYNTAX}")
        elif isinstance(value, list) and len(value) > 1 and all(isinstance(v, dict) for v in value):  # mistral / python_tag: several calls in one list
            out += [_as_call(v, form) for v in value]
        else:
            out.append(_as_call(value, form))
    return out


def _looks_like_call(body) -> bool:
    """A non-protocol region counts only when it holds a call object: a model that quotes JSON data
    in a code block, or writes a tool response itself, has not called anything."""
    items = body if isinstance(body, list) else [body]
    return bool(items) and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items)


def _bare_calls(text: str) -> tuple[str, list]:
    """Call objects written as plain JSON (``{"name": ...}``); the text with them cut out."""
    decoder, calls, kept, pos = json.JSONDecoder(), [], [], 0
    for m in _BARE_START.finditer(text):
        if m.start() < pos:
            continue
        try:
            obj, end = decoder.raw_decode(text, m.start())
        except (ValueError, RecursionError):
            continue
        call = _as_call(obj, "bare_json")
        if isinstance(call, tuple):
            kept.append(text[pos:m.start()])
            calls.append(call)
            pos = end
    kept.append(text[pos:])
    return "".join(kept), calls


def parse_turn(text: str) -> Turn:
    """The calls of a turn, in the first form (table order) that yields any; hermes blocks that are
    no call are reported as errors (the model meant to call), other forms' non-calls are text."""
    for form in _TAGGED:
        bodies = _bodies(text, form)
        if form != "hermes":
            bodies = [b for b in bodies if _looks_like_call(b)]
        if bodies:
            return Turn(_text_without(text, form), _region_calls(bodies, form))
    rest, calls = _bare_calls(text)
    return Turn(rest if calls else text, calls)


def _text_without(text: str, form: str) -> str:
    """The turn's own words: ``text`` up to its first call region (what follows a call was written
    before the model saw the result)."""
    opening = _TAGGED[form][0]
    pattern = opening.get("open_pattern") or re.escape(opening["open"])
    m = re.search(pattern, text)
    return text[:m.start()] if m else text


def without_made_up_results(text: str) -> str:
    """A turn as the transcript keeps it: nothing from a ``<tool_response>`` the model wrote itself."""
    return text.split("<tool_response>")[0]
