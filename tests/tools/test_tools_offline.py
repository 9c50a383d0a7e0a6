"""The offline backends on a real AMUSE-Synth clip (faster-whisper tiny.en, Silero + GE2E
diarization, dlib faces, landmark lip sync), and the on-disk cache around them."""

from __future__ import annotations

import json
import re

import pytest

from amuse_tasks.tools import ToolCache, Toolbox


def _words(text):
    return re.findall(r"[a-z']+", text.lower())


@pytest.fixture(scope="module")
def offline(synth_root, short_avsa, tool_cache):
    return Toolbox.for_record(short_avsa, synth_root, backends="offline", cache=tool_cache)


def test_transcribe_recovers_the_words(offline, short_avsa):
    dur = short_avsa["end"] - short_avsa["start"]
    said = _words(" ".join(u["text"] for u in offline.transcribe(0, dur)["utterances"]))
    truth = _words(" ".join(s["text"] for s in short_avsa["segments"]
                            if s["start"] >= short_avsa["start"] and s["end"] <= short_avsa["end"]))
    common = sum(min(said.count(w), truth.count(w)) for w in set(truth))
    assert common / len(truth) > 0.35  # tiny.en on overlapping espeak speech: measured 0.46 here


def test_faces_are_found_and_the_speaker_lip_syncs_best(offline, short_avsa):
    dur = short_avsa["end"] - short_avsa["start"]
    faces = offline.track_faces(0, dur)["faces"]
    assert len({f["face"] for f in faces}) == len(short_avsa["people"])
    # each visible face is one of the ground-truth boxes (centre inside)
    truth = [b["box"] for f in short_avsa["faces"] for b in f["boxes"]]
    for f in faces:
        x, y, w, h = f["box"]
        assert any(bx <= x + w / 2 <= bx + bw and by <= y + h / 2 <= by + bh for bx, by, bw, bh in truth)
    # the longest single-speaker stretch: the speaker's face scores highest
    segs = sorted((s for s in short_avsa["segments"] if short_avsa["start"] <= s["start"] and s["end"] <= short_avsa["end"]),
                  key=lambda s: s["start"])
    alone = []
    for s in segs:
        others = [o for o in segs if o is not s]
        a = max([s["start"]] + [o["end"] for o in others if o["start"] <= s["start"] < o["end"]])
        b = min([s["end"]] + [o["start"] for o in others if a < o["start"] < s["end"]])
        alone.append((b - a, a, b, s["speaker"]))
    _, a, b, speaker = max(alone)
    a, b = a - short_avsa["start"], b - short_avsa["start"]
    scores = {f: offline.lip_sync(f, a, b)["score"] for f in offline.face_labels().values()}
    box = next(bx["box"] for f in short_avsa["faces"] if f["person"] == speaker for bx in f["boxes"])
    mid = (a + b) / 2
    at = {f["face"]: f["box"] for f in faces if f["start"] <= mid <= f["end"]}
    speaker_face = min(at, key=lambda f: abs(at[f][0] - box[0]) + abs(at[f][1] - box[1]))
    assert max(scores, key=scores.get) == speaker_face


def test_diarize_and_vad_cover_the_speech(offline, short_avsa):
    dur = short_avsa["end"] - short_avsa["start"]
    speech = offline.vad(0, dur)["speech"]
    segs = offline.diarize(0, dur)["segments"]
    talk = sum(s["end"] - s["start"] for s in speech)
    truth = [(max(s["start"], short_avsa["start"]) - short_avsa["start"], min(s["end"], short_avsa["end"]) - short_avsa["start"])
             for s in short_avsa["segments"] if s["end"] > short_avsa["start"] and s["start"] < short_avsa["end"]]
    covered = sum(max(0.0, min(b, e) - max(a, s)) for a, b in truth for s, e in ((x["start"], x["end"]) for x in speech))
    assert covered / sum(b - a for a, b in truth) > 0.8 and talk <= dur
    assert segs and all(re.fullmatch(r"VOICE_\d+", s["voice"]) for s in segs)


def test_second_run_does_no_perception_work(synth_root, short_avsa, tool_cache, monkeypatch):
    from amuse_tasks.tools import toolbox as toolbox_mod

    dur = short_avsa["end"] - short_avsa["start"]
    first = Toolbox.for_record(short_avsa, synth_root, backends="offline", cache=tool_cache)
    expected = {n: first.call(n, {"start": 0, "end": dur})["result"] for n in ("transcribe", "diarize", "track_faces")}

    def boom(*a, **k):
        raise AssertionError("perception ran although everything is cached")

    monkeypatch.setattr(toolbox_mod, "build_backend", lambda kind, value: type("Cached", (), {
        "name": value.split(":")[0], "settings": first.backend(kind).settings, "media": first.backend(kind).media,
        "run": boom, "motion": boom})())
    again = Toolbox.for_record(short_avsa, synth_root, backends="offline", cache=ToolCache(tool_cache))
    for name, result in expected.items():
        assert again.call(name, {"start": 0, "end": dur})["result"] == result
    assert again.cache.misses == 0 and again.cache.hits >= 3


def test_a_corrupted_cache_entry_is_recomputed(synth_root, short_avsa, tmp_path):
    dur = short_avsa["end"] - short_avsa["start"]
    tb = Toolbox.for_record(short_avsa, synth_root, backends="offline;asr=oracle", cache=tmp_path)
    good = tb.vad(0, dur)
    entries = [p for p in tmp_path.rglob("*.json")]
    assert len(entries) == 1
    entries[0].write_text('{"value": [tru', encoding="utf-8")
    again = Toolbox.for_record(short_avsa, synth_root, backends="offline;asr=oracle", cache=tmp_path)
    assert again.vad(0, dur) == good
    assert again.cache.misses == 1 and json.loads(entries[0].read_text())["value"]


def test_the_windows_of_a_clip_share_one_face_detection_pass(synth_root, tmp_path, monkeypatch):
    """dlib detects once per part of a clip file; each window tracks only its own detections (none past
    its end), and the tracks are those of one pass over the window's own span."""
    from amuse_tasks.schema import load_records
    from amuse_tasks.tools.faces_dlib import DlibFaces

    records = [r for r in load_records(synth_root).records if r["clip_id"] == "s0c001"]
    windows = {(r["start"], r["end"]): r for r in records}
    assert len(windows) >= 2
    passes = []
    detect = DlibFaces.detections
    monkeypatch.setattr(DlibFaces, "detections", lambda self, video, part: passes.append(part) or detect(self, video, part))
    monkeypatch.setattr("amuse_tasks.tools.faces_dlib.PART", 10.0)  # parts of 10 s: every window spans several
    for (start, end), r in sorted(windows.items()):
        faces = Toolbox.for_record(r, synth_root, backends="offline", cache=tmp_path / "shared").face_tracks()
        assert faces and max(b[0] for tr in faces for b in tr["boxes"]) < end - start
        assert len({tr["id"] for tr in faces}) == len(r["people"])  # one identity per person across the cut
        alone = DlibFaces().run(Toolbox.for_record(r, synth_root, backends="offline", cache=None).clip)
        assert [(tr["start"], tr["end"], tr["boxes"]) for tr in alone] == [(tr["start"], tr["end"], tr["boxes"]) for tr in faces]
    clip_parts = int(max(e for _, e in windows) // 10.0) + 1
    assert sorted(passes) == sorted(list(range(clip_parts)) + [p for r in windows.values() for p in
                                    range(int(r["start"] // 10.0), int((r["end"] - 1e-6) // 10.0) + 1)])
