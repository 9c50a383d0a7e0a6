"""Benchmark 5: AMUSE-Synth generation speed, as seconds of clip produced per wall second.

Each repeat builds a fresh dataset (seeds differ, so clip lengths differ a little) through
``amuse_tasks.synth.dataset.build_dataset``; the speed-up is clip seconds / build seconds.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile

from bench.measure import md_table, mmm, stats, timed, write


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clips", type=int, default=4, help="clips per build (each serves one record of each task)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    from amuse_tasks.synth.dataset import build_dataset

    speed, build_s, clip_s = [], [], []
    for seed in range(args.repeats):
        out = tempfile.mkdtemp(prefix="amuse-bench-synth-")
        try:
            wall, st = timed(lambda: build_dataset(out, seed=100 + seed, per_task=args.clips, progress=False))
        finally:
            shutil.rmtree(out, ignore_errors=True)
        total = st["clips"]["total_seconds"]
        build_s.append(wall)
        clip_s.append(total)
        speed.append(total / wall)
    res = {"clip_seconds_per_wall_second": stats(speed), "build_seconds": stats(build_s),
           "clip_seconds": stats(clip_s), "real_time_factor_wall_per_clip_second": stats([1 / s for s in speed])}
    table = md_table(["clips per build", "clip seconds", "build seconds", "clip s per wall s (x real time)",
                      "wall s per clip s"],
                     [[args.clips, mmm(res["clip_seconds"]), mmm(res["build_seconds"]),
                       mmm(res["clip_seconds_per_wall_second"]), mmm(res["real_time_factor_wall_per_clip_second"])]])
    write("synth_rtf", "AMUSE-Synth generation speed", vars(args), res, table)
    return res


if __name__ == "__main__":
    main()
