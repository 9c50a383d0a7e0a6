"""Hub publishing: what gets uploaded, the card, and loading back by Hub id from the local cache.

The Hub cannot be reached from tests: ``push_dataset`` runs against a fake ``HfApi`` (named as
such) that records the commit; the real network upload is not exercised here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from amuse_tasks.builders import hub
from amuse_tasks.schema import load_records


def test_files_to_upload_are_exactly_what_the_records_need(generic_dataset, tmp_path):
    files = hub.files_to_upload(generic_dataset)
    recs = load_records(generic_dataset).records
    media = {r[k] for r in recs for k in ("video", "audio")}
    assert set(files) == media | {"records.jsonl", "README.md", "stats.json", "build_log.json"}
    broken = tmp_path / "broken"
    shutil.copytree(generic_dataset, broken)
    (broken / sorted(media)[0]).unlink()
    with pytest.raises(FileNotFoundError, match="missing"):
        hub.files_to_upload(broken)


def test_dataset_card_has_sources_licences_statistics_and_schema_version(generic_dataset):
    card = hub.card_header(generic_dataset)
    assert card.startswith("---\nlicense: other\n")
    assert "user recordings (RTTM)" in card and "as set by the owner of the recordings" in card
    assert "schema version **1.0**" in card
    stats = json.loads((generic_dataset / "stats.json").read_text())
    for task, n in stats["per_task"].items():
        assert f"| `{task}` |" in card and f"| {n} |" in card


class FakeHfApi:
    """Stands in for huggingface_hub.HfApi (no network here): records what would be committed."""

    calls: list = []

    def __init__(self, token=None):
        self.token = token

    def create_repo(self, repo_id, **kw):
        FakeHfApi.calls.append(("create_repo", repo_id, kw))

    def create_commit(self, repo_id, operations, **kw):
        FakeHfApi.calls.append(("create_commit", repo_id, [op.path_in_repo for op in operations], kw))
        return type("CommitInfo", (), {"commit_url": f"https://huggingface.co/datasets/{repo_id}/commit/0"})()


def test_push_commits_every_file_to_a_dataset_repo(generic_dataset, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHfApi)
    FakeHfApi.calls = []
    url = hub.push_dataset(generic_dataset, "someone/amuse-mine", private=True)
    assert url.endswith("/commit/0")
    (_, rid, kw), (_, rid2, paths, kw2) = FakeHfApi.calls
    assert rid == rid2 == "someone/amuse-mine"
    assert kw == {"repo_type": "dataset", "private": True, "exist_ok": True} and kw2["repo_type"] == "dataset"
    assert sorted(paths) == hub.files_to_upload(generic_dataset)


def test_resolve_root_reads_a_hub_snapshot_from_the_local_cache(generic_dataset, tmp_path):
    """The Hub cache layout (datasets--owner--name/refs + snapshots), as snapshot_download leaves it."""
    repo = tmp_path / "cache" / "datasets--someone--amuse-mine"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(generic_dataset, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    root = hub.resolve_root("someone/amuse-mine", cache_dir=tmp_path / "cache")  # HF_HUB_OFFLINE=1 in tests
    assert root == repo / "snapshots" / commit
    assert len(load_records(root).records) == len(load_records(generic_dataset).records)
    assert hub.resolve_root(str(generic_dataset)) == generic_dataset.resolve()
    assert hub.resolve_root("no such folder") == (Path.cwd() / "no such folder")  # fails later, at records.jsonl
    with pytest.raises(FileNotFoundError, match="not a local folder, and Hub dataset 'someone/absent'"):
        hub.resolve_root("someone/absent", cache_dir=tmp_path / "cache")
