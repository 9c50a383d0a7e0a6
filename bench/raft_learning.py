"""Does RAFT learn? Every arm trained from one start in one run, evaluated on the same held-out items (v2).

All arms share the model (``--model``: SmolLM2-135M-Instruct, or Qwen2.5-Coder-0.5B-Instruct for measurement
only; both offline), the training prompts (guided, offline tool cues, the ``compact`` rendering), K, prompts per
step, steps, a constant learning rate, generated tokens, TRL's "grpo" loss normalisation and the trainable subset
(the SRA mask of ``raft_trl.sra``):

| arm | trainer | rewards |
|---|---|---|
| untrained | - | - |
| label | ``RAFTTrainer`` | ``accuracy`` alone (reads the labels: the positive control, and the gate) |
| raft | ``RAFTTrainer`` (centred softmax weights) | the default label-free list |
| grpo | TRL's ``GRPOTrainer`` (group-normalised advantages), one prefill per prompt as RAFT (``raft_trl.SharedPrefillGRPOTrainer``) | the default label-free list |
| format | ``RAFTTrainer`` | ``format`` only (control: no reward reads the answer) |

The gate: ``label`` runs first; it passes when, on the *training* prompts, its accuracy reward rose (mean of
the last five logged steps above the first five) and the policy's letter distribution changed (total
variation >= 0.05 between the start and the end, next-token probabilities of the option letters after
"Answer:"). The other arms run only after it passes (``--force`` runs them anyway, and the report says so).
Each trained model is evaluated through lm-eval's CLI (``amuse-eval --model hf``) on every item of the guided
choice tasks of ``--eval-root`` (a seed no training set uses, ``overlap_with`` checked), with the same
rendering; per-item correctness from ``--log_samples``; accuracy with Wilson 95 % intervals, exact McNemar
tests on the same item ids (checked) against ``untrained`` and ``raft`` against ``grpo``.

Resumable per arm: the run id hashes the settings, the code (``raft_trl``, ``amuse_tasks``, ``task_yamls``,
this script), the library versions and the model file; each finished arm's result is kept in git under
``bench/results/raft_learning_runs/<run id>/``, its trained theta_cross (fp32 safetensors) beside it when at most
5 MB, else in the scratch run folder under ``bench/results/tmp``; ``python -m bench.raft_learning --theta FILE
--eval-root DIR`` scores a kept theta_cross on any AMUSE set.
Results: ``bench/results/raft_learning.{json,md,png}``.

Two phases, each resumable: (1) on training data only, build the training set and train every arm, the gate first
(each arm's training curves, letter distributions and theta_cross are kept as soon as it is trained); (2) build the
held-out set and score every arm (from its kept theta_cross when the trained folder is gone, e.g. in a later session).

Usage: ``python -m bench.raft_learning``; without ``--train-root`` / ``--eval-root`` it builds AMUSE-Synth seed 11
(80 clips) and seed 12 (150 clips) with their offline cues once under ``bench/results/tmp/learn/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import RESULTS, SCRATCH, logged_samples, md_table, write

ARMS = ("untrained", "label", "raft", "grpo", "format")  # run order; label is the gate
REWARDS_OF = {"label": ["accuracy"], "format": ["format"]}  # others: the default label-free list
MODELS = {"smollm2": "SmolLM2-135M-Instruct", "qwen0.5b": "Qwen2.5-Coder-0.5B-Instruct"}  # bench.agent_models.model_dir names
SETTINGS = ("model", "train_root", "eval_root", "tasks", "steps", "prompts_per_step", "k", "tokens", "lr", "temperature",
            "sra_budget", "rendering", "collapse_floor")


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


def paired_difference(a: list[bool], b: list[bool], z: float = 1.96) -> tuple[float, float, float]:
    """Accuracy of a minus accuracy of b on the same items, with Newcombe's square-and-add 95 % interval for paired
    proportions (1998, method 10: the two Wilson intervals combined through the correlation of the pairs)."""
    n = len(a)
    both = sum(x and y for x, y in zip(a, b))
    only_a, only_b, _ = mcnemar(a, b)  # the discordant pairs, counted once
    neither = n - both - only_a - only_b
    pa, pb = (both + only_a) / n, (both + only_b) / n
    (la, ua), (lb, ub) = wilson(both + only_a, n, z), wilson(both + only_b, n, z)
    margins = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    cross = both * neither - only_a * only_b
    # Newcombe's correction: a positive association counts only beyond n/2
    phi = 0.0 if margins == 0 else (cross - n / 2 if cross > n / 2 else min(cross, 0)) / math.sqrt(margins)
    lo = pa - pb - math.sqrt((pa - la) ** 2 - 2 * phi * (pa - la) * (ub - pb) + (ub - pb) ** 2)
    hi = pa - pb + math.sqrt((ua - pa) ** 2 - 2 * phi * (ua - pa) * (pb - lb) + (pb - lb) ** 2)
    return pa - pb, lo, hi


def run_id(settings: dict, model_file: Path) -> str:
    """Settings, code (``raft_trl``, ``amuse_tasks``, ``task_yamls``, this script), library versions and the model
    file's bytes: results of different code, libraries or weights are never merged."""
    from importlib.metadata import version

    repo = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    digest.update(json.dumps({p: version(p) for p in ("torch", "transformers", "trl", "lm_eval", "accelerate")}).encode())
    for path in sorted([*repo.glob("raft_trl/**/*.py"), *repo.glob("amuse_tasks/**/*.py"), *repo.glob("task_yamls/*"),
                        Path(__file__)]):
        digest.update(path.relative_to(repo).as_posix().encode() + path.read_bytes())
    with open(model_file, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def synth_set(name: str, seed: int, per_task: int, tasks: str, limit: int | None = None) -> str:
    """An AMUSE-Synth set with the offline cues of ``tasks`` (of the first ``limit`` records of each, else all),
    built once (``amuse-synth``, ``amuse-cues``)."""
    root = SCRATCH / "learn" / name
    bin_dir = Path(sys.executable).parent
    if not (root / "records.jsonl").is_file():
        subprocess.run([str(bin_dir / "amuse-synth"), "build", "--out", str(root), "--seed", str(seed),
                        "--per-task", str(per_task)], check=True)
    subprocess.run([str(bin_dir / "amuse-cues"), "--root", str(root), "--tools", "offline", "--tasks", tasks,
                    "--workers", "2", *(["--limit", str(limit)] if limit else [])], check=True)  # existing files kept
    return str(root)


def letter_distribution(model, tok, dataset, n: int = 32) -> list[float]:
    """Mean next-token probabilities of the option letters A-D right after "Answer:" on the first ``n``
    training prompts (renormalised over the letters): how the policy picks, with no sampling noise."""
    import torch

    letters = [tok.encode(f" {c}", add_special_tokens=False)[-1] for c in "ABCD"]
    total = torch.zeros(len(letters))
    model.eval()
    with torch.no_grad():
        for row in dataset.select(range(min(n, len(dataset)))):
            text = tok.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True) + "Answer:"
            ids = tok(text, return_tensors="pt", add_special_tokens=False)
            p = torch.softmax(model(**ids).logits[0, -1].float(), -1)[letters]
            total += p / p.sum()
    model.train()
    return (total / min(n, len(dataset))).tolist()


