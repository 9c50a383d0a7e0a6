"""``amuse-cues``: precompute the guided cues (TR / VS / FC / LS) of a dataset with the perception tools.

    amuse-cues                                   # the default set, offline tools
    amuse-cues --root DIR --tools "offline;transcribe=openai-whisper:/models/small.en.pt"
    torchrun --nproc_per_node 4 -m amuse_tasks.cli.cues --root DIR   # clips split across processes

Writes ``DIR/cues/<tag>/<record id>.json`` (what guided tasks read) and ``DIR/cues/<tag>/index.json``.
Resumable: records whose cue file exists are skipped. Processes (RANK / WORLD_SIZE of torchrun
or accelerate) take whole clips round-robin, so a clip's perception runs once. One record that
fails is logged and counted; the exit status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from tqdm import tqdm

from amuse_tasks.cues import write_json_atomic

log = logging.getLogger("amuse-cues")


def _shard(records: list[dict], rank: int, world: int) -> list[dict]:
    clips = sorted({r["clip_id"] for r in records})
    mine = set(clips[rank::world])
    return [r for r in records if r["clip_id"] in mine]


def _valid_file(path: Path) -> bool:
    from amuse_tasks.schema import validate_cues

    try:
        validate_cues(json.loads(path.read_text(encoding="utf-8")), str(path))
        return True
    except (OSError, ValueError):
        return False


def _write_index(root: Path, tag: str, backends: dict) -> Path:
    """Index of every cue file present (the last process to finish writes the complete one)."""
    folder = root / "cues" / tag
    index = {"source": f"tools:{tag}", "backends": backends,
             "records": {p.stem: str(p.relative_to(root)) for p in sorted(folder.glob("*.json")) if p.name != "index.json"}}
    write_json_atomic(folder / "index.json", index, indent=1)
    return folder / "index.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="amuse-cues", description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", help="dataset root (default: $AMUSE_DATA, else the embedded default set)")
    ap.add_argument("--tools", default="offline",
                    help="backend spec: offline | oracle | preset;tool=backend[:option];... (default offline)")
    ap.add_argument("--tool-cache", help="perception cache directory (default $AMUSE_TOOL_CACHE or ~/.cache/amuse_av/tools)")
    ap.add_argument("--tasks", help="comma-separated task ids (default all)")
    ap.add_argument("--limit", type=int, help="at most this many records (per process)")
    ap.add_argument("--overwrite", action="store_true", help="recompute existing cue files")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from amuse_tasks.cues import tool_cues, tool_cues_path
    from amuse_tasks.schema import RECORDS_FILE, load_records
    from amuse_tasks.tools.backends import backends_tag, parse_backends
    from amuse_tasks.tools.base import BackendUnavailable
    from amuse_tasks.tools.cache import ToolCache, default_cache_dir

    try:
        chosen = parse_backends(args.tools)
    except ValueError as e:
        print(f"amuse-cues: error: {e}", file=sys.stderr)
        return 2
    tag = backends_tag(chosen)
    if args.root:
        root = Path(args.root)
    else:
        from amuse_tasks.default_set import default_root

        root = default_root()
    report = load_records(root, strict=False, tasks=args.tasks.split(",") if args.tasks else None)
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    records = _shard(report.records, rank, world)[: args.limit]
    cache = ToolCache(args.tool_cache or default_cache_dir())
    done = skipped = failed = 0
    t0 = time.perf_counter()
    for rec in tqdm(records, desc=f"amuse-cues[{tag}] rank {rank}/{world}", disable=rank != 0 and world > 1):
        path = root / tool_cues_path(tag, rec["id"])
        if not args.overwrite and path.is_file() and _valid_file(path):
            skipped += 1
            continue
        try:
            cues = tool_cues(rec, root, backends=chosen, cache=cache)
        except BackendUnavailable as e:  # the same for every record: stop with the fix
            print(f"amuse-cues: error: {e}", file=sys.stderr)
            return 2
        except Exception as e:  # one bad record (broken media) is logged and counted
            log.warning("record %s: %s: %s", rec["id"], type(e).__name__, e)
            failed += 1
            continue
        if not (root / RECORDS_FILE).is_file():  # never create a dataset folder that was removed meanwhile
            print(f"amuse-cues: error: {root / RECORDS_FILE} disappeared during the run", file=sys.stderr)
            return 2
        write_json_atomic(path, cues)
        done += 1
    (root / "cues" / tag).mkdir(parents=True, exist_ok=True)
    index = _write_index(root, tag, chosen)
    secs = time.perf_counter() - t0
    print(f"amuse-cues: rank {rank}/{world}: {done} computed, {skipped} already there, {failed} failed, "
          f"{len(report.errors)} invalid records skipped; perception cache {cache.hits} hits / {cache.misses} misses; "
          f"{secs:.1f} s; index {index}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
