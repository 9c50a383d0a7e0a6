"""AVA-ActiveSpeaker converter on a CSV in the published format (no header, 8 columns)."""

from __future__ import annotations

from builders_fixtures import make_media

from amuse_tasks.builders import ava_activespeaker as ava
from amuse_tasks.builders.conversation import SkippedRows
from amuse_tasks.cli.build import main
from amuse_tasks.schema import load_records

VID = "-5KQ66BBWC4"
BOXES = {1: (0.05, 0.2, 0.30, 0.6), 2: (0.40, 0.2, 0.60, 0.6), 3: (0.70, 0.2, 0.95, 0.6)}
SPEAKS = {1: [(1, 4), (13, 16)], 2: [(5, 8), (17, 20)], 3: [(9, 12), (21, 24)]}


def write_csv(path):
    rows = []
    for k in range(0, 125):  # 0.0 .. 24.8 s every 0.2 s
        t = round(k * 0.2, 1)
        for e, (x1, y1, x2, y2) in BOXES.items():
            label = "SPEAKING_AUDIBLE" if any(a <= t < b for a, b in SPEAKS[e]) else "NOT_SPEAKING"
            if e == 3 and t < 1.0:
                label = "SPEAKING_NOT_AUDIBLE"
            rows.append(f"{VID},{t:.2f},{x1},{y1},{x2},{y2},{label},{VID}_0000_0060:{e}")
    rows.insert(10, f"{VID},3.00,0.1,0.1,0.2,0.2,SPEAKING_AUDIBLE")  # line 11: 7 fields
    rows.insert(20, f"{VID},3.00,0.1,0.1,0.2,0.2,TALKING,{VID}_0000_0060:9")  # line 21: unknown label
    rows.insert(30, f"{VID},3.00,0.5,0.1,0.2,0.2,NOT_SPEAKING,{VID}_0000_0060:9")  # line 31: x1 > x2
    rows.insert(40, f"{VID},abc,0.1,0.1,0.2,0.2,NOT_SPEAKING,{VID}_0000_0060:9")  # line 41: bad time
    path.write_text("\n".join(rows) + "\n")


def test_ava_rows_turns_and_tracks(tmp_path):
    write_csv(tmp_path / "a.csv")
    skipped = SkippedRows()
    rows = ava.read_rows(tmp_path / "a.csv", skipped)
    assert [m.split(": field ")[0].rsplit(":", 1)[1] for m in skipped.messages] == ["11", "21", "31", "41"]
    assert [m.split("'")[1] for m in skipped.messages] == ["<row>", "label", "entity_box", "frame_timestamp"]
    ents = rows[VID]
    assert sorted(ents) == [f"{VID}_0000_0060:{e}" for e in (1, 2, 3)] and all(len(r) == 125 for r in ents.values())
    track, turns = ava.entity_track("Person 3", f"{VID}_0000_0060:3", ents[f"{VID}_0000_0060:3"])
    assert [(t.start, t.end) for t in turns] == [(9.0, 12.0), (21.0, 24.0)]  # not-audible speech is not a turn
    assert len(track.boxes) == 1 and track.boxes[0][2] == [0.7, 0.2, 0.25, 0.4]


def test_ava_build_places_faces_in_clip_pixels(tmp_path):
    write_csv(tmp_path / "a.csv")
    make_media(tmp_path / "videos" / f"{VID}.mp4", 26.0, size=(160, 120))
    out = tmp_path / "out"
    assert main(["ava", "--csv", str(tmp_path / "a.csv"), "--media", str(tmp_path / "videos"), "--out", str(out),
                 "--height", "96", "--per-recording", "1"]) == 0
    recs = {r["task"]: r for r in load_records(out).records}
    assert set(recs) == {"avsa", "nsp", "stg"}  # no transcript, no summaries, no identities across tracks
    avsa = recs["avsa"]
    assert avsa["question"].startswith("Who is speaking from ")
    people = {p["label"]: p["description"] for p in avsa["people"]}
    assert people["Face track 1"].startswith("face on the left") and people["Face track 3"].startswith("face on the right")
    face1 = next(f for f in avsa["faces"] if f["person"] == "Face track 1")
    # window starts at 1.0 s of the source; frame 160x120 -> 128x96: x = 0.05 * 128, w = 0.25 * 128
    assert face1["boxes"][0]["box"] == [6.4, 19.2, 32.0, 38.4] and face1["boxes"][0]["start"] == 0.0
    stg = recs["stg"]
    person = stg["question"].split("When does ")[1].split(" speak")[0]
    own = sorted([s["start"], s["end"]] for s in stg["segments"] if s["speaker"] == person)
    assert stg["answer"] == own


def test_people_are_tracks_of_one_segment_and_options_are_visible(tmp_path):
    """Entity ids are face tracks within one annotated segment: two segments are two recordings, and
    an avsa option is always a face on screen during the asked span."""
    rows = []
    for k in range(0, 125):
        t = round(k * 0.2, 1)
        for e, (x1, y1, x2, y2) in BOXES.items():
            if e == 3 and t >= 12.0:
                continue  # track 3 leaves the shot
            label = "SPEAKING_AUDIBLE" if any(a <= t < b for a, b in SPEAKS[e]) else "NOT_SPEAKING"
            rows.append(f"{VID},{t:.2f},{x1},{y1},{x2},{y2},{label},{VID}_0000_0060:{e}")
        rows.append(f"{VID},{t + 60:.2f},0.1,0.1,0.3,0.5,NOT_SPEAKING,{VID}_0060_0120:1")
    (tmp_path / "a.csv").write_text("\n".join(rows) + "\n")
    make_media(tmp_path / "videos" / f"{VID}.mp4", 26.0, size=(160, 120))
    recs = ava.load_recordings(tmp_path / "a.csv", tmp_path / "videos", SkippedRows())
    assert [r.id for r in recs] == [f"{VID}_0000_0060", f"{VID}_0060_0120"]
    assert {f.person for f in recs[0].faces} == {"Face track 1", "Face track 2", "Face track 3"}
    for seed in range(6):
        out = tmp_path / f"out{seed}"
        assert main(["ava", "--csv", str(tmp_path / "a.csv"), "--media", str(tmp_path / "videos"), "--out", str(out),
                     "--height", "96", "--seed", str(seed), "--tasks", "avsa"]) == 0
        for r in load_records(out).records:
            a, b = (float(x) for x in r["question"].split("from ")[1].rstrip("?").replace(" s", "").split(" to "))
            for opt in r["options"]:
                track = next(f for f in r["faces"] if f["person"] == opt)
                assert any(x["start"] < b and x["end"] > a for x in track["boxes"]), (r["question"], opt)


def test_placeholder_label_files_are_refused(tmp_path):
    rows = [f"{VID},{k * 0.2:.2f},0.1,0.1,0.3,0.5,SPEAKING_AUDIBLE,{VID}_0000_0060:{k % 3}:0" for k in range(60)]
    (tmp_path / "test.csv").write_text("\n".join(rows) + "\n")
    try:
        ava.read_rows(tmp_path / "test.csv", SkippedRows())
    except ValueError as e:
        assert "placeholder labels" in str(e) and "test.csv" in str(e)
    else:
        raise AssertionError("a placeholder-label file was accepted")
    out = tmp_path / "out"
    assert main(["ava", "--csv", str(tmp_path / "test.csv"), "--media", str(tmp_path), "--out", str(out)]) == 2
