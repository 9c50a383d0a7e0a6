"""``--model amuse-agent`` inside lm-eval: the baseline policy with oracle tools solves the choice
tasks, traces reach ``--log_samples``, and two processes split the docs and gather them in order."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TASKS = ["amuse_avsa_agentic", "amuse_nsp_agentic", "amuse_srid_agentic", "amuse_stg_agentic", "amuse_csnl_agentic",
         "amuse_avds_agentic"]


@pytest.fixture(scope="module")
def oracle_run(synth_root):
    import lm_eval.models  # noqa: F401  (built-ins first)
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    import amuse_tasks.models.agent  # noqa: F401  (registers amuse-agent)
    from amuse_tasks.lm_eval_glue.registration import task_dir

    return simple_evaluate(model="amuse-agent", model_args="policy=baseline,tools=oracle", tasks=TASKS, limit=4,
                           log_samples=True, task_manager=TaskManager(include_path=str(task_dir()), include_defaults=False))


def _m(res, task, name):
    return res["results"][task][f"{name},none"]


@pytest.mark.parametrize("task", ["amuse_avsa_agentic", "amuse_nsp_agentic", "amuse_srid_agentic", "amuse_csnl_agentic"])
def test_oracle_tools_solve_the_choice_tasks(oracle_run, task):
    assert _m(oracle_run, task, "acc_lenient") == 1.0
    assert _m(oracle_run, task, "tool_recall") == 1.0
    assert _m(oracle_run, task, "invalid_call_rate") == 0.0 and _m(oracle_run, task, "termination") == 1.0


def test_oracle_tools_ground_stg_and_summaries_name_people(oracle_run):
    assert _m(oracle_run, "amuse_stg_agentic", "tiou") > 95
    # who-said-what F1 of a transcript-as-summary against the reference gists: measured 0.55-0.57
    # (a names-only summary scores 0, tests/lm_eval_glue/test_lmeval_hedges.py)
    assert _m(oracle_run, "amuse_avds_agentic", "speaker_f1") > 0.45


def test_traces_are_in_the_logged_samples(oracle_run):
    for sample in oracle_run["samples"]["amuse_avsa_agentic"]:
        text = sample["resps"][0][0]
        trace = json.loads(text.split("<trace>")[1].split("</trace>")[0])
        assert trace["max_steps"] == 8 and trace["calls"] and all(c["ok"] for c in trace["calls"])
        assert {c["name"] for c in trace["calls"]} == {"transcribe", "track_faces", "lip_sync"}


@pytest.mark.skipif(shutil.which("torchrun") is None and not (Path(sys.executable).parent / "torchrun").exists(),
                    reason="torchrun not installed")
def test_two_processes_split_and_gather(tmp_path, synth_root):
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).parent / "torchrun")
    amuse_eval = shutil.which("amuse-eval") or str(Path(sys.executable).parent / "amuse-eval")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([torchrun, "--standalone", "--nproc_per_node", "2", "--no-python", amuse_eval, "--model", "amuse-agent",
                    "--model_args", "policy=baseline,tools=oracle", "--tasks", "amuse_avsa_agentic", "--limit", "5",
                    "--log_samples", "--output_path", str(tmp_path)], env=env, timeout=300,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    samples = [json.loads(line) for p in tmp_path.rglob("samples_amuse_avsa_agentic*.jsonl") for line in open(p)]
    assert sorted(s["doc_id"] for s in samples) == [0, 1, 2, 3, 4]  # every doc once, from both ranks
    results = json.loads(next(tmp_path.rglob("results_*.json")).read_text())
    assert results["results"]["amuse_avsa_agentic"]["acc_lenient,none"] == 1.0
