"""The Toolbox interface with oracle backends: window times, anonymous labels, bad calls."""

from __future__ import annotations

import math

import pytest

from amuse_tasks.tools import BackendUnavailable, Toolbox, backends_tag, parse_backends


def _oracle(record, root, tool_cache):
    return Toolbox.for_record(record, root, backends="oracle", cache=tool_cache)


def test_times_are_window_relative_and_labels_anonymous(synth_root, records, tool_cache):
    rec = next(r for r in records if r["task"] == "avsa" and r["start"] > 0)  # a window that starts mid-file
    tb = _oracle(rec, synth_root, tool_cache)
    dur = rec["end"] - rec["start"]
    segs = tb.diarize(0, dur)["segments"]
    first = min((s for s in rec["segments"] if s["end"] > rec["start"]), key=lambda s: s["start"])
    assert segs[0]["voice"] == "VOICE_1"
    assert segs[0]["start"] == pytest.approx(max(0.0, first["start"] - rec["start"]), abs=0.01)
    assert all(0 <= s["start"] <= s["end"] <= dur + 0.01 for s in segs)
    labels = {p["label"] for p in rec["people"]}
    assert not labels & {s["voice"] for s in segs}
    faces = tb.track_faces(0, dur)["faces"]
    assert {f["face"] for f in faces} == {f"FACE_{c}" for c in "ABCDE"[: len(rec["people"])]}
    utts = tb.transcribe(0, dur)["utterances"]
    assert [u["text"] for u in utts] == [s["text"] for s in sorted(rec["segments"], key=lambda s: (s["start"], s["end"]))
                                        if s["end"] > rec["start"] and s["start"] < rec["end"]]


def test_oracle_lip_sync_marks_the_speaker(synth_root, records, tool_cache):
    rec = next(r for r in records if r["task"] == "avsa")
    tb = _oracle(rec, synth_root, tool_cache)
    seg = max((s for s in rec["segments"] if s["start"] >= rec["start"] and s["end"] <= rec["end"]),
              key=lambda s: s["end"] - s["start"])
    a, b = seg["start"] - rec["start"], seg["end"] - rec["start"]
    face_of = {person: face for person, face in ((raw, lab) for raw, lab in tb.face_labels().items())}
    scores = {face: tb.lip_sync(face, a, b)["score"] for face in face_of.values()}
    assert scores[face_of[seg["speaker"]]] == 1.0
    assert max(s for f, s in scores.items() if f != face_of[seg["speaker"]]) < 1.0


@pytest.mark.parametrize("name, args, message", [
    ("nope", {"start": 0, "end": 1}, "unknown tool 'nope'"),
    ("diarize", {"start": 0}, "missing: end"),
    ("diarize", {"start": 0, "end": 1, "speaker": 2}, "unknown: speaker"),
    ("diarize", {"start": 0, "end": 1e6}, "time outside the clip"),
    ("diarize", {"start": 5, "end": 2}, "end (2) must be after start (5)"),
    ("diarize", {"start": -1, "end": 2}, "time outside the clip"),
    ("transcribe", {"start": "0", "end": 2}, "must be a number"),
    ("transcribe", {"start": True, "end": 2}, "must be a number"),
    ("transcribe", {"start": math.nan, "end": 2}, "must be a number"),
    ("lip_sync", {"face_id": "FACE_Z", "start": 0, "end": 1}, "unknown face_id 'FACE_Z'"),
    ("face_crop", {"face_id": "FACE_A", "t": -3}, "argument 't'"),
    ("diarize", ["not", "an", "object"], "arguments must be a JSON object"),
    (None, {}, "unknown tool None"),
])
def test_bad_calls_return_an_error_and_never_raise(synth_root, records, tool_cache, name, args, message):
    tb = _oracle(records[0], synth_root, tool_cache)
    out = tb.call(name, args)
    assert out["ok"] is False and out["result"] is None
    assert message in out["error"]
    assert out["summary"].startswith("error:")


def test_good_call_has_result_summary_and_timing(synth_root, records, tool_cache):
    tb = _oracle(records[0], synth_root, tool_cache)
    out = tb.call("diarize", {"start": 0, "end": 3.0})
    assert out["ok"] and out["error"] is None and out["seconds"] >= 0
    assert out["summary"].endswith("voices")


def test_backend_specs():
    assert parse_backends("oracle")["asr"] == "oracle"
    chosen = parse_backends("fast;transcribe=openai-whisper:tiny.en;diarize=pyannote:/m/p.yaml")
    assert chosen == {"asr": "openai-whisper:tiny.en", "diarize": "pyannote:/m/p.yaml", "faces": "haar",
                      "lipsync": "correlation", "vad": "silero"}
    assert parse_backends(None) == parse_backends("offline") == {
        "asr": "faster-whisper", "diarize": "ge2e", "faces": "dlib", "lipsync": "landmarks", "vad": "silero"}
    assert backends_tag(parse_backends("offline;faces=dlib")) == "offline"
    assert backends_tag(parse_backends("offline;faces=haar;lipsync=correlation")) == "fast"
    assert backends_tag(chosen) == "openai-whisper-tiny.en+pyannote-p.yaml+haar+correlation+silero"
    for bad, message in (("online", "unknown preset"), ("offline;transcribe=whisperx", "no asr backend 'whisperx'"),
                         ("offline;smell=nose", "unknown tool 'smell'"), ("transcribe=oracle;oracle", "must come first")):
        with pytest.raises(ValueError, match=message):
            parse_backends(bad)


@pytest.mark.parametrize("spec, message", [
    ("offline;transcribe=openai-whisper", "pass transcribe=openai-whisper:<name"),
    ("offline;transcribe=openai-whisper:/nowhere/model.pt", "neither a file nor a checkpoint name"),
    ("offline;diarize=pyannote", "diarize=pyannote:<local config.yaml"),
    ("offline;faces=insightface", "insightface"),
])
def test_missing_backend_gives_one_message_with_the_fix(synth_root, records, tmp_path, spec, message):
    tool = {"transcribe": "transcribe", "diarize": "diarize", "faces": "track_faces"}[spec.split(";")[1].split("=")[0]]
    tb = Toolbox.for_record(records[0], synth_root, backends=spec, cache=tmp_path)
    out = tb.call(tool, {"start": 0, "end": 1})
    assert not out["ok"] and message in out["error"]
    with pytest.raises(BackendUnavailable, match="install|pass|put"):
        getattr(tb, tool)(0, 1)


def test_face_crop_writes_the_face_image(synth_root, records, tmp_path):
    from PIL import Image

    rec = records[0]
    tb = Toolbox.for_record(rec, synth_root, backends="oracle", cache=tmp_path)
    face = tb.track_faces(0, 2.0)["faces"][0]
    out = tb.face_crop(face["face"], 1.0)
    assert out["box"] == face["box"]
    with Image.open(out["image"]) as im:
        assert im.size == (face["box"][2], face["box"][3])
    assert "within the clip" in tb.call("face_crop", {"face_id": face["face"], "t": rec["end"] - rec["start"] + 5})["error"]
