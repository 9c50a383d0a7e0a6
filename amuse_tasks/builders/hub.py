"""Publish a dataset folder as a Hugging Face dataset repo, and find one again by Hub id.

``push_dataset`` uploads exactly what the records use (``records.jsonl``, their media and cue
files) plus the card (``README.md``), ``stats.json`` and ``build_log.json``.  ``resolve_root``
turns ``--metadata '{"amuse_root": ...}'`` into a folder: a local path as is, else a Hub
dataset id (``owner/name``, optionally ``@revision``) through ``snapshot_download``, which
honours ``HF_HUB_OFFLINE`` by reading the local Hub cache.
"""

from __future__ import annotations

import re
from pathlib import Path

from amuse_tasks.schema import RECORDS_FILE, load_records

EXTRA_FILES = ("README.md", "stats.json", "build_log.json", "dataset_card.md")
_REPO_ID = re.compile(r"^(?:hf://datasets/)?([\w.-]+/[\w.-]+)(?:@([\w./-]+))?$")


def card_header(root: Path) -> str:
    """The dataset card text: ``README.md``, else ``dataset_card.md`` given a Hub YAML header."""
    if (root / "README.md").is_file():
        return (root / "README.md").read_text(encoding="utf-8")
    if (root / "dataset_card.md").is_file():
        body = (root / "dataset_card.md").read_text(encoding="utf-8")
        return body if body.startswith("---") else (
            "---\nlicense: other\ntags:\n- audio-visual\n- multi-speaker\n- amuse\n---\n\n" + body)
    raise FileNotFoundError(f"{root}: no README.md or dataset_card.md to publish as the dataset card "
                            "(datasets built by amuse-build / amuse-synth have one)")


def files_to_upload(root: str | Path) -> list[str]:
    """Relative paths of every file the published dataset needs; validates all records first.

    A bad record or a missing media/cue file raises (a published dataset must load cleanly).
    """
    root = Path(root)
    report = load_records(root, strict=True)
    files = {RECORDS_FILE}
    for rec in report.records:
        files.update(rec[k] for k in ("video", "audio"))
        if isinstance(rec.get("cues"), str):
            files.add(rec["cues"])
    missing = sorted(f for f in files if not (root / f).is_file())
    if missing:
        raise FileNotFoundError(f"{root}: {len(missing)} file(s) named by records are missing, e.g. {missing[0]}")
    files.update(f for f in EXTRA_FILES if (root / f).is_file())
    if (root / "cues").is_dir():
        files.update(str(p.relative_to(root)) for p in (root / "cues").rglob("index.json"))
    return sorted(files)


def push_dataset(root: str | Path, repo_id: str, *, token: str | None = None, private: bool = False,
                 revision: str | None = None, commit_message: str | None = None) -> str:
    """Create (or reuse) the dataset repo and upload the dataset; returns the commit URL."""
    from huggingface_hub import CommitOperationAdd, HfApi

    root = Path(root)
    files = files_to_upload(root)
    card = card_header(root)
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    ops = [CommitOperationAdd(path_in_repo=f, path_or_fileobj=str(root / f)) for f in files if f != "README.md"]
    ops.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=card.encode("utf-8")))
    info = api.create_commit(repo_id, ops, repo_type="dataset", revision=revision,
                             commit_message=commit_message or f"Upload AMUSE dataset ({len(files)} files)")
    return info.commit_url


def resolve_root(spec: str | Path, *, cache_dir: str | Path | None = None) -> Path:
    """A local dataset folder, or a Hub dataset id (``owner/name[@revision]``) downloaded/cached."""
    path = Path(spec).expanduser()
    m = _REPO_ID.match(str(spec))
    if path.is_dir() or not m or str(spec).startswith((".", "/", "~")):
        return path.resolve()  # a folder (a missing one fails where its records are read)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        local = snapshot_download(repo_id=m.group(1), repo_type="dataset", revision=m.group(2), cache_dir=cache_dir)
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as e:
        raise FileNotFoundError(f"amuse_root {str(spec)!r}: not a local folder, and Hub dataset {m.group(1)!r} "
                                f"could not be fetched ({type(e).__name__}: {e})") from e
    if not (Path(local) / RECORDS_FILE).is_file():
        raise FileNotFoundError(f"Hub dataset {m.group(1)}: no {RECORDS_FILE} (not an AMUSE dataset)")
    return Path(local)
