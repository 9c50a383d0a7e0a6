"""Does RAFT learn? Every arm trained from scratch in one run, evaluated on the same held-out items.

All arms share the model (SmolLM2-135M-Instruct, offline), the training prompts (guided, offline tool
cues, ``--train-root``), K, prompts per step, steps, learning rate, generated tokens, TRL's "grpo"
loss normalisation (per-sequence length-normalised) and the trainable subset: the SRA mask
(``raft_trl.sra``, the same theta_cross for every arm), except the ``*_full`` pair on all weights.

| arm | trainer | rewards |
|---|---|---|
| untrained | - | - |
| grpo | TRL ``GRPOTrainer`` (group-normalised advantages) | default label-free list |
| raft | ``RAFTTrainer`` (centred softmax weights, the default) | default label-free list |
| raft_literal | ``RAFTTrainer``, ``rro_weighting="literal"`` (the paper's positive weights) | default list |
| raft_format | ``RAFTTrainer`` | ``format`` only (control: no reward reads the answer) |
| raft_label | ``RAFTTrainer`` | default list + ``accuracy`` (reads the labels: positive control) |
| grpo_full, raft_full | as grpo / raft, all weights trainable | default list |

Each trained model is evaluated through lm-eval's CLI (``amuse-eval --model hf``) on every item of the
guided choice tasks of ``--eval-root`` (a seed no training set uses; offline cues), with per-item
correctness from ``--log_samples``: accuracy with Wilson 95 % intervals, and exact McNemar tests on
the same items against ``untrained`` and against ``grpo``. Resumable per arm: each finished arm is
kept under ``bench/results/tmp/raft_learning/<run id>/``, where the run id hashes the settings and the
code (the source files' content), so results of different code versions are never merged; the
per-arm results are kept in git (``bench/results/raft_learning_runs/<run id>/``) so a later session can
continue the run, the trained models under ``bench/results/tmp/``.
Results: ``bench/results/raft_learning.{json,md,png}``.

Usage: ``python -m bench.raft_learning --steps 20 --arms untrained,raft,grpo``; without ``--train-root`` /
``--eval-root`` it builds AMUSE-Synth seed 11 (40 clips) and seed 12 (60 clips) with their offline cues once
under ``bench/results/tmp/learn/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import RESULTS, SCRATCH, md_table, smollm2_dir, write

ARMS = ("untrained", "raft", "grpo", "raft_label", "raft_format", "raft_literal", "grpo_full", "raft_full")  # run order
SETTINGS = ("train_root", "eval_root", "tasks", "steps", "prompts_per_step", "k", "tokens", "lr", "temperature")


def wilson(k: float, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def mcnemar(a: list[bool], b: list[bool]) -> tuple[int, int, float]:
    """(items only a got right, items only b got right, exact two-sided p) on paired items."""
    only_a = sum(x and not y for x, y in zip(a, b))
    only_b = sum(y and not x for x, y in zip(a, b))
    n = only_a + only_b
    if n == 0:
        return 0, 0, 1.0
    tail = sum(math.comb(n, i) for i in range(0, min(only_a, only_b) + 1)) / 2 ** n
    return only_a, only_b, min(1.0, 2 * tail)


def run_id(settings: dict) -> str:
    """Settings + code version: the content of every source file that can change a result (``raft_trl``,
    ``amuse_tasks``, this script), so a docs commit keeps the run and a code change starts a new one."""
    repo = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for path in sorted([*repo.glob("raft_trl/**/*.py"), *repo.glob("amuse_tasks/**/*.py"), Path(__file__)]):
        digest.update(path.relative_to(repo).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def synth_set(name: str, seed: int, per_task: int, tasks: str) -> str:
    """An AMUSE-Synth set with the offline cues of ``tasks``, built once (``amuse-synth``, ``amuse-cues``)."""
    root = SCRATCH / "learn" / name
    bin_dir = Path(sys.executable).parent
    if not (root / "records.jsonl").is_file():
        subprocess.run([str(bin_dir / "amuse-synth"), "build", "--out", str(root), "--seed", str(seed),
                        "--per-task", str(per_task)], check=True)
    subprocess.run([str(bin_dir / "amuse-cues"), "--root", str(root), "--tools", "offline", "--tasks", tasks,
                    "--workers", "2"], check=True)  # existing cue files are kept
    return str(root)


def train(arm: str, model_dir: Path, out: Path, args) -> dict:
    """Train one arm in this process; returns its reward curve, wall time and trainable fraction."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from raft_trl import RAFTConfig, RAFTTrainer
    from raft_trl.data import build_rows, to_dataset
    from raft_trl.rewards import DEFAULT_REWARDS, reward_functions
    from raft_trl.sra import freeze_all_but, select_theta_cross

    torch.manual_seed(0)
    rows = build_rows(args.train_root, mode="guided", tasks=args.tasks.split(","), cue_source="offline")
    dataset = to_dataset(rows).shuffle(seed=0)
    tok = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    names = {"raft_format": ["format"], "raft_label": DEFAULT_REWARDS + ["accuracy"]}.get(arm, DEFAULT_REWARDS)
    full = arm.endswith("_full")
    common = dict(output_dir=str(out), use_cpu=True, bf16=False, num_generations=args.k,
                  per_device_train_batch_size=args.k * args.prompts_per_step, max_completion_length=args.tokens,
                  max_steps=args.steps, learning_rate=args.lr, beta=0.0, loss_type="grpo", logging_steps=1,
                  report_to=[], save_strategy="no", seed=0, disable_tqdm=False, gradient_checkpointing=False,
                  temperature=1.0)
    if arm.startswith("grpo"):
        if not full:  # the same theta_cross RAFT picks, frozen the same way
            freeze_all_but(model, select_theta_cross(model, RAFTConfig.sra_budget))
        trainer = GRPOTrainer(model, reward_functions(names), GRPOConfig(**common), train_dataset=dataset,
                              processing_class=tok)
    else:
        config = RAFTConfig(**common, sra=not full, reward_temperature=args.temperature,
                            rro_weighting="literal" if arm == "raft_literal" else "centred")
        trainer = RAFTTrainer(model, reward_functions(names), config, train_dataset=dataset, processing_class=tok)
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in trainer.model.parameters())
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    trainer.save_model(str(out))
    tok.save_pretrained(str(out))
    logs = [e for e in trainer.state.log_history if "reward" in e]
    curves = {"reward": [e["reward"] for e in logs]}
    for key in ("rewards/consistency/mean", "rewards/format/mean", "rewards/accuracy/mean"):
        if any(key in e for e in logs):
            curves[key.split("/")[1]] = [e.get(key) for e in logs]
    return {"seconds": seconds, "curves": curves, "trainable_fraction": trainable / total, "rewards": names,
            "train_records": len(rows.rows)}


