"""Benchmark 1: what the AMUSE plugin costs an lm-eval run outside the model.

The six guided tasks run through ``lm_eval.simple_evaluate`` in one process, several times, with
(a) SmolLM2-135M-Instruct (lm-eval's ``hf`` model, CPU, fp32) and (b) a null model that answers ""
instantly. The model is wrapped so its ``generate_until`` time is measured; everything else in the
run (task indexing and loading, the records, prompt and cue rendering, request building, answer
filtering, per-sample metrics and aggregations, lm-eval's own bookkeeping) is "outside the model".
The first run in a process is cold (Java starts for the captioning metrics, imports, file cache);
later runs are warm. Guided prompts show the default cues (offline perception tools), precomputed
with ``amuse-cues`` before timing, as a user does once per dataset; reading them is counted.
Target: outside-the-model time under 5 % of SmolLM2's model time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import md_table, mmm, smollm2_dir, stats, write

GUIDED = ["amuse_avds_guided", "amuse_avsa_guided", "amuse_nsp_guided", "amuse_srid_guided", "amuse_stg_guided",
          "amuse_csnl_guided"]


def timed_lm(inner):
    """An lm-eval LM that forwards to ``inner`` and adds up the wall time spent inside it."""
    from lm_eval.api.model import LM

    class TimedLM(LM):
        def __init__(self):
            super().__init__()
            self.seconds = 0.0
            self.requests = 0

        def generate_until(self, requests, disable_tqdm: bool = False):
            t0 = time.perf_counter()
            out = inner.generate_until(requests, disable_tqdm=True)
            self.seconds += time.perf_counter() - t0
            self.requests += len(requests)
            return out

        def loglikelihood(self, requests, disable_tqdm: bool = False):
            raise NotImplementedError

        def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
            raise NotImplementedError

        def __getattr__(self, name):  # tokenizer, chat template, ... of the inner model
            return getattr(inner, name)

    return TimedLM()


class NullLM:
    """Answers "" at once: an lm-eval run with it is all overhead."""

    def generate_until(self, requests, disable_tqdm: bool = False):
        return ["" for _ in requests]


def child(model: str, limit: int, repeats: int, batch: int) -> list[dict]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    from amuse_tasks.lm_eval_glue.dataset import data_root
    from amuse_tasks.lm_eval_glue.registration import task_dir

    if model == "null":
        inner = NullLM()
    else:
        from lm_eval.models.huggingface import HFLM

        inner = HFLM(pretrained=str(smollm2_dir()), device="cpu", batch_size=batch, dtype="float32")
    root = str(data_root())
    runs = []
    for _ in range(repeats):
        lm = timed_lm(inner)
        t0 = time.perf_counter()
        tm = TaskManager(include_path=[str(task_dir())], include_defaults=False,
                         metadata={"amuse_root": root, "cues": "offline"})
        out = lm_eval.simple_evaluate(model=lm, tasks=GUIDED, task_manager=tm, limit=limit, log_samples=False,
                                      verbosity="ERROR")
        wall = time.perf_counter() - t0
        assert out is not None and lm.requests > 0
        runs.append({"wall": wall, "model": lm.seconds, "requests": lm.requests})
    return runs


def prepare_cues(limit: int) -> None:
    """Offline tool cues of the first ``limit`` records of every task (what the timed runs read)."""
    from amuse_tasks.lm_eval_glue.dataset import data_root

    for task in ("avds", "avsa", "nsp", "srid", "stg", "csnl"):
        cmd = [str(Path(sys.executable).parent / "amuse-cues"), "--root", str(data_root()), "--tools", "offline",
               "--tasks", task, "--limit", str(limit)]
        if subprocess.run(cmd).returncode != 0:
            raise SystemExit(f"amuse-cues failed for task {task}")


def run_child(model: str, a) -> list[dict]:
    repeats = a.smollm2_repeats if model == "smollm2" else a.repeats
    cmd = [sys.executable, "-m", "bench.eval_overhead", "--child", model, "--limit", str(a.limit),
           "--repeats", str(repeats), "--batch", str(a.batch)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"{model} run failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=4, help="samples per task (the default set has 10)")
    ap.add_argument("--repeats", type=int, default=4, help="null-model runs in its process (the first is cold)")
    ap.add_argument("--smollm2-repeats", type=int, default=3, help="SmolLM2 runs in its process (the first is cold)")
    ap.add_argument("--batch", type=int, default=4, help="SmolLM2 batch size")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        out = child(a.child, a.limit, a.repeats, a.batch)
        print(json.dumps(out))
        return {}
    smollm2_dir()
    prepare_cues(a.limit)
    runs = {"smollm2": run_child("smollm2", a), "null": run_child("null", a)}
    n = runs["smollm2"][0]["requests"]
    model_per_sample = [r["model"] / r["requests"] for r in runs["smollm2"]]
    m = stats(model_per_sample)["median"]
    res: dict = {"samples_per_run": n, "smollm2_model_seconds_per_sample": stats(model_per_sample)}
    rows = []
    for name, label in (("smollm2", "SmolLM2-135M-Instruct (hf, CPU)"), ("null", "null model (answers \"\")")):
        rs = runs[name]
        for phase, part in (("cold (1st run)", rs[:1]), ("warm", rs[1:] or rs[:1])):
            outside = [(r["wall"] - r["model"]) / r["requests"] for r in part]
            ratio = [o / m for o in outside]
            key = f"{name}_{phase.split()[0]}"
            res[key] = {"outside_seconds_per_sample": stats(outside), "ratio_to_smollm2_model": stats(ratio),
                        "wall_seconds": stats([r["wall"] for r in part]),
                        "model_seconds_per_sample": stats([r["model"] / r["requests"] for r in part])}
            rows.append([label, phase, mmm(res[key]["wall_seconds"]), mmm(res[key]["model_seconds_per_sample"]),
                         mmm(res[key]["outside_seconds_per_sample"], 1000),
                         mmm(res[key]["ratio_to_smollm2_model"], 100) + " %"])
    table = (f"The 6 guided tasks, {a.limit} samples each ({n} per run), one process per model, "
             f"{a.smollm2_repeats} SmolLM2 / {a.repeats} null-model runs per process; SmolLM2 batch size {a.batch}, lm-eval default generation settings of "
             "the tasks. Ratio: outside-the-model time per sample / SmolLM2 model time per sample "
             "(target < 5 %).\n\n")
    table += md_table(["model", "run", "wall s per run", "model s per sample", "outside the model, ms per sample",
                       "outside / SmolLM2 model time"], rows)
    write("eval_overhead", "Evaluation: plugin overhead outside the model (guided tasks)",
          {k: v for k, v in vars(a).items() if k != "child"}, res, table)
    return res


if __name__ == "__main__":
    main()
