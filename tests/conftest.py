"""Shared fixtures: offline Hub, and the embedded AMUSE-Synth default set built once per machine.

The suite runs in two pytest-xdist workers (``addopts`` in pyproject.toml; ``-n 0`` runs it in one
process): the shared on-disk products (the default set, its offline cues) are built under a file lock
by whichever worker comes first, and each worker's torch gets its share of the cores."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):  # set before torch is imported, inherited by subprocesses
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))))

REPO = Path(__file__).resolve().parents[1]
OFFLINE_CUE_RECORDS = 3  # per task, in the default set
# The default set used by every test (and by lm_eval subprocesses, which inherit the env).
os.environ.setdefault("AMUSE_DATA", str(REPO / ".amuse_cache" / "default"))
# Perception results of the test session stay in the checkout, not in the user's ~/.cache.
os.environ.setdefault("AMUSE_TOOL_CACHE", str(REPO / ".amuse_cache" / "tools"))
# Guided prompts run the default (offline tool) cues unless a test names another source: the ones that need
# exact cues pass ``cues: oracle`` themselves. ``offline_cues`` computes the default set's cues once.


@pytest.fixture(scope="session")
def synth_root() -> Path:
    """The embedded default AMUSE-Synth dataset (built on first use, reused afterwards)."""
    from amuse_tasks.default_set import default_root

    return default_root()


@pytest.fixture(scope="session")
def offline_cues(synth_root) -> Path:
    """The default set with the offline tool cues of each task's first OFFLINE_CUE_RECORDS records written
    (``amuse-cues``; every clip serves one record of each task, so that many clips' perception): what the
    default-path tests read (lm-eval's ``--limit``, ``eval_docs[:3]``). Computed once per checkout: the files
    and the perception cache stay in .amuse_cache."""
    from amuse_tasks.cli.cues import main
    from amuse_tasks.tasks import TASKS

    with open(synth_root.parent / f".{synth_root.name}.cues.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker computes, the others then read its files
        for task in TASKS:
            assert main(["--root", str(synth_root), "--tools", "offline", "--tasks", task,
                         "--limit", str(OFFLINE_CUE_RECORDS)]) == 0, task
    return synth_root
