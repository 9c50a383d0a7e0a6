"""AMI converter on a meeting written in the NXT format of the AMI manual annotations release."""

from __future__ import annotations

import json

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
