"""The embedded default AMUSE-Synth set: built on first use, reused afterwards.

Location: ``$AMUSE_DATA`` if set, else ``~/.cache/amuse/synth-<AMUSE-Synth version>-seed0``.  The build goes
to a temporary sibling directory that is renamed into place once complete (with a marker file
written last), under a file lock, so concurrent first uses build it once and nobody ever sees a
half-written set.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

from amuse_tasks.schema import RECORDS_FILE, SCHEMA_VERSION
from amuse_tasks.synth.dataset import SYNTH_VERSION, build_dataset

DEFAULT_CONFIG = {"seed": 0, "per_task": 10, "min_speakers": 2, "max_speakers": 5, "overlap": 0.28}
# The default training set (raft_trl): the same recipe on another seed, so it shares no clip with
# the evaluation set.
TRAIN_SEED = 1
MARKER = ".amuse-synth-complete"


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The dataset root of every entry point (lm-eval ``--metadata amuse_root``, ``amuse-cues --root``,
    RAFT's ``--eval_root``): the argument (a folder, or a Hub dataset id ``owner/name[@revision]``
    published by ``amuse-build push``), else ``$AMUSE_DATA`` when it holds records, else the embedded
    default set (built on first use, at ``$AMUSE_DATA`` when that is set)."""
    if root:
        from amuse_tasks.builders.hub import resolve_root

        return resolve_root(root)
    env = os.environ.get("AMUSE_DATA")
    if env and (Path(env).expanduser() / RECORDS_FILE).is_file():
        return Path(env).expanduser().resolve()
    return default_root()


def default_location() -> Path:
    env = os.environ.get("AMUSE_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "amuse" / f"synth-{SYNTH_VERSION}-seed{DEFAULT_CONFIG['seed']}"


def _signature(seed: int = DEFAULT_CONFIG["seed"]) -> dict:
    return {"schema_version": SCHEMA_VERSION, "synth_version": SYNTH_VERSION, **DEFAULT_CONFIG, "seed": seed}


def is_complete(root: Path, seed: int = DEFAULT_CONFIG["seed"]) -> bool:
    """True when ``root`` holds a finished build of the current default configuration (with ``seed``)."""
    try:
        return json.loads((root / MARKER).read_text(encoding="utf-8")) == _signature(seed)
    except (OSError, ValueError):
        return False


def default_root(progress: bool = True) -> Path:
    """Path of the default dataset, building it first if needed (about a minute on one core)."""
    return built(default_location(), DEFAULT_CONFIG["seed"], progress)


def training_root(progress: bool = True) -> Path:
    """The default training set: the default recipe on TRAIN_SEED, under ``~/.cache/amuse``."""
    root = Path.home() / ".cache" / "amuse" / f"synth-{SYNTH_VERSION}-seed{TRAIN_SEED}"
    return built(root, TRAIN_SEED, progress)


def built(root: Path, seed: int, progress: bool = True) -> Path:
    """``root`` holding the default recipe built with ``seed``: built once, atomically, under a lock."""
    if is_complete(root, seed):
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_complete(root, seed):  # another process built it while we waited
            return root
        if root.exists():
            if (root / MARKER).exists() or not any(root.iterdir()):
                shutil.rmtree(root)  # an older build of ours, or an empty directory
            else:
                raise RuntimeError(
                    f"{root}: exists and is not an AMUSE-Synth default build; "
                    "point AMUSE_DATA at an empty or new directory"
                )
        tmp = root.parent / f".{root.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        build_dataset(tmp, progress=progress, **{**DEFAULT_CONFIG, "seed": seed})
        (tmp / MARKER).write_text(json.dumps(_signature(seed)), encoding="utf-8")
        os.rename(tmp, root)
    return root
