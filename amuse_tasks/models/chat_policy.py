"""The agentic protocol around a chat backbone: generate a turn, run its tool calls, feed back the
responses, until the model answers or ``max_steps`` rounds are used (then it is asked to answer).
A turn with neither a call nor an ``<answer>`` (a reflection that stops, an answer in the wrong
format) gets one reminder per episode, counted in the trace (``reminders``); the answer rules of the
evaluation are untouched.

A backbone with ``native_tools`` gets the tools through its chat template and the results as
``role: "tool"`` messages after an assistant turn that carries ``tool_calls``: the model's own
protocol. Otherwise the system prompt lists the tools and results go back as ``<tool_response>``
blocks. Either way the episode writes the tagged transcript that is scored and logged.
"""

from __future__ import annotations

from amuse_tasks.metrics.answer_span import without_answers
from amuse_tasks.tools.call_forms import Turn, parse_turn, without_made_up_results
from amuse_tasks.models.episode import Episode
from amuse_tasks.prompts import agent_system_prompt

LIMIT_MESSAGE = ("You have used all {n} tool rounds. Do not call tools any more: write <reflect>...</reflect> "
                 "and <answer>...</answer> now.")
REMINDER = ("Your reply has neither a tool call nor an <answer>. Call a tool (fix the arguments an error names), "
            "or give your final answer inside <answer>...</answer>.")
MAX_REMINDERS = 1  # per episode: a turn without a call or an answer gets one reminder, then it is the answer


def read_reply(reply) -> Turn:
    """The calls of a backbone reply: the ones it parsed natively, else those in its text."""
    if reply.tool_calls:
        return Turn(reply.text, [(name, args, "native") for name, args in reply.tool_calls])
    return parse_turn(reply.text)


def close_answer(text: str) -> str:
    """An ``<answer>`` closed when the stop string cut its tag."""
    if "<answer>" in text and "</answer>" not in text.split("<answer>")[-1]:
        text += "</answer>"
    return text


def feedback(turn: Turn, records: list[dict], native: bool) -> list[dict]:
    """The messages that give the model its calls' results."""
    calls = [c for c in turn.calls if not isinstance(c, str)]
    if native and len(calls) == len(turn.calls):
        assistant = {"role": "assistant", "content": turn.text,
                     "tool_calls": [{"id": f"call_{i}", "type": "function",
                                     "function": {"name": name, "arguments": args}}
                                    for i, (name, args, _) in enumerate(calls)]}
        return [assistant, *({"role": "tool", "tool_call_id": f"call_{i}", "name": rec["name"],
                              "content": Episode.response_text(rec)} for i, rec in enumerate(records))]
    written = turn.text + "".join(Episode.call_text(c[0], c[1]) if not isinstance(c, str) else "<tool_call>(unparseable)</tool_call>"
                                  for c in turn.calls)
    return [{"role": "assistant", "content": written},
            {"role": "user", "content": "".join(f"<tool_response>{Episode.response_text(r)}</tool_response>"
                                                for r in records)}]


class ChatPolicy:
    def __init__(self, chat):
        self.chat = chat
        self.native = bool(getattr(chat, "native_tools", False))

    def run(self, record: dict, prompt: str, ep: Episode, schemas: list[dict]) -> None:
        messages = [{"role": "system", "content": agent_system_prompt(schemas, list_tools=not self.native)},
                    {"role": "user", "content": prompt}]
        while True:  # ends: each turn answers, uses the one reminder, or uses a round (at most max_steps)
            turn = read_reply(self.chat(messages, schemas))
            if not turn.calls:
                text = close_answer(without_made_up_results(turn.text))
                ep.write(text)
                if "<answer>" in text or ep.reminders >= MAX_REMINDERS:
                    return
                ep.reminders += 1
                messages += [{"role": "assistant", "content": text}, {"role": "user", "content": REMINDER}]
                continue
            turn.text = without_answers(without_made_up_results(turn.text))  # an answer before the results is void
            ep.write(turn.text)
            if not ep.can_call:
                break
            records = ep.round(turn.calls)
            messages += feedback(turn, records, self.native)
        ep.limit_reached = True
        messages.append({"role": "user", "content": LIMIT_MESSAGE.format(n=ep.max_steps)})
        final = read_reply(self.chat(messages, schemas))
        ep.write(close_answer(without_made_up_results(final.text)))
