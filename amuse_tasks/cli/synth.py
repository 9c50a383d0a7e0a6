"""``amuse-synth``: build an AMUSE-Synth dataset, or print the statistics of a built one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from amuse_tasks.schema import load_records


def _row(name: str, r: dict, intended: str) -> str:
    return f"  {name:<18} {r['min']:>8.2f} {r['mean']:>8.2f} {r['max']:>8.2f}   {intended}"


def format_stats(stats: dict) -> str:
    """The statistics table: durations, speakers per clip, scenes, overlap ratio vs. intended."""
    c, exp = stats["clips"], stats["expected"]
    lines = [
        f"{stats['records']} records over {c['count']} clips ({c['total_seconds']:.1f} s of media); per task: "
        + ", ".join(f"{t} {n}" for t, n in stats["records_per_task"].items()),
        f"  {'statistic':<18} {'min':>8} {'mean':>8} {'max':>8}   intended",
        _row("duration (s)", c["duration_s"], f"{exp['duration_s'][0]:g}-{exp['duration_s'][1]:g}"),
        _row("speakers per clip", c["speakers"], f"{exp['speakers'][0]}-{exp['speakers'][1]}"),
        _row("scenes per clip", c["scenes"], "2-3"),
        _row("overlap ratio", c["overlap_ratio"], f"about {exp['overlap_ratio']:g}"),
    ]
    return "\n".join(lines)


def _build(args: argparse.Namespace) -> int:
    from amuse_tasks.synth.dataset import build_dataset

    try:
        stats = build_dataset(args.out, seed=args.seed, per_task=args.per_task, min_speakers=args.min_speakers,
                              max_speakers=args.max_speakers, overlap=args.overlap)
    except (ValueError, RuntimeError) as e:
        print(f"amuse-synth: error: {e}", file=sys.stderr)
        return 2
    report = load_records(args.out)
    print(f"wrote {args.out} ({len(report.records)} valid records)")
    print(format_stats(stats))
    print(f"built in {stats['build_seconds']:.1f} s: real-time factor {stats['real_time_factor']:.3f} "
          f"({stats['clips']['total_seconds'] / max(stats['build_seconds'], 1e-9):.0f}x faster than real time)")
    return 0


def _stats(args: argparse.Namespace) -> int:
    path = Path(args.dir) / "stats.json"
    if not path.is_file():
        print(f"amuse-synth: error: {path} not found (build with `amuse-synth build --out {args.dir}`)",
              file=sys.stderr)
        return 2
    report = load_records(args.dir, strict=False)
    print(format_stats(json.loads(path.read_text(encoding="utf-8"))))
    print(f"records.jsonl: {len(report.records)} valid, {len(report.errors)} invalid")
    return 1 if report.errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="amuse-synth", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="generate clips, records.jsonl, stats.json and dataset_card.md")
    b.add_argument("--out", required=True, help="output directory (the dataset root)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--per-task", type=int, default=10, help="records per task (= number of clips)")
    b.add_argument("--min-speakers", type=int, default=2)
    b.add_argument("--max-speakers", type=int, default=5)
    b.add_argument("--overlap", type=float, default=0.28,
                   help="target fraction of speech time with two or more speakers")
    b.set_defaults(func=_build)
    s = sub.add_parser("stats", help="print the statistics of a built dataset and validate its records")
    s.add_argument("dir")
    s.set_defaults(func=_stats)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
