"""Do RAFT's label-free rewards track correctness? Measured on held-out prompts, never trained on.

For each guided prompt of a held-out AMUSE-Synth set (``--root``, a seed no training set uses; offline
tool cues, as training reads them), the candidates are K replies sampled from SmolLM2-135M-Instruct
(temperature 1, the policy RAFT starts from) plus the rule baseline's answer (its own tool calls), and
one bare reply ``Answer: X`` per option. Per reward function (and the default total, the sum TRL
forms with equal weights):

- the point-biserial correlation of the reward with correctness (the label) over the sampled replies
  only, with a Fisher-z 95 % interval; replies a function returns None for are left out. The rule
  baseline's reply (not a sample of the policy) is reported apart: its accuracy and mean total reward;
- how often the reward's best-scoring bare option is the labelled one (ties share the credit, so a
  reward that cannot tell the options apart scores chance), beside chance.

Usage: ``python -m bench.reward_validity [--root DIR] --per-task 30 --k 4``. Results:
``bench/results/reward_validity.{json,md}``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from tqdm.auto import tqdm

from bench.measure import md_table, smollm2_dir, write

TASKS = ["avsa", "srid", "csnl"]


def point_biserial(values: list[float], correct: list[bool]) -> tuple[float, float, float, int]:
    """(r, low, high, n): Pearson r of a reward with 0/1 correctness, Fisher-z 95 % interval."""
    n = len(values)
    if n < 4 or len(set(correct)) < 2 or len(set(values)) < 2:
        return math.nan, math.nan, math.nan, n
    mx, my = sum(values) / n, sum(correct) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(values, correct))
    sx = math.sqrt(sum((x - mx) ** 2 for x in values))
    sy = math.sqrt(sum((y - my) ** 2 for y in correct))
    r = max(-0.999999, min(0.999999, cov / (sx * sy)))
    z, se = math.atanh(r), 1.96 / math.sqrt(n - 3)
    return r, math.tanh(z - se), math.tanh(z + se), n


def baseline_reply(record: dict, root: Path) -> str:
    """The rule baseline's final answer (``policy=baseline``: its own tool calls with the offline tools)."""
    from amuse_tasks.metrics.answer_span import agentic_answer
    from amuse_tasks.models.baseline_policy import BaselinePolicy
    from amuse_tasks.models.episode import Episode
    from amuse_tasks.prompts import build_prompt
    from amuse_tasks.tools.toolbox import Toolbox

    ep = Episode(Toolbox.for_record(record, root, backends="offline"))
    BaselinePolicy().run(record, build_prompt(record, "agentic"), ep)
    return f"Answer: {agentic_answer(ep.transcript(), rest=True)}"


