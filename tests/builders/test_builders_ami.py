"""AMI converter on a meeting written in the NXT format of the AMI manual annotations release."""

from __future__ import annotations

import json

import pytest

from builders_fixtures import dialogue, make_media

from amuse_tasks.builders import ami
from amuse_tasks.builders.clip_media import probe
from amuse_tasks.builders.conversation import SkippedRows
from amuse_tasks.cli.build import main
from amuse_tasks.schema import load_records

NS = 'xmlns:nite="http://nite.sourceforge.net/"'
LETTER = {"alice": "A", "bob": "B", "carol": "C"}


def write_ami(root, m="ES2002a"):
    """words / segments / dialogueActs / abstractive / extractive / meetings.xml of one meeting."""
    for d in ("words", "segments", "dialogueActs", "abstractive", "extractive", "corpusResources"):
        (root / d).mkdir(parents=True)
    words = {L: [] for L in "ABC"}
    segs = {L: [] for L in "ABC"}
    dacts = {L: [] for L in "ABC"}
    dact_of_turn = {}
    for k, (spk, s, e, text) in enumerate(dialogue()):
        L = LETTER[spk]
        ws = text.split()
        first = len(words[L])
        step = (e - s) / len(ws)
        for i, w in enumerate(ws):
            wid = f"{m}.{L}.words{len(words[L])}"
            start = "x" if (k, i) == (2, 1) else f"{s + i * step:.2f}"  # one malformed word
            words[L].append(f'<w nite:id="{wid}" starttime="{start}" endtime="{s + (i + 1) * step:.2f}">{w}</w>')
        words[L].append(f'<w nite:id="{m}.{L}.words{len(words[L])}" punc="true">.</w>')
        href = f'{m}.{L}.words.xml#id({m}.{L}.words{first})..id({m}.{L}.words{len(words[L]) - 1})'
        segs[L].append(f'<segment nite:id="{m}.sync.{k}" transcriber_start="{s}" transcriber_end="{e}">'
                       f'<nite:child href="{href}"/></segment>')
        did = f"{m}.{L}.dialog-act.x.{k}"
        dacts[L].append(f'<dact nite:id="{did}"><nite:child href="{href}"/></dact>')
        dact_of_turn[k] = (L, did)
    for L in "ABC":
        (root / "words" / f"{m}.{L}.words.xml").write_text(f'<?xml version="1.0"?>\n<nite:root {NS}>\n' + "\n".join(words[L]) + "\n</nite:root>\n")
        (root / "segments" / f"{m}.{L}.segments.xml").write_text(f"<nite:root {NS}>" + "".join(segs[L]) + "</nite:root>")
        (root / "dialogueActs" / f"{m}.{L}.dialog-act.xml").write_text(f"<nite:root {NS}>" + "".join(dacts[L]) + "</nite:root>")
    sentences = {1: "The project manager opened the meeting.", 2: "The marketing expert discussed the colour.",
                 3: "The user interface designer presented the screen."}
    (root / "abstractive" / f"{m}.abssumm.xml").write_text(
        f'<nite:root {NS}><abstract>' + "".join(f'<sentence nite:id="{m}.s.{i}">{t}</sentence>' for i, t in sentences.items())
        + "</abstract></nite:root>")
    links = {1: [0, 1], 2: [5], 3: [25]}
    summlinks = []
    for sid, turns in links.items():
        for k in turns:
            L, did = dact_of_turn[k]
            summlinks.append(f'<summlink nite:id="l{sid}.{k}"><nite:pointer role="extractive" href="{m}.{L}.dialog-act.xml#id({did})"/>'
                             f'<nite:pointer role="abstractive" href="{m}.abssumm.xml#id({m}.s.{sid})"/></summlink>')
    summlinks.append('<summlink nite:id="broken"><nite:pointer role="extractive" href="x.xml#id(y)"/></summlink>')
    (root / "extractive" / f"{m}.summlink.xml").write_text(f"<nite:root {NS}>" + "".join(summlinks) + "</nite:root>")
    (root / "corpusResources" / "meetings.xml").write_text(
        f'<nite:root {NS}><meeting observation="{m}"><speaker nxt_agent="A" global_name="FEE005" role="PM"/>'
        '<speaker nxt_agent="B" global_name="MEE006" role="ME"/><speaker nxt_agent="C" global_name="MEE007" role="UI"/>'
        "</meeting></nite:root>")
    return sentences


