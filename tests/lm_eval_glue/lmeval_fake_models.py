"""Test-only fake LMs for end-to-end lm-eval runs: they read the answer from ``Instance.doc``.

``amuse-fake-oracle`` answers every task exactly right (agentic: with a transcript calling
exactly the expected tools); ``amuse-fake-wrong`` answers every task wrong (agentic: calling only
tools that are not expected); ``amuse-fake-hedge`` hedges in ways that must earn nothing (a
negated gold letter, every letter at once, the names alone as a "summary"), except on ``stg``,
where it cites cue spans in its reasoning before a correct final ``Answer:`` line.  Run lm-eval through ``run_cli`` so they are registered.
"""

from __future__ import annotations

import json
import sys

import lm_eval.models  # noqa: F401  (register built-ins before ours)
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from amuse_tasks.schema import LETTERS
from amuse_tasks.tasks import TASKS, TOOL_NAMES


def _right(doc: dict) -> str:
    fmt = TASKS[doc["task"]].answer_format
    if fmt == "intervals":
        return ", ".join(f"{s}-{e}" for s, e in doc["answer"])
    if fmt == "choice+rationale":
        return f"Answer: {doc['answer']}. The scenes show it."
    if fmt == "choice":
        return f"Answer: {doc['answer']}"
    return doc["answer"]


def _wrong(doc: dict) -> str:
    fmt = TASKS[doc["task"]].answer_format
    if fmt == "intervals":
        end = max(e for _, e in doc["answer"])
        return f"{end + 100:.1f}-{end + 101:.1f}"
    if fmt.startswith("choice"):
        return f"Answer: {next(l for l in LETTERS[:len(doc['options'])] if l != doc['answer'])}"
    return "zzzz qqqq"


def _hedge(doc: dict) -> str:
    fmt = TASKS[doc["task"]].answer_format
    letters = LETTERS[:len(doc.get("options") or [])]
    if fmt == "intervals":
        right = ", ".join(f"{s}-{e}" for s, e in doc["answer"])
        return f"VOICE_1 speaks at 0.0-0.4 and FACE_A moves at 9.0-9.9.\nAnswer: {right}"
    if fmt.startswith("choice"):
        return {0: f"It is not {doc['answer']}.", 1: " ".join(f"({x})" for x in letters),
                2: "Answer: " + ". ".join(letters) + "."}[len(doc["id"]) % 3]
    return ", ".join(p["label"] for p in doc.get("people", [])) + "."


def _agentic(doc: dict, answer: str, tools: list[str]) -> str:
    calls = [{"name": t, "arguments": {"start": 0.0, "end": 1.0}} for t in tools]
    body = "".join(f"<tool_call>{json.dumps(c)}</tool_call><tool_response>ok</tool_response>" for c in calls)
    trace = {"steps": len(calls), "max_steps": 8, "limit_reached": False, "seconds": 0.0,
             "calls": [{**c, "ok": True, "error": None, "seconds": 0.0, "summary": "ok"} for c in calls]}
    return f"<plan>look</plan>{body}<reflect>done</reflect><answer>{answer}</answer><trace>{json.dumps(trace)}</trace>"


class _FakeLM(LM):
    MULTIMODAL = True
    def answer(self, doc: dict) -> str:
        return _right(doc)

    def __init__(self, **kwargs):  # batch_size, device, ... arrive and are ignored
        super().__init__()

    def generate_until(self, requests, disable_tqdm: bool = False):
        out = []
        for req in requests:
            doc = req.doc
            answer = self.answer(doc)
            if req.task_name.endswith("_agentic"):
                expected = sorted(TASKS[doc["task"]].expected_tools)
                tools = expected if self.tools_right else [t for t in TOOL_NAMES if t not in expected]
                answer = _agentic(doc, answer, tools)
            out.append(answer)
        return out

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("AMUSE tasks only generate")

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("AMUSE tasks only generate")


@register_model("amuse-fake-oracle")
class FakeOracleLM(_FakeLM):
    tools_right = True


@register_model("amuse-fake-wrong")
class FakeWrongLM(_FakeLM):
    tools_right = False

    def answer(self, doc: dict) -> str:
        return _wrong(doc)


@register_model("amuse-fake-hedge")
class FakeHedgeLM(_FakeLM):
    tools_right = True

    def answer(self, doc: dict) -> str:
        return _hedge(doc)


def run_cli(argv: list[str]) -> None:
    """``amuse-eval`` with these fakes registered (``python lmeval_fake_models.py ARGS...``)."""
    from amuse_tasks.lm_eval_glue.wrapper import main

    sys.argv = ["amuse-eval", *argv]
    main()


if __name__ == "__main__":
    run_cli(sys.argv[1:])
