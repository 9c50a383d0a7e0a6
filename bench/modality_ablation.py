"""The modality ablation in every mode, one table: what removing audio or video costs, and what a text prior gets.

Through the lm-eval CLI on the default set (the first ``--limit`` records of each task):

- the rule baseline in agentic mode (``amuse-agent policy=baseline``, offline tools) with every tool, with
  ``--metadata drop=audio`` and ``drop=video`` (the task's ablation: that modality's tools withheld);
- SmolLM2-135M-Instruct in guided mode (offline cues as text) with every cue kind, with ``drop=audio`` and
  ``drop=video`` (that modality's cue kinds left out), and with ``cues=none`` (no perception at all: the text
  prior of the question, the people and the options alone).

Choice tasks report lenient accuracy (chance beside it), ``stg`` tIoU. Results:
``bench/results/modality_ablation.{json,md}``. Usage: ``python -m bench.modality_ablation --limit 5``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.measure import SCRATCH, logged_samples, md_table, smollm2_dir, write

CHOICE = ("avsa", "nsp", "srid", "csnl")
TASKS = (*CHOICE, "stg")
CONDITIONS = {  # name: (mode, --metadata additions)
    "baseline agentic": ("agentic", {}),
    "baseline agentic, drop=audio": ("agentic", {"drop": "audio"}),
    "baseline agentic, drop=video": ("agentic", {"drop": "video"}),
    "SmolLM2 guided": ("guided", {}),
    "SmolLM2 guided, drop=audio": ("guided", {"drop": "audio"}),
    "SmolLM2 guided, drop=video": ("guided", {"drop": "video"}),
    "SmolLM2 guided, cues=none (text prior)": ("guided", {"cues": "none"}),
}


def run(name: str, limit: int) -> dict[str, list[float]]:
    mode, meta = CONDITIONS[name]
    out = SCRATCH / "modality_ablation" / name.replace(" ", "_").replace(",", "").replace("=", "-")
    shutil.rmtree(out, ignore_errors=True)
    tasks = ",".join(f"amuse_{t}_{mode}" for t in TASKS)
    metadata = json.dumps({"cues": "offline", **meta})
    if mode == "agentic":
        model = ["--model", "amuse-agent", "--model_args", "policy=baseline,tools=offline"]
    else:
        model = ["--model", "hf", "--model_args", f"pretrained={smollm2_dir()},dtype=float32", "--apply_chat_template",
                 "--device", "cpu", "--batch_size", "6"]
    cmd = [str(Path(sys.executable).parent / "amuse-eval"), *model, "--tasks", tasks, "--limit", str(limit),
           "--metadata", metadata, "--log_samples", "--output_path", str(out)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("AMUSE_CUES", None)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    scores = {}
    for t in TASKS:
        docs = logged_samples(out, t, mode)
        key = "tiou" if t == "stg" else "acc_lenient"
        scores[t] = [float(d[key]) for d in docs]
        if t != "stg":
            scores[f"{t}_chance"] = [1 / len(d["doc"]["options"]) for d in docs]
    return scores


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=5, help="records per task")
    a = ap.parse_args(argv)
    results = {name: run(name, a.limit) for name in CONDITIONS}

    def mean(xs):
        return sum(xs) / len(xs) if xs else float("nan")

    rows = []
    for name, s in results.items():
        choice = [x for t in CHOICE for x in s[t]]
        rows.append([name] + [f"{mean(s[t]):.2f}" for t in CHOICE] + [f"{mean(choice):.2f}",
                                                                     f"{mean(s['stg']):.1f}"])
    chance = [x for t in CHOICE for x in next(iter(results.values()))[f"{t}_chance"]]
    rows.append(["chance"] + [f"{mean(next(iter(results.values()))[f'{t}_chance']):.2f}" for t in CHOICE]
                + [f"{mean(chance):.2f}", "-"])
    n = len(next(iter(results.values()))["avsa"])
    md = (f"Default set, the first {n} records of each task, offline tools and cues, through the lm-eval CLI; choice tasks "
          "lenient accuracy, stg tIoU (x100). `drop` is the task's ablation (`--metadata '{\"drop\": ...}'`: guided "
          "without that modality's cue kinds, agentic without its tools); `cues=none` leaves the question, the people "
          f"and the options only. {n} records per task: differences under about 0.2 are noise.\n\n"
          + md_table(["condition", *CHOICE, "choice mean", "stg tIoU"], rows) + "\n")
    write("modality_ablation", "Modality ablation in every mode", vars(a), results, md)


if __name__ == "__main__":
    main()