def test_ami_reader_turns_words_roles_and_summary_links(tmp_path):
    sentences = write_ami(tmp_path / "ann")
    make_media(tmp_path / "media" / "ES2002a.Mix-Headset.wav", 86.0, video=False)
    skipped = SkippedRows()
    [rec] = ami.load_recordings(tmp_path / "ann", tmp_path / "media", skipped)
    assert len(rec.turns) == 28
    assert rec.turns[0].speaker == "Project Manager" and rec.turns[0].text == "we should talk about the budget number 0."
    assert rec.turns[2].text == "we talk about the remote number 2."  # the malformed word alone is dropped
    assert len(skipped) == 2
    assert "ES2002a.C.words.xml:<w ES2002a.C.words1>: field 'starttime/endtime'" in skipped.messages[0]
    assert "summlink.xml:<summlink #5>: field 'nite:pointer'" in skipped.messages[1]
    by_text = {u.text: u.spans for u in rec.summary}
    assert sorted(by_text) == sorted(sentences.values())
    assert by_text[sentences[1]] == [(0.5, 3.0), (3.5, 6.0)]


def test_ami_build_uses_linked_abstractive_sentences_as_avds_reference(tmp_path):
    sentences = write_ami(tmp_path / "ann")
    make_media(tmp_path / "media" / "ES2002a.Mix-Headset.wav", 86.0, video=False)
    out = tmp_path / "out"
    assert main(["ami", "--annotations", str(tmp_path / "ann"), "--media", str(tmp_path / "media"),
                 "--out", str(out), "--per-recording", "1", "--height", "96", "--tasks", "avds,avsa"]) == 0
    recs = {r["task"]: r for r in load_records(out).records}
    assert set(recs) == {"avds", "avsa"}
    avds = recs["avds"]
    assert avds["answer"] == f"{sentences[1]} {sentences[2]}"  # sentence 3 is linked to the second window only
    assert avds["meta"]["reference"] == "corpus summary"
    assert {p["label"] for p in avds["people"]} == {"Project Manager", "Marketing Expert", "User Interface Designer"}
    info = probe(out / avds["video"])  # audio-only source: black 4:3 video
    assert (info.width, info.height) == (128, 96)
    card = (out / "README.md").read_text()
    assert "AMI Meeting Corpus" in card and "CC BY 4.0" in card and "schema version **1.0**" in card
    assert json.loads((out / "stats.json").read_text())["skipped"]["rows"] == 2


def _words_file(m, letter, items):
    """A words file as the AMI release writes it: <w>, and events (<vocalsound>, <disfmarker>, <gap>)
    with ids from the same sequence."""
    body = []
    for k, (tag, s, e, text) in enumerate(items):
        wid = f"{m}.{letter}.words{k}"
        times = "" if s is None else f' starttime="{s}" endtime="{e}"'
        if tag == "w":
            punc = ' punc="true"' if text in ".,?" else ""
            body.append(f'<w nite:id="{wid}"{times}{punc}>{text}</w>')
        else:
            body.append(f'<{tag} nite:id="{wid}"{times} type="laugh"/>')
    return f'<?xml version="1.0"?>\n<nite:root {NS}>\n' + "\n".join(body) + "\n</nite:root>\n"


