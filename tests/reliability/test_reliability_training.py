"""Training faults: rewards that are NaN or None, and a run killed mid-way then resumed."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from reliability_fixtures import copy_dataset, no_network, tiny_model_dir, tiny_tokenizer  # noqa: F401


@pytest.fixture(autouse=True)
def _offline(no_network):  # noqa: F811
    yield


REPO = Path(__file__).resolve().parents[2]


def _rows(n: int):
    from datasets import Dataset

    return Dataset.from_dict({"prompt": [f"[0.0-2.5] VOICE_1: hello {i}. Who speaks next? Answer:" for i in range(n)]})


def test_nan_and_none_rewards_train_without_nan(tmp_path):
    """Row 0 of every group: all rewards None; row 1: NaN from one function; one prompt's group is
    entirely unscorable.  Training finishes, losses and weights stay finite, and the unscorable
    group gets zero weight."""
    from transformers import AutoModelForCausalLM

    from raft_trl import RAFTConfig, RAFTTrainer

    calls = {"n": 0}

    def sometimes_none(completions, prompts=None, **_):
        calls["n"] += 1
        out = []
        for i, (c, p) in enumerate(zip(completions, prompts)):
            if "hello 0." in p or i % 2 == 0:
                out.append(None)
            else:
                out.append(float(len(c) % 7) / 7)
        return out

    def sometimes_nan(completions, prompts=None, **_):
        return [None if "hello 0." in p else (math.nan if i % 2 == 1 else 0.5) for i, p in enumerate(prompts)]

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir(tmp_path / "model"))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    args = RAFTConfig(output_dir=str(tmp_path / "out"), use_cpu=True, num_generations=4, per_device_train_batch_size=8,
                      max_completion_length=8, max_steps=2, report_to=[], logging_steps=1, save_strategy="no",
                      sra_budget=0.2, seed=0, disable_tqdm=True, learning_rate=1e-2, temporal_weight=0.01)
    trainer = RAFTTrainer(model, [sometimes_none, sometimes_nan], args, train_dataset=_rows(2),
                          processing_class=tiny_tokenizer())
    trainer.train()
    assert calls["n"] == 2
    logs = [h for h in trainer.state.log_history if "loss" in h]
    assert len(logs) == 2 and all(math.isfinite(h["loss"]) for h in logs), logs
    for n, p in trainer.model.named_parameters():
        assert torch.isfinite(p).all(), n
    changed = [n for n, p in trainer.model.named_parameters() if not torch.equal(p.detach(), before[n])]
    assert changed, "the scorable groups still train theta_cross"
    assert all(trainer.model.get_parameter(n).requires_grad for n in changed), "frozen weights stay bit-identical"


def _train_cmd(model: Path, data: Path, out: Path, steps: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "raft_trl.train", "--model_name_or_path", str(model), "--data_root", str(data),
            "--output_dir", str(out), "--tasks", "avsa", "--limit", "8", "--cue_source", "oracle", "--allow_label_cues", "true",
            "--rewards", "format", "accuracy", "--reward_weights", "1.0", "1.0",
            "--num_generations", "2", "--per_device_train_batch_size", "2", "--max_completion_length", "6",
            "--max_steps", str(steps), "--save_strategy", "steps", "--save_steps", "1", "--logging_steps", "1",
            "--use_cpu", "true", "--report_to", "none", "--seed", "0", "--sra_budget", "0.2",
            "--temporal_weight", "0.0", "--disable_tqdm", "true",
            "--allow_eval_overlap", "true", *extra]  # clips of the evaluation set: fine for a resume check


@pytest.mark.timeout(240)
def test_a_killed_run_resumes_from_its_last_checkpoint(synth_root, tmp_path):
    model = tiny_model_dir(tmp_path / "model")
    data = tmp_path / "data"
    copy_dataset(synth_root, data, tasks=("avsa",))
    out = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(REPO)}
    # a run meant to go on for 1000 steps, killed (SIGKILL: no cleanup) once checkpoint-2 is on disk
    first = subprocess.Popen(_train_cmd(model, data, out, 1000), env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 150
    try:
        while not (out / "checkpoint-2" / "trainer_state.json").exists():
            assert first.poll() is None, first.stdout.read().decode()[-3000:]
            assert time.time() < deadline, "no checkpoint-2 within 150 s"
            time.sleep(0.2)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert first.returncode == -signal.SIGKILL
    kept = sorted(p.name for p in out.glob("checkpoint-*"))
    assert "checkpoint-2" in kept
    last = max(int(p.split("-")[1]) for p in kept if (out / p / "trainer_state.json").exists())

    resumed = subprocess.run(_train_cmd(model, data, out, last + 2, "--resume_from_checkpoint", "last"),
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    state = json.loads((out / f"checkpoint-{last + 2}" / "trainer_state.json").read_text())
    assert state["global_step"] == last + 2
    steps_logged = [h["step"] for h in state["log_history"] if "loss" in h]
    assert steps_logged == list(range(1, last + 3)), "steps before the kill are kept, none is run twice"
    assert (out / "model.safetensors").exists() and (out / "README.md").exists()
