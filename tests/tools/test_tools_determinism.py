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


def test_a_transcript_does_not_depend_on_what_the_process_transcribed_before(synth_root):
    """Whisper's temperature fallback samples from a generator CTranslate2 shares across calls, so the same
    window decoded again later in a process (or by another ``amuse-cues`` worker) gave other words: greedy
    decoding only. s0c000-stg is a window where the fallback used to sample."""
    from amuse_tasks.schema import load_records
    from amuse_tasks.tools.asr_faster_whisper import FasterWhisperASR
    from amuse_tasks.tools.clip import Clip

    records = {r["id"]: r for r in load_records(synth_root).records}
    asr = FasterWhisperASR()
    window = Clip.from_record(records["s0c000-stg"], synth_root)
    first = asr.run(window)
    asr.run(Clip.from_record(records["s0c001-avds"], synth_root))
    assert asr.run(window) == first
