"""The paper's tables from lm-eval runs, as Markdown and CSV.

1. summarization (``avds``): BLEU-4, METEOR, ROUGE-L, CIDEr (pycocoevalcap) or their pure-Python
   counterparts (separate columns: numbers of the two backends are never mixed), speaker F1, and the
   judge score (0-10) of runs that had a judge;
2. association / next speaker / re-identification: ``avsa``, ``nsp``, ``srid`` accuracy;
3. grounding / narrative: ``stg`` mean tIoU, R@0.3/0.5/0.7, off-by-one; ``csnl`` accuracy (and judge
   coherence, 0-10, with a judge).
One row per run and mode, plus a "Random (expected)" row computed from the distinct logged docs
of all runs (mean of 1 / number of options).  Scores are x100 (tIoU and captioning metrics already are).
Accuracies are the strict extractor's (``acc_strict``).
"""

from __future__ import annotations

import csv
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from amuse_tasks.reports.runs import Run
from amuse_tasks.tasks import MODES, TASKS

FRACTIONS = {"acc_strict", "acc_lenient", "parse_fail", "parse_fail_strict", "r@0.3", "r@0.5", "r@0.7",
             "off_by_one", "speaker_f1", "tool_precision", "tool_recall", "tool_f1", "invalid_call_rate",
             "termination"}
# task -> the metric of its headline score (first present); per-sample score for stratified plots
PRIMARY = {"avds": ("bleu4", "bleu4_sacrebleu"), "stg": ("tiou",)}
PER_SAMPLE = {"avds": "speaker_f1", "stg": "tiou"}
RANDOM = "Random (expected)"


@dataclass(frozen=True)
class Column:
    header: str
    task: str
    metric: str


TABLES: dict[str, tuple[str, list[Column]]] = {
    "summarization": ("Audio-visual dialogue summarization (avds)", [
        Column("BLEU-4", "avds", "bleu4"), Column("METEOR", "avds", "meteor"),
        Column("ROUGE-L", "avds", "rougeL"), Column("CIDEr", "avds", "cider"),
        Column("BLEU-4 (sacrebleu)", "avds", "bleu4_sacrebleu"),
        Column("ROUGE-L (rouge_score)", "avds", "rougeL_rouge_score"),
        Column("CIDEr-D (python)", "avds", "ciderD_python"),
        Column("Speaker F1", "avds", "speaker_f1"), Column("Judge (0-10)", "avds", "judge_score")]),
    "association": ("Speaker association, next speaker, re-identification (accuracy)", [
        Column("AVSA", "avsa", "acc_strict"), Column("NSP", "nsp", "acc_strict"),
        Column("SRID", "srid", "acc_strict")]),
    "grounding": ("Temporal grounding and cross-scene narrative linking", [
        Column("STG mIoU", "stg", "tiou"), Column("R@0.3", "stg", "r@0.3"), Column("R@0.5", "stg", "r@0.5"),
        Column("R@0.7", "stg", "r@0.7"), Column("Off-by-one", "stg", "off_by_one"),
        Column("CSNL", "csnl", "acc_strict"), Column("CSNL judge coherence (0-10)", "csnl", "judge_coherence")]),
}


def scaled(metric: str, value: float | None) -> float | None:
    if value is None:
        return None
    return 100.0 * value if metric in FRACTIONS else value


def primary_metric(task: str, scores: dict[str, float]) -> str | None:
    for m in PRIMARY.get(task, ("acc_strict",)):
        if m in scores:
            return m
    return None


def per_sample_metric(task: str) -> str:
    return PER_SAMPLE.get(task, "acc_strict")


def random_baseline(runs: list[Run]) -> dict[str, float]:
    """task -> expected accuracy x100 of a uniform random choice over every distinct logged doc."""
    out: dict[str, float] = {}
    for task, spec in TASKS.items():
        if not spec.is_choice:
            continue
        docs = {s["doc"].get("id", json.dumps(s["doc"], sort_keys=True)): s["doc"]
                for run in runs for mode in MODES for s in run.load_samples(task, mode)
                if isinstance(s.get("doc"), dict) and s["doc"].get("options")}
        if docs:
            out[task] = 100.0 * statistics.fmean(1 / len(d["options"]) for d in docs.values())
    return out


def build_table(name: str, runs: list[Run]) -> tuple[list[str], list[list]]:
    """Header and rows (label, mode, values...) of one table; columns nobody reported are dropped."""
    _, cols = TABLES[name]
    tasks = {c.task for c in cols}
    cols = [c for c in cols if any(c.metric in r.scores.get((c.task, m), {}) for r in runs for m in MODES)]
    rows = []
    for run in runs:
        for mode in MODES:
            if not any((t, mode) in run.scores for t in tasks):
                continue
            rows.append([run.label, mode] + [scaled(c.metric, run.scores.get((c.task, mode), {}).get(c.metric))
                                             for c in cols])
    rand = random_baseline(runs)
    if rows and any(c.task in rand and c.metric == "acc_strict" for c in cols):
        rows.append([RANDOM, "-"] + [rand.get(c.task) if c.metric == "acc_strict" else None for c in cols])
    return ["model", "mode"] + [c.header for c in cols], rows


def raft_gains(before: Run, after: Run) -> tuple[list[str], list[list]]:
    """Relative RAFT gain per task and mode on the headline metric: (after - before) / before."""
    header = ["task", "mode", "metric", "before", "after", "relative gain (%)"]
    rows = []
    for task in TASKS:
        for mode in MODES:
            b, a = before.scores.get((task, mode)), after.scores.get((task, mode))
            if not b or not a:
                continue
            m = primary_metric(task, b)
            if m is None or m not in a:
                continue
            vb, va = scaled(m, b[m]), scaled(m, a[m])
            gain = 100.0 * (va - vb) / vb if vb else None
            rows.append([task, mode, m, vb, va, gain])
    return header, rows


def _fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.1f}" if isinstance(v, float) else str(v)


def to_markdown(title: str, header: list[str], rows: list[list]) -> str:
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([["" if v is None else (round(v, 4) if isinstance(v, float) else v) for v in row]
                     for row in rows])
