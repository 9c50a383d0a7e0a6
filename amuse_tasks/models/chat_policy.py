"""The agentic protocol around a chat backbone: generate a turn, run its tool calls, feed back the
responses, until the model answers or ``max_steps`` rounds are used (then it is asked to answer)."""

from __future__ import annotations

import re

from amuse_tasks.models.episode import Episode, parse_calls
from amuse_tasks.prompts import agent_system_prompt

_FIRST_CALL = re.compile(r"<tool_call>", re.IGNORECASE)
LIMIT_MESSAGE = ("You have used all {n} tool rounds. Do not call tools any more: write <reflect>...</reflect> "
                 "and <answer>...</answer> now.")


def finish_turn(text: str) -> str:
    """A model turn as the transcript keeps it: nothing from a ``<tool_response>`` the model wrote
    itself, and an ``<answer>`` closed when the stop string cut its tag."""
    text = text.split("<tool_response>")[0]
    if "<answer>" in text and "</answer>" not in text.split("<answer>")[-1]:
        text += "</answer>"
    return text


class ChatPolicy:
    def __init__(self, chat):
        self.chat = chat

    def run(self, record: dict, prompt: str, ep: Episode, schemas: list[dict]) -> None:
        messages = [{"role": "system", "content": agent_system_prompt(schemas)}, {"role": "user", "content": prompt}]
        for _ in range(ep.max_steps + 1):
            turn = finish_turn(self.chat(messages, schemas))
            calls = parse_calls(turn)
            if not calls or "<answer>" in turn:
                ep.write(turn)
                return
            head = _FIRST_CALL.split(turn, maxsplit=1)[0]
            ep.write(head)
            if not ep.can_call:
                break
            records = ep.round(calls)
            messages.append({"role": "assistant", "content": turn})
            messages.append({"role": "user", "content": "".join(
                f"<tool_response>{Episode.response_text(r)}</tool_response>" for r in records)})
        ep.limit_reached = True
        messages.append({"role": "user", "content": LIMIT_MESSAGE.format(n=ep.max_steps)})
        final = finish_turn(self.chat(messages, schemas))
        ep.write(final if not parse_calls(final) else _FIRST_CALL.split(final, maxsplit=1)[0])
