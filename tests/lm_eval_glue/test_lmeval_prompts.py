"""Prompts (task x mode) and ground-truth (``oracle``) cues: content, time base, anonymity."""

from __future__ import annotations

import re

import pytest

from amuse_tasks.cues import cue_source, render_cues
from amuse_tasks.prompts import agent_system_prompt, build_prompt
from amuse_tasks.schema import load_records, validate_cues
from amuse_tasks.tasks import MODES, TASKS, TOOL_NAMES
from amuse_tasks.tools.schemas import schemas_for

RECORD = {
    "schema_version": "1.0", "id": "avsa-x", "task": "avsa", "clip_id": "clipX", "video": "c.mp4", "audio": "c.wav",
    "start": 2.0, "end": 14.0, "question": 'Who said "we need the boat" (3.0-5.0 s)?', "options": ["Anna", "Ben"],
    "answer": "A", "scenes": [], "expected_tools": [], "cues": None,
    "people": [{"label": "Anna", "description": "left, red shirt", "face_track": "T1"},
               {"label": "Ben", "description": "right, blue shirt", "face_track": "T2"}],
    "segments": [{"speaker": "Anna", "start": 5.0, "end": 7.0, "text": "we need the boat"},
                 {"speaker": "Ben", "start": 7.5, "end": 9.0, "text": "no way"},
                 {"speaker": "Ben", "start": 15.0, "end": 16.0, "text": "outside the window"}],
    "faces": [{"track": "T2", "person": "Ben", "boxes": [{"start": 3.0, "end": 16.0, "box": [200, 20, 50, 50]}]},
              {"track": "T1", "person": "Anna", "boxes": [{"start": 0.0, "end": 4.0, "box": [10, 20, 50, 50]},
                                                          {"start": 4.0, "end": 16.0, "box": [11, 20, 50, 50]}]}],
}


@pytest.fixture(scope="module")
def records(synth_root):
    return load_records(synth_root).records


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    """The ground-truth cues of a record (the ``oracle`` tools, which read no media: RECORD's files are empty)."""
    media = tmp_path_factory.mktemp("media")
    (media / "c.mp4").touch()
    (media / "c.wav").touch()
    return lambda record, root=media: cue_source("oracle").cues(record, root)


def test_oracle_cues_by_hand(oracle):
    cues = oracle(RECORD)
    validate_cues(cues)
    assert cues["source"] == "tools:oracle"  # the oracle tool preset: the one ground truth
    # window [2, 14]: times shift by -2; the segment at 15-16 s is outside
    assert cues["TR"] == [{"voice": "VOICE_1", "start": 3.0, "end": 5.0, "text": "we need the boat"},
                          {"voice": "VOICE_2", "start": 5.5, "end": 7.0, "text": "no way"}]
    # face letters follow a salted hash of the face's id (tools.labels), not appearance or position: here Anna is
    # FACE_A and Ben FACE_B; Anna's box moves at 4 s (2 s into the window), which starts a new piece of her track
    assert cues["FC"] == [{"face": "FACE_A", "start": 0.0, "end": 2.0, "box": [10, 20, 50, 50]},
                          {"face": "FACE_B", "start": 1.0, "end": 12.0, "box": [200, 20, 50, 50]},
                          {"face": "FACE_A", "start": 2.0, "end": 12.0, "box": [11, 20, 50, 50]}]
    # lip sync = the share of the segment the face's person speaks
    assert cues["LS"] == [{"face": "FACE_A", "start": 3.0, "end": 5.0, "score": 1.0},
                          {"face": "FACE_B", "start": 3.0, "end": 5.0, "score": 0.0},
                          {"face": "FACE_A", "start": 5.5, "end": 7.0, "score": 0.0},
                          {"face": "FACE_B", "start": 5.5, "end": 7.0, "score": 1.0}]
    text = render_cues(cues, ("TR", "LS"))
    assert "[3.0-5.0] VOICE_1: we need the boat" in text
    assert "FACE_A: 3.0-5.0: 1.00, 5.5-7.0: 0.00" in text
    assert "VS - " not in text and "FC - " not in text


