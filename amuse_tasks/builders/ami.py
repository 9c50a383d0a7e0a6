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
acts it is linked to lies inside the clip.  Media: ``<media>/<M>.*`` (e.g. ``ES2002a.Mix-Headset.wav``
or a video), supplied by the user.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

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


def read_words(path: Path, skipped: SkippedRows) -> list[tuple[str, float, float, str, bool]]:
    """(id, start, end, text, punc) of each ``w``; a malformed word is skipped (start None, no text)."""
    root = _parse(path, skipped)
    out = []
    for w in ([] if root is None else root.iter("w")):
        wid = w.get(NITE + "id", "?")
        try:
            s, e = float(w.get("starttime")), float(w.get("endtime"))
        except (TypeError, ValueError):
            if w.get("punc") == "true" and out:  # punctuation often has no times: it ends the word before
                out.append((wid, out[-1][2], out[-1][2], (w.text or "").strip(), True))
                continue
            skipped.skip(path, f"<w {wid}>", "starttime/endtime",
                         f"expected numbers, got {w.get('starttime')!r}/{w.get('endtime')!r}")
            out.append((wid, None, None, "", False))  # keeps its place so word ranges still resolve
            continue
        out.append((wid, s, e, (w.text or "").strip(), w.get("punc") == "true"))
    return out


def _join(words) -> str:
    text = ""
    for _, start, _, t, punc in words:
        if start is not None and t:
            text += t if punc or not text else " " + t
    return text.strip()


def _span(href: str, index: dict[str, dict[str, int]], words: dict[str, list]) -> list | None:
    m = _HREF.search(href or "")
    if not m or m.group(1) not in index or m.group(2) not in index[m.group(1)]:
        return None
    f, a = m.group(1), index[m.group(1)][m.group(2)]
    b = index[f].get(m.group(3) or m.group(2))
    return None if b is None else words[f][a:b + 1]


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
                turns.append(Turn(label(letter), round(s, 3), round(e, 3), _join(ws) if ws else ""))
    else:
        utts = [Turn(label(f.split(".")[1]), w[1], w[2], w[3]) for f, ws in words.items() for w in ws
                if w[1] is not None and not w[4]]
        turns = attach_text([Turn(label(t.speaker), t.start, t.end) for t in rttm_turns], utts)
    turns.sort(key=lambda t: (t.start, t.end))

    dact_spans: dict[str, tuple[float, float]] = {}
    for p in sorted((annotations / "dialogueActs").glob(f"{meeting}.*.dialog-act.xml")):
        root = _parse(p, skipped)
        for d in ([] if root is None else root.iter("dact")):
            child = d.find(NITE + "child")
            ws = _span(child.get("href"), index, words) if child is not None else None
            timed = [w for w in ws or [] if w[1] is not None]
            if timed:
                dact_spans[d.get(NITE + "id")] = (timed[0][1], timed[-1][2])
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
        if ext.group(2) in dact_spans and abs_.group(2) in sentences:
            links.setdefault(abs_.group(2), []).append(dact_spans[ext.group(2)])
    summary = [SummaryUnit(sentences[sid], spans) for sid, spans in links.items()]
    return Recording(meeting, media, turns, summary=summary)


def find_meeting_media(media: Path, meeting: str) -> Path | None:
    if media.is_file():
        return media
    hits = sorted(p for p in media.glob(f"{meeting}.*") if p.suffix.lower() in MEDIA_EXTS)
    return hits[0] if hits else None


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
        path = find_meeting_media(media, m)
        if path is None:
            skipped.skip(annotations, "-", "media", f"no media file {m}.* in {media}")
            continue
        if rttm is not None and m not in rttm_by_id:
            skipped.skip(rttm, "-", "file id", f"no RTTM turns for meeting {m}")
            continue
        out.append(load_meeting(annotations, m, path, skipped, roles=roles.get(m, {}),
                                rttm_turns=rttm_by_id.get(m) if rttm is not None else None))
    return out