def test_ranges_that_start_or_end_on_events_keep_their_words_and_losses_are_counted(tmp_path):
    """Segment and dialogue-act hrefs often start or end on a <vocalsound>/<disfmarker>/<gap> id: every
    element is indexed, so the words between are kept; what cannot be used is counted per reason."""
    m, ann = "ES2008a", tmp_path / "ann"
    for d in ("words", "segments", "dialogueActs"):
        (ann / d).mkdir(parents=True)
    items = [("vocalsound", 1.0, 1.4, ""), ("w", 1.5, 1.8, "Okay"), ("w", 1.8, 1.8, ","), ("w", 1.9, 2.2, "so"),
             ("disfmarker", 2.2, 2.2, ""), ("w", 2.3, 2.7, "what"), ("w", 2.7, 2.7, "?"),  # segment 1: 0..6
             ("gap", 3.0, 3.5, ""), ("w", 3.6, 4.0, "right"), ("vocalsound", 4.0, 4.4, ""),  # segment 2: 7..9
             ("vocalsound", 5.0, 5.5, ""),  # segment 3: events only
             ("w", None, None, "lost")]  # segment 4: an untimed word
    (ann / "words" / f"{m}.A.words.xml").write_text(_words_file(m, "A", items))
    href = lambda a, b: f'{m}.A.words.xml#id({m}.A.words{a})..id({m}.A.words{b})'  # noqa: E731
    segs = [(0.9, 2.8, href(0, 6)), (3.0, 4.5, href(7, 9)), (5.0, 5.5, href(10, 10)), (6.0, 6.5, href(11, 11))]
    (ann / "segments" / f"{m}.A.segments.xml").write_text(
        f"<nite:root {NS}>" + "".join(f'<segment nite:id="s{k}" transcriber_start="{s}" transcriber_end="{e}">'
                                      f'<nite:child href="{h}"/></segment>' for k, (s, e, h) in enumerate(segs))
        + "</nite:root>")
    (ann / "dialogueActs" / f"{m}.A.dialog-act.xml").write_text(
        f'<nite:root {NS}><dact nite:id="d0"><nite:child href="{href(0, 6)}"/></dact>'
        f'<dact nite:id="d1"><nite:child href="{href(11, 11)}"/></dact></nite:root>')
    # the corpus's own layout: amicorpus/<M>/audio and amicorpus/<M>/video
    make_media(tmp_path / "amicorpus" / m / "audio" / f"{m}.Mix-Headset.wav", 8.0, video=False)
    make_media(tmp_path / "amicorpus" / m / "video" / f"{m}.Closeup1.avi", 8.0)
    make_media(tmp_path / "amicorpus" / m / "video" / f"{m}.Corner.avi", 8.0)
    skipped = SkippedRows()
    [rec] = ami.load_recordings(ann, tmp_path / "amicorpus", skipped)
    assert [t.text for t in rec.turns] == ["Okay, so what?", "right", "[laugh]", ""]  # an event-only segment: its event
    assert rec.media.name == f"{m}.Corner.avi" and rec.audio.name == f"{m}.Mix-Headset.wav"
    assert skipped.seen["segments"] == 3 and skipped.lost["segments"] == {"its words have no times": 1}
    assert skipped.seen["segments of events only"] == 1
    assert skipped.lost["words"] == {"no starttime/endtime": 1}
    assert skipped.lost["dialogue acts"] == {"no timed element in its range": 1}
    # one of three transcribed segments lost is over the default 5 %: the build refuses, naming it
    out = tmp_path / "out"
    assert main(["ami", "--annotations", str(ann), "--media", str(tmp_path / "amicorpus"), "--out", str(out)]) == 2
    assert main(["ami", "--annotations", str(ann), "--media", str(tmp_path / "amicorpus"), "--out", str(out),
                 "--max-loss", "0.6", "--min-clip", "5", "--tasks", "avsa,stg"]) in (0, 1)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["input_lost"]["segments"] == {"its words have no times": 1}
    assert stats["input_lost_fraction"]["segments"] == pytest.approx(1 / 3, abs=1e-3)
    assert "its words have no times" in (out / "README.md").read_text()


def test_rttm_turns_keep_punctuation_in_quotes(tmp_path):
    m, ann = "ES2008a", tmp_path / "ann"
    (ann / "words").mkdir(parents=True)
    items = [("w", 1.0, 1.3, "Is"), ("w", 1.3, 1.6, "it"), ("w", 1.6, 2.0, "ready"), ("w", 2.0, 2.0, "?")]
    (ann / "words" / f"{m}.A.words.xml").write_text(_words_file(m, "A", items))
    (tmp_path / "a.rttm").write_text(f"SPEAKER {m} 1 0.9 1.2 <NA> <NA> A <NA> <NA>\n")
    make_media(tmp_path / "media" / f"{m}.Mix-Headset.wav", 4.0, video=False)
    [rec] = ami.load_recordings(ann, tmp_path / "media", SkippedRows(), rttm=tmp_path / "a.rttm")
    assert rec.turns[0].text == "Is it ready?"
