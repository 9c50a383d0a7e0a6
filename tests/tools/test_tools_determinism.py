"""Offline perception is thread-count independent: the same record gives byte-identical cues with
1 and 2 threads (BLAS, OpenMP, torch and OpenCV all told), each run in a fresh process with an
empty tool cache."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = r"""
import json, sys
n = int(sys.argv[1])
import cv2, torch
torch.set_num_threads(n); cv2.setNumThreads(n)
from amuse_tasks.cues import tool_cues
from amuse_tasks.default_set import default_root
from amuse_tasks.schema import load_records
from amuse_tasks.tools import ToolCache
root = default_root()
record = next(r for r in load_records(root).records if r["id"] == sys.argv[3])
print(json.dumps(tool_cues(record, root, backends="offline", cache=ToolCache(sys.argv[2])), sort_keys=True))
"""


def test_offline_cues_are_identical_at_1_and_2_threads(short_avsa, synth_root, tmp_path):
    outs = []
    for n in (1, 2):
        env = {**os.environ, "OMP_NUM_THREADS": str(n), "MKL_NUM_THREADS": str(n), "OPENBLAS_NUM_THREADS": str(n)}
        proc = subprocess.run([sys.executable, "-c", SCRIPT, str(n), str(tmp_path / f"cache{n}"), short_avsa["id"]],
                              capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert '"TR"' in outs[0] and '"FC"' in outs[0]
