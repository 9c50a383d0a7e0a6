"""Hedges earn nothing through lm-eval's own evaluator: a negated gold letter, every letter at
once and a names-only "summary" score 0; a correct final ``Answer:`` line after cited cue spans
scores in full (the final answer wins over reasoning)."""

from __future__ import annotations

import json
import sys

import pytest

from amuse_tasks.tasks import TASKS
from lmeval_runs import FAKES, metric, run_lm_eval

TASK_NAMES = [f"amuse_{t}_{m}" for t in TASKS for m in ("guided", "agentic")]


def test_hedges_score_nothing_and_the_final_answer_wins(tmp_path, synth_root):
    res = run_lm_eval([sys.executable, str(FAKES), "--model", "amuse-fake-hedge", "--tasks", ",".join(TASK_NAMES),
                       "--metadata", json.dumps({"amuse_root": str(synth_root), "cues": "oracle"})], tmp_path)
    for task in TASK_NAMES:
        fmt = TASKS[task.split("_")[1]].answer_format
        if fmt.startswith("choice"):
            assert metric(res, task, "acc_lenient") == 0.0, task
            assert metric(res, task, "acc_strict") == 0.0, task
            assert metric(res, task, "parse_fail") == 1.0, task
        elif fmt == "intervals":
            assert metric(res, task, "tiou") == pytest.approx(100.0), task
            assert metric(res, task, "parse_fail") == 0.0, task
        else:
            assert metric(res, task, "speaker_f1") == 0.0, task
