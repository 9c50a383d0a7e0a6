"""Converters on real annotation files (tests/builders/real/, see PROVENANCE.md): nothing read is
lost in silence, and our RTTM reader agrees with pyannote.database's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amuse_tasks.builders import generic_rttm
from amuse_tasks.builders.annotation_files import read_rttm, read_stm, stm_text
from amuse_tasks.builders.conversation import SkippedRows

REAL = Path(__file__).parent / "real"


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'\[\]]+", text.lower())


def test_real_ami_rttm_matches_pyannote_database():
    database = pytest.importorskip("pyannote.database.util")
    path = REAL / "ES2011a.only_words.rttm"
    ours = read_rttm(path, SkippedRows())["ES2011a"]
    theirs = database.load_rttm(str(path))["ES2011a"]
    want = sorted((round(s.start, 3), round(s.end, 3), str(label)) for s, _, label in theirs.itertracks(yield_label=True))
    assert sorted((t.start, t.end, t.speaker) for t in ours) == want
    assert len(ours) == 37 and {t.speaker for t in ours} == {"FEE041", "FEE042", "FEE043", "FEE044"}


def test_real_call_keeps_every_stm_word(tmp_path):
    """pyannote's sample call: every STM word ends up in a speaker turn, or is counted as lost."""
    media = tmp_path / "sample.wav"
    media.write_bytes(b"")  # only the path is used here
    skipped = SkippedRows()
    [rec] = generic_rttm.load_recordings(REAL / "pyannote_sample.rttm", media, skipped,
                                         transcript=REAL / "pyannote_sample.stm")
    stm = [w for turns in read_stm(REAL / "pyannote_sample.stm", SkippedRows()).values() for t in turns
           for w in _words(t.text)]
    kept = [w for t in rec.turns for w in _words(t.text)]
    lost_utterances = sum(skipped.lost.get("transcript utterances", {}).values())
    assert sorted(kept) == sorted(stm) or lost_utterances > 0
    assert len(kept) >= 0.95 * len(stm)
    assert skipped.seen["transcript utterances"] == 13 and len(skipped) == 0
    assert {t.speaker for t in rec.turns} == {"speaker90", "speaker91"}


@pytest.mark.parametrize("field,text,events", [
    ("<o,f0,male> hello there", "hello there", 0),  # NIST label field
    ("<LAUGH> yes I know", "[laugh] yes I know", 1),  # a leading event is transcript, not a label
    ("<UNK>", "[unk]", 1),
    ("well <NOISE> okay", "well [noise] okay", 1),
    ("<o,f1,female> <LAUGH> hi", "[laugh] hi", 1),
])
def test_stm_label_field_is_told_from_transcript_tokens(field, text, events):
    assert stm_text(field) == (text, events)


def test_stm_rows_with_leading_events_keep_their_words(tmp_path):
    path = tmp_path / "a.stm"
    path.write_text(";; comment\nrec 1 spk1 0.0 2.0 <LAUGH> that is funny\nrec 1 spk2 2.0 3.0 <o,f0,male> <UNK>\n"
                    "rec 1 spk1 3.0 4.0 ignore_time_segment_in_scoring\n")
    skipped = SkippedRows()
    turns = read_stm(path, skipped)["rec"]
    assert [t.text for t in turns] == ["[laugh] that is funny", "[unk]"]
    assert skipped.seen["transcript rows"] == 2 and skipped.seen["transcript event tokens"] == 2
    assert skipped.seen["transcript rows marked ignore_time_segment_in_scoring (not read)"] == 1