def train(arm: str, model_dir: Path, out: Path, args) -> dict:
    """Train one arm in this process; returns its reward curves, letter distributions, wall time and
    trainable fraction, and writes its theta_cross (fp32) beside the model."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig

    from raft_trl import CollapseStop, RAFTConfig, RAFTTrainer, SharedPrefillGRPOTrainer
    from raft_trl.data import build_rows, to_dataset
    from raft_trl.rewards import DEFAULT_REWARDS, reward_functions
    from raft_trl.sra import freeze_all_but, select_theta_cross

    torch.manual_seed(0)
    rows = build_rows(args.train_root, mode="guided", tasks=args.tasks.split(","), cue_source="offline",
                      rendering=args.rendering)
    dataset = to_dataset(rows).shuffle(seed=0)
    tok = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    names = REWARDS_OF.get(arm, DEFAULT_REWARDS)
    common = dict(output_dir=str(out), use_cpu=True, bf16=False, num_generations=args.k,
                  per_device_train_batch_size=args.k * args.prompts_per_step, max_completion_length=args.tokens,
                  max_steps=args.steps, learning_rate=args.lr, lr_scheduler_type="constant", warmup_steps=0,
                  beta=0.0, loss_type="grpo", logging_steps=1, report_to=[], save_strategy="no", seed=0,
                  disable_tqdm=False, gradient_checkpointing=False, temperature=1.0)
    letters_before = letter_distribution(model, tok, dataset)
    if arm == "grpo":  # the same theta_cross RAFT picks, frozen the same way
        freeze_all_but(model, select_theta_cross(model, args.sra_budget))
        trainer = SharedPrefillGRPOTrainer(model, reward_functions(names), GRPOConfig(**common),
                                           train_dataset=dataset, processing_class=tok,
                                           callbacks=[CollapseStop(args.collapse_floor)] if args.collapse_floor else None)
    else:
        config = RAFTConfig(**common, sra=True, sra_budget=args.sra_budget, reward_temperature=args.temperature,
                            collapse_entropy_floor=args.collapse_floor)
        trainer = RAFTTrainer(model, reward_functions(names), config, train_dataset=dataset, processing_class=tok)
    guard = next((c for c in trainer.callback_handler.callbacks if isinstance(c, CollapseStop)), None)
    trainable = {n: p for n, p in trainer.model.named_parameters() if p.requires_grad}
    total = sum(p.numel() for p in trainer.model.parameters())
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    trainer.save_model(str(out))
    tok.save_pretrained(str(out))
    save_file({n: p.detach().float().contiguous() for n, p in trainable.items()}, str(out / "theta_cross.safetensors"))
    logs = [e for e in trainer.state.log_history if "reward" in e]
    curves = {"reward": [e["reward"] for e in logs], "entropy": [e.get("entropy") for e in logs],
              "clipped": [e.get("completions/clipped_ratio") for e in logs]}  # replies the token budget cut
    for key in ("rewards/consistency/mean", "rewards/format/mean", "rewards/accuracy/mean"):
        if any(key in e for e in logs):
            curves[key.split("/")[1]] = [e.get(key) for e in logs]
    return {"seconds": seconds, "curves": curves, "trainable_fraction": sum(p.numel() for p in trainable.values()) / total,
            "rewards": names, "train_records": len(rows.rows), "letters_before": letters_before,
            "letters_after": letter_distribution(trainer.model, tok, dataset),
            "s_per_step": seconds / max(1, trainer.state.global_step), "collapse_stop": guard and guard.stopped}


def gate(r: dict) -> tuple[bool, str]:
    """Did the positive control move on its training prompts? (accuracy reward up, letter distribution changed)"""
    acc = [a for a in r["curves"].get("accuracy") or [] if a is not None]
    head, tail = sum(acc[:5]) / max(1, len(acc[:5])), sum(acc[-5:]) / max(1, len(acc[-5:]))
    tv = 0.5 * sum(abs(a - b) for a, b in zip(r["letters_before"], r["letters_after"]))
    ok = tail > head and tv >= 0.05
    return ok, (f"train accuracy {head:.2f} -> {tail:.2f} (first / last five steps), letter distribution total "
                f"variation {tv:.3f}: {'passed' if ok else 'FAILED'}")


def evaluate(model_dir: Path, out: Path, eval_root: str, tasks: list[str], rendering: str) -> dict:
    """lm-eval CLI on every item of the evaluation set: per task the per-item lenient correctness."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("AMUSE_CUES", None)
    cmd = [str(Path(sys.executable).parent / "amuse-eval"), "--model", "hf",
           "--model_args", f"pretrained={model_dir},dtype=float32", "--tasks", ",".join(f"amuse_{t}_guided" for t in tasks),
           "--apply_chat_template", "--device", "cpu", "--batch_size", "8", "--log_samples",
           "--metadata", json.dumps({"amuse_root": eval_root, "cues": "offline", "rendering": rendering}),
           "--output_path", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"lm-eval failed on {model_dir}:\n{proc.stderr[-3000:]}")
    items = {}
    for t in tasks:
        docs = logged_samples(out, t, "guided")
        items[t] = {"ids": [d["doc"]["id"] for d in docs], "correct": [bool(d["acc_lenient"]) for d in docs],
                    "parse_fail": [bool(d["parse_fail"]) for d in docs]}
    return items


