"""Generic RTTM (+ STM / SRT) converter: real files in, valid AMUSE dataset out."""

from __future__ import annotations

import json

import soundfile as sf

from amuse_tasks.builders.annotation_files import attach_text, read_rttm, read_srt
from amuse_tasks.builders.clip_media import probe
from amuse_tasks.builders.conversation import SkippedRows, Turn
from amuse_tasks.schema import load_records
from amuse_tasks.tasks import TASK_IDS


def test_rttm_malformed_rows_are_named_skipped_and_counted(rttm_corpus):
    skipped = SkippedRows()
    turns = read_rttm(rttm_corpus["rttm"], skipped)["meeting1"]
    assert len(turns) == 28  # every good row kept
    assert len(skipped) == 3
    path = str(rttm_corpus["rttm"])
    assert skipped.messages[0].startswith(f"{path}:4: field 'tdur'")
    assert skipped.messages[1].startswith(f"{path}:8: field 'tbeg'")
    assert skipped.messages[2].startswith(f"{path}:11: field '<row>'")


def test_generic_build_gives_valid_records_for_all_six_tasks(generic_dataset):
    report = load_records(generic_dataset, strict=True)
    tasks = sorted({r["task"] for r in report.records})
    assert tasks == sorted(TASK_IDS)
    stats = json.loads((generic_dataset / "stats.json").read_text())
    assert stats["skipped"] == {"rows": 4, "clips": 0, "records": 0}  # 3 RTTM rows + 1 STM row
    log = json.loads((generic_dataset / "build_log.json").read_text())
    assert any("meeting1.stm:7: field 'begin'" in m for m in log["skipped_rows"])  # ';;' line comes first
    for rec in report.records:
        assert rec["start"] == 0.0
        assert 10.0 <= rec["end"] <= 50.0 or rec["task"] == "nsp"
        info = probe(generic_dataset / rec["video"])
        assert info.height == 96 and abs(info.duration - rec["end"]) < 1.0 or rec["task"] == "nsp"
        wav, sr = sf.read(generic_dataset / rec["audio"])
        assert sr == 16000 and wav.ndim == 1


def test_generic_records_follow_the_rules(generic_dataset):
    recs = {r["task"]: r for r in load_records(generic_dataset).records}
    avsa = recs["avsa"]
    gold = avsa["options"][ord(avsa["answer"]) - 65]
    quoted = avsa["question"].split('"')[1]
    assert [s["speaker"] for s in avsa["segments"] if s["text"] == quoted] == [gold]
    people = {p["label"]: p["description"] for p in avsa["people"]}
    assert quoted not in people[gold]  # the quoted turn is never its speaker's own anchor
    nsp = recs["nsp"]
    last = max(nsp["segments"], key=lambda s: s["end"])
    assert nsp["end"] == last["end"]  # record stops at the end of a turn
    assert nsp["options"][ord(nsp["answer"]) - 65] != last["speaker"]
    stg = recs["stg"]
    said = stg["question"].split('"')[1]
    seg = next(s for s in stg["segments"] if s["text"] == said)
    assert stg["answer"] == [[seg["start"], seg["end"]]]
    assert recs["avds"]["meta"]["reference"] == "extractive template"
    srid = recs["srid"]
    assert len(srid["scenes"]) == 2 and srid["scenes"][0]["end"] == srid["scenes"][1]["start"]
    gold = srid["options"][ord(srid["answer"]) - 65]
    a, b = (float(x) for x in gold.split(" at ")[1].removesuffix(" s").split("-"))
    target = next(s for s in srid["segments"] if s["start"] == 0.0)["speaker"]
    assert any(s["speaker"] == target and s["start"] == a and s["end"] == b for s in srid["segments"])
    csnl = recs["csnl"]
    assert len(csnl["scenes"]) == 3 and "rationale" in csnl
    # the correct option lists the scenes in the order of their source times
    spans = csnl["meta"]["source_spans"]
    order = sorted(range(3), key=lambda j: spans[j][0])
    assert csnl["options"][ord(csnl["answer"]) - 65] == ", then ".join(f"scene {j + 1}" for j in order).capitalize()


def test_srt_text_goes_to_the_turn_it_overlaps_most(tmp_path):
    srt = tmp_path / "a.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:02,000\nhello there\n\n2\n00:00:03,100 --> bad\nlost\n\n"
                   "3\n00:00:03,200 --> 00:00:04,900\ngeneral\nkenobi\n")
    skipped = SkippedRows()
    utts = read_srt(srt, skipped)
    assert [u.text for u in utts] == ["hello there", "general kenobi"]
    assert len(skipped) == 1 and f"{srt}:6: field 'time'" in skipped.messages[0]
    turns = attach_text([Turn("a", 0.0, 2.5), Turn("b", 2.5, 5.0)], utts, skipped, "utterances")
    assert [t.text for t in turns] == ["hello there", "general kenobi"]
    assert skipped.seen["utterances"] == 2 and "utterances" not in skipped.lost
    # an utterance outside every turn is counted, never dropped in silence
    attach_text([Turn("a", 0.0, 2.5)], utts, skipped, "utterances")
    assert skipped.lost["utterances"] == {"overlaps no speaker turn": 1}


def test_cli_reports_unusable_input_in_one_line(tmp_path, capsys):
    from amuse_tasks.cli.build import main

    assert main(["rttm", "--rttm", str(tmp_path / "none.rttm"), "--media", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("amuse-build rttm: error:") and "none.rttm" in err and "Traceback" not in err
    (tmp_path / "a.rttm").write_text("SPEAKER a 1 0.0 2.0 <NA> <NA> x <NA> <NA>\n")
    assert main(["rttm", "--rttm", str(tmp_path / "a.rttm"), "--media", str(tmp_path), "--out", str(tmp_path / "o")]) == 1
    log = json.loads((tmp_path / "o" / "build_log.json").read_text())
    assert "no media file for recording 'a'" in log["skipped_rows"][0]  # nothing built, and why
