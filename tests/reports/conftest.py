"""Real lm-eval result folders for the report tests: the generic-RTTM dataset of the builder tests,
evaluated by lm-eval with the test-only fake models of tests/lm_eval_glue (one right, one wrong)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "builders"))  # the builder tests' media helpers

from builders_fixtures import dialogue, make_media  # noqa: E402

WRONG_TASKS = "amuse_avsa_guided,amuse_avsa_agentic,amuse_stg_guided,amuse_stg_agentic"


def _lm_eval(model: str, tasks: str, root: Path, out: Path) -> None:
    """The fake models never read prompts: oracle cues spare the perception pass of tool cues."""
    cmd = [sys.executable, str(TESTS / "lm_eval_glue" / "lmeval_fake_models.py"), "--model", model,
           "--tasks", tasks, "--metadata", f'{{"amuse_root": "{root}", "cues": "oracle"}}', "--output_path", str(out), "--log_samples"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="session")
def lm_eval_results(tmp_path_factory) -> dict[str, Path]:
    """{"dataset": root, "oracle": results folder (all 18 tasks), "wrong": results folder (4 tasks)}."""
    from amuse_tasks.cli.build import main

    d = tmp_path_factory.mktemp("report_corpus")
    turns = dialogue()
    make_media(d / "m1.mp4", turns[-1][2] + 1.0, [(s, text) for _, s, _, text in turns])
    (d / "m1.rttm").write_text("".join(f"SPEAKER m1 1 {s} {e - s:.2f} <NA> <NA> {spk} <NA> <NA>\n" for spk, s, e, _ in turns))
    (d / "m1.stm").write_text("".join(f"m1 1 {spk} {s} {e} <o> {text}\n" for spk, s, e, text in turns))
    root = d / "dataset"
    assert main(["rttm", "--rttm", str(d / "m1.rttm"), "--media", str(d / "m1.mp4"), "--transcript", str(d / "m1.stm"),
                 "--out", str(root), "--height", "72", "--per-recording", "2"]) == 0
    _lm_eval("amuse-fake-oracle", "amuse_*_zeroshot,amuse_*_guided,amuse_*_agentic", root, d / "oracle")
    _lm_eval("amuse-fake-wrong", WRONG_TASKS, root, d / "wrong")
    return {"dataset": root, "oracle": d / "oracle", "wrong": d / "wrong"}