GIT_LIMIT = 5 * 2 ** 20  # bytes: a larger theta_cross stays in the scratch folder, out of git


def keep_theta(theta: Path, dest: Path) -> None:
    """Keep an arm's theta_cross beside its results in git when it is small (the SRA set at 0.5 %: ~2.6 MB);
    a larger one (5 %: ~27 MB) stays where training wrote it, under ``bench/results/tmp``."""
    if theta.stat().st_size <= GIT_LIMIT:
        shutil.copy(theta, dest)


def kept_theta(kept: Path, work: Path, arm: str) -> Path:
    """Where an arm's theta_cross is: beside its results in git, else in the scratch run folder."""
    for path in (kept / f"{arm}.theta_cross.safetensors", work / arm / "theta_cross.safetensors"):
        if path.is_file():
            return path
    raise SystemExit(f"{arm}: no theta_cross in {kept} or {work / arm}; train the arm again (delete {arm}.train.json)")


def theta_model(theta: Path, model_dir: Path, out: Path) -> Path:
    """The base model with a kept theta_cross laid over it, saved as a model folder lm-eval can load."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    missing = set(load_file(str(theta))) - set(model.state_dict())
    if missing:
        raise SystemExit(f"{theta}: parameters the model does not have: {sorted(missing)[:5]}")
    model.load_state_dict(load_file(str(theta)), strict=False)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(out)
    return out


def plot(results: dict, path: Path, tasks: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for arm, r in results.items():
        if r.get("curves", {}).get("reward"):
            left.plot(range(1, len(r["curves"]["reward"]) + 1), r["curves"]["reward"], label=arm)
    left.set(xlabel="step", ylabel="mean summed reward (each arm's own rewards)", title="training reward by step")
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


def ids_of(r: dict, tasks: list[str]) -> list[str]:
    return [i for t in tasks for i in r["eval"][t]["ids"]]


def acc_of(r: dict, tasks: list[str]) -> tuple[float, float, float]:
    c = correct_of(r, tasks)
    lo, hi = wilson(sum(c), len(c))
    return sum(c) / len(c), lo, hi


def paired(a: dict, b: dict, tasks: list[str]) -> str:
    if ids_of(a, tasks) != ids_of(b, tasks):
        raise SystemExit("McNemar needs the same items in the same order: the arms were evaluated on different items")
    ca, cb = correct_of(a, tasks), correct_of(b, tasks)
    x, y, p = mcnemar(ca, cb)
    d, lo, hi = paired_difference(ca, cb)
    return f"+{x}/-{y}, p={p:.3f}; {d:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def compare(a: str, b: str, tasks: list[str]) -> str:
    """McNemar of two scored arms of kept runs (``<run id>/<arm>``) on the same item ids: arms of different runs
    (other code) compare only where the evaluation is the same, so the untrained scores of both runs are checked
    to be the same item by item first."""
    runs = RESULTS / "raft_learning_runs"
    ra, rb = (json.loads((runs / f"{x}.json").read_text()) for x in (a, b))
    base_a, base_b = (runs / x.split("/")[0] / "untrained.json" for x in (a, b))
    if base_a != base_b and (not base_a.is_file() or not base_b.is_file() or correct_of(json.loads(base_a.read_text()), tasks)
                             != correct_of(json.loads(base_b.read_text()), tasks)):
        raise SystemExit(f"{a} and {b}: their runs' untrained scores differ or are missing: the evaluations differ")
    (acc_a, *_), (acc_b, *_) = acc_of(ra, tasks), acc_of(rb, tasks)
    return f"{a} {acc_a:.3f} vs {b} {acc_b:.3f}: {paired(ra, rb, tasks)}"


def report(results: dict, args, rid: str, gate_line: str) -> None:
    """The table of the arms scored so far, and the training curves of every trained arm."""
    tasks = args.tasks.split(",")
    scored = {a: r for a, r in results.items() if "eval" in r}
    rows = []
    for arm in [a for a in ARMS if a in scored]:
        r = scored[arm]
        acc, lo, hi = acc_of(r, tasks)
        pf = [p for t in tasks for p in r["eval"][t]["parse_fail"]]
        vs_untrained = paired(r, scored["untrained"], tasks) if arm != "untrained" and "untrained" in scored else "-"
        vs_grpo = paired(r, scored["grpo"], tasks) if arm == "raft" and "grpo" in scored else "-"
        rows.append([arm] + [f"{sum(r['eval'][t]['correct']) / len(r['eval'][t]['correct']):.3f}" for t in tasks]
                    + [f"{acc:.3f} [{lo:.3f}, {hi:.3f}]", f"{sum(pf) / len(pf):.2f}", vs_untrained, vs_grpo])
    train_rows = []
    for arm in [a for a in ARMS if a in results and results[a].get("curves", {}).get("reward")]:
        r = results[arm]
        curve, acc = r["curves"]["reward"], [a for a in r["curves"].get("accuracy") or [] if a is not None]
        cut = [c for c in r["curves"].get("clipped") or [] if c is not None]
        tv = 0.5 * sum(abs(a - b) for a, b in zip(r.get("letters_before") or [], r.get("letters_after") or []))
        train_rows.append([arm, ", ".join(r.get("rewards") or []), f"{_mean5(curve, 0):.2f} -> {_mean5(curve, -1):.2f}",
                           f"{_mean5(acc, 0):.2f} -> {_mean5(acc, -1):.2f}" if acc else "-",
                           f"{_mean5(cut, 0):.2f} -> {_mean5(cut, -1):.2f}" if cut else "-",
                           " ".join(f"{x:.2f}" for x in r.get("letters_before") or []) + " -> "
                           + " ".join(f"{x:.2f}" for x in r.get("letters_after") or []), f"{tv:.3f}",
                           f"{r.get('s_per_step', 0):.0f}", f"{100 * r['trainable_fraction']:.2f} %"])
    stops = [f"{arm}: {r['collapse_stop']}" for arm, r in results.items() if r.get("collapse_stop")]
    missing = [a for a in args.arms.split(",") if a not in scored]
    name = results_name(args.model)
    md = (f"Run `{rid}`. {MODELS[args.model]}, guided {', '.join(tasks)} ({args.rendering} rendering); every arm "
          f"trained {args.steps} steps from the same start ({args.prompts_per_step} prompts x K={args.k} per step, "
          f"{args.tokens} generated tokens, constant lr {args.lr}, SRA budget {args.sra_budget}, TRL's 'grpo' loss "
          f"normalisation, RAFT temperature {args.temperature}) on `{Path(args.train_root).name}` with offline tool "
          f"cues; held-out `{Path(args.eval_root).name}` (no clip shared with the training set), scored through "
          "lm-eval on every item (lenient accuracy, Wilson 95 % interval; McNemar: items only this arm / only the other "
          "arm got right, exact two-sided p, on the same item ids; then this arm's accuracy minus the other's with "
          "Newcombe's 95 % interval for paired proportions).\n\n"
          f"Gate (positive control, training prompts only): {gate_line}\n\n"
          "Training (reward and the label arm's accuracy reward: mean of the first and last five steps; letters: mean "
          "p(A, B, C, D) after \"Answer:\" on 32 training prompts, before -> after, and their total variation; cut: "
          "share of replies the token budget ended before EOS, which no answer-reading reward credits):\n\n"
          + md_table(["arm", "rewards", "reward", "train accuracy", "cut", "letters A B C D", "TV", "s/step",
                      "trainable"],
                     train_rows)
          + (f"\n\nStopped by the collapse guard (floor {args.collapse_floor}): {'; '.join(stops)}" if stops else "")
          + ("\n\nHeld-out:\n\n" + md_table(["arm"] + tasks + ["all [95 % CI]", "parse fail", "vs untrained",
                                                               "raft vs grpo"], rows) if rows else
             "\n\nHeld-out: no arm scored yet.")
          + (f"\n\nNot scored yet: {', '.join(missing)} (resume with the same command).\n" if missing else "\n")
          + (f"\n![reward and held-out accuracy]({name}.png)\n" if rows else ""))
    if rows:
        plot(scored, RESULTS / f"{name}.png", tasks)
    write(name, f"Does RAFT learn? Arms at equal compute on held-out items ({MODELS[args.model]})",
          {**{k: getattr(args, k) for k in SETTINGS}, "run_id": rid, "arms_scored": list(scored), "gate": gate_line},
          results, md, module="raft_learning")


def rerender(rid: str) -> None:
    """Write a kept run's results files again from its kept JSON (``settings.json``, ``<arm>.train.json``, scored
    ``<arm>.json``) with this code's verdicts: for arms copied in from another checkout or machine."""
    kept = RESULTS / "raft_learning_runs" / rid
    if not (kept / "settings.json").is_file():
        raise SystemExit(f"no kept run {rid}: {kept / 'settings.json'} is missing")
    settings = json.loads((kept / "settings.json").read_text())
    results = {}
    for arm in ARMS:
        for name in (f"{arm}.json", f"{arm}.train.json"):
            if (kept / name).is_file():
                results[arm] = json.loads((kept / name).read_text())
                break
    # runs kept before these settings existed: SmolLM2 (before --model), no collapse guard (before --collapse-floor)
    args = argparse.Namespace(**{"model": "smollm2", "collapse_floor": 0.0, **settings}, arms=",".join(results))
    report(results, args, rid, gate(results["label"])[1] if "label" in results else "not run")


