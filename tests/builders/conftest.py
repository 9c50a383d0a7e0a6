"""Session fixtures of the builder tests: a generic-format corpus and the dataset built from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders_fixtures import dialogue, make_media


@pytest.fixture(scope="session")
def rttm_corpus(tmp_path_factory) -> dict[str, Path]:
    """A recording in the generic format: video, RTTM (with 3 malformed rows), STM (1 malformed)."""
    d = tmp_path_factory.mktemp("rttm_corpus")
    turns = dialogue()
    make_media(d / "meeting1.mp4", turns[-1][2] + 1.0, [(s, text) for _, s, _, text in turns])
    rttm = [f"SPEAKER meeting1 1 {s:.2f} {e - s:.2f} <NA> <NA> {spk} <NA> <NA>" for spk, s, e, _ in turns]
    rttm.insert(3, "SPEAKER meeting1 1 12.00 abc <NA> <NA> bob <NA> <NA>")  # line 4: bad tdur
    rttm.insert(7, "SPEAKER meeting1 1 -3 1.0 <NA> <NA> bob <NA> <NA>")  # line 8: negative tbeg
    rttm.insert(10, "SPEAKER meeting1 1")  # line 11: too few fields
    (d / "meeting1.rttm").write_text("\n".join(rttm) + "\n")
    stm = [f"meeting1 1 {spk} {s:.2f} {e:.2f} <o,f0,male> {text}" for spk, s, e, text in turns]
    stm.insert(5, "meeting1 1 bob twelve 13.0 <o,f0,male> broken")  # line 6: bad begin
    (d / "meeting1.stm").write_text(";; a comment\n" + "\n".join(stm) + "\n")
    return {"dir": d, "media": d / "meeting1.mp4", "rttm": d / "meeting1.rttm", "stm": d / "meeting1.stm"}


@pytest.fixture(scope="session")
def generic_dataset(rttm_corpus, tmp_path_factory) -> Path:
    """``amuse-build rttm`` over the corpus above: one clip per task and rule (6 clips)."""
    from amuse_tasks.cli.build import main

    out = tmp_path_factory.mktemp("generic_dataset")
    rc = main(["rttm", "--rttm", str(rttm_corpus["rttm"]), "--media", str(rttm_corpus["media"]),
               "--transcript", str(rttm_corpus["stm"]), "--out", str(out), "--per-recording", "1",
               "--height", "96", "--seed", "3"])
    assert rc == 0
    return out
