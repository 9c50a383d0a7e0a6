"""Benchmark 2: avds captioning metrics for 400 samples, pycocoevalcap path (Java PTB tokenizer and
METEOR JVM started inside the timed call) vs. the pure-Python path, and how well they agree.

Samples: reference summaries from AMUSE-Synth plots (``amuse_tasks.synth.story``, no media
rendered) and system summaries made from them by deterministic edits (sentences dropped,
reordered, names swapped; one in ten from another story).  Each timed run is a fresh Python
process, so every coco run pays the JVM starts a user pays once per evaluation.
Agreement: both paths scored on the same random subsets; Pearson r of the subset scores.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys

import numpy as np

from bench.measure import md_table, mmm, stats, write


def summaries(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """(predictions, references) for ``n`` samples."""
    from amuse_tasks.synth.story import NAMES, write_plot

    rng = random.Random(seed)
    refs = []
    for i in range(n):
        plot = write_plot(random.Random(f"bench/{seed}/{i}"), rng.randint(2, 5), rng.randint(2, 3), rng.randint(8, 14))
        refs.append(" ".join(ln.gist for ln in plot.lines if ln.gist))
    preds = []
    for i, ref in enumerate(refs):
        if rng.random() < 0.1:
            preds.append(refs[(i + 7) % n])
            continue
        sents = [s.strip() + "." for s in ref.split(".") if s.strip()]
        kept = [s for s in sents if rng.random() > 0.3] or sents[:1]
        if len(kept) > 2 and rng.random() < 0.5:
            j = rng.randrange(len(kept) - 1)
            kept[j], kept[j + 1] = kept[j + 1], kept[j]
        text = " ".join(kept)
        if rng.random() < 0.3:
            text = text.replace(next((nm for nm in NAMES if nm in text), "Maya"), rng.choice(NAMES), 1)
        preds.append(text)
    return preds, refs


_CHILD = r"""
import json, sys, time
from bench.metrics_captioning import summaries
from amuse_tasks.metrics.captioning import coco_scores, python_scores
n, path, subsets, k = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
preds, refs = summaries(n)
fn = coco_scores if path == "coco" else python_scores
t0 = time.perf_counter()
full = fn(preds, refs)
seconds = time.perf_counter() - t0
import random
rng = random.Random(1)
parts = []
for _ in range(subsets):
    idx = rng.sample(range(n), k)
    parts.append(fn([preds[i] for i in idx], [refs[i] for i in idx]))
print(json.dumps({"seconds": seconds, "scores": full, "subsets": parts}))
"""


def run_child(n: int, path: str, subsets: int = 0, k: int = 100) -> dict:
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(n), path, str(subsets), str(k)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{path} metrics run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


PAIRS = (("bleu4", "bleu4_sacrebleu", "BLEU-4"), ("cider", "ciderD_python", "CIDEr-D"),
         ("rougeL", "rougeL_rouge_score", "ROUGE-L"))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--subsets", type=int, default=10, help="random subsets of 100 for the agreement")
    args = ap.parse_args(argv)
    times = {"coco": [], "python": []}
    runs = {}
    for r in range(args.repeats):
        for path in ("coco", "python"):  # interleaved, so both see the same machine load
            out = run_child(args.samples, path, args.subsets if r == 0 else 0, min(100, args.samples))
            times[path].append(out["seconds"])
            runs.setdefault(path, out)
    coco, py = runs["coco"], runs["python"]
    agreement = []
    for c, p, label in PAIRS:
        xs = [s[c] for s in coco["subsets"]]
        ys = [s[p] for s in py["subsets"]]
        r = float(np.corrcoef(xs, ys)[0, 1]) if len(xs) > 2 else float("nan")
        agreement.append({"metric": label, "coco": coco["scores"][c], "python": py["scores"][p],
                          "abs_diff": abs(coco["scores"][c] - py["scores"][p]), "pearson_r_subsets": r})
    res = {"seconds": {k: stats(v) for k, v in times.items()},
           "speedup_python_over_coco": stats([c / p for c, p in zip(times["coco"], times["python"])]),
           "agreement": agreement, "coco_scores": coco["scores"], "python_scores": py["scores"]}
    t = res["seconds"]
    table = md_table(["path", f"seconds for {args.samples} samples", "per sample (ms)", "ratio to python"],
                     [["pycocoevalcap (Java, METEOR included)", mmm(t["coco"]), mmm(t["coco"], 1000 / args.samples),
                       mmm(res["speedup_python_over_coco"])],
                      ["pure Python (sacrebleu, rouge_score, CIDEr-D)", mmm(t["python"]),
                       mmm(t["python"], 1000 / args.samples), "1"]])
    table += "\n\n" + md_table(["metric (x100)", "pycocoevalcap", "pure Python", "abs. difference",
                                f"Pearson r over {args.subsets} subsets of {min(100, args.samples)}"],
                               [[a["metric"], a["coco"], a["python"], a["abs_diff"], a["pearson_r_subsets"]]
                                for a in agreement])
    write("metrics_captioning", "avds metrics: pycocoevalcap vs pure Python", vars(args), res, table)
    return res


if __name__ == "__main__":
    main()
