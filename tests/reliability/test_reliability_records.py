"""Broken records: each is refused with a message naming file, line and field, and an lm-eval run
over the dataset still scores every other record."""

from __future__ import annotations

import json
import os

import pytest
from reliability_fixtures import copy_dataset, evaluate, no_network, read_records, scripted_lm, write_records  # noqa: F401

from amuse_tasks.schema import RecordError, load_records


@pytest.fixture(autouse=True)
def _offline(no_network):  # noqa: F811
    yield


def _right(doc, task_name):
    return f"Answer: {doc['answer']}"


@pytest.fixture
def faulty_root(synth_root, tmp_path):
    """avsa records of the default set; 4 of them broken in 4 ways (lines 2, 4, 6 and 8)."""
    root = tmp_path / "faulty"
    recs = copy_dataset(synth_root, root, tasks=("avsa",))
    lines: list = [dict(r) for r in recs]
    lines[1]["start"] = "zero"                       # wrong type
    lines[3]["schema_version"] = "9.9"               # unknown schema version
    lines[5]["video"] = "../../outside.mp4"          # leaves the dataset root
    (root / "clips" / "escape.mp4").symlink_to("/etc/hostname")
    lines[7]["audio"] = "clips/escape.mp4"           # a symlink leaving the root
    lines.insert(9, '{"id": "cut-off", "task": "avsa", ')  # a line that is not JSON (line 10)
    lines.insert(10, json.dumps(["not", "an", "object"]))  # a line of the wrong type (line 11)
    write_records(root, lines)
    return root, recs


def test_each_broken_record_is_named_and_skipped(faulty_root):
    root, recs = faulty_root
    with pytest.raises(RecordError, match=r"records.jsonl:2 \(id='s0c001-avsa'\): field 'start': expected a non-negative number"):
        load_records(root)
    report = load_records(root, strict=False)
    assert [r["id"] for r in report.records] == [r["id"] for i, r in enumerate(recs) if i not in (1, 3, 5, 7)]
    assert len(report.errors) == 6
    expected = [(":2 ", "'start'", "expected a non-negative number, got 'zero'"),
                (":4", "'schema_version'", "unknown schema version '9.9'"),
                (":6 ", "'video'", "leaves the dataset root"),
                (":8 ", "'audio'", "leaves the dataset root"),
                (":10", "'<line>'", "invalid JSON"),
                (":11", "'<record>'", "expected a JSON object, got list")]
    for err, (line, field, problem) in zip(report.errors, expected):
        assert "records.jsonl" + line in err and f"field {field}" in err and problem in err, err


def test_missing_records_file_says_how_to_build_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="no AMUSE records file.*amuse-synth build"):
        load_records(tmp_path)


def test_lm_eval_run_scores_all_good_records_of_a_faulty_dataset(faulty_root, caplog):
    root, recs = faulty_root
    out = evaluate(scripted_lm(_right), ["amuse_avsa_guided"], root)
    samples = out["samples"]["amuse_avsa_guided"]
    assert sorted(s["doc"]["id"] for s in samples) == sorted(r["id"] for i, r in enumerate(recs) if i not in (1, 3, 5, 7))
    assert out["results"]["amuse_avsa_guided"]["acc_strict,none"] == 1.0
    assert "skipped 6 bad record(s)" in caplog.text


def test_missing_media_fails_only_its_own_sample_in_a_media_run(faulty_root):
    """Zero-shot requests carry media references; a missing file is the model's per-sample problem,
    so building requests must not fail for the whole task."""
    root, recs = faulty_root
    os.remove(root / "clips" / "s0c002.mp4")
    out = evaluate(scripted_lm(_right), ["amuse_avsa_zeroshot"], root)
    assert len(out["samples"]["amuse_avsa_zeroshot"]) == len(recs) - 4