def test_the_oracle_is_one_tool_preset(oracle):
    """``oracle`` is the preset whose every tool answers from the labels: a spec that swaps one tool changes only
    that tool's output, and both are reported as reading labels."""
    mixed = cue_source("oracle;lipsync=landmarks")
    assert cue_source("oracle").reads_labels and mixed.reads_labels and mixed.backends["asr"] == "oracle"
    assert cue_source("offline;lipsync=oracle").reads_labels and not cue_source("offline").reads_labels


def test_render_rejects_unknown_kinds(oracle):
    with pytest.raises(ValueError, match="unknown cue kind"):
        render_cues(oracle(RECORD), ("TR", "XX"))


@pytest.mark.parametrize("mode", MODES)
def test_prompt_parts(mode, oracle):
    text = build_prompt(RECORD, mode, cues=oracle(RECORD) if mode == "guided" else None)
    assert text.startswith("Clip clipX (12.0 s;")
    assert "- Anna: left, red shirt" in text and "A. Anna\nB. Ben" in text
    if mode == "agentic":  # the answer format inside <answer>, then a last line asking for a tool call first
        assert "<answer>...</answer>. Reply with the letter" in text and text.rstrip().endswith("First, call a tool.")
    else:
        assert text.rstrip().endswith("'Answer: X'.")
    assert ("Perception cues" in text) == (mode == "guided")
    assert ("Watch the video" in text) == (mode == "zeroshot")
    assert ("use the tools" in text) == (mode == "agentic")


def test_guided_uses_given_cues_and_task_subset():
    cues = {"source": "tools:offline", "TR": [{"voice": "VOICE_9", "start": 1.0, "end": 2.0, "text": "hi"}],
            "VS": [], "FC": [], "LS": []}
    text = build_prompt({**RECORD, "task": "csnl"}, "guided", cues=cues)  # csnl: TR + FC
    assert "source: tools:offline" in text and "[1.0-2.0] VOICE_9: hi" in text
    assert "FC - " in text and "(none)" in text and "LS - " not in text and "VS - " not in text


def test_guided_prompts_never_default_to_ground_truth_cues(oracle):
    with pytest.raises(ValueError, match="a guided prompt needs its cues"):
        build_prompt(RECORD, "guided")
    assert "source: tools:oracle" in build_prompt(RECORD, "guided", cues=oracle(RECORD))  # by name only


def test_bad_mode_and_task():
    with pytest.raises(ValueError, match="unknown mode"):
        build_prompt(RECORD, "fewshot")
    with pytest.raises(ValueError, match="unknown task"):
        build_prompt({**RECORD, "task": "xyz"}, "guided")


def test_prompts_on_the_default_set(records, oracle, synth_root):
    assert {r["task"] for r in records} == set(TASKS)
    for rec in records:
        for mode in MODES:
            text = build_prompt(rec, mode, cues=oracle(rec, synth_root) if mode == "guided" else None)
            assert f"Clip {rec['clip_id']} " in text and rec["question"] in text
        guided = build_prompt(rec, "guided", cues=oracle(rec, synth_root))
        cue_block = guided.split("Perception cues", 1)[1].split("Work step by step", 1)[0]
        # anonymity: neither people labels nor ground-truth face track ids appear in the cues
        for p in rec["people"]:
            assert not re.search(rf"\b{re.escape(p['label'])}\b", cue_block), (rec["id"], p["label"])
            if p.get("face_track"):
                assert p["face_track"] not in guided, rec["id"]


def test_oracle_cues_on_the_default_set_are_valid_and_in_window(records, oracle, synth_root):
    for rec in records:
        cues = validate_cues(oracle(rec, synth_root), rec["id"])
        length = rec["end"] - rec["start"]
        for kind in ("TR", "VS", "FC", "LS"):
            # the tools give times to 10 ms: the window's end may round up by 5 ms
            assert all(0.0 <= c["start"] <= c["end"] <= length + 0.005 for c in cues[kind]), (rec["id"], kind)
        inside = [s for s in rec["segments"] if s["end"] > rec["start"] and s["start"] < rec["end"]]
        assert len(cues["TR"]) == len(inside)
        voices = {c["voice"] for c in cues["TR"]}
        assert len(voices) == len({s["speaker"] for s in inside})
        # lip sync is the ground truth: in every voice segment one face (the speaker's) speaks throughout, up to the
        # tools' 10 ms rounding of times
        best: dict = {}
        for ls in cues["LS"]:
            best[ls["start"], ls["end"]] = max(best.get((ls["start"], ls["end"]), 0.0), ls["score"])
        assert all(v >= 0.99 for v in best.values()), rec["id"]


