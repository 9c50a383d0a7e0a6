"""Which part of a reply is the answer, the same in every mode (decided).

The last ``<answer>...</answer>`` wins; else the last ``Answer:`` line; else the whole reply.
Reasoning before the final answer (cue spans cited, options weighed) is never scored, and text
inside ``<tool_call>``, ``<tool_response>`` and ``<trace>`` blocks (the tools', not the
model's) is never read as an answer.
"""

from __future__ import annotations

import re

_ANSWER_TAG = (re.compile(r"<answer>", re.IGNORECASE), re.compile(r"</answer>", re.IGNORECASE))
_NOT_MODEL_TEXT = [(re.compile(rf"<{t}>", re.IGNORECASE), re.compile(rf"</{t}>", re.IGNORECASE))
                   for t in ("tool_call", "tool_response", "trace")]
# "Answer: B", "**Answer:** B", "Final answer - 3.1-4.0", "### Answer: ...", at the start of a line.
_ANSWER_LINE = re.compile(r"^[ \t>#*_-]*(?:final\s+)?answer\s*[*_]*\s*[:：=-]\s*[*_]*[ \t]*(.*)$",
                          re.IGNORECASE | re.MULTILINE)


def tag_blocks(text: str, tags: tuple[re.Pattern, re.Pattern]) -> list[str]:
    """Contents of the ``<tag>...</tag>`` blocks, as ``re.findall(r"<tag>(.*?)</tag>", re.DOTALL)`` finds them,
    in linear time: past an opening tag with no closing tag after it nothing can match, where the regex
    would rescan the rest of the text from every later opening tag (minutes on a hostile answer)."""
    opening, closing = tags
    out, pos = [], 0
    while (start := opening.search(text, pos)) and (end := closing.search(text, start.end())):
        out.append(text[start.end():end.start()])
        pos = end.end()
    return out


def _without_blocks(text: str, tags: tuple[re.Pattern, re.Pattern]) -> str:
    opening, closing = tags
    parts, pos = [], 0
    while (start := opening.search(text, pos)) and (end := closing.search(text, start.end())):
        parts.append(text[pos:start.start()])
        pos = end.end()
    parts.append(text[pos:])
    return "".join(parts)


def model_text(text: str) -> str:
    """``text`` without its ``<tool_call>``, ``<tool_response>`` and ``<trace>`` blocks: the model's own words."""
    for block in _NOT_MODEL_TEXT:
        text = _without_blocks(text, block)
    return text


def without_answers(text: str) -> str:
    """``text`` without its ``<answer>`` blocks (and an unclosed last one): what a turn says before it answers.
    An agent turn that calls a tool and answers at once has not seen the result; its answer is dropped."""
    text = _without_blocks(text, _ANSWER_TAG)
    opening = _ANSWER_TAG[0].search(text)
    return text[:opening.start()] if opening else text


def _answer_tag(own: str) -> str | None:
    """Content of the last ``<answer>...</answer>`` of the model's own text, stripped; None when there is none."""
    found = tag_blocks(own, _ANSWER_TAG)
    return found[-1].strip() if found else None


def _answer_line(own: str, rest: bool = False) -> str | None:
    """What follows the last ``Answer:`` marker of the model's own text: that line (or the next non-empty one when
    the marker ends its line); with ``rest`` everything after the marker. None when there is none."""
    last = None
    for last in _ANSWER_LINE.finditer(own):
        pass
    if last is None:
        return None
    if rest:
        return own[last.start(1):].strip()
    line = last.group(1).strip()
    if not line:
        following = [ln.strip() for ln in own[last.end():].splitlines() if ln.strip()]
        line = following[0] if following else ""
    return line


def final_answer(text: str | None, rest: bool = False) -> str | None:
    """The scored part of a reply: ``<answer>`` tag, else ``Answer:`` line, else the whole reply (tool blocks
    removed, once, for all three)."""
    if text is None:
        return None
    own = model_text(text)
    tagged = _answer_tag(own)
    if tagged is not None:
        return tagged
    marked = _answer_line(own, rest=rest)
    return marked if marked is not None else own


def agentic_answer(text: str | None, rest: bool = False) -> str | None:
    """The scored part of an agent transcript: ``<answer>`` tag, else the last ``Answer:`` line of
    the model's own text; None when neither exists (the agent gave no answer)."""
    own = model_text(text or "")
    tagged = _answer_tag(own)
    return tagged if tagged is not None else _answer_line(own, rest=rest)
