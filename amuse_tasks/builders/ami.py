"""AMI Meeting Corpus: NXT XML (or RTTM) speaker turns, words, and abstractive summaries.

Reads the manual annotations release (``ami_public_manual_1.6.2``) as published::

    <annotations>/words/<M>.<A>.words.xml            <w nite:id starttime endtime [punc]>text</w>
    <annotations>/segments/<M>.<A>.segments.xml      <segment starttime endtime><nite:child href=words range/>
    <annotations>/dialogueActs/<M>.<A>.dialog-act.xml <dact><nite:child href=words range/>
    <annotations>/abstractive/<M>.abssumm.xml        <abstract|actions|decisions|problems><sentence nite:id>
    <annotations>/extractive/<M>.summlink.xml        <summlink> pointers extractive=dact, abstractive=sentence
    <annotations>/corpusResources/meetings.xml       <meeting observation=M><speaker nxt_agent role/>

``<M>`` meeting id, ``<A>`` speaker letter.  Speaker turns come from the segments (text = their
words) or, with ``rttm``, from RTTM files (e.g. the pyannote AMI setup) with the words attached.
People are labelled by role (Project Manager, ...) when meetings.xml gives it, as the summaries
name roles.  An abstractive sentence is an ``avds`` reference for a clip when one of the dialogue
acts it is linked to lies inside the clip.  Media, supplied by the user, in the corpus's own layout
(``amicorpus/<M>/audio/<M>.Mix-Headset.wav``, ``amicorpus/<M>/video/<M>.Corner.avi``: see
``find_meeting_media``) or flat (``<media>/<M>.*``).

Every element of a words file is indexed (words and events alike), because segment and
dialogue-act ranges often start or end on a ``<vocalsound>``, ``<disfmarker>`` or ``<gap>``;
what still cannot be used (untimed words, segments without words, untimed acts) is counted per
reason in ``SkippedRows`` and reported in ``stats.json``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple

from amuse_tasks.builders.annotation_files import attach_text, read_rttm
from amuse_tasks.builders.conversation import Recording, SkippedRows, SummaryUnit, Turn
from amuse_tasks.builders.dataset_dir import Source
from amuse_tasks.builders.generic_rttm import MEDIA_EXTS

NITE = "{http://nite.sourceforge.net/}"
ROLES = {"PM": "Project Manager", "ME": "Marketing Expert", "UI": "User Interface Designer",
         "ID": "Industrial Designer"}
SOURCE = Source("AMI Meeting Corpus", "https://groups.inf.ed.ac.uk/ami/corpus/", "CC BY 4.0",
                "CC BY 4.0 (AMI recordings; supplied by the user)")
_HREF = re.compile(r"([^#\s]+)#id\(([^)]+)\)(?:\.\.id\(([^)]+)\))?")


def _parse(path: Path, skipped: SkippedRows):
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as e:
        skipped.skip(path, e.position[0], "<xml>", f"not well-formed XML ({e})")
        return None


class Token(NamedTuple):
    """One element of a words file, in document order: a word (``w``) or a timed event
    (``vocalsound``, ``disfmarker``, ``gap``, ``pause``, ``nonvocalsound``, ``comment``, ...)."""

    id: str
    start: float | None
    end: float | None
    text: str  # a word's text; an event's type ("laugh", "cough") or, without one, its tag ("gap")
    punc: bool
    tag: str


def read_words(path: Path, skipped: SkippedRows) -> list[Token]:
    """Every element of a words file, so that segment and dialogue-act ranges, which often start or
    end on an event id, resolve. Punctuation without times takes the end of the word before; other
    untimed elements keep their place (ranges still resolve) and are counted as lost."""
    root = _parse(path, skipped)
    out: list[Token] = []
    for el in ([] if root is None else list(root)):
        tag = el.tag.rsplit("}", 1)[-1]
        eid = el.get(NITE + "id")
        if eid is None:
            continue
        text = (el.text or "").strip() if tag == "w" else (el.get("type") or tag)
        punc = tag == "w" and el.get("punc") == "true"
        if tag == "w":
            skipped.count("words")
        try:
            s, e = float(el.get("starttime")), float(el.get("endtime"))
        except (TypeError, ValueError):
            if punc and out and out[-1].end is not None:
                out.append(Token(eid, out[-1].end, out[-1].end, text, True, tag))
                continue
            if el.get("starttime") is not None and el.get("endtime") is not None:  # present but not numbers
                skipped.skip(path, f"<{tag} {eid}>", "starttime/endtime",
                             f"expected numbers, got {el.get('starttime')!r}/{el.get('endtime')!r}")
            if tag == "w":
                skipped.lose("words", "no starttime/endtime")
            out.append(Token(eid, None, None, text, punc, tag))
            continue
        out.append(Token(eid, s, e, text, punc, tag))
    return out


def _join(tokens: list[Token]) -> str:
    """The words of a range, punctuation attached; events are not words and are left out."""
    text = ""
    for t in tokens:
        if t.tag == "w" and t.start is not None and t.text:
            text += t.text if t.punc or not text else " " + t.text
    return text.strip()


def _events(tokens: list[Token]) -> str:
    """The events of a range written as STM transcripts hold them: ``[laugh] [gap]``."""
    return " ".join(f"[{t.text.lower()}]" for t in tokens if t.tag != "w")


def _span(href: str, index: dict[str, dict[str, int]], words: dict[str, list[Token]]) -> list[Token] | None:
    m = _HREF.search(href or "")
    if not m or m.group(1) not in index or m.group(2) not in index[m.group(1)]:
        return None
    f, a = m.group(1), index[m.group(1)][m.group(2)]
    b = index[f].get(m.group(3) or m.group(2))
    return None if b is None or b < a else words[f][a:b + 1]


def read_roles(annotations: Path, skipped: SkippedRows) -> dict[str, dict[str, str]]:
    """meeting -> speaker letter or global name -> role name (from corpusResources/meetings.xml)."""
    path = annotations / "corpusResources" / "meetings.xml"
    if not path.is_file():
        return {}
    root = _parse(path, skipped)
    out: dict[str, dict[str, str]] = {}
    for m in ([] if root is None else root.iter("meeting")):
        for sp in m.iter("speaker"):
            role = sp.get("role")
            for key in (sp.get("nxt_agent"), sp.get("global_name")):  # letters in NXT, names in RTTM
                if key and role:
                    out.setdefault(m.get("observation", ""), {})[key] = ROLES.get(role, role)
    return out


def load_meeting(annotations: Path, meeting: str, media: Path, skipped: SkippedRows, *,
                 roles: dict[str, str], rttm_turns: list[Turn] | None = None) -> Recording:
    words: dict[str, list] = {}
    for p in sorted((annotations / "words").glob(f"{meeting}.*.words.xml")):
        words[p.name] = read_words(p, skipped)
    index = {f: {w[0]: i for i, w in enumerate(ws)} for f, ws in words.items()}

    def label(letter: str) -> str:
        return roles.get(letter, f"Speaker {letter}")

    turns: list[Turn] = []
    if rttm_turns is None:
        for p in sorted((annotations / "segments").glob(f"{meeting}.*.segments.xml")):
            letter = p.name.split(".")[1]
            root = _parse(p, skipped)
            for seg in ([] if root is None else root.iter("segment")):
                sid = seg.get(NITE + "id", "?")
                try:
                    s = float(seg.get("starttime", seg.get("transcriber_start")))
                    e = float(seg.get("endtime", seg.get("transcriber_end")))
                except (TypeError, ValueError):
                    skipped.skip(p, f"<segment {sid}>", "starttime/endtime", "expected numbers")
                    continue
                if e <= s:
                    skipped.skip(p, f"<segment {sid}>", "endtime", f"{e} is not after {s}")
                    continue
                child = seg.find(NITE + "child")
                ws = _span(child.get("href"), index, words) if child is not None else None
                text = _join(ws or [])
                if ws is None:
                    skipped.count("segments")
                    skipped.lose("segments", "word range does not resolve")
                elif any(w.tag == "w" for w in ws):
                    skipped.count("segments")
                    if not text:
                        skipped.lose("segments", "its words have no times")
                else:  # a laugh, a cough: kept as speech, its text the events (like STM's [laugh])
                    skipped.count("segments of events only")
                    text = _events(ws)
                turns.append(Turn(label(letter), round(s, 3), round(e, 3), text))
    else:
        # a word with the punctuation that follows it, so quotes keep "?" and ","
        utts = []
        for f, ws in words.items():
            for w in ws:
                if w.tag != "w" or w.start is None or not w.text:
                    continue
                if w.punc and utts and utts[-1].speaker == label(f.split(".")[1]):
                    utts[-1] = Turn(utts[-1].speaker, utts[-1].start, utts[-1].end, utts[-1].text + w.text)
                elif not w.punc:
                    utts.append(Turn(label(f.split(".")[1]), w.start, w.end, w.text))
        turns = attach_text([Turn(label(t.speaker), t.start, t.end) for t in rttm_turns], utts, skipped,
                            "words placed in RTTM turns")
        skipped.count("rttm turns", len(turns))
        skipped.lose("rttm turns", "no words inside the turn", sum(1 for t in turns if not t.text))
    turns.sort(key=lambda t: (t.start, t.end))

    dact_spans: dict[str, tuple[float, float]] = {}
    for p in sorted((annotations / "dialogueActs").glob(f"{meeting}.*.dialog-act.xml")):
        root = _parse(p, skipped)
        for d in ([] if root is None else root.iter("dact")):
            child = d.find(NITE + "child")
            ws = _span(child.get("href"), index, words) if child is not None else None
            skipped.count("dialogue acts")
            timed = [w for w in ws or [] if w.start is not None]
            if timed:
                dact_spans[d.get(NITE + "id")] = (min(w.start for w in timed), max(w.end for w in timed))
            else:
                skipped.lose("dialogue acts", "no timed element in its range" if ws else "word range does not resolve")
    sentences: dict[str, str] = {}
    p = annotations / "abstractive" / f"{meeting}.abssumm.xml"
    root = _parse(p, skipped) if p.is_file() else None
    for s in ([] if root is None else root.iter("sentence")):
        if (s.text or "").strip():
            sentences[s.get(NITE + "id")] = s.text.strip()
    links: dict[str, list[tuple[float, float]]] = {}
    p = annotations / "extractive" / f"{meeting}.summlink.xml"
    root = _parse(p, skipped) if p.is_file() else None
    for k, link in enumerate([] if root is None else root.iter("summlink")):
        ptr = {q.get("role"): _HREF.search(q.get("href") or "") for q in link.iter(NITE + "pointer")}
        ext, abs_ = ptr.get("extractive"), ptr.get("abstractive")
        if not (ext and abs_):
            skipped.skip(p, f"<summlink #{k + 1}>", "nite:pointer", "needs an extractive and an abstractive pointer")
            continue
        skipped.count("summary links")
        if ext.group(2) in dact_spans and abs_.group(2) in sentences:
            links.setdefault(abs_.group(2), []).append(dact_spans[ext.group(2)])
        else:
            skipped.lose("summary links", "untimed dialogue act" if abs_.group(2) in sentences else "unknown sentence")
    summary = [SummaryUnit(sentences[sid], spans) for sid, spans in links.items()]
    return Recording(meeting, media, turns, summary=summary)


# The corpus's own download layout: amicorpus/<M>/audio/<M>.Mix-Headset.wav and
# amicorpus/<M>/video/<M>.{Corner,Closeup1-4,L,R,C,Overhead}.avi (videos without sound).
AUDIO_NAMES = ("{m}.Mix-Headset.wav", "{m}.Array1-01.wav", "{m}.Headset-0.wav")
VIDEO_NAMES = ("{m}.Corner.avi", "{m}.Overhead.avi", "{m}.C.avi", "{m}.L.avi", "{m}.R.avi", "{m}.Closeup1.avi")


def find_meeting_media(media: Path, meeting: str) -> tuple[Path, Path | None] | None:
    """(video or the only media file, separate audio or None) of a meeting, or None.

    ``media`` is one file, a flat folder of ``<M>.*`` files, or the corpus layout
    ``<media>/<M>/{audio,video}/``. Video: the room view that shows the most people (the corner
    camera; overhead, centre, left, right views next; one close-up last), with the headset mix as
    its sound; no video: the headset mix alone (a black frame in the clip).
    """
    if media.is_file():
        return media, None
    folders = [media / meeting / "audio", media / meeting / "video", media / meeting, media]
    audio = next((f / n.format(m=meeting) for n in AUDIO_NAMES for f in folders if (f / n.format(m=meeting)).is_file()), None)
    video = next((f / n.format(m=meeting) for n in VIDEO_NAMES for f in folders if (f / n.format(m=meeting)).is_file()), None)
    if video is not None and audio is not None:
        return video, audio
    if audio is not None:
        return audio, None
    flat = sorted(p for f in folders for p in f.glob(f"{meeting}.*") if p.suffix.lower() in MEDIA_EXTS)
    return (flat[0], None) if flat else None


def load_recordings(annotations: str | Path, media: str | Path, skipped: SkippedRows, *,
                    meetings: list[str] | None = None, rttm: str | Path | None = None) -> list[Recording]:
    annotations, media = Path(annotations), Path(media)
    if not (annotations / "words").is_dir():
        raise FileNotFoundError(f"{annotations}: no words/ folder (expected the AMI manual annotations release)")
    found = sorted({p.name.split(".")[0] for p in (annotations / "words").glob("*.words.xml")})
    wanted = meetings or found
    roles = read_roles(annotations, skipped)
    rttm_by_id: dict[str, list[Turn]] = {}
    if rttm is not None:
        rttm = Path(rttm)
        for f in (sorted(rttm.glob("*.rttm")) if rttm.is_dir() else [rttm]):
            rttm_by_id.update(read_rttm(f, skipped))
    out = []
    for m in wanted:
        found = find_meeting_media(media, m)
        if found is None:
            skipped.skip(annotations, "-", "media", f"no media for meeting {m} in {media} (looked for {m}.* and "
                         f"{m}/audio/{m}.Mix-Headset.wav, {m}/video/{m}.Corner.avi)")
            continue
        path, audio = found
        if rttm is not None and m not in rttm_by_id:
            skipped.skip(rttm, "-", "file id", f"no RTTM turns for meeting {m}")
            continue
        rec = load_meeting(annotations, m, path, skipped, roles=roles.get(m, {}),
                           rttm_turns=rttm_by_id.get(m) if rttm is not None else None)
        rec.audio = audio
        out.append(rec)
    return out
