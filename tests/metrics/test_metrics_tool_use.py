import json

import pytest

from amuse_tasks.metrics.speaker_f1 import mentioned_labels, speaker_f1
from amuse_tasks.metrics.tool_use import extract_answer, parse_transcript, tool_metrics


def _call(name, **args):
    return f'<tool_call>{json.dumps({"name": name, "arguments": args})}</tool_call><tool_response>..</tool_response>'


def test_extract_answer_takes_the_last_block():
    assert extract_answer("<answer>A</answer> then <answer> B </answer>") == "B"
    assert extract_answer("Answer: B") is None


def test_tool_metrics_from_tool_call_blocks():
    text = ("<plan>p</plan>" + _call("transcribe", start=0, end=3) + _call("track_faces", start=0, end=3)
            + "<tool_call>{not json</tool_call><reflect>r</reflect><answer>B</answer>")
    m = tool_metrics(text, {"transcribe", "track_faces", "lip_sync"})
    # called {transcribe, track_faces, <invalid json>}: precision 2/3, recall 2/3
    assert m["tool_precision"] == pytest.approx(2 / 3)
    assert m["tool_recall"] == pytest.approx(2 / 3)
    assert m["tool_f1"] == pytest.approx(2 / 3)
    assert m["invalid_call_rate"] == pytest.approx(1 / 3)
    assert m["steps"] == 3.0
    assert m["termination"] == 1.0


def test_trace_overrides_blocks_and_reports_failures_and_limit():
    trace = {"steps": 8, "max_steps": 8, "limit_reached": True, "seconds": 1.0,
             "calls": [{"name": "diarize", "arguments": {}, "ok": True, "error": None, "seconds": 0.1, "summary": ""},
                       {"name": "diarize", "arguments": {}, "ok": False, "error": "bad", "seconds": 0.1, "summary": ""}]}
    text = _call("transcribe") + f"<answer>A</answer><trace>{json.dumps(trace)}</trace>"
    t = parse_transcript(text)
    assert t.calls == [("diarize", True), ("diarize", False)]
    m = tool_metrics(text, {"diarize", "track_faces"})
    assert (m["tool_precision"], m["tool_recall"]) == (1.0, 0.5)
    assert m["invalid_call_rate"] == 0.5
    assert m["steps"] == 8.0
    assert m["termination"] == 0.5


def test_no_calls_no_answer():
    m = tool_metrics("I do not know", {"transcribe"})
    assert m == {"tool_precision": 0.0, "tool_recall": 0.0, "tool_f1": 0.0, "invalid_call_rate": 0.0,
                 "steps": 0.0, "termination": 0.0}


def test_speaker_f1():
    labels = ["Dev", "Hugo", "Maya"]
    assert mentioned_labels("Dev said hi to hugo; Devon left", labels) == {"Dev", "Hugo"}
    # pred {Dev, Maya} vs ref {Dev, Hugo}: P = R = 1/2
    assert speaker_f1("Dev and Maya talk", "Dev and Hugo talk", labels) == pytest.approx(0.5)
    assert speaker_f1("nobody", "Dev talks", labels) == 0.0
    assert speaker_f1("nobody", "no one", labels) == 1.0
