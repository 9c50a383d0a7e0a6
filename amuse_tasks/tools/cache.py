"""On-disk cache of perception results, so a second pass over the same clips does no perception work.

Keys hash (tool, backend, settings, media content hash, arguments): a changed model, setting or
media file is a different key. Values are JSON files written atomically; an unreadable entry is
logged, removed and recomputed, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

_HASHES: dict[tuple[str, int, int], str] = {}


def default_cache_dir() -> Path:
    """``$AMUSE_TOOL_CACHE``, else ``~/.cache/amuse_av/tools``."""
    env = os.environ.get("AMUSE_TOOL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "amuse_av" / "tools"


def file_hash(path: str | Path) -> str:
    """sha256 of a file's content (memoised per path, size and mtime within the process)."""
    st = os.stat(path)
    memo = (str(path), st.st_size, st.st_mtime_ns)
    if memo not in _HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _HASHES[memo] = h.hexdigest()
    return _HASHES[memo]


def cache_key(tool: str, backend: str, settings: dict, media_hash: str, arguments: dict) -> str:
    blob = json.dumps([tool, backend, settings, media_hash, arguments], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class ToolCache:
    """JSON values under ``root/<key[:2]>/<key>.json``; ``root=None`` keeps nothing on disk."""

    def __init__(self, root: str | Path | None):
        self.root = Path(root) if root is not None else None
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        if self.root is not None:
            path = self._path(key)
            if path.is_file():
                try:
                    with open(path, encoding="utf-8") as f:
                        value = json.load(f)["value"]
                    self.hits += 1
                    return value
                except (OSError, ValueError, KeyError, TypeError) as e:
                    log.warning("tool cache entry %s is unreadable (%s): recomputing", path, e)
                    path.unlink(missing_ok=True)
        self.misses += 1
        value = compute()
        if self.root is not None:
            write_json_atomic(self._path(key), {"value": value})
        return value


def write_json_atomic(path: Path, obj, indent: int | None = None) -> None:
    """Write JSON through a temporary file and a rename, so a reader never sees half a file (the one
    helper for cache entries, cue files and cue indexes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=indent), encoding="utf-8")
    os.replace(tmp, path)
