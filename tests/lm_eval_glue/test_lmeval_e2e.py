"""End-to-end ``lm_eval`` CLI runs (subprocesses) over all 18 tasks on the default set, with
test-only fake models that answer from ``Instance.doc`` (right or wrong), and a real SmolLM2 run."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from amuse_tasks.tasks import ALL_TASK_NAMES, TASKS
from lmeval_runs import AMUSE_EVAL, FAKES, metric, run_lm_eval, smollm2_model_args


def _expected_metrics(task: str, right: bool) -> dict[str, float]:
    tid, mode = task.split("_")[1], task.split("_")[2]
    fmt = TASKS[tid].answer_format
    if fmt.startswith("choice"):
        m = {"acc_strict": 1.0, "acc_lenient": 1.0} if right else {"acc_strict": 0.0, "acc_lenient": 0.0}
        m |= {"parse_fail": 0.0, "parse_fail_strict": 0.0}
    elif fmt == "intervals":
        v = 1.0 if right else 0.0
        m = {"tiou": 100.0 * v, "r@0.3": v, "r@0.5": v, "r@0.7": v, "off_by_one": v, "parse_fail": 0.0}
    else:
        v = 100.0 if right else 0.0
        m = {"bleu4": v, "meteor": v, "rougeL": v, "speaker_f1": v / 100}
    if mode == "agentic":
        m |= {"tool_f1": 1.0 if right else 0.0, "invalid_call_rate": 0.0, "termination": 1.0}
    return m


@pytest.mark.parametrize("model,right", [("amuse-fake-oracle", True), ("amuse-fake-wrong", False)])
def test_every_task_scores_exactly(tmp_path, synth_root, model, right):
    # scoring is under test here, not perception: oracle cues keep the run free of tool computation
    res = run_lm_eval([sys.executable, str(FAKES), "--model", model, "--tasks", "amuse",
                       "--metadata", json.dumps({"amuse_root": str(synth_root), "cues": "oracle"})], tmp_path)
    for task in ALL_TASK_NAMES:
        for name, value in _expected_metrics(task, right).items():
            assert metric(res, task, name) == pytest.approx(value, abs=1e-6), (task, name)
    assert not [k for t in ALL_TASK_NAMES for k in res["results"][t] if "judge" in k]  # no judge unless asked
    for mode in ("zeroshot", "guided", "agentic"):  # accuracy is averaged only over the four choice tasks
        assert metric(res, f"amuse-{mode}-choice", "acc_lenient") == (1.0 if right else 0.0)
        assert metric(res, f"amuse-{mode}-choice", "parse_fail") == 0.0
    for group in ("amuse", "amuse-zeroshot", "amuse-guided", "amuse-agentic"):  # no score over unlike tasks
        rows = {**res["results"].get(group, {}), **res.get("groups", {}).get(group, {})}
        assert not [k for k in rows if k.split(",")[0] in ("acc_lenient", "acc_strict", "parse_fail")], (group, rows)
    # the oracle's CIDEr of a perfect summary is 10 per sample (x100)
    if right:
        assert metric(res, "amuse_avds_guided", "cider") == pytest.approx(1000.0)
    samples = list(tmp_path.rglob("samples_amuse_avsa_guided_*.jsonl"))
    assert samples and json.loads(samples[0].read_text().splitlines()[0])["doc"]["task"] == "avsa"


def test_smollm2_guided_run_writes_results_and_samples(tmp_path, offline_cues):
    """The real offline model through lm-eval's own `hf` class on the default path (offline tool cues, the
    files ``offline_cues`` wrote); 1 doc per task, short answers."""
    res = run_lm_eval([str(AMUSE_EVAL), "--model", "hf", "--model_args", f"{smollm2_model_args()},dtype=float32",
                       "--tasks", "amuse-guided", "--apply_chat_template", "--limit", "1", "--batch_size", "6",
                       "--device", "cpu", "--gen_kwargs", "max_gen_toks=12",
                       "--metadata", json.dumps({"amuse_root": str(offline_cues)})], tmp_path, timeout=420)
    guided = [t for t in ALL_TASK_NAMES if t.endswith("_guided")]
    assert set(guided) <= set(res["results"])
    assert 0.0 <= metric(res, "amuse_avsa_guided", "acc_lenient") <= 1.0
    assert 0.0 <= metric(res, "amuse_stg_guided", "tiou") <= 100.0
    for task in guided:
        files = list(tmp_path.rglob(f"samples_{task}_*.jsonl"))
        assert len(files) == 1, task
        sample = json.loads(files[0].read_text().splitlines()[0])
        assert sample["doc"]["clip_id"] in sample["arguments"]["gen_args_0"]["arg_0"]
        assert "(source: tools:offline)" in sample["arguments"]["gen_args_0"]["arg_0"]
        assert isinstance(sample["resps"][0][0], str)


def test_amuse_eval_ls_lists_the_18_tasks_and_groups():
    proc = subprocess.run([str(AMUSE_EVAL), "ls", "tasks"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in (*ALL_TASK_NAMES, "amuse-guided", "amuse-agentic", "amuse-zeroshot"):
        assert re.search(rf"^\|{re.escape(name)}\s*\|", proc.stdout, re.MULTILINE), name
