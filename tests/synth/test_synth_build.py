"""Building: determinism, configuration limits, the CLI, and the cached default set."""

from __future__ import annotations

import json

import pytest

from amuse_tasks import default_set
from amuse_tasks.cli.synth import main
from amuse_tasks.schema import load_records
from amuse_tasks.synth import build_dataset

TINY = {"per_task": 1, "min_speakers": 2, "max_speakers": 3}


def test_same_seed_same_bytes_other_seed_other_story(tmp_path):
    a = build_dataset(tmp_path / "a", seed=7, progress=False, **TINY)
    build_dataset(tmp_path / "b", seed=7, progress=False, **TINY)
    build_dataset(tmp_path / "c", seed=8, progress=False, **TINY)
    ra, rb, rc = ((tmp_path / d / "records.jsonl").read_bytes() for d in "abc")
    assert ra == rb
    assert ra != rc
    for name in ("stats.json", "dataset_card.md", "clips/s7c000.wav"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert str(tmp_path) not in ra.decode()  # no absolute paths in records
    assert a["records"] == 6 and a["real_time_factor"] > 0


def test_many_speakers(tmp_path):
    stats = build_dataset(tmp_path, seed=1, per_task=1, min_speakers=10, max_speakers=10, progress=False)
    rec = load_records(tmp_path).records[0]
    assert stats["clips"]["speakers"]["max"] == 10 and len(rec["people"]) == 10
    voices = set(rec["meta"]["voices"].values())
    faces = set(rec["meta"]["faces"].values())
    assert len(voices) == 10 and len(faces) == 10  # distinct voice and face per speaker
    assert 10 <= rec["end"] <= 50


@pytest.mark.parametrize("kwargs, message", [
    ({"min_speakers": 1}, "need 2 <= min_speakers <= max_speakers <= 10, got 1..5"),
    ({"min_speakers": 4, "max_speakers": 11}, "need 2 <= min_speakers <= max_speakers <= 10, got 4..11"),
    ({"per_task": 0}, "per_task must be >= 1, got 0"),
    ({"overlap": 0.9}, "overlap must be in [0, 0.6), got 0.9"),
])
def test_bad_config(tmp_path, kwargs, message):
    with pytest.raises(ValueError) as e:
        build_dataset(tmp_path, progress=False, **kwargs)
    assert str(e.value) == message


def test_cli_build_prints_stats_and_rtf(tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["build", "--out", str(out), "--per-task", "1", "--max-speakers", "3", "--overlap", "0.2"]) == 0
    text = capsys.readouterr().out
    assert "6 valid records" in text and "real-time factor" in text
    assert "speakers per clip" in text and "2-3" in text and "about 0.2" in text
    assert json.loads((out / "stats.json").read_text())["config"]["overlap"] == 0.2
    assert main(["stats", str(out)]) == 0
    assert "records.jsonl: 6 valid, 0 invalid" in capsys.readouterr().out
    assert main(["build", "--out", str(out), "--min-speakers", "6", "--max-speakers", "3"]) == 2
    assert "min_speakers <= max_speakers" in capsys.readouterr().err


def test_default_root_builds_once_then_reuses(tmp_path, monkeypatch):
    monkeypatch.setenv("AMUSE_DATA", str(tmp_path / "default"))
    monkeypatch.setattr(default_set, "DEFAULT_CONFIG", {**default_set.DEFAULT_CONFIG, **TINY})
    root = default_set.default_root(progress=False)
    assert root == tmp_path / "default" and default_set.is_complete(root)
    assert len(load_records(root).records) == 6
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []

    def no_rebuild(*a, **k):
        raise AssertionError("rebuilt a complete default set")

    monkeypatch.setattr(default_set, "build_dataset", no_rebuild)
    assert default_set.default_root(progress=False) == root


def test_default_root_refuses_a_foreign_directory(tmp_path, monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    monkeypatch.setenv("AMUSE_DATA", str(tmp_path / "mine"))
    with pytest.raises(RuntimeError, match="exists and is not an AMUSE-Synth default build"):
        default_set.default_root(progress=False)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
