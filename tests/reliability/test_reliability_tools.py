"""Perception on broken media and broken backends: the failure stays in its own call and sample,
says what is wrong, and the next call (and the next sample) works."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time

import pytest
from reliability_fixtures import copy_dataset, corrupt_mp4, no_network, truncate  # noqa: F401

from amuse_tasks import media
from amuse_tasks.tools import Toolbox, toolbox as toolbox_module

WINDOW = 4.0


@pytest.fixture(autouse=True)
def _offline(no_network):  # noqa: F811
    yield


def make_broken(synth_root, root, window):
    """avsa records of 4 clips: clip 0 intact, 1 corrupt MP4, 2 truncated WAV, 3 media missing."""
    recs = copy_dataset(synth_root, root, tasks=("avsa",), clips=4, window=window)
    by_clip = {r["clip_id"]: r for r in recs}
    ids = sorted(by_clip)
    corrupt_mp4(root / by_clip[ids[1]]["video"])
    truncate(root / by_clip[ids[2]]["audio"])
    os.remove(root / by_clip[ids[3]]["video"])
    os.remove(root / by_clip[ids[3]]["audio"])
    return root, [by_clip[i] for i in ids]


@pytest.fixture(scope="module")
def broken_media(synth_root, tmp_path_factory):
    """The 4 samples with windows cut to 4 s (short tool runs)."""
    return make_broken(synth_root, tmp_path_factory.mktemp("broken_media"), WINDOW)


def test_media_errors_name_the_file_and_the_problem(broken_media):
    root, (good, bad_mp4, bad_wav, missing) = broken_media
    assert media.read_audio(root / good["audio"], 0, 1).shape == (16000,)
    with pytest.raises(media.MediaError, match=rf"{bad_mp4['video']}: (corrupt|no video stream)"):
        media.read_video(root / bad_mp4["video"], 0, 1, fps=2)
    with pytest.raises(media.MediaError, match=rf"{bad_wav['audio']}: truncated WAV"):
        media.read_audio(root / bad_wav["audio"], 0, 1)
    with pytest.raises(media.MediaError, match=rf"{missing['video']}: file not found"):
        media.read_video(root / missing["video"], 0, 1)


def test_offline_tools_fail_per_call_on_broken_media(broken_media, tmp_path):
    root, (good, bad_mp4, bad_wav, missing) = broken_media
    expect = {  # record -> (vad ok, track_faces ok, text of the error)
        good["id"]: (True, True, None),
        bad_mp4["id"]: (True, False, "corrupt|no video stream"),
        bad_wav["id"]: (False, True, "truncated WAV"),
        missing["id"]: (False, False, "file not found|No such file"),
    }
    for rec in (good, bad_mp4, bad_wav, missing):
        tb = Toolbox.for_record(rec, root, backends="offline", cache=tmp_path / "cache")
        vad = tb.call("vad", {"start": 0, "end": WINDOW})
        faces = tb.call("track_faces", {"start": 0, "end": WINDOW})
        want_vad, want_faces, problem = expect[rec["id"]]
        assert vad["ok"] is want_vad and faces["ok"] is want_faces, (rec["id"], vad["error"], faces["error"])
        for out in (vad, faces):
            if not out["ok"]:
                assert re.search(problem, out["error"]) and rec["clip_id"] in out["error"], out["error"]
        if want_vad:
            assert vad["result"]["speech"], "the intact audio has speech in its first seconds"
        if want_faces:
            assert faces["result"]["faces"], "the intact video shows faces"


class _Backend:
    kind, name, media, settings = "asr", "test-backend", "audio", {}

    def __init__(self, behaviour: str):
        self.behaviour, self.calls = behaviour, 0

    def run(self, clip, ctx=None):
        self.calls += 1
        if self.behaviour == "raise":
            raise RuntimeError("model exploded")
        if self.behaviour == "hang":
            threading.Event().wait(30)
        return [{"start": 0.0, "end": 1.0, "text": "hello there", "words": []}]


def _with_asr(monkeypatch, backend):
    real = toolbox_module.build_backend
    monkeypatch.setattr(toolbox_module, "build_backend", lambda kind, value: backend if kind == "asr" else real(kind, value))


def test_a_raising_backend_fails_only_its_call(broken_media, tmp_path, monkeypatch, caplog):
    root, (good, *_) = broken_media
    _with_asr(monkeypatch, _Backend("raise"))
    tb = Toolbox.for_record(good, root, backends="oracle", cache=tmp_path / "cache")
    with caplog.at_level(logging.WARNING):
        out = tb.call("transcribe", {"start": 0, "end": 2})
    assert not out["ok"] and out["error"] == "transcribe failed: RuntimeError: model exploded"
    assert "tool transcribe failed on clip" in caplog.text
    assert tb.call("diarize", {"start": 0, "end": 2})["ok"]
    assert not list((tmp_path / "cache").rglob("*.json")), "a failed call must not be cached"


def test_a_hanging_backend_times_out(broken_media, tmp_path, monkeypatch):
    root, (good, *_) = broken_media
    hang = _Backend("hang")
    _with_asr(monkeypatch, hang)
    tb = Toolbox.for_record(good, root, backends="oracle", cache=tmp_path / "cache", call_timeout=1.0)
    t0 = time.perf_counter()
    out = tb.call("transcribe", {"start": 0, "end": 2})
    assert time.perf_counter() - t0 < 5.0
    assert not out["ok"] and "timed out" in out["error"]
    assert tb.call("diarize", {"start": 0, "end": 2})["ok"], "the toolbox still answers after a timeout"
    assert not list((tmp_path / "cache").rglob("*.json")), "a timed-out call must not be cached"


@pytest.mark.parametrize("damage", ["not json", "", '{"no_value": 1}', '["value"]'])
def test_a_corrupted_cache_entry_is_recomputed(broken_media, tmp_path, caplog, damage):
    root, (good, *_) = broken_media
    cache_dir = tmp_path / "cache"
    first = Toolbox.for_record(good, root, backends="offline", cache=cache_dir).call("vad", {"start": 0, "end": WINDOW})
    entries = list(cache_dir.rglob("*.json"))
    assert first["ok"] and len(entries) == 1
    entries[0].write_text(damage, encoding="utf-8")
    tb = Toolbox.for_record(good, root, backends="offline", cache=cache_dir)
    with caplog.at_level(logging.WARNING):
        again = tb.call("vad", {"start": 0, "end": WINDOW})
    assert again["ok"] and again["result"] == first["result"]
    assert tb.cache.misses == 1 and tb.cache.hits == 0
    assert entries[0].name in caplog.text and "recomputing" in caplog.text
    assert json.loads(entries[0].read_text(encoding="utf-8"))["value"], "the entry is rewritten"


def test_agentic_lm_eval_run_completes_on_broken_media(synth_root, tmp_path):
    """amuse-agent (baseline policy, offline tools) over 4 samples, 3 with broken media: every sample is
    answered or scored as unanswered, the broken ones carry the media error in their trace."""
    from reliability_fixtures import evaluate

    from amuse_tasks.models.agent import AmuseAgentLM

    root, (good, bad_mp4, bad_wav, missing) = make_broken(synth_root, tmp_path / "data", None)  # whole windows
    lm = AmuseAgentLM(policy="baseline", tools="offline", tool_cache=str(tmp_path / "cache"))
    out = evaluate(lm, ["amuse_avsa_agentic"], root)
    samples = {s["doc"]["id"]: s for s in out["samples"]["amuse_avsa_agentic"]}
    assert set(samples) == {good["id"], bad_mp4["id"], bad_wav["id"], missing["id"]}
    for rec, problem in ((bad_mp4, "corrupt|no video stream"), (bad_wav, "truncated WAV"), (missing, "file not found|No such file")):
        text = samples[rec["id"]]["resps"][0][0]
        trace = json.loads(re.findall(r"<trace>(.*?)</trace>", text, re.DOTALL)[-1])
        errors = [c["error"] for c in trace["calls"] if not c["ok"]] + [trace.get("error") or ""]
        assert any(re.search(problem, e or "") for e in errors), (rec["id"], errors)
    good_trace = json.loads(re.findall(r"<trace>(.*?)</trace>", samples[good["id"]]["resps"][0][0], re.DOTALL)[-1])
    assert good_trace["calls"] and all(c["ok"] for c in good_trace["calls"] if c["name"] in ("transcribe", "diarize")), good_trace


def test_cue_pass_over_broken_media_writes_the_good_records(broken_media, tmp_path, capsys):
    from amuse_tasks.cli.cues import main

    root, (good, bad_mp4, bad_wav, missing) = broken_media
    rc = main(["--root", str(root), "--tools", "offline", "--tool-cache", str(tmp_path / "cache"), "--overwrite"])
    assert rc == 1, "a failed record makes the exit status 1"
    printed = capsys.readouterr().out
    assert "1 computed" in printed and "3 failed" in printed, printed
    written = {p.stem for p in (root / "cues" / "offline").glob("*.json") if p.name != "index.json"}
    assert written == {good["id"]}


def test_guided_run_with_tool_cues_completes_on_broken_media(broken_media, tmp_path, monkeypatch):
    """Guided prompts computed from offline tool cues: a sample whose perception fails still gets a
    prompt (its cue block says so) and a score; the intact sample gets real cues."""
    from reliability_fixtures import evaluate, scripted_lm

    root, (good, *broken) = broken_media
    monkeypatch.setenv("AMUSE_TOOL_CACHE", str(tmp_path / "cache"))
    out = evaluate(scripted_lm(lambda doc, name: f"Answer: {doc['answer']}"), ["amuse_avsa_guided"], root,
                   cues="offline")
    samples = {s["doc"]["id"]: s for s in out["samples"]["amuse_avsa_guided"]}
    assert set(samples) == {good["id"], *(r["id"] for r in broken)}
    assert all(s["acc_strict"] == 1.0 for s in samples.values())
    prompt = {i: s["arguments"][0][0] for i, s in samples.items()}  # in memory: one args tuple per request
    assert "VOICE_1" in prompt[good["id"]]
    assert all("perception failed" in prompt[r["id"]] for r in broken)