def test_agent_system_prompt():
    text = agent_system_prompt()
    for tag in ("<plan>", "<tool_call>", "<tool_response>", "<reflect>", "<answer>"):
        assert tag in text
    assert all(f"\n- {t}(" in text for t in TOOL_NAMES)
    subset = agent_system_prompt(schemas_for(["transcribe", "diarize"]))
    assert "- face_crop(" not in subset and "- diarize(" in subset and "face_id" not in subset


@pytest.mark.parametrize("drop, gone, kept", [(("audio",), ("TR - ", "VS - ", "LS - "), ("FC - ",)),
                                              (("video",), ("FC - ", "LS - "), ("TR - ", "VS - "))])
def test_guided_modality_ablation_leaves_out_that_modalitys_cues(drop, gone, kept, oracle):
    full = build_prompt(RECORD, "guided", cues=oracle(RECORD))
    text = build_prompt(RECORD, "guided", cues=oracle(RECORD), drop=drop)
    assert f"{drop[0]} removed (ablation)" in text
    assert all(g in full and g not in text for g in gone) and all(k in text for k in kept)
    compact = build_prompt(RECORD, "guided", cues=oracle(RECORD), rendering="compact", drop=drop)
    assert all(g not in compact for g in gone) and all(k in compact for k in kept)
    assert build_prompt(RECORD, "zeroshot", drop=drop) == build_prompt(RECORD, "zeroshot")  # media change, not words


def test_compact_rendering_keeps_the_question_times_and_stays_short(records, oracle, synth_root):
    """Compact: only the ranges the question names; full rendering stays the default (byte-identical prompts)."""
    from amuse_tasks.cues import question_ranges

    for rec in [r for r in records if r["task"] in ("avsa", "srid")][:6]:
        cues = oracle(rec, synth_root)
        full = build_prompt(rec, "guided", cues=cues)
        compact = build_prompt(rec, "guided", cues=cues, rendering="compact")
        assert full == build_prompt(rec, "guided", cues=cues, rendering="full")
        assert len(compact) < len(full) and "Work step by step" not in compact and rec["question"] in compact
        a, b = question_ranges(rec)[0]
        assert a == rec["query"]["span"][0] and f"{a:.1f}-{b:.1f}: " in compact  # lip sync over the quote's span


def test_metadata_drop_reaches_every_mode(synth_root):
    from amuse_tasks.lm_eval_glue import docs
    from amuse_tasks.lm_eval_glue.dataset import custom_dataset

    doc = custom_dataset("avsa", amuse_root=str(synth_root), cues="oracle", drop="video")["test"][0]
    assert "video removed (ablation)" in docs.doc_to_text_guided(doc)
    assert docs.doc_to_image(doc)[0]["drop"] == ["video"] and docs.doc_to_audio(doc)[0]["drop"] == ["video"]
    assert "drop" not in docs.doc_to_image(custom_dataset("avsa", amuse_root=str(synth_root))["test"][0])[0]
    with pytest.raises(ValueError, match="unknown modality"):
        custom_dataset("avsa", amuse_root=str(synth_root), drop="smell")


def test_a_guided_doc_enters_the_cue_stage_once(synth_root, monkeypatch):
    """lm-eval asks for the first doc's text when the task loads and again when it builds requests: the cues of
    each record are looked up once."""
    from collections import Counter

    from lm_eval.tasks import TaskManager

    from amuse_tasks.cues import CueSource
    from amuse_tasks.lm_eval_glue import docs
    from amuse_tasks.lm_eval_glue.registration import task_dir

    calls, real = Counter(), CueSource.cues
    monkeypatch.setattr(CueSource, "cues", lambda self, record, root, **kw: calls.update([record["id"]]) or real(
        self, record, root, **kw))
    monkeypatch.setattr(docs, "_GUIDED", {})
    tm = TaskManager(include_path=[str(task_dir())], include_defaults=False,
                     metadata={"amuse_root": str(synth_root), "cues": "oracle"})
    task = tm.load_task_or_group(["amuse_avsa_guided"])["amuse_avsa_guided"]
    task.build_all_requests(limit=3, rank=0, world_size=1)
    assert len(calls) == 3 and set(calls.values()) == {1}, calls
