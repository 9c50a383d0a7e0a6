"""Two processes (torchrun, gloo) give the weights of one process on the same global batch.

A prompt's K = 4 candidates are split over both processes (2 rows each), so the softmax weights
must come from the rewards gathered across processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

WORKER = Path(__file__).with_name("raft_ddp_worker.py")


def _run(cmd, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TRL_EXPERIMENTAL_SILENCE": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]


def test_torchrun_two_processes_match_one_process(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    _run([sys.executable, str(WORKER), str(one), "4"], tmp_path)
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
          str(WORKER), str(two), "2"], tmp_path)
    a, b = torch.load(one / "weights.pt"), torch.load(two / "weights.pt")
    assert a.keys() == b.keys()
    changed = 0
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-6, rtol=1e-5), name
    base = __import__("raft_fixtures").make_qwen2(__import__("raft_fixtures").make_tokenizer(), seed=0)
    for name, p in base.named_parameters():
        changed += not torch.equal(p.detach(), a[name])
    assert changed > 0  # the runs trained
