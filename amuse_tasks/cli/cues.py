"""``amuse-cues``: precompute the guided cues (TR / VS / FC / LS) of a dataset with the perception tools.

    amuse-cues                                   # the default set, offline tools
    amuse-cues --workers 2                       # two local processes, whole clips each
    amuse-cues --root DIR --tools "offline;transcribe=openai-whisper:/models/small.en.pt"
    torchrun --nproc_per_node 4 -m amuse_tasks.cli.cues --root DIR   # clips split across processes

Writes ``DIR/cues/<tag>/<record id>.json`` (what guided tasks read) and ``DIR/cues/<tag>/index.json``.
Resumable: records whose cue file exists are skipped. Processes (RANK / WORLD_SIZE of torchrun
or accelerate, or ``--workers`` local ones) take whole clips, so a clip's perception runs once; the
speech backends run single-threaded for determinism, so on a 2-core machine ``--workers 2`` is what
uses both cores (the cue files are the same byte for byte). One record that fails is logged and
counted; the exit status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from amuse_tasks.cues import read_tool_cues, tool_cues, tool_cues_path
from amuse_tasks.tools.cache import write_json_atomic
from amuse_tasks.schema import RECORDS_FILE
from amuse_tasks.tools.base import BackendUnavailable

log = logging.getLogger("amuse-cues")


def _shard(records: list[dict], rank: int, world: int) -> list[dict]:
    clips = sorted({r["clip_id"] for r in records})
    mine = set(clips[rank::world])
    return [r for r in records if r["clip_id"] in mine]


def _write_index(root: Path, tag: str, backends: dict) -> Path:
    """Index of every cue file present (the last process to finish writes the complete one)."""
    folder = root / "cues" / tag
    index = {"source": f"tools:{tag}", "backends": backends,
             "records": {p.stem: str(p.relative_to(root)) for p in sorted(folder.glob("*.json")) if p.name != "index.json"}}
    write_json_atomic(folder / "index.json", index, indent=1)
    return folder / "index.json"


class Unavailable(Exception):
    """A backend is missing: the same for every record, so the run stops with the fix."""


def compute(records: list[dict], root: Path, chosen: dict, cache_dir: str, overwrite: bool, progress=None) -> Counter:
    """Cue files of ``records`` (counts: done, skipped, failed, cache hits/misses); raises ``Unavailable``."""
    from amuse_tasks.tools.backends import backends_tag
    from amuse_tasks.tools.cache import ToolCache

    tag, cache, counts = backends_tag(chosen), ToolCache(cache_dir), Counter()
    for rec in records:
        counts += _one(rec, root, chosen, cache, overwrite, tag)
        if progress is not None:
            progress.update(1)
    counts["hits"], counts["misses"] = cache.hits, cache.misses
    return counts


def _one(rec: dict, root: Path, chosen: dict, cache, overwrite: bool, tag: str) -> Counter:
    path = root / tool_cues_path(tag, rec["id"])
    try:
        if not overwrite and read_tool_cues(path, chosen) is not None:
            return Counter(skipped=1)
        cues = tool_cues(rec, root, backends=chosen, cache=cache)
    except BackendUnavailable as e:
        raise Unavailable(str(e)) from None
    except Exception as e:  # one bad record (broken media) is logged and counted
        log.warning("record %s: %s: %s", rec["id"], type(e).__name__, e)
        return Counter(failed=1)
    if not (root / RECORDS_FILE).is_file():  # never create a dataset folder that was removed meanwhile
        raise Unavailable(f"{root / RECORDS_FILE} disappeared during the run")
    write_json_atomic(path, cues)
    return Counter(done=1)


def _worker(records, root, chosen, cache_dir, overwrite) -> Counter:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return compute(records, root, chosen, cache_dir, overwrite)


def compute_in_workers(records: list[dict], root: Path, chosen: dict, cache_dir: str, overwrite: bool, workers: int,
                       progress) -> Counter:
    """``compute`` in ``workers`` spawned processes, one clip per job (its records share the tool results)."""
    by_clip: dict[str, list[dict]] = {}
    for r in records:
        by_clip.setdefault(r["clip_id"], []).append(r)
    total = Counter()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = {pool.submit(_worker, recs, root, chosen, cache_dir, overwrite): len(recs) for recs in by_clip.values()}
        for job in as_completed(jobs):
            total += job.result()
            progress.update(jobs[job])
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="amuse-cues", description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", help="dataset root (default: $AMUSE_DATA, else the embedded default set)")
    ap.add_argument("--tools", help="backend spec: offline | fast | oracle | preset;tool=backend[:option];... "
                                    "(default $AMUSE_CUES, else offline)")
    ap.add_argument("--tool-cache", help="perception cache directory (default $AMUSE_TOOL_CACHE or ~/.cache/amuse_av/tools)")
    ap.add_argument("--tasks", help="comma-separated task ids (default all)")
    ap.add_argument("--limit", type=int, help="at most this many records (per process)")
    ap.add_argument("--overwrite", action="store_true", help="recompute existing cue files")
    ap.add_argument("--workers", type=int, default=1, help="local processes, whole clips each (default 1)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from amuse_tasks.schema import load_records
    from amuse_tasks.cues import cue_source
    from amuse_tasks.tools.cache import default_cache_dir

    try:
        source = cue_source(args.tools)  # the precedence rule of every entry point
    except ValueError as e:
        print(f"amuse-cues: error: {e}", file=sys.stderr)
        return 2
    if source.backends is None:
        print(f"amuse-cues: error: --tools {source.name!r} names no tools (amuse-cues computes tool cues)", file=sys.stderr)
        return 2
    chosen, tag = source.backends, source.tag
    from amuse_tasks.default_set import data_root

    root = data_root(args.root)
    report = load_records(root, strict=False, tasks=args.tasks.split(",") if args.tasks else None)
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    records = _shard(report.records, rank, world)[: args.limit]
    cache_dir = str(args.tool_cache or default_cache_dir())
    workers = max(1, min(args.workers, len({r["clip_id"] for r in records}) or 1))
    t0 = time.perf_counter()
    with tqdm(total=len(records), desc=f"perception[{tag}] rank {rank}/{world}", unit="record",
              disable=rank != 0 and world > 1) as bar:
        try:
            if workers > 1:
                counts = compute_in_workers(records, root, chosen, cache_dir, args.overwrite, workers, bar)
            else:
                counts = compute(records, root, chosen, cache_dir, args.overwrite, bar)
        except Unavailable as e:
            print(f"amuse-cues: error: {e}", file=sys.stderr)
            return 2
    done, skipped, failed = counts["done"], counts["skipped"], counts["failed"]
    (root / "cues" / tag).mkdir(parents=True, exist_ok=True)
    index = _write_index(root, tag, chosen)
    secs = time.perf_counter() - t0
    print(f"amuse-cues: rank {rank}/{world} ({workers} worker{'s' if workers > 1 else ''}): {done} computed, "
          f"{skipped} already there, {failed} failed, {len(report.errors)} invalid records skipped; perception cache {counts['hits']} hits / {counts['misses']} misses; "
          f"{secs:.1f} s; index {index}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
