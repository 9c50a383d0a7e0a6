"""Record schema: bad records fail with a message naming the file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amuse_tasks.schema import RecordError, load_records, validate_record


def good_record(**changes) -> dict:
    rec = {
        "schema_version": "1.0", "id": "r1", "task": "avsa", "clip_id": "c1",
        "video": "clips/c1.mp4", "audio": "clips/c1.wav", "start": 0.0, "end": 12.5,
        "question": 'Who says "hello there"?', "options": ["Maya", "Omar"], "answer": "B",
        "people": [{"label": "Maya", "description": "left", "face_track": "face_1"},
                   {"label": "Omar", "description": "right", "face_track": "face_2"}],
        "segments": [{"speaker": "Omar", "start": 1.0, "end": 2.0, "text": "hello there"}],
        "scenes": [{"start": 0.0, "end": 12.5}], "expected_tools": ["transcribe", "lip_sync"], "cues": None,
    }
    rec.update(changes)
    return rec


def write(root: Path, *records: dict) -> Path:
    path = root / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def error_of(root: Path, rec: dict) -> str:
    write(root, good_record(id="ok"), rec)
    with pytest.raises(RecordError) as e:
        load_records(root)
    return str(e.value)


def test_valid_record_loads(tmp_path):
    write(tmp_path, good_record())
    assert [r["id"] for r in load_records(tmp_path).records] == ["r1"]


def test_missing_field(tmp_path):
    rec = good_record()
    del rec["question"]
    assert error_of(tmp_path, rec) == f"{tmp_path / 'records.jsonl'}:2: field 'question': missing"


def test_wrong_type(tmp_path):
    msg = error_of(tmp_path, good_record(start="0"))
    assert msg == f"{tmp_path / 'records.jsonl'}:2 (id='r1'): field 'start': expected a non-negative number, got '0'"


def test_path_traversal(tmp_path):
    msg = error_of(tmp_path, good_record(video="../../etc/passwd"))
    assert msg == (f"{tmp_path / 'records.jsonl'}:2 (id='r1'): field 'video': "
                   "path '../../etc/passwd' leaves the dataset root")
    msg = error_of(tmp_path, good_record(audio="/etc/passwd"))
    assert msg == (f"{tmp_path / 'records.jsonl'}:2 (id='r1'): field 'audio': "
                   "path '/etc/passwd' must be relative to the dataset root")


def test_unknown_schema_version(tmp_path):
    msg = error_of(tmp_path, good_record(schema_version="9.9"))
    assert msg == (f"{tmp_path / 'records.jsonl'}:2: field 'schema_version': "
                   "unknown schema version '9.9' (supported: ['1.0'])")


def test_answer_letter_out_of_range():
    with pytest.raises(RecordError, match=r"field 'answer': expected one letter of 'AB', got 'C'"):
        validate_record(good_record(answer="C"), "x.jsonl:1")


def test_lenient_load_keeps_good_records_and_counts_bad(tmp_path):
    write(tmp_path, good_record(id="a"), good_record(id="b", task="nope"), good_record(id="c"))
    report = load_records(tmp_path, strict=False)
    assert [r["id"] for r in report.records] == ["a", "c"]
    assert report.errors == [f"{tmp_path / 'records.jsonl'}:2 (id='b'): field 'task': unknown task 'nope' "
                             "(one of avds, avsa, nsp, srid, stg, csnl)"]


def test_query_and_seats_are_checked():
    ok = good_record(query={"quote": "hello there", "span": [1.0, 2.0],
                            "options": [{"seat": {"column": 1, "row": None}}, {"seat": {"column": 2, "row": "top"}}]})
    ok["people"][0]["seat"] = {"column": 1, "row": None}
    assert validate_record(ok, "x.jsonl:1") is ok
    bad = [({"span": [2.0, 1.0]}, r"field 'query.span': expected \[start, end\]"),
           ({"answer_letter": "B"}, r"field 'query.answer_letter': unknown key"),
           ({"options": [{}]}, r"field 'query.options': expected one object per option \(2\)"),
           ({"options": [{"seat": {"column": 0}}, {}]}, r"field 'query.options\[0\].seat'"),
           ({"quote": ""}, r"field 'query.quote': expected a non-empty string")]
    for query, message in bad:
        with pytest.raises(RecordError, match=message):
            validate_record(good_record(query=query), "x.jsonl:1")
    seat = good_record()
    seat["people"][1]["seat"] = {"column": 2, "row": "middle"}
    with pytest.raises(RecordError, match=r"x.jsonl:1 \(id='r1'\): field 'people\[1\].seat'"):
        validate_record(seat, "x.jsonl:1")
