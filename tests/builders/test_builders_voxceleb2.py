"""VoxCeleb2 converter on face-track txt files in the published layout (<id>/<video>/<n>.txt)."""

from __future__ import annotations

import pytest
from builders_fixtures import make_media

from amuse_tasks.builders import voxceleb2
from amuse_tasks.builders.conversation import SkippedRows
from amuse_tasks.cli.build import main
from amuse_tasks.schema import load_records

IDS = {"id00012": ("21Uxsk56VDQ", "2DLq_Kkc1r8"), "id00017": ("01dfn2spqyE", "5MkXgwdrmJw"),
       "id00019": ("1Rk1v0sn4lE", "7rN5mBWuMs0")}


def txt(identity: str, ref: str, first: int = 245, n: int = 125, bad_row: bool = False) -> str:
    head = (f"Identity  : \t{identity}\nReference : \t{ref}\nOffset  : \t1\nFV Conf   : \t16.647\t(1)\n"
            f"ASD Conf  : \t4.177\n\nFRAME \tX \tY \tW \tH \n")
    rows = [f"{first + k:06d} \t0.432 \t0.155 \t0.152 \t0.264 \t" for k in range(n)]
    if bad_row:
        rows.insert(3, "000248 \t0.432 \tnan? \t0.152")
    return head + "\n".join(rows) + "\n"


def write_corpus(root, media):
    for ident, refs in IDS.items():
        for k, ref in enumerate(refs):
            p = root / ident / ref / "00001.txt"
            p.parent.mkdir(parents=True)
            p.write_text(txt(ident, ref, bad_row=(ident, k) == ("id00012", 0)))
            make_media(media / ident / ref / "00001.mp4", 5.0, [(0.3, f"I am speaker {ident[-2:]}")], fps=25)
    bad = root / "id00099" / "xxxxxxxxxxx" / "00001.txt"
    bad.parent.mkdir(parents=True)
    bad.write_text("Reference : \txxxxxxxxxxx\n\nFRAME \tX \tY \tW \tH \n000001 \t0.1 \t0.1 \t0.1 \t0.1\n")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("vox2")
    write_corpus(d / "txt", d / "mp4")
    return d


def test_voxceleb2_reader(corpus):
    skipped = SkippedRows()
    utts = voxceleb2.load_utterances(corpus / "txt", corpus / "mp4", skipped)
    assert sorted(utts) == sorted(IDS)
    assert [m.split(": field ")[1].split("'")[1] for m in skipped.messages] == ["FRAME/X/Y/W/H", "Identity"]
    assert ":11: field" in skipped.messages[0]  # header 7 lines + 3 good rows -> line 11
    u = utts["id00017"][0]
    assert u.duration == 5.0 and u.boxes[0] == (0.0, 0.04, [0.432, 0.155, 0.152, 0.264])


def test_voxceleb2_builds_srid_across_videos(corpus, tmp_path):
    out = tmp_path / "out"
    assert main(["voxceleb2", "--txt", str(corpus / "txt"), "--media", str(corpus / "mp4"), "--out", str(out),
                 "--height", "72"]) == 0
    recs = load_records(out).records
    assert len(recs) == 3 and {r["task"] for r in recs} == {"srid"}
    for r in recs:
        target = r["segments"][0]["speaker"]
        assert r["scenes"] == [{"start": 0.0, "end": 5.0}, {"start": 5.0, "end": 20.0}]
        same = next(s for s in r["segments"][1:] if s["speaker"] == target)
        assert r["options"][ord(r["answer"]) - 65] == f"the person speaking at {same['start']:.1f}-{same['end']:.1f} s"
        videos = [p[0].split("/")[1] for p in r["meta"]["source_spans"]]
        idx = [s["speaker"] for s in r["segments"]].index(target, 1)
        assert videos[0] != videos[idx]  # the same person, from another video
