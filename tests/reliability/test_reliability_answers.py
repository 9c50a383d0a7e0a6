"""A model answer of 100 kB of garbage: scored as wrong (or unparseable) in bounded time, and
every other sample of the lm-eval run keeps its score."""

from __future__ import annotations

import random

import pytest
from reliability_fixtures import copy_dataset, evaluate, no_network, scripted_lm  # noqa: F401

from amuse_tasks.tasks import TASKS, task_name


@pytest.fixture(autouse=True)
def _offline(no_network):  # noqa: F811
    yield


SIZE = 100_000
_rng = random.Random(7)
GARBAGE = {
    "random characters": "".join(_rng.choice("abcdefghij klmnop,.;:-()[]{}<>/0123456789\n\t\"'") for _ in range(SIZE)),
    "digits": "1" * SIZE,
    "tag soup": ("<answer><tool_call>{\"name\": \"diarize\", <trace>[[[" * (SIZE // 50))[:SIZE],
    "repeated words": ("Maya said the answer is B or C from 1.0-2.0 s to 3 " * (SIZE // 50))[:SIZE],
}
GUIDED = [task_name(t, "guided") for t in TASKS]
AGENTIC = [task_name("avsa", "agentic"), task_name("stg", "agentic")]


def _right(doc: dict) -> str:
    fmt = TASKS[doc["task"]].answer_format
    if fmt == "intervals":
        return ", ".join(f"{s}-{e}" for s, e in doc["answer"])
    if fmt.startswith("choice"):
        return f"Answer: {doc['answer']}"
    return doc["answer"]


def answer(doc: dict, name: str) -> str:
    """Garbage for the first four clips (one flavour each), the right answer for the rest."""
    flavours = list(GARBAGE)
    k = int(doc["clip_id"][-3:])
    text = GARBAGE[flavours[k]] if k < len(flavours) else _right(doc)
    if name.endswith("_agentic") and k >= len(flavours):
        text = f"<plan>p</plan><reflect>r</reflect><answer>{text}</answer>"
    return text


@pytest.mark.timeout(120)
def test_garbage_answers_score_as_wrong_and_spare_the_others(synth_root, tmp_path):
    root = tmp_path / "data"
    copy_dataset(synth_root, root)
    out = evaluate(scripted_lm(answer), GUIDED + AGENTIC, root)
    n_bad = len(GARBAGE)
    for name in GUIDED + AGENTIC:
        samples = out["samples"][name]
        assert len(samples) == 10, name
        good = [s for s in samples if int(s["doc"]["clip_id"][-3:]) >= n_bad]
        bad = [s for s in samples if int(s["doc"]["clip_id"][-3:]) < n_bad]
        fmt = TASKS[name.split("_")[1]].answer_format
        if fmt.startswith("choice"):
            assert all(s["acc_lenient"] == 1.0 for s in good), name
            assert all(s["acc_strict"] == 0.0 for s in bad), name
        elif fmt == "intervals":
            assert all(s["tiou"] == 100.0 for s in good), name
            assert all(s["tiou"] < 100.0 for s in bad), name
        else:
            assert all(s["speaker_f1"] == 1.0 for s in good), name
        res = out["results"][name]
        assert all(v == v for k, v in res.items() if isinstance(v, float)), (name, res)  # no NaN aggregate
