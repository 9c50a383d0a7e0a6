import json

import pytest

from amuse_tasks.metrics.answer_span import agentic_answer
from amuse_tasks.metrics.speaker_f1 import attributed_pairs, speaker_f1
from amuse_tasks.metrics.tool_use import parse_transcript, tool_metrics


def _call(name, **args):
    return f'<tool_call>{json.dumps({"name": name, "arguments": args})}</tool_call><tool_response>..</tool_response>'


def test_agentic_answer_takes_the_last_block_else_the_last_answer_line():
    assert agentic_answer("<answer>A</answer> then <answer> B </answer>") == "B"
    assert agentic_answer("<plan>look</plan>\nAnswer: B") == "B"
    assert agentic_answer("Answer: A\n<reflect>no</reflect>\nAnswer: C") == "C"
    # a tool's output is not the model's answer
    assert agentic_answer("<tool_response>Answer: A</tool_response> I am not sure") is None
    assert agentic_answer("I do not know") is None


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


def test_speaker_f1_scores_who_said_what():
    labels = ["Dev", "Hugo", "Maya"]
    ref = "Dev lost the keys. Hugo offers a spare key."
    assert attributed_pairs(ref, labels) == {("Dev", "lost"), ("Dev", "key"), ("Hugo", "offer"),
                                              ("Hugo", "spare"), ("Hugo", "key")}
    assert speaker_f1(ref, ref, labels) == 1.0
    # names only: nothing attributed
    assert speaker_f1("Dev, Hugo and Maya.", ref, labels) == 0.0
    assert speaker_f1("Dev. Hugo. Maya.", ref, labels) == 0.0
    # the right content given to the wrong people
    assert speaker_f1("Hugo lost the keys. Dev offers a spare key.", ref, labels) == pytest.approx(2 * 2 / 10)
    # half of it: pred {(Dev, lost), (Dev, key)} vs 5 reference pairs: P 1, R 2/5
    assert speaker_f1("Dev lost the keys.", ref, labels) == pytest.approx(2 * 0.4 / 1.4)
    assert speaker_f1("nobody", ref, labels) == 0.0
    assert speaker_f1("nobody", "no one", labels) == 1.0


def test_pass_hat_k_by_hand():
    from amuse_tasks.metrics.tool_use import pass_hat_k

    outcomes = [[True, True, True, False], [True, False, False, False], [False] * 4]
    assert pass_hat_k(outcomes, 1) == pytest.approx((3 / 4 + 1 / 4 + 0) / 3)  # pass^1 = mean accuracy
    assert pass_hat_k(outcomes, 2) == pytest.approx((3 / 6 + 0 + 0) / 3)       # C(3,2)/C(4,2) for the first
    assert pass_hat_k(outcomes, 4) == 0.0                                      # no question right 4 times of 4
    assert pass_hat_k([[True] * 3], 3) == 1.0
    with pytest.raises(ValueError, match="at least 5 episodes"):
        pass_hat_k(outcomes, 5)
