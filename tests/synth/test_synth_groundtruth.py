"""The default set's ground truth agrees with its media and its answers are exact."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from amuse_tasks.media import read_audio, read_video
from amuse_tasks.schema import LETTERS, load_records
from amuse_tasks.synth.timeline import overlap_ratio
from amuse_tasks.tasks import TASKS


@pytest.fixture(scope="module")
def records(synth_root):
    return load_records(synth_root).records


@pytest.fixture(scope="module")
def clip_records(records):
    return [r for r in records if r["task"] == "avds"]  # one per clip, covering the whole clip


def _box_at(track: dict, t: float) -> list[int]:
    return next(b["box"] for b in track["boxes"] if b["start"] <= t < b["end"])


def test_all_tasks_and_ranges(synth_root, records, clip_records):
    assert {t: sum(r["task"] == t for r in records) for t in TASKS} == {t: 10 for t in TASKS}
    ratios = []
    for r in clip_records:
        assert 10 <= r["end"] <= 50
        assert 2 <= len(r["people"]) <= 5
        assert len(r["scenes"]) >= 2
        speakers = {s["speaker"] for s in r["segments"]}
        assert speakers == {p["label"] for p in r["people"]}  # everyone talks
        ratios.append(overlap_ratio([(s["start"], s["end"]) for s in r["segments"]]))
        assert ratios[-1] == pytest.approx(r["meta"]["overlap_ratio"], abs=1e-3)
    assert 0.22 <= np.mean(ratios) <= 0.34
    assert all(r["cues"] is None and r["expected_tools"] == sorted(TASKS[r["task"]].expected_tools) for r in records)


def test_haar_finds_every_face_at_its_box(synth_root, clip_records):
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    for r in clip_records:
        for scene in r["scenes"]:
            t = (scene["start"] + scene["end"]) / 2
            frame = read_video(synth_root / r["video"], t, t + 0.1, num_frames=1)[0][0]
            found = cascade.detectMultiScale(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), 1.1, 4, minSize=(24, 24))
            for track in r["faces"]:
                x, y, w, h = _box_at(track, t)
                near = [d for d in found if abs(d[0] + d[2] / 2 - (x + w / 2)) < 0.25 * w
                        and abs(d[1] + d[3] / 2 - (y + h / 2)) < 0.25 * h and 0.6 < d[2] / w < 1.6]
                assert near, f"{r['clip_id']} at {t:.1f} s: no face found near {track['person']}'s box"


def test_mouth_motion_follows_own_speech_energy(synth_root, clip_records):
    """Mouth-region motion of each person correlates best with the audio energy while THEY speak."""
    for r in clip_records[:4]:
        frames, times = read_video(synth_root / r["video"])
        audio = read_audio(synth_root / r["audio"])
        hop = 16000 // 12
        energy = np.array([np.sqrt(np.mean(audio[int(t * 16000):int(t * 16000) + hop] ** 2))
                           if int(t * 16000) < len(audio) else 0.0 for t in times])
        labels = [p["label"] for p in r["people"]]
        speaking = {p: np.zeros(len(times)) for p in labels}
        for s in r["segments"]:
            speaking[s["speaker"]][(times >= s["start"]) & (times < s["end"])] = 1
        for track in r["faces"]:
            motion = np.zeros(len(times))
            prev = None
            for i, t in enumerate(times):
                x, y, w, h = _box_at(track, min(t, r["end"] - 1e-3))
                region = frames[i, y + int(0.6 * h):y + int(0.9 * h), x + int(0.25 * w):x + int(0.75 * w)]
                region = region.astype(np.float32).mean(axis=2)
                if prev is not None and prev.shape == region.shape:
                    motion[i] = np.abs(region - prev).mean()
                prev = region
            corr = {q: np.corrcoef(motion, energy * speaking[q])[0, 1] for q in labels}
            me = track["person"]
            assert corr[me] > 0.35, (r["clip_id"], me, corr)
            assert all(corr[me] > corr[q] + 0.2 for q in labels if q != me), (r["clip_id"], me, corr)


def _letter(r: dict, option: str) -> str:
    return LETTERS[r["options"].index(option)]


def test_answers_match_ground_truth(records):
    for r in records:
        segs = r["segments"]
        if r["task"] == "avsa":
            quote = r["question"].split('"')[1]
            (seg,) = [s for s in segs if s["text"] == quote]
            assert r["answer"] == _letter(r, seg["speaker"])
            assert r["start"] <= seg["start"] and seg["end"] <= r["end"]
        elif r["task"] == "nsp":
            assert all(s["end"] <= r["end"] for s in segs)  # nothing runs across the cut
            assert any(abs(s["end"] - r["end"]) < 1e-6 for s in segs)  # the cut is a turn end
            assert r["options"][LETTERS.index(r["answer"])] in {p["label"] for p in r["people"]}
        elif r["task"] == "stg":
            quoted = r["question"].split('"')
            name = r["question"].split()[2]
            if len(quoted) > 1:
                said = [s for s in segs if s["text"] == quoted[1]]
                (seg,) = [s for s in said if s["speaker"] == name]
                # the words alone do not say who: when two people say them, identity decides
                assert len(said) == 1 or len({s["speaker"] for s in said}) == 2
                assert r["answer"] == [[round(seg["start"] - r["start"], 3), round(seg["end"] - r["start"], 3)]]
            else:
                mine = [s for s in segs if s["speaker"] == name]
                assert r["answer"][0][0] == pytest.approx(max(0.0, mine[0]["start"] - r["start"]), abs=1e-3)
        elif r["task"] == "csnl":
            said = r["rationale"].split('"')[1]
            (seg,) = [s for s in segs if s["text"] == said]
            scene = next(sc["index"] for sc in r["scenes"] if sc["start"] <= seg["start"] < sc["end"])
            assert r["answer"] == _letter(r, f"{seg['speaker']}, in scene {scene}")
        elif r["task"] == "avds":
            for p in r["people"]:
                assert p["label"] in r["answer"] or p["label"] not in {s["speaker"] for s in segs}


def test_correct_letters_are_spread(records):
    """The right answer is not always in the same place (a text-only model can't exploit it)."""
    letters = [r["answer"] for r in records if TASKS[r["task"]].is_choice]
    assert len(set(letters)) >= 3
    assert max(letters.count(x) for x in set(letters)) / len(letters) < 0.5


def _changed_pixels(a: np.ndarray, b: np.ndarray, box: list[int]) -> int:
    """Pixels of a face box that differ clearly between two frames of one scene (same face, same
    light: only a mouth opening or closing changes it)."""
    x, y, w, h = box
    diff = np.abs(a[y:y + h, x:x + w].astype(int) - b[y:y + h, x:x + w].astype(int)).sum(axis=2)
    return int((diff > 60).sum())


def test_next_speaker_opens_the_mouth_silently_before_the_nsp_cut(synth_root, records):
    """The natural next-speaker cue: just before the cut, nobody's seat is framed, and the answer's
    mouth is open (the face differs from the same face when quiet) while their voice is silent."""
    for r in (r for r in records if r["task"] == "nsp"):
        nxt = r["options"][LETTERS.index(r["answer"])]
        ready = [p for p in r["meta"]["pre_speech"] if p["person"] == nxt and p["start"] < r["end"] - 0.2 < p["end"]]
        assert ready, r["id"]
        assert not any(s["speaker"] == nxt and s["end"] > r["end"] - 0.2 for s in r["segments"])
        (frame,), _ = read_video(synth_root / r["video"], r["end"] - 0.1, r["end"], num_frames=1)
        scene_start = max(sc["start"] for sc in r["scenes"] if sc["start"] < r["end"] - 0.1)
        quiet = [t for t in np.arange(scene_start, r["end"] - 1.5, 0.1)
                 if not any(s["start"] - 1.5 <= t <= s["end"] for s in r["segments"] if s["speaker"] == nxt)]
        track = next(t for t in r["faces"] if t["person"] == nxt)
        box = _box_at(track, r["end"] - 0.1)
        if quiet:
            (closed,), _ = read_video(synth_root / r["video"], quiet[0], quiet[0] + 0.1, num_frames=1)
            assert _changed_pixels(frame, closed, box) > 20, r["id"]
        rgb = frame.astype(int)
        yellow = (rgb[..., 0] > 200) & (rgb[..., 1] > 170) & (rgb[..., 2] < 90)
        for tr in r["faces"]:  # no drawn outline: no yellow line above any face
            x, y, w, h = _box_at(tr, r["end"] - 0.1)
            assert yellow[max(0, y - 12):y, x:x + w].sum() < w, r["id"]


def test_text_alone_does_not_beat_chance(records):
    """Text-only shortcuts (position, length, word overlap with the question) stay near chance."""
    choice = [r for r in records if TASKS[r["task"]].is_choice]
    chance = np.mean([1 / len(r["options"]) for r in choice])

    def words(s: str) -> set[str]:
        return set(s.lower().replace(",", " ").replace(".", " ").replace('"', " ").split())

    shortcuts = {
        "first": lambda r: 0,
        "last": lambda r: len(r["options"]) - 1,
        "longest": lambda r: max(range(len(r["options"])), key=lambda i: len(r["options"][i])),
        "overlap": lambda r: max(range(len(r["options"])),
                                 key=lambda i: len(words(r["options"][i]) & words(r["question"]))),
    }
    for name, pick in shortcuts.items():
        acc = np.mean([LETTERS[pick(r)] == r["answer"] for r in choice])
        assert acc <= chance + 0.2, (name, acc, chance)
    csnl = [r for r in records if r["task"] == "csnl"]
    for r in csnl:  # each option's scene number appears equally often
        scenes = [o.rsplit(" ", 1)[1] for o in r["options"]]
        assert len({scenes.count(s) for s in scenes}) == 1, r["options"]
    three = [r for r in csnl if len(r["scenes"]) == 3]
    assert {r["options"][LETTERS.index(r["answer"])][-1] for r in three} == {"1", "2"}


def test_by_quote_grounding_needs_the_speaker(records):
    """By-quote stg items quote words that two people say in the window (an echo): a transcript
    look-up finds both, only the named person's identity picks the answer."""
    by_quote = [r for r in records if r["task"] == "stg" and '"' in r["question"]]
    shared = [r for r in by_quote
              if len({s["speaker"] for s in r["segments"] if s["text"] == r["question"].split('"')[1]}) == 2]
    assert by_quote and len(shared) == len(by_quote)
