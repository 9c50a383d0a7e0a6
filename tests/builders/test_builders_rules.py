"""The rule-based task construction: windows, statistics, determinism, option drawing."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders_fixtures import dialogue

from amuse_tasks.builders.conversation import FaceTrack, Recording, Turn
from amuse_tasks.builders.clip_geometry import overlap_ratio, windows
from amuse_tasks.builders.clip_plan import BuildConfig
from amuse_tasks.builders.people import describe_people
from amuse_tasks.builders.task_rules import plan_recording


def _rec(turns=None, **kw) -> Recording:
    turns = turns or [Turn(s, a, b, t) for s, a, b, t in dialogue()]
    return Recording("r1", Path("/media/r1.mp4"), turns, **kw)


def test_overlap_ratio_by_hand():
    # speech 0-10 s; two speakers at once during 4-6 s -> 2 / 10
    turns = [Turn("a", 0, 6), Turn("b", 4, 10)]
    assert overlap_ratio(turns) == pytest.approx(0.2)
    assert overlap_ratio([Turn("a", 0, 2), Turn("a", 1, 3)]) == 0.0  # one speaker is never overlap


def test_windows_respect_length_gap_and_speakers():
    cfg = BuildConfig()
    ws = windows(_rec(), cfg)
    assert ws == [(0.5, 48.0), (48.5, 84.0)]  # 16 turns of 3 s fit in 50 s, the rest forms the second
    # a silence longer than max_gap ends a window; a lone speaker never makes one
    turns = [Turn("a", 0, 5), Turn("b", 5, 11), Turn("a", 30, 42), Turn("a", 42, 50)]
    assert windows(_rec(turns), cfg) == [(0.0, 11.0)]


def test_same_seed_same_dataset_other_seed_other_draws():
    cfg = BuildConfig(seed=1)
    a = [r for p in plan_recording(_rec(), cfg, "t") for r in p.records]
    b = [r for p in plan_recording(_rec(), cfg, "t") for r in p.records]
    assert a == b and len(a) >= 6
    c = [r for p in plan_recording(_rec(), BuildConfig(seed=2), "t") for r in p.records]
    assert [(r["options"], r["answer"], r["question"]) for r in a] != [(r["options"], r["answer"], r["question"]) for r in c]


def test_options_are_capped_unique_and_answer_points_to_the_truth():
    turns = [Turn(f"p{k % 6}", 3 * k, 3 * k + 2.5, f"line number {k} here") for k in range(16)]
    for plan in plan_recording(_rec(turns), BuildConfig(max_options=3, per_recording=9), "t"):
        for r in plan.records:
            if r["options"]:
                assert 2 <= len(r["options"]) <= 3 and len(set(r["options"])) == len(r["options"])
            if r["task"] == "avsa":
                quoted = r["question"].split('"')[1]
                speaker = next(s["speaker"] for s in r["segments"] if s["text"] == quoted)
                assert r["options"][ord(r["answer"]) - 65] == speaker


def test_visible_people_are_described_by_position_and_voices_by_another_utterance():
    turns = [Turn("ann", 0, 2, "first"), Turn("ben", 2, 4, "second"), Turn("ann", 4, 6, "third")]
    faces = [FaceTrack("t1", "ben", [(0.0, 6.0, [0.7, 0.2, 0.2, 0.3])])]
    rec = _rec(turns, faces=faces)
    people = describe_people(rec, turns, faces, avoid=turns[0])
    assert people["ben"] == "face on the right of the frame at 0.0-6.0 s"
    assert people["ann"] == 'the voice that says "third" at 4.0-6.0 s'
    assert "ann" not in describe_people(rec, turns, faces, until=3.0, avoid=turns[0])  # nothing before the cut


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="min_clip"):
        BuildConfig(min_clip=60, max_clip=50)
    with pytest.raises(ValueError, match="unknown task"):
        BuildConfig(tasks=("avsa", "qa"))
