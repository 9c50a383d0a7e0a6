"""Real lm-eval result folders for the report tests: the generic-RTTM dataset of the builder tests,
evaluated by lm-eval with the test-only fake models of tests/lm_eval_glue (one right, one wrong);
the wrong model's run loads the dataset by Hub id from a local Hub cache (no network)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "builders"))  # the builder tests' media helpers

from builders_fixtures import dialogue, make_media  # noqa: E402

WRONG_TASKS = "amuse_avsa_guided,amuse_avsa_agentic,amuse_stg_guided,amuse_stg_agentic"


HUB_ID = "someone/amuse-report-test"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _lm_eval(model: str, tasks: str, root: str, out: Path, env: dict | None = None) -> None:
    """The fake models never read prompts: oracle cues spare the perception pass of tool cues."""
    cmd = [sys.executable, str(TESTS / "lm_eval_glue" / "lmeval_fake_models.py"), "--model", model,
           "--tasks", tasks, "--metadata", f'{{"amuse_root": "{root}", "cues": "oracle"}}', "--output_path", str(out), "--log_samples"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    assert proc.returncode == 0, proc.stderr[-3000:]


def hub_cache_with(dataset: Path, cache: Path) -> Path:
    """A Hugging Face Hub cache holding the dataset as HUB_ID (the layout snapshot_download leaves)."""
    repo = cache / ("datasets--" + HUB_ID.replace("/", "--"))
    shutil.copytree(dataset, repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    return repo / "snapshots" / COMMIT


@pytest.fixture(scope="session")
def lm_eval_results(tmp_path_factory) -> dict[str, Path]:
    """{"dataset": root, "oracle": results folder (all 18 tasks), "wrong": results folder (4 tasks, dataset
    loaded by Hub id), "snapshot": the Hub-cache copy it read}."""
    from amuse_tasks.cli.build import main

    d = tmp_path_factory.mktemp("report_corpus")
    turns = dialogue()
    make_media(d / "m1.mp4", turns[-1][2] + 1.0, [(s, text) for _, s, _, text in turns])
    (d / "m1.rttm").write_text("".join(f"SPEAKER m1 1 {s} {e - s:.2f} <NA> <NA> {spk} <NA> <NA>\n" for spk, s, e, _ in turns))
    (d / "m1.stm").write_text("".join(f"m1 1 {spk} {s} {e} <o> {text}\n" for spk, s, e, text in turns))
    root = d / "dataset"
    assert main(["rttm", "--rttm", str(d / "m1.rttm"), "--media", str(d / "m1.mp4"), "--transcript", str(d / "m1.stm"),
                 "--out", str(root), "--height", "72", "--per-recording", "2"]) == 0
    _lm_eval("amuse-fake-oracle", "amuse_*_zeroshot,amuse_*_guided,amuse_*_agentic", str(root), d / "oracle")
    snapshot = hub_cache_with(root, d / "hub_cache")  # the wrong model reads the dataset by its Hub id
    _lm_eval("amuse-fake-wrong", WRONG_TASKS, HUB_ID, d / "wrong", {"HF_HUB_CACHE": str(d / "hub_cache")})
    return {"dataset": root, "oracle": d / "oracle", "wrong": d / "wrong", "snapshot": snapshot}
