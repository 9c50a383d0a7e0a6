"""``amuse-report``: paper-style tables and figures from lm-eval result folders.

    amuse-report results/ --out report/
    amuse-report results/quickstart --summary      # a terminal summary: where, what scale, beside chance
    amuse-report results/smollm results/agent --label results/smollm=SmolLM2 --raft results/base=results/raft

Reads every ``results_*.json`` (and its ``samples_*.jsonl``, from ``--log_samples``) under the
folders; writes ``tables.md``, one CSV per table, ``stratified.csv`` and the PNG figures.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from amuse_tasks.reports import plots
from amuse_tasks.reports.runs import find_runs
from amuse_tasks.reports.summary import summary
from amuse_tasks.reports.tables import TABLES, build_table, raft_gains, to_markdown, write_csv


def _pairs(items: list[str], flag: str) -> list[tuple[str, str]]:
    out = []
    for it in items:
        if "=" not in it:
            raise SystemExit(f"amuse-report: {flag} expects A=B, got {it!r}")
        a, b = it.split("=", 1)
        out.append((a, b))
    return out


def _short(model_args: str) -> str:
    """Model args with local paths cut to their last component (no home folders in shared reports)."""
    return ",".join(f"{k}={Path(v).name}" if "/" in v else f"{k}={v}"
                    for k, _, v in (kv.partition("=") for kv in model_args.split(",") if kv))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    ap = argparse.ArgumentParser(prog="amuse-report", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", help="lm-eval --output_path folders (searched recursively)")
    ap.add_argument("--out", help="folder for tables and figures (required unless --summary)")
    ap.add_argument("--summary", action="store_true",
                    help="print where the results are, the headline metrics with their scales and chance, and stop")
    ap.add_argument("--label", action="append", default=[], metavar="PATH=NAME",
                    help="display name of the runs under PATH (a model folder or results file)")
    ap.add_argument("--raft", action="append", default=[], metavar="BEFORE=AFTER",
                    help="run labels or paths of a model before and after RAFT: relative gains table")
    a = ap.parse_args(argv)
    labels = dict(_pairs(a.label, "--label"))
    runs = find_runs(a.folders, labels)
    if not runs:
        print(f"amuse-report: no lm-eval results with AMUSE tasks under {', '.join(a.folders)}", file=sys.stderr)
        return 1
    if a.summary:
        print(summary(runs))
        return 0
    if not a.out:
        raise SystemExit("amuse-report: --out is required (or pass --summary)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    md = ["# AMUSE report\n\nRuns: " + "; ".join(f"{r.label} ({r.model} {_short(r.model_args)})" for r in runs) + "\n"]
    for name, (title, _) in TABLES.items():
        header, rows = build_table(name, runs)
        if rows:
            md.append(to_markdown(title, header, rows))
            write_csv(out / f"{name}.csv", header, rows)
    by_name = {r.label: r for r in runs} | {str(r.path.parent.resolve()): r for r in runs}
    for before, after in _pairs(a.raft, "--raft"):
        b = by_name.get(before) or by_name.get(str(Path(before).resolve()))
        f = by_name.get(after) or by_name.get(str(Path(after).resolve()))
        if b is None or f is None:
            raise SystemExit(f"amuse-report: --raft {before}={after}: no run with that label or folder")
        header, rows = raft_gains(b, f)
        md.append(to_markdown(f"RAFT relative gains: {b.label} -> {f.label} ((after - before) / before)", header, rows))
        write_csv(out / f"raft_gains_{len(md)}.csv", header, rows)
    figures = [plots.score_by_task_mode(runs, out / "score_by_task_mode.png")]
    drops = plots.guided_agentic_drop(runs)
    if drops:
        figures.append(plots.plot_drop(drops, out / "guided_agentic_drop.png"))
    else:
        logging.info("no run has both guided and agentic results: no guided-to-agentic drop figure")
    strat = plots.stratified_scores(runs)
    if strat:
        write_csv(out / "stratified.csv", ["model", "mode", "factor", "bin", "samples", "mean score"], strat)
        figures.append(plots.plot_stratified(strat, out / "stratified.png"))
    else:
        logging.info("no per-sample logs (run lm_eval with --log_samples): no stratified figure")
    md.append("## Figures\n\n" + "\n".join(f"![{p.stem}]({p.name})" for p in figures) + "\n")
    (out / "tables.md").write_text("\n".join(md), encoding="utf-8")
    print(f"wrote {out / 'tables.md'} and {len(figures)} figure(s) for {len(runs)} run(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
