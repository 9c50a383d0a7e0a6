"""The agentic protocol around a chat backbone: generate a turn, run its tool calls, feed back the
responses, until the model answers or ``max_steps`` rounds are used (then it is asked to answer)."""

from __future__ import annotations

import re

from amuse_tasks.models.episode import Episode, parse_calls
from amuse_tasks.prompts import agent_system_prompt

_FIRST_CALL = re.compile(r"<tool_call>", re.IGNORECASE)
LIMIT_MESSAGE = ("You have used all {n} tool rounds. Do not call tools any more: write <reflect>...</reflect> "
                 "and <answer>...</answer> now.")


class ChatPolicy:
    def __init__(self, chat):
        self.chat = chat

    def run(self, record: dict, prompt: str, ep: Episode, schemas: list[dict]) -> None:
        messages = [{"role": "system", "content": agent_system_prompt(schemas)}, {"role": "user", "content": prompt}]
        for _ in range(ep.max_steps + 1):
            turn = self.chat(messages, schemas)
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
        final = self.chat(messages, schemas)
        ep.write(final if not parse_calls(final) else _FIRST_CALL.split(final, maxsplit=1)[0])