def sample_replies(model, tok, prompts: list[str], k: int, tokens: int, seed: int) -> list[list[str]]:
    import torch

    out = []
    for i, prompt in enumerate(tqdm(prompts, desc="sampling", unit="prompt")):
        torch.manual_seed(seed + i)
        ids = tok.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                      return_tensors="pt", return_dict=True)
        with torch.no_grad():
            gen = model.generate(**ids, do_sample=True, temperature=1.0, top_p=1.0, max_new_tokens=tokens,
                                 num_return_sequences=k, pad_token_id=tok.eos_token_id)
        out.append(tok.batch_decode(gen[:, ids["input_ids"].shape[1]:], skip_special_tokens=True))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", help="held-out AMUSE dataset (default: the learning bench's AMUSE-Synth seed 12, with "
                                   "its offline cues)")
    ap.add_argument("--per-task", type=int, default=30)
    ap.add_argument("--k", type=int, default=4, help="sampled replies per prompt")
    ap.add_argument("--tokens", type=int, default=48)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from amuse_tasks.schema import LETTERS, load_records
    from raft_trl.data import record_row
    from raft_trl.rewards import DEFAULT_REWARDS, REWARDS

    if not args.root:
        from bench.raft_learning import synth_set

        # the learning bench's held-out set; a clip gives one record of each task
        args.root = synth_set("eval-seed12", 12, 150, ",".join(TASKS), limit=args.per_task * len(TASKS))
    root = Path(args.root)
    records = [r for t in TASKS for r in [x for x in load_records(root).records if x["task"] == t][: args.per_task]]
    rows = [record_row(r, root, "guided", "offline") for r in tqdm(records, desc="rows", unit="record")]
    model_dir = smollm2_dir()
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    torch.set_num_threads(2)
    samples = sample_replies(model, tok, [r["prompt"][0]["content"] for r in rows], args.k, args.tokens, args.seed)

    names = DEFAULT_REWARDS + ["accuracy"]
    per_task: dict[str, dict] = {}
    for task in TASKS:
        idx = [i for i, r in enumerate(rows) if r["task"] == task]
        scored: dict[str, list[tuple[float, bool]]] = {n: [] for n in names + ["total"]}
        best_right: dict[str, list[float]] = {n: [] for n in DEFAULT_REWARDS + ["total"]}
        chance = []
        baseline: list[tuple[float, bool]] = []
        for i in idx:
            row, rec = rows[i], records[i]
            letters = LETTERS[: len(row["options"])]
            replies = samples[i] + [baseline_reply(rec, root)]
            bare = [f"Answer: {x}" for x in letters]
            texts = replies + bare
            cols = {k: [row[k]] * len(texts) for k in ("mode", "task", "options", "answer", "cues", "question_facts")}
            comps = [[{"role": "assistant", "content": t}] for t in texts]
            prompts = [row["prompt"]] * len(texts)
            values = {n: REWARDS[n](comps, prompts=prompts, **cols) for n in names}
            values["total"] = [sum(values[n][j] or 0.0 for n in DEFAULT_REWARDS) for j in range(len(texts))]
            correct = [v == 1.0 for v in values["accuracy"]]
            n_sampled = len(samples[i])
            for n in names + ["total"]:
                scored[n] += [(v, c) for v, c in zip(values[n][:n_sampled], correct) if v is not None]
            baseline.append((values["total"][n_sampled], correct[n_sampled]))
            chance.append(1 / len(letters))
            for n in best_right:
                opt = [values[n][len(replies) + j] for j in range(len(letters))]
                opt = [v if v is not None else -math.inf for v in opt]
                top = max(opt)
                winners = [j for j, v in enumerate(opt) if v == top]
                best_right[n].append(float(LETTERS.index(rec["answer"]) in winners) / len(winners))
        per_task[task] = {
            "n_prompts": len(idx), "chance": sum(chance) / len(chance),
            "reply_accuracy": sum(c for _, c in scored["accuracy"]) / max(1, len(scored["accuracy"])),
            "correlation": {n: dict(zip(("r", "low", "high", "n"), point_biserial([v for v, _ in scored[n]],
                                                                                  [c for _, c in scored[n]])))
                            for n in names + ["total"] if n != "accuracy"},
            "best_option_right": {n: sum(v) / len(v) for n, v in best_right.items()},
            "baseline": {"accuracy": sum(c for _, c in baseline) / len(baseline),
                         "mean_total_reward": sum(v for v, _ in baseline) / len(baseline)},
        }

    def f(x):
        return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"

    corr_rows, best_rows = [], []
    for n in DEFAULT_REWARDS + ["total"]:
        corr_rows.append([n] + [f"{f(c['r'])} [{f(c['low'])}, {f(c['high'])}] (n={c['n']})"
                                for c in (per_task[t]["correlation"][n] for t in TASKS)])
        best_rows.append([n] + [f(per_task[t]["best_option_right"][n]) for t in TASKS])
    best_rows.append(["chance"] + [f(per_task[t]["chance"]) for t in TASKS])
    md = (f"Held-out AMUSE-Synth set `{root.name}` ({args.per_task} guided prompts per task, offline tool cues); "
          f"candidates: {args.k} replies sampled from SmolLM2-135M-Instruct (temperature 1, {args.tokens} tokens) "
          f"(correlations over these sampled replies only) and, reported apart, the rule baseline's answer per "
          "prompt; sampled-reply accuracy "
          + ", ".join(f"{t} {per_task[t]['reply_accuracy']:.2f}" for t in TASKS) + ". `total` = the default reward "
          "list summed with equal weights (TRL's default `reward_weights`).\n\n"
          "Correlation with correctness (point-biserial r, Fisher-z 95 % interval, n replies scored):\n\n"
          + md_table(["reward"] + TASKS, corr_rows)
          + "\n\nShare of prompts where the reward's best-scoring bare option (`Answer: X`) is the labelled one "
            "(ties share the credit):\n\n" + md_table(["reward"] + TASKS, best_rows)
          + "\n\nThe rule baseline's reply (its own offline tool calls; not in the correlations above):\n\n"
          + md_table(["", *TASKS], [["accuracy"] + [f(per_task[t]["baseline"]["accuracy"]) for t in TASKS],
                                    ["mean total reward"] + [f(per_task[t]["baseline"]["mean_total_reward"])
                                                             for t in TASKS]]))
    write("reward_validity", "Reward validity: do the label-free rewards track correctness?",
          {**vars(args), "root": str(root)}, per_task, md)


if __name__ == "__main__":
    main()
