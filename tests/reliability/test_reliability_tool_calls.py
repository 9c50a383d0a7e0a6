"""Invalid and hostile tool calls: each gets an error message back (never an exception), and the
transcript metrics survive whatever the model wrote."""

from __future__ import annotations

import json
import math
import time

import pytest
from reliability_fixtures import no_network  # noqa: F401  (autouse below)

from amuse_tasks.metrics.tool_use import tool_metrics
from amuse_tasks.schema import load_records
from amuse_tasks.tools import Toolbox

DEPTH = 100_000


@pytest.fixture(autouse=True)
def _offline(no_network):  # noqa: F811
    yield


@pytest.fixture
def toolbox(synth_root, tmp_path):
    rec = next(r for r in load_records(synth_root).records if r["task"] == "avsa")
    return Toolbox.for_record(rec, synth_root, backends="oracle", cache=tmp_path / "cache")


def nested(depth: int):
    """[[[...]]] ``depth`` levels deep, built without recursion."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


HOSTILE = [
    ("transcribe_everything", {"start": 0, "end": 1}, "unknown tool 'transcribe_everything'; the tools are: transcribe"),
    (None, {"start": 0, "end": 1}, "unknown tool None"),
    (["diarize"], {"start": 0, "end": 1}, "unknown tool ['diarize']"),
    ("diarize", "start=0, end=1", "arguments must be a JSON object, got str"),
    ("diarize", None, "arguments must be a JSON object, got NoneType"),
    ("diarize", {"start": "zero", "end": 1}, "argument 'start' must be a number of seconds, got 'zero'"),
    ("diarize", {"start": True, "end": 1}, "argument 'start' must be a number of seconds, got True"),
    ("diarize", {"start": 0, "end": math.nan}, "argument 'end' must be a number of seconds, got nan"),
    ("diarize", {"start": 0, "end": math.inf}, "argument 'end' must be a number of seconds, got inf"),
    ("diarize", {"start": -5, "end": 1}, "time outside the clip: start=-5"),
    ("diarize", {"start": 0, "end": 1e9}, "time outside the clip: start=0, end=1000000000.0"),
    ("diarize", {"start": 3, "end": 2}, "must be after start"),
    ("diarize", {"start": 0}, "missing: end"),
    ("diarize", {"start": 0, "end": 1, "rm -rf": "/"}, "unknown: rm -rf"),
    ("lip_sync", {"face_id": 7, "start": 0, "end": 1}, "unknown face_id 7; face ids of this clip: FACE_A"),
    ("lip_sync", {"face_id": "FACE_ZZ", "start": 0, "end": 1}, "unknown face_id 'FACE_ZZ'"),
    ("face_crop", {"face_id": "FACE_A", "t": -1}, "argument 't' must be a time within the clip"),
    ("diarize", {"start": nested(DEPTH), "end": 1}, "argument 'start' must be a number of seconds"),
    ("diarize", {"start": {"$gt": 0}, "end": 1}, "argument 'start' must be a number of seconds"),
    ("transcribe", {"start": "0" * 200_000, "end": 1}, "argument 'start' must be a number of seconds"),
]


@pytest.mark.parametrize("name,arguments,message", HOSTILE, ids=[f"{i}-{h[0]!s:.20}" for i, h in enumerate(HOSTILE)])
def test_bad_call_returns_a_clear_error(toolbox, name, arguments, message):
    out = toolbox.call(name, arguments)
    assert out["ok"] is False and out["result"] is None
    assert message in out["error"], out["error"]
    assert out["summary"].startswith("error: ") and len(out["summary"]) <= 200
    assert len(out["error"]) <= 1000, "an error message quotes at most a short excerpt of the bad value"
    json.dumps({k: out[k] for k in ("ok", "error", "seconds", "summary")})  # the trace can hold it


def test_bad_calls_leave_the_toolbox_working(toolbox):
    for name, arguments, _ in HOSTILE:
        toolbox.call(name, arguments)
    good = toolbox.call("diarize", {"start": 0, "end": toolbox.clip.duration})
    assert good["ok"], good["error"]
    assert good["result"]["segments"] and {s["voice"] for s in good["result"]["segments"]} <= {"VOICE_1", "VOICE_2", "VOICE_3", "VOICE_4", "VOICE_5"}


def test_agent_parser_turns_hostile_json_into_errors():
    from amuse_tasks.tools.call_forms import parse_turn

    deep = '{"name": "diarize", "arguments": ' + "[" * DEPTH + "]" * DEPTH + "}"
    text = ("<tool_call>" + deep + "</tool_call>"
            "<tool_call>{not json</tool_call>"
            "<tool_call>[1, 2]</tool_call>"
            '<tool_call>{"name": 5, "arguments": {}}</tool_call>'
            '<tool_call>{"name": "diarize", "arguments": "{\\"start\\": 0, \\"end\\": 2}"}</tool_call>')
    t0 = time.perf_counter()
    calls = parse_turn(text).calls
    assert time.perf_counter() - t0 < 2.0
    assert len(calls) == 5
    assert isinstance(calls[0], str) and "not valid JSON" in calls[0]
    assert isinstance(calls[1], str) and "not valid JSON" in calls[1]
    assert isinstance(calls[2], str) and isinstance(calls[3], str)
    assert calls[4] == ("diarize", {"start": 0, "end": 2}, "hermes")


def test_tool_metrics_survive_hostile_transcripts():
    deep = "[" * DEPTH + "]" * DEPTH
    cases = {
        "deep call": f'<tool_call>{{"name": "diarize", "arguments": {deep}}}</tool_call><answer>A</answer>',
        "deep trace": f"<answer>A</answer><trace>{deep}</trace>",
        "trace not an object": "<answer>A</answer><trace>[1, 2]</trace>",
        "calls not a list": '<answer>A</answer><trace>{"calls": "many", "steps": "x"}</trace>',
        "unclosed tags": "<tool_call>" * 20_000 + "<answer>" * 20_000,
    }
    for what, text in cases.items():
        t0 = time.perf_counter()
        m = tool_metrics(text, {"diarize", "transcribe"})
        assert time.perf_counter() - t0 < 2.0, what
        assert set(m) == {"tool_precision", "tool_recall", "tool_f1", "invalid_call_rate", "steps", "termination"}, what
        assert all(isinstance(v, float) and math.isfinite(v) for v in m.values()), (what, m)
    assert tool_metrics(cases["deep call"], {"diarize"})["invalid_call_rate"] == 1.0


def test_episode_transcript_survives_hostile_arguments(toolbox):
    """The agent echoes calls and writes a JSON trace; hostile arguments must not break either."""
    from amuse_tasks.models.episode import Episode

    ep = Episode(toolbox, max_steps=2)
    ep.write("<plan>try</plan>")
    ep.round([("diarize", {"start": nested(DEPTH), "end": 1}), ("diarize", {"start": 0, "end": 2})])
    ep.write("<answer>A</answer>")
    text = ep.transcript()
    assert len(text) < 50_000
    m = tool_metrics(text, {"diarize"})
    assert m["invalid_call_rate"] == 0.5 and m["steps"] == 1.0 and m["termination"] == 1.0
