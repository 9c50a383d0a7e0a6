"""Test helpers: run lm-eval's CLI in a subprocess and read its results file; find the offline SmolLM2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amuse_tasks.models.chat_backbones import SMOLLM2_COPY

FAKES = Path(__file__).parent / "lmeval_fake_models.py"  # `python FAKES ARGS`: amuse-eval with the fake LMs
AMUSE_EVAL = Path(sys.executable).parent / "amuse-eval"  # the console script


def run_lm_eval(args: list[str], out: Path, *, timeout: int = 300) -> dict:
    """Run ``args`` (an lm-eval command line) writing to ``out``; the parsed ``results_*.json``."""
    cmd = [*args, "--output_path", str(out), "--log_samples"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ})
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = list(out.rglob("results_*.json"))
    assert len(results) == 1, list(out.rglob("*"))
    return json.loads(results[0].read_text())


def metric(res: dict, task: str, name: str) -> float:
    return res["results"][task][f"{name},none"]


def smollm2_or_skip() -> tuple[str, str]:
    """(directory, GGUF file) of the offline SmolLM2-135M-Instruct; skips the test where it is not installed."""
    from amuse_tasks.models.chat_backbones import smollm2_gguf

    try:
        return smollm2_gguf()
    except RuntimeError as e:
        pytest.skip(f"offline SmolLM2 weights not installed: {e}")


def smollm2_model_args() -> str:
    """lm-eval ``hf`` model args of the offline SmolLM2: the folder the main job loads (setup.sh's copy), else
    the GGUF itself (de-quantised at every load, ~15 s)."""
    if (SMOLLM2_COPY / "model.safetensors").is_file():
        return f"pretrained={SMOLLM2_COPY}"
    pretrained, gguf = smollm2_or_skip()
    return f"pretrained={pretrained},gguf_file={gguf}"
