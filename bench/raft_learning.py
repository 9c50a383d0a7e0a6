"""Does RAFT learn? Untrained vs. TRL ``GRPOTrainer`` vs. ``RAFTTrainer``, side by side in one run.

Same model (SmolLM2-135M-Instruct, offline), same guided prompts of the AMUSE-Synth *training* set
(seed 1: ``amuse_tasks.default_set.training_root``), same label-free rewards (``raft_trl.rewards``
defaults, on the offline tools' cues), same K, steps, learning rate and generated tokens. Each
trained model is saved and evaluated through lm-eval's CLI (``amuse-eval --model hf``) on the
disjoint *evaluation* set (seed 0, the embedded default), guided choice tasks, with Wilson 95 %
intervals. Reward curves are the per-step mean of the summed rewards. Results:
``bench/results/raft_learning.{json,md}``. Usage: ``python -m bench.raft_learning --steps 12 --limit 5``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import RESULTS, SCRATCH, md_table, smollm2_dir, write

TASKS = ["avsa", "nsp", "srid", "csnl"]
ARMS = ("untrained", "grpo", "raft", "raft_no_sra")  # raft_no_sra: the RAFT objective on all weights, like GRPO


def wilson(k: float, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def train(arm: str, model_dir: Path, out: Path, args) -> dict:
    """Train one arm in this process; returns its reward curve, wall time and trainable fraction."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from amuse_tasks.default_set import training_root
    from raft_trl import RAFTConfig, RAFTTrainer
    from raft_trl.data import build_rows, to_dataset
    from raft_trl.rewards import reward_functions
    from raft_trl.train import DataArguments

    torch.manual_seed(0)
    rows = build_rows(training_root(), mode="guided", tasks=TASKS, cue_source="offline")
    dataset = to_dataset(rows)
    tok = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    names = DataArguments().rewards
    common = dict(output_dir=str(out), use_cpu=True, bf16=False, num_generations=args.k, per_device_train_batch_size=args.k,
                  max_completion_length=args.tokens, max_steps=args.steps, learning_rate=args.lr, beta=0.0,
                  logging_steps=1, report_to=[], save_strategy="no", seed=0, disable_tqdm=True,
                  gradient_checkpointing=False, temperature=1.0)
    if arm == "grpo":
        trainer = GRPOTrainer(model, reward_functions(names), GRPOConfig(**common), train_dataset=dataset,
                              processing_class=tok)
    else:
        config = RAFTConfig(**common, loss_type="grpo", sra=arm != "raft_no_sra")
        trainer = RAFTTrainer(model, reward_functions(names), config, train_dataset=dataset, processing_class=tok)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    trainer.save_model(str(out))
    tok.save_pretrained(str(out))
    curve = [e["reward"] for e in trainer.state.log_history if "reward" in e]
    return {"seconds": seconds, "reward_curve": curve, "trainable_fraction": trainable / total,
            "train_records": len(rows.rows)}


def evaluate(model_dir: Path, out: Path, limit: int) -> dict:
    """lm-eval CLI on the evaluation set: per task (acc_lenient, parse_fail, n)."""
    from amuse_tasks.default_set import default_root

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [str(Path(sys.executable).parent / "amuse-eval"), "--model", "hf",
           "--model_args", f"pretrained={model_dir},dtype=float32", "--tasks", ",".join(f"amuse_{t}_guided" for t in TASKS),
           "--apply_chat_template", "--device", "cpu", "--batch_size", "4", "--limit", str(limit),
           "--metadata", json.dumps({"amuse_root": str(default_root())}), "--output_path", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"lm-eval failed on {model_dir}:\n{proc.stderr[-3000:]}")
    res = json.loads(sorted(out.rglob("results_*.json"))[-1].read_text())["results"]
    return {t: {"acc": res[f"amuse_{t}_guided"]["acc_lenient,none"], "parse_fail": res[f"amuse_{t}_guided"]["parse_fail,none"],
                "n": limit} for t in TASKS}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--k", type=int, default=4, help="completions per prompt (both trainers)")
    ap.add_argument("--tokens", type=int, default=48, help="max generated tokens per completion")
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--limit", type=int, default=5, help="evaluation records per task")
    ap.add_argument("--arms", default=",".join(ARMS), help="arms to run; the others are kept from an earlier run "
                                                           "with the same settings (bench/results/raft_learning.json)")
    ap.add_argument("--arm", choices=ARMS, help="(internal) train one arm in this process")
    ap.add_argument("--out", help="(internal)")
    args = ap.parse_args(argv)
    model_dir = smollm2_dir()
    if args.arm:  # child process: one arm
        print(json.dumps(train(args.arm, model_dir, Path(args.out), args)))
        return
    work = SCRATCH / "raft_learning"
    settings = {k: getattr(args, k) for k in ("steps", "k", "tokens", "lr", "limit")}
    results = {}
    previous = RESULTS / "raft_learning.json"
    if previous.exists():
        old = json.loads(previous.read_text())
        if {k: old["config"].get(k) for k in settings} == settings:
            results = old["results"]
    for arm in [a for a in ARMS if a in args.arms.split(",")]:
        print(f"== {arm}", flush=True)
        trained = {"seconds": 0.0, "reward_curve": [], "trainable_fraction": 0.0}
        path = model_dir
        if arm != "untrained":
            path = work / arm
            child = subprocess.run([sys.executable, "-m", "bench.raft_learning", "--arm", arm, "--out", str(path),
                                    "--steps", str(args.steps), "--k", str(args.k), "--tokens", str(args.tokens),
                                    "--lr", str(args.lr)], capture_output=True, text=True)
            if child.returncode != 0:
                raise SystemExit(f"{arm} training failed:\n{child.stderr[-3000:]}")
            trained = json.loads(child.stdout.strip().splitlines()[-1])
        t0 = time.perf_counter()
        scores = evaluate(path, work / f"eval-{arm}", args.limit)
        results[arm] = {**trained, "eval": scores, "eval_seconds": time.perf_counter() - t0}
    rows = []
    for arm, r in sorted(results.items(), key=lambda kv: ARMS.index(kv[0])):
        hits = sum(s["acc"] * s["n"] for s in r["eval"].values())
        n = sum(s["n"] for s in r["eval"].values())
        lo, hi = wilson(hits, n)
        curve = r["reward_curve"]
        rows.append([arm] + [f"{r['eval'][t]['acc']:.2f}" for t in TASKS]
                    + [f"{hits / n:.2f} [{lo:.2f}, {hi:.2f}]",
                       f"{sum(s['parse_fail'] * s['n'] for s in r['eval'].values()) / n:.2f}",
                       f"{curve[0]:.2f} -> {curve[-1]:.2f}" if curve else "-", f"{r['seconds']:.0f}",
                       f"{100 * r['trainable_fraction']:.2f} %" if r["trainable_fraction"] else "-"])
    md = (f"SmolLM2-135M-Instruct, guided choice tasks; trained {args.steps} steps (K={args.k}, {args.tokens} tokens, "
          f"lr {args.lr}) on AMUSE-Synth seed 1 with the label-free rewards, evaluated through lm-eval on the disjoint "
          f"seed-0 set ({args.limit} records per task, lenient accuracy; Wilson 95 % interval over all).\n\n"
          + md_table(["arm"] + TASKS + ["all [95 % CI]", "parse fail", "reward first -> last step", "train s",
                                        "trainable"], rows))
    write("raft_learning", "RAFT vs GRPO vs untrained (held-out clips)", {**vars(args), "arms": sorted(results)}, results, md)


if __name__ == "__main__":
    main()