def evaluate(model_dir: Path, out: Path, eval_root: str, tasks: list[str]) -> dict:
    """lm-eval CLI on every item of the evaluation set: per task the per-item lenient correctness."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("AMUSE_CUES", None)
    cmd = [str(Path(sys.executable).parent / "amuse-eval"), "--model", "hf",
           "--model_args", f"pretrained={model_dir},dtype=float32", "--tasks", ",".join(f"amuse_{t}_guided" for t in tasks),
           "--apply_chat_template", "--device", "cpu", "--batch_size", "4", "--log_samples",
           "--metadata", json.dumps({"amuse_root": eval_root, "cues": "offline"}), "--output_path", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"lm-eval failed on {model_dir}:\n{proc.stderr[-3000:]}")
    items = {}
    for t in tasks:
        sample_file = sorted(out.rglob(f"samples_amuse_{t}_guided_*.jsonl"))[-1]
        docs = [json.loads(line) for line in sample_file.read_text().splitlines() if line.strip()]
        docs.sort(key=lambda d: d["doc_id"])
        items[t] = {"ids": [d["doc"]["id"] for d in docs], "correct": [bool(d["acc_lenient"]) for d in docs],
                    "parse_fail": [bool(d["parse_fail"]) for d in docs]}
    return items


def plot(results: dict, path: Path, tasks: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for arm, r in results.items():
        if r.get("curves", {}).get("reward"):
            left.plot(range(1, len(r["curves"]["reward"]) + 1), r["curves"]["reward"], label=arm)
    left.set(xlabel="step", ylabel="mean summed reward", title="training reward by step")
    left.legend(fontsize=8)
    arms = list(results)
    accs = [acc_of(results[a], tasks) for a in arms]
    right.bar(arms, [a[0] for a in accs], yerr=[[a[0] - a[1] for a in accs], [a[2] - a[0] for a in accs]], capsize=4)
    right.set(ylabel="held-out accuracy (Wilson 95 %)", title="held-out accuracy after training")
    right.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def correct_of(r: dict, tasks: list[str]) -> list[bool]:
    return [c for t in tasks for c in r["eval"][t]["correct"]]


def acc_of(r: dict, tasks: list[str]) -> tuple[float, float, float]:
    c = correct_of(r, tasks)
    lo, hi = wilson(sum(c), len(c))
    return sum(c) / len(c), lo, hi


def report(results: dict, args, rid: str) -> None:
    tasks = args.tasks.split(",")
    arms = [a for a in ARMS if a in results]
    rows = []
    for arm in arms:
        r = results[arm]
        acc, lo, hi = acc_of(r, tasks)
        pf = [p for t in tasks for p in r["eval"][t]["parse_fail"]]
        vs = []
        for ref in ("untrained", "grpo"):
            if ref in results and ref != arm:
                a, b, p = mcnemar(correct_of(r, tasks), correct_of(results[ref], tasks))
                vs.append(f"+{a}/-{b}, p={p:.3f}")
            else:
                vs.append("-")
        curve = r.get("curves", {}).get("reward") or []
        head = sum(curve[:3]) / len(curve[:3]) if curve else None
        tail = sum(curve[-3:]) / len(curve[-3:]) if curve else None
        rows.append([arm] + [f"{sum(r['eval'][t]['correct']) / len(r['eval'][t]['correct']):.2f}" for t in tasks]
                    + [f"{acc:.3f} [{lo:.3f}, {hi:.3f}]", f"{sum(pf) / len(pf):.2f}"] + vs
                    + [f"{head:.2f} -> {tail:.2f}" if curve else "-", f"{r.get('seconds', 0):.0f}",
                       f"{100 * r['trainable_fraction']:.2f} %" if r.get("trainable_fraction") else "-"])
    n_items = {t: len(next(iter(results.values()))["eval"][t]["correct"]) for t in tasks}
    missing = [a for a in args.arms.split(",") if a not in results]
    md = (f"Run `{rid}`. SmolLM2-135M-Instruct, guided {', '.join(tasks)}; every arm trained {args.steps} steps from "
          f"the same start ({args.prompts_per_step} prompts x K={args.k} per step, {args.tokens} generated tokens, "
          f"lr {args.lr}, TRL's 'grpo' loss normalisation, RAFT temperature {args.temperature}) on "
          f"`{Path(args.train_root).name}` with offline tool cues, evaluated through lm-eval on every item of the "
          f"held-out `{Path(args.eval_root).name}` ({', '.join(f'{t} {n}' for t, n in n_items.items())} items; "
          "lenient accuracy, Wilson 95 % interval). McNemar: items only this arm / only the other arm got right, "
          "exact two-sided p. Reward: mean of the first and last three logged steps (each arm's own reward list).\n\n"
          + md_table(["arm"] + tasks + ["all [95 % CI]", "parse fail", "vs untrained", "vs grpo", "reward",
                                        "train s", "trainable"], rows)
          + (f"\n\nArms not run in this run yet: {', '.join(missing)} (resume with the same command).\n" if missing else "")
          + "\n\n![reward and held-out accuracy](raft_learning.png)\n")
    plot(results, RESULTS / "raft_learning.png", tasks)
    write("raft_learning", "Does RAFT learn? Arms at equal compute on held-out items",
          {**{k: getattr(args, k) for k in SETTINGS}, "run_id": rid, "arms_done": arms}, results, md)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train-root", help="training AMUSE set (default: AMUSE-Synth seed 11, 40 clips)")
    ap.add_argument("--eval-root", help="held-out AMUSE set on another seed (default: AMUSE-Synth seed 12, 60 clips)")
    ap.add_argument("--tasks", default="avsa,srid", help="guided choice tasks to train and evaluate")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--prompts-per-step", type=int, default=2)
    ap.add_argument("--k", type=int, default=8, help="completions per prompt (every arm)")
    ap.add_argument("--tokens", type=int, default=32, help="max generated tokens per completion")
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--temperature", type=float, default=0.5, help="RAFT's reward temperature T")
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--arm", choices=ARMS, help="(internal) train one arm in this process")
    ap.add_argument("--out", help="(internal)")
    args = ap.parse_args(argv)
    args.train_root, args.eval_root = str(Path(args.train_root).resolve()), str(Path(args.eval_root).resolve())
    model_dir = smollm2_dir()
    if args.arm:  # child process: one arm
        print(json.dumps(train(args.arm, model_dir, Path(args.out), args)))
        return
    args.train_root = args.train_root or synth_set("train-seed11", 11, 40, args.tasks)
    args.eval_root = args.eval_root or synth_set("eval-seed12", 12, 60, args.tasks)
    settings = {k: getattr(args, k) for k in SETTINGS}
    rid = run_id(settings)
    work, kept = SCRATCH / "raft_learning" / rid, RESULTS / "raft_learning_runs" / rid
    work.mkdir(parents=True, exist_ok=True)
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "settings.json").write_text(json.dumps(settings, indent=2))
    print(f"run {rid}: {kept}", flush=True)
    results = {a: json.loads((kept / f"{a}.json").read_text()) for a in ARMS if (kept / f"{a}.json").is_file()}
    for arm in [a for a in ARMS if a in args.arms.split(",") and a not in results]:
        print(f"== {arm}", flush=True)
        trained = {"seconds": 0.0, "curves": {}, "trainable_fraction": 0.0}
        path = model_dir
        if arm != "untrained":
            path = work / arm
            cmd = [sys.executable, "-m", "bench.raft_learning", "--arm", arm, "--out", str(path)]
            cmd += [f"--{k.replace('_', '-')}={getattr(args, k)}" for k in SETTINGS]
            child = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
            if child.returncode != 0:
                raise SystemExit(f"{arm} training failed (exit {child.returncode})")
            trained = json.loads(child.stdout.strip().splitlines()[-1])
        t0 = time.perf_counter()
        scores = evaluate(path, work / f"eval-{arm}", args.eval_root, args.tasks.split(","))
        results[arm] = {**trained, "eval": scores, "eval_seconds": time.perf_counter() - t0}
        (kept / f"{arm}.json").write_text(json.dumps(results[arm]))
        report(results, args, rid)


if __name__ == "__main__":
    main()
