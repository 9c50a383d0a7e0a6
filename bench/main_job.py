"""Benchmark: the README's main job (``scripts/quickstart.sh``), phase by phase, with the environment in
place: setup check, dataset, the cold perception pass (empty tool cache, fresh copy of the default set),
then lm-eval's six guided tasks with SmolLM2-135M-Instruct, once per dtype side by side (float32, the
old default, and bfloat16, the new one: CPUs with AVX512-BF16 run it ~2.5x faster in prefill). Each phase
runs in its own process, as the quickstart runs it; scores are read from lm-eval's results file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import SCRATCH, md_table, write

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - t0


def lm_eval_cmd(out: Path, dtype: str, extra: list[str]) -> list[str]:
    """The quickstart's lm-eval command (scripts/quickstart.sh): bfloat16 from setup.sh's safetensors copy;
    float32 from the GGUF, as the quickstart ran it before."""
    from amuse_tasks.models.chat_backbones import SMOLLM2_COPY, smollm2_gguf

    if dtype == "float32":
        smol, gguf = smollm2_gguf()
        model = f"pretrained={smol},gguf_file={gguf},dtype=float32"
    else:
        model = f"pretrained={SMOLLM2_COPY},dtype={dtype}"
    return [str(BIN / "amuse-eval"), "run", "--model", "hf", "--model_args",
            model, "--tasks", "amuse-guided", "--apply_chat_template",
            "--device", "cpu", "--batch_size", "8", "--output_path", str(out), "--log_samples", *extra]


def scores(out: Path) -> dict[str, float]:
    res = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    keys = {"acc_lenient,none": "acc", "tiou,none": "tIoU", "bleu4,none": "BLEU-4", "bleu4_sacrebleu,none": "BLEU-4"}
    return {f"{task.split('_')[1]} {name}": round(float(v), 3) for task, m in sorted(res.items())
            for k, name in keys.items() if (v := m.get(k)) is not None and task.startswith("amuse_")}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dtypes", default="float32,bfloat16", help="lm-eval runs, side by side")
    ap.add_argument("--limit", type=int, default=None, help="lm-eval --limit (default: all 60 prompts)")
    args = ap.parse_args(argv)
    from amuse_tasks.default_set import default_root

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    load0 = [round(x, 2) for x in os.getloadavg()]
    phases: dict[str, float] = {"setup check (scripts/setup.sh, environment present)": _run(["bash", "scripts/setup.sh"], env)}
    t0 = time.perf_counter()
    src = default_root()
    phases["dataset (reuse)"] = time.perf_counter() - t0
    SCRATCH.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="amuse-bench-main-", dir=SCRATCH))
    try:
        root = work / "data"
        shutil.copytree(src, root, ignore=shutil.ignore_patterns("cues"))
        env = {**env, "AMUSE_DATA": str(root), "AMUSE_TOOL_CACHE": str(work / "tools")}
        workers = min(os.cpu_count() or 1, 4)  # as scripts/quickstart.sh
        perception: dict[int, float] = {}  # side by side: one process, then the quickstart's workers
        for n in sorted({1, workers}):
            shutil.rmtree(root / "cues", ignore_errors=True)  # cold each time
            shutil.rmtree(work / "tools", ignore_errors=True)
            perception[n] = _run([str(BIN / "amuse-cues"), "--workers", str(n)], env)
        runs = {}
        extra = ["--limit", str(args.limit)] if args.limit else []
        for dtype in args.dtypes.split(","):
            out = work / f"out-{dtype}"
            runs[dtype] = {"seconds": _run(lm_eval_cmd(out, dtype, extra), env), "scores": scores(out)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load1 = [round(x, 2) for x in os.getloadavg()]
    fixed = sum(phases.values()) + perception[workers]  # the quickstart's phases before lm-eval
    rows = [[name, round(s, 1)] for name, s in phases.items()]
    rows += [[f"perception, cold (amuse-cues --workers {n}, 60 records)", round(s, 1)] for n, s in perception.items()]
    source = {"float32": "from the GGUF", "bfloat16": "from the safetensors copy"}
    rows += [[f"lm-eval, dtype={d} {source.get(d, '')} (start-up + 60 prompts)", round(r["seconds"], 1)]
             for d, r in runs.items()]
    dts = list(runs)
    totals = [[f"main job, dtype={d}", round(fixed + runs[d]["seconds"], 1), f"{(fixed + runs[d]['seconds']) / 60:.1f} min"]
              for d in dts]
    table = md_table(["phase", "seconds"], rows)
    table += "\n\n" + md_table(["total (environment present, cold perception)", "seconds", "minutes"], totals)
    if len(dts) == 2:
        a, b = dts
        table += (f"\n\nlm-eval phase {a} / {b}: **{runs[a]['seconds'] / runs[b]['seconds']:.2f}x** "
                  f"(same prompts, same machine, one run). Load average {load0} at start, {load1} at the end.")
    names = sorted({k for r in runs.values() for k in r["scores"]})
    table += "\n\n" + md_table(["score", *dts], [[n, *[runs[d]["scores"].get(n, "-") for d in dts]] for n in names])
    res = {"phases": phases, "perception_by_workers": perception, "lm_eval": runs, "load_avg": {"start": load0, "end": load1}}
    write("main_job", "Main job (scripts/quickstart.sh) phase by phase", vars(args), res, table)
    return res


if __name__ == "__main__":
    main()