def results_name(model: str) -> str:
    """``bench/results/<name>.{json,md,png}``: one file set per model (SmolLM2's keeps the first name)."""
    return "raft_learning" if model == "smollm2" else f"raft_learning_{model}"


def _mean5(xs: list, end: int) -> float:
    part = xs[:5] if end == 0 else xs[-5:]
    return sum(part) / len(part) if part else float("nan")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train-root", help="training AMUSE set (default: AMUSE-Synth seed 11, 80 clips)")
    ap.add_argument("--eval-root", help="held-out AMUSE set on another seed (default: AMUSE-Synth seed 12, 150 clips)")
    ap.add_argument("--model", default="smollm2", choices=list(MODELS),
                    help="the policy every arm starts from (qwen0.5b: measurement only, the GGUF of a PyPI package)")
    ap.add_argument("--tasks", default="avsa,srid", help="guided choice tasks to train and evaluate")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--prompts-per-step", type=int, default=8)
    ap.add_argument("--k", type=int, default=8, help="completions per prompt (every arm)")
    ap.add_argument("--tokens", type=int, default=8, help="max generated tokens per completion")
    ap.add_argument("--lr", type=float, default=1e-4, help="constant learning rate (every arm)")
    ap.add_argument("--sra-budget", type=float, default=0.005, help="theta_cross budget (every arm)")
    ap.add_argument("--rendering", default="compact", choices=["full", "compact"])
    ap.add_argument("--temperature", type=float, default=0.5, help="RAFT's reward temperature T")
    ap.add_argument("--collapse-floor", type=float, default=0.0,
                    help="stop an arm whose policy collapsed (raft_trl.CollapseStop: logged entropy under this floor, or "
                         "every group tied, 3 steps in a row); 0: off, every arm runs all its steps")
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--force", action="store_true", help="run the other arms even when the gate failed")
    ap.add_argument("--theta", help="score this kept theta_cross on --eval-root and exit")
    ap.add_argument("--compare", nargs=2, metavar="RUN/ARM", help="McNemar of two kept, scored arms on the same item ids "
                    "(e.g. 7fe4c6d14f22/raft 32c01b5dbeb1/grpo; across runs only when their untrained scores agree)")
    ap.add_argument("--report", metavar="RUN_ID", help="write the results files of a kept run again from its kept JSON "
                    "(e.g. after copying in arms scored in another checkout)")
    ap.add_argument("--arm", choices=ARMS, help="(internal) train one arm in this process")
    ap.add_argument("--out", help="(internal)")
    args = ap.parse_args(argv)
    if args.compare:
        print(compare(*args.compare, args.tasks.split(",")))
        return
    if args.report:
        rerender(args.report)
        return
    from bench.agent_models import model_dir as named_model_dir

    model_dir = named_model_dir(args.model)
    if args.theta:
        out = SCRATCH / "raft_learning" / "theta" / Path(args.theta).stem
        scores = evaluate(theta_model(Path(args.theta), model_dir, out), out / "eval", str(Path(args.eval_root).resolve()),
                          args.tasks.split(","), args.rendering)
        for t, s in scores.items():
            print(f"{t}: {sum(s['correct'])}/{len(s['correct'])} correct")
        return
    if args.arm:  # child process: one arm
        print(json.dumps(train(args.arm, model_dir, Path(args.out), args)))
        return
    # phase 1, training data only: build the training set, train every arm (the gate first), keep theta_cross
    args.train_root = str(Path(args.train_root or synth_set("train-seed11", 11, 80, args.tasks)).resolve())
    args.eval_root = str(Path(args.eval_root or SCRATCH / "learn" / "eval-seed12").resolve())  # built in phase 2
    settings = {k: getattr(args, k) for k in SETTINGS}
    rid = run_id(settings, model_dir / "model.safetensors")
    work, kept = SCRATCH / "raft_learning" / rid, RESULTS / "raft_learning_runs" / rid
    work.mkdir(parents=True, exist_ok=True)
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "settings.json").write_text(json.dumps(settings, indent=2))
    print(f"run {rid}: {kept}", flush=True)
    arms = [a for a in ARMS if a in args.arms.split(",")]
    trained = {"untrained": {"seconds": 0.0, "curves": {}, "trainable_fraction": 0.0}}
    gate_line = "not run yet"
    for arm in [a for a in arms if a != "untrained"]:
        kept_train = kept / f"{arm}.train.json"
        if not kept_train.is_file():
            print(f"== train {arm}", flush=True)
            cmd = [sys.executable, "-m", "bench.raft_learning", "--arm", arm, "--out", str(work / arm)]
            cmd += [f"--{k.replace('_', '-')}={getattr(args, k)}" for k in SETTINGS]
            child = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
            if child.returncode != 0:
                raise SystemExit(f"{arm} training failed (exit {child.returncode})")
            kept_train.write_text(child.stdout.strip().splitlines()[-1])
            keep_theta(work / arm / "theta_cross.safetensors", kept / f"{arm}.theta_cross.safetensors")
        trained[arm] = json.loads(kept_train.read_text())
        if arm == "label":
            passed, gate_line = gate(trained[arm])
            print(f"gate: {gate_line}", flush=True)
            if args.force and not passed:
                gate_line += "; the other arms run anyway (--force)"
            report({a: t for a, t in trained.items() if a != "untrained"}, args, rid, gate_line)
            if not passed and not args.force:
                raise SystemExit(f"gate failed ({gate_line}): change lr, budget or rendering on the training data")
    # phase 2, held-out items: build the evaluation set, check it shares no clip, score every arm through lm-eval
    if args.eval_root == str((SCRATCH / "learn" / "eval-seed12").resolve()):
        synth_set("eval-seed12", 12, 150, args.tasks)
    from raft_trl.data import overlap_with

    shared = overlap_with(Path(args.train_root), Path(args.eval_root))
    if shared:
        raise SystemExit(f"the training and the evaluation set share clips: {shared[:5]}")
    results = {}
    for arm in arms:
        kept_eval = kept / f"{arm}.json"
        if not kept_eval.is_file():
            print(f"== evaluate {arm}", flush=True)
            path = model_dir if arm == "untrained" else work / arm
            if arm != "untrained" and not (path / "model.safetensors").is_file():  # a later session: the kept theta
                path = theta_model(kept_theta(kept, work, arm), model_dir, path)
            t0 = time.perf_counter()
            scores = evaluate(path, work / f"eval-{arm}", args.eval_root, args.tasks.split(","), args.rendering)
            kept_eval.write_text(json.dumps({**trained[arm], "eval": scores, "eval_seconds": time.perf_counter() - t0}))
        results[arm] = json.loads(kept_eval.read_text())
        report({**{a: t for a, t in trained.items() if a != "untrained"}, **results}, args, rid, gate_line)


if __name__ == "__main__":
    main()
