"""The lmms-eval task pack, run in its own environment (``.venv-lmms``, ``scripts/setup_lmms.sh``) through
lmms-eval's CLI: lmms-eval indexes exactly the AMUSE tasks from the installed package, an offline run with
lmms-eval's own ``dummy`` model (one fixed reply, no weights; ``read_bytes`` makes it open every clip) completes
in both modes, and every sample's scores equal the lm-eval tasks' hook on the same reply."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from amuse_tasks.lm_eval_glue.dataset import custom_dataset
from amuse_tasks.lm_eval_glue.results import process_results
from amuse_tasks.tasks import TASKS

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv-lmms" / "bin"
REPLY = "Answer: B"  # a letter for the choice tasks; no interval and a short summary for stg / avds
pytestmark = pytest.mark.skipif(not (VENV / "lmms-eval").exists() and not os.environ.get("CI"),
                                reason="no .venv-lmms here (bash scripts/setup_lmms.sh); CI always builds it")


def _lmms(*args: str, root: Path) -> subprocess.CompletedProcess:
    assert (VENV / "lmms-eval").exists(), "CI builds .venv-lmms (scripts/setup.sh runs scripts/setup_lmms.sh)"
    tasks_dir = subprocess.run([VENV / "python", "-m", "amuse_tasks.lmms_eval_glue"], capture_output=True, text=True,
                               check=True).stdout.strip()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "AMUSE_DATA": str(root), "AMUSE_CUES": "offline"}
    return subprocess.run([VENV / "lmms-eval", "--include_path", tasks_dir, *args], capture_output=True, text=True,
                          env=env, timeout=900, cwd=root.parent)


def test_lmms_eval_indexes_the_amuse_tasks(synth_root):
    done = _lmms("--tasks", "list", root=synth_root)
    listed = {line.strip(" -\x1b[0m") for line in done.stdout.splitlines() + done.stderr.splitlines()
              if line.strip().startswith("- amuse")}
    assert listed == {f"amuse_{t}_{m}" for t in TASKS for m in ("zeroshot", "guided")} | {"amuse_zeroshot", "amuse_guided"}


@pytest.mark.parametrize("mode", ["guided", "zeroshot"])
def test_a_run_through_the_cli_scores_like_the_lm_eval_tasks(offline_cues, tmp_path, mode):
    out = tmp_path / "out"
    done = _lmms("--model", "dummy", "--model_args", f"response={REPLY},read_bytes=1024", "--tasks", f"amuse_{mode}",
                 "--limit", "2", "--output_path", str(out), "--log_samples", root=offline_cues)
    assert done.returncode == 0, done.stderr[-3000:]
    samples = {p.stem.split("_samples_")[1]: [json.loads(line) for line in p.open()]  # <date>_samples_<task>.jsonl
               for p in out.rglob("*_samples_*.jsonl")}
    assert set(samples) == {f"amuse_{t}_{mode}" for t in TASKS}
    for task in TASKS:
        docs = custom_dataset(task, amuse_root=str(offline_cues), cues="offline")["test"]
        rows = samples[f"amuse_{task}_{mode}"]
        assert len(rows) == 2
        for row in rows:
            expected = process_results(docs[row["doc_id"]], [REPLY])
            got = {k: row[k] for k in expected}
            assert json.loads(json.dumps(got)) == json.loads(json.dumps(expected)), (task, row["doc_id"])
    if mode == "zeroshot":  # the windows were cut, with the soundtrack muxed in
        from amuse_tasks.media import probe

        clips = [c for c in sorted((offline_cues / ".lmms_windows").glob("*.mp4")) if ".part." not in c.name]
        assert clips and all(probe(c).has_audio for c in clips)
