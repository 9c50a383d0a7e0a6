"""Friends-MMC converter on metadata in the published JSON layout (overlapping dialogues of turns)."""

from __future__ import annotations

import json

from builders_fixtures import make_media

from amuse_tasks.builders import friends_mmc
from amuse_tasks.builders.conversation import SkippedRows
from amuse_tasks.cli.build import main
from amuse_tasks.schema import load_records

NAMES = ("Ross", "Rachel", "Monica", "Rachel")
BOX = {"Ross": [100, 72, 300, 360], "Rachel": [560, 72, 760, 360], "Monica": [1000, 72, 1200, 360]}
FPS = 25


def turn(k: int) -> dict:
    s, e = int((0.5 + 3 * k) * FPS), int((3.0 + 3 * k) * FPS)
    return {"frame": f"s01e01-{s + 10:06d}", "video": f"s01e01-{s:06d}-{e:06d}", "start": s, "end": e,
            "speaker": NAMES[k % 4], "content": f"line {k} about the coffee house",
            "faces": [[BOX[n], n] for n in ("Ross", "Rachel", "Monica")]}


def write_metadata(path):
    dialogues = [[turn(k) for k in range(0, 8)], [turn(k) for k in range(4, 12)], [turn(k) for k in range(8, 16)]]
    bad_face = turn(15)
    bad_face["faces"].append([[1, 2, 3], "Joey"])
    dialogues[2][-1] = bad_face  # dialogue 2 turn 7: one malformed face, the turn stays
    dialogues[1].append({"frame": "s01e01-000001", "start": 1, "end": 2, "content": "x"})  # no speaker
    dialogues[1].append({**turn(3), "start": 90, "end": 80})  # end before start
    path.write_text(json.dumps(dialogues))


def test_friends_reader_merges_dialogues_and_skips_bad_turns(tmp_path):
    write_metadata(tmp_path / "test-metadata.json")
    skipped = SkippedRows()
    turns = friends_mmc.read_turns(tmp_path / "test-metadata.json", skipped)
    assert list(turns) == ["s01e01"] and len(turns["s01e01"]) == 16
    assert [m.split(": field ")[0].split("json:")[1] for m in skipped.messages] == [
        "dialogue 1 turn 8", "dialogue 1 turn 9", "dialogue 2 turn 7"]
    assert ["'speaker'" in skipped.messages[0], "'start/end'" in skipped.messages[1],
            "'faces[3]'" in skipped.messages[2]] == [True] * 3


def test_friends_build_names_people_and_places_faces(tmp_path):
    write_metadata(tmp_path / "test-metadata.json")
    make_media(tmp_path / "videos" / "s01e01.mp4", 50.0, size=(160, 90), fps=FPS)
    out = tmp_path / "out"
    assert main(["friends", "--metadata", str(tmp_path / "test-metadata.json"), "--media", str(tmp_path / "videos"),
                 "--out", str(out), "--height", "90", "--per-recording", "1", "--tasks", "avsa,nsp,srid"]) == 0
    recs = {r["task"]: r for r in load_records(out).records}
    assert set(recs) == {"avsa", "nsp", "srid"}
    avsa = recs["avsa"]
    assert set(avsa["options"]) <= {"Ross", "Rachel", "Monica"}
    quoted = avsa["question"].split('"')[1]
    assert avsa["options"][ord(avsa["answer"]) - 65] == next(s["speaker"] for s in avsa["segments"] if s["text"] == quoted)
    ross = next(f for f in avsa["faces"] if f["person"] == "Ross")
    assert ross["boxes"][0]["box"] == [12.5, 9.0, 25.0, 36.0]  # 1280x720 key-frame pixels -> 160x90 clip
    people = {p["label"]: p["description"] for p in avsa["people"]}
    assert people["Ross"].startswith("face on the left") and people["Monica"].startswith("face on the right")
    srid = recs["srid"]
    assert {f["track"].rsplit("@", 1)[1] for f in srid["faces"]} == {"0", "1"}  # tracks end at the scene cut
