"""Guided-mode perception cues (TR / VS / FC / LS): built from a record, and rendered as text.

Time base (decided once, here): every time in a cue dict and in prompt text is in seconds from
the start of the sample window, i.e. ``record["start"]`` is 0.  Ground truth in a record
(``segments``, ``faces``) is in file seconds; ``oracle_cues`` shifts and clips it to the window.

Labels are anonymous on purpose (VOICE_1.., FACE_A..): voices numbered by first appearance in the
window, face letters in a salted hash order (``tools.labels``), so a model must still link voices
to faces to people, and no letter tells a seat.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from amuse_tasks.tools.cache import write_json_atomic
from amuse_tasks.tools.labels import face_labels, window_salt
from amuse_tasks.evidence import lip_sync_mean
from amuse_tasks.tasks import CUE_KINDS, TASKS

CUE_TITLES = {
    "TR": "Transcript (speech recognition; anonymous voice labels)",
    "VS": "Voice segments (who spoke when; same voice labels as the transcript)",
    "FC": "Face tracks (stable ids; box = x, y, width, height in pixels)",
    "LS": "Lip sync (score 0-1 that the face is the one speaking in that span)",
}


def _window(record: dict, start: float, end: float) -> tuple[float, float] | None:
    """[start, end] in file seconds -> window seconds, clipped; None when outside the window."""
    s, e = max(start, record["start"]), min(end, record["end"])
    if e <= s:
        return None
    return round(s - record["start"], 3), round(e - record["start"], 3)


def _box_pieces(record: dict, track: dict) -> list[dict]:
    """A track's boxes in window seconds, merging consecutive boxes that barely move.

    Ground truth may hold one box per frame; a cue lists one entry per steady position.
    """
    pieces: list[dict] = []
    for b in sorted(track.get("boxes", []), key=lambda b: b["start"]):
        span = _window(record, b["start"], b["end"])
        if span is None:
            continue
        box = [float(v) for v in b["box"]]
        last = pieces[-1] if pieces else None
        if (last is not None and span[0] - last["end"] <= 0.1
                and abs(box[0] - last["box"][0]) <= 0.25 * max(box[2], 1.0)
                and abs(box[1] - last["box"][1]) <= 0.25 * max(box[3], 1.0)):
            last["end"] = span[1]
            continue
        pieces.append({"start": span[0], "end": span[1], "box": box})
    for p in pieces:
        p["box"] = [round(v) for v in p["box"]]
    return pieces


def oracle_cues(record: dict) -> dict:
    """All four cue kinds from the record's ground truth (the "oracle cues" ablation / upper bound).

    TR/VS: one entry per ground-truth segment.  FC: face tracks from ``faces``.  LS: for each
    segment and each face visible during it, score 1.0 when the face belongs to the speaker,
    else 0.0.
    """
    segments = sorted(record.get("segments", []), key=lambda s: (s["start"], s["end"]))
    voices: dict[str, str] = {}
    tr, vs = [], []
    windowed = []
    for seg in segments:
        span = _window(record, seg["start"], seg["end"])
        if span is None:
            continue
        voice = voices.setdefault(seg["speaker"], f"VOICE_{len(voices) + 1}")
        tr.append({"voice": voice, "start": span[0], "end": span[1], "text": seg.get("text", "")})
        vs.append({"voice": voice, "start": span[0], "end": span[1]})
        windowed.append((seg["speaker"], span))

    tracks = []
    for tr_gt in record.get("faces", []) or []:
        pieces = _box_pieces(record, tr_gt)
        if pieces:
            tracks.append((tr_gt, pieces))
    # letters in a salted hash order: neither appearance order nor screen position (tools.labels)
    letters = face_labels([tr_gt["track"] for tr_gt, _ in tracks], window_salt(record))
    tracks.sort(key=lambda t: letters[t[0]["track"]])
    person_of_track = {p["face_track"]: p["label"] for p in record.get("people", []) if p.get("face_track")}
    fc, ls = [], []
    face_of: list[tuple[str, str | None, list[dict]]] = []
    for tr_gt, pieces in tracks:
        face = letters[tr_gt["track"]]
        person = tr_gt.get("person") or person_of_track.get(tr_gt["track"])
        face_of.append((face, person, pieces))
        fc.extend({"face": face, **p} for p in pieces)
    for speaker, (s, e) in windowed:
        for face, person, pieces in face_of:
            if any(p["start"] < e and p["end"] > s for p in pieces):
                ls.append({"face": face, "start": s, "end": e, "score": 1.0 if person == speaker else 0.0})
    return {"source": "oracle", "TR": tr, "VS": vs, "FC": fc, "LS": ls}


def _t(x: float) -> str:
    return f"{x:.1f}"


def _render_kind(kind: str, items: list[dict]) -> list[str]:
    if not items:
        return ["(none)"]
    if kind == "TR":
        return [f"[{_t(i['start'])}-{_t(i['end'])}] {i['voice']}: {i.get('text', '')}" for i in items]
    if kind == "VS":
        by_voice: dict[str, list[str]] = {}
        for i in items:
            by_voice.setdefault(i["voice"], []).append(f"{_t(i['start'])}-{_t(i['end'])}")
        return [f"{v}: {', '.join(spans)}" for v, spans in by_voice.items()]
    if kind == "FC":
        by_face: dict[str, list[str]] = {}
        for i in items:
            box = i.get("box")
            where = f" at [{', '.join(str(round(v)) for v in box)}]" if box else ""
            by_face.setdefault(i["face"], []).append(f"{_t(i['start'])}-{_t(i['end'])}{where}")
        return [f"{f}: visible {'; '.join(spans)}" for f, spans in by_face.items()]
    by_face = {}
    for i in items:
        by_face.setdefault(i["face"], []).append(f"{_t(i['start'])}-{_t(i['end'])}: {i['score']:.2f}")
    return [f"{f}: {', '.join(spans)}" for f, spans in by_face.items()]


def render_cues(cues: dict, kinds: tuple[str, ...] | list[str]) -> str:
    """Text block of the given cue kinds, in the canonical order TR, VS, FC, LS."""
    unknown = set(kinds) - set(CUE_KINDS)
    if unknown:
        raise ValueError(f"unknown cue kind(s) {sorted(unknown)} (one of {', '.join(CUE_KINDS)})")
    blocks = []
    for kind in CUE_KINDS:
        if kind in kinds:
            lines = _render_kind(kind, cues.get(kind, []) or [])
            blocks.append(f"{kind} - {CUE_TITLES[kind]}:\n" + "\n".join(lines))
    return "\n\n".join(blocks)


RENDERINGS = ("full", "compact")


def question_ranges(record: dict) -> list[tuple[float, float]]:
    """The time ranges (window seconds) the question itself names: the quoted span (``query.span``) and a later
    scene it points to (``query.scene_start`` to the end); the whole window when it names none."""
    dur = round(record["end"] - record["start"], 3)
    query = record.get("query") or {}
    ranges = []
    if query.get("span"):
        a, b = (float(x) for x in query["span"])
        ranges.append((max(0.0, a), min(dur, b)))
    if query.get("scene_start") is not None and record.get("task") == "srid":
        ranges.append((float(query["scene_start"]), dur))
    return ranges or [(0.0, dur)]


def _in(item: dict, a: float, b: float) -> bool:
    return item["start"] < b and item["end"] > a


def render_compact_cues(cues: dict, record: dict, kinds: tuple[str, ...] | list[str] | None = None) -> str:
    """The task's cue kinds, only inside the ranges the question names, one line per thing: transcript lines and
    voice segments that overlap a range, each face once (its time and first box there), and per range the faces'
    lip-sync scores averaged over it (time-weighted), highest first. A few hundred tokens instead of ~1,000.
    kinds: the cue kinds to show (default: the task's)."""
    kinds = TASKS[record["task"]].default_cues if kinds is None else kinds
    ranges = question_ranges(record)
    blocks = []
    for kind in CUE_KINDS:
        if kind not in kinds:
            continue
        items = cues.get(kind) or []
        if kind == "LS":
            lines = []
            for a, b in ranges:
                means = ((lip_sync_mean(items, f, [(a, b)]), f) for f in sorted({i["face"] for i in items}))
                mean = sorted(((m, f) for m, f in means if m is not None), reverse=True)
                lines.append(f"{_t(a)}-{_t(b)}: " + (", ".join(f"{f} {m:.2f}" for m, f in mean) or "(none)"))
        elif kind == "FC":
            first: dict[str, dict] = {}
            for i in items:
                if any(_in(i, a, b) for a, b in ranges) and i["face"] not in first:
                    first[i["face"]] = i
            lines = _render_kind("FC", list(first.values()))
        else:
            lines = _render_kind(kind, [i for i in items if any(_in(i, a, b) for a, b in ranges)])
        blocks.append(f"{kind} - {CUE_TITLES[kind]}:\n" + "\n".join(lines))
    return "\n\n".join(blocks)


# ---- cues from the perception tools ---------------------------------------------------------------
CUES_DIR = "cues"


def tool_cues(record: dict, root, *, backends: str | dict = "offline", kinds=CUE_KINDS, cache=None) -> dict:
    """The cue dict of one record computed by the perception tools (``amuse_tasks.tools``).

    TR = transcribe, VS = diarize, FC = track_faces over the whole window; LS = lip_sync of every
    face visible during each voice segment (the same layout as ``oracle_cues``). Raises on a
    missing backend or broken media (the caller decides whether one record may fail).
    """
    from amuse_tasks.tools.backends import backends_fingerprint
    from amuse_tasks.tools.toolbox import Toolbox

    tb = Toolbox.for_record(record, root, backends=backends, cache=cache)
    dur = round(record["end"] - record["start"], 3)
    cues: dict = {"source": f"tools:{tb.tag}", "backends": backends_fingerprint(tb.chosen)}
    if "TR" in kinds:
        cues["TR"] = tb.transcribe(0.0, dur)["utterances"]
    if "VS" in kinds or "LS" in kinds:
        segments = tb.diarize(0.0, dur)["segments"]
        if "VS" in kinds:
            cues["VS"] = segments
    if "FC" in kinds or "LS" in kinds:
        faces = tb.track_faces(0.0, dur)["faces"]
        if "FC" in kinds:
            cues["FC"] = faces
    if "LS" in kinds:
        cues["LS"] = [{"face": face, "start": seg["start"], "end": seg["end"],
                       "score": tb.lip_sync(face, seg["start"], seg["end"])["score"]}
                      for seg in segments if seg["end"] > seg["start"]
                      for face in sorted({f["face"] for f in faces if f["start"] < seg["end"] and f["end"] > seg["start"]})]
    return cues


def tool_cues_path(tag: str, record_id: str) -> str:
    """Where ``amuse-cues`` writes a record's cues, relative to the dataset root."""
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in record_id)
    return f"{CUES_DIR}/{tag}/{safe}.json"


def read_tool_cues(path: Path, chosen: dict) -> dict | None:
    """The cue file at ``path`` when it is valid and was written by the ``chosen`` backends with their
    current settings; else None (missing, broken or stale: the caller recomputes it)."""
    import logging

    from amuse_tasks.schema import validate_cues
    from amuse_tasks.tools.backends import backends_fingerprint

    if not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8") as f:
            cues = validate_cues(json.load(f), str(path))
    except ValueError as e:  # a broken file is recomputed
        logging.getLogger(__name__).warning("recomputing cues: %s", e)
        return None
    if cues.get("backends") != backends_fingerprint(chosen):
        logging.getLogger(__name__).warning("recomputing cues: %s was written by other tool backends or settings", path)
        return None
    return cues


CUES_ENV = "AMUSE_CUES"
DEFAULT_CUES = "offline"


NAMED_SOURCES = ("oracle", "none", "record")  # the spellings that are no tool backend spec


def labelled(cues: dict) -> bool:
    """Whether a cue dict holds ground truth: oracle cues, or tool cues with an oracle backend among its tools."""
    kind, _, tag = str(cues.get("source", "")).partition(":")
    return kind == "oracle" or (kind == "tools" and "oracle" in tag.split("+"))


class CueSource:
    """Where a guided prompt's cues come from, parsed and validated once: ``oracle`` (ground truth, the
    labelled ablation, only by name), ``none`` (cues removed, ablation), ``record`` (the record's own ``cues``
    field, else the ``offline`` tools), or a tool backend spec (default ``offline``), whose cues are read
    from ``cues/<tag>/<id>.json`` when ``amuse-cues`` wrote them, else computed now (cached) and written
    there. Build it with ``cue_source``; ``name`` travels into the prompt header (the cue dict's ``source``)
    and the lm-eval docs."""

    def __init__(self, spec: str):
        from amuse_tasks.tools.backends import backends_tag, parse_backends

        self.name = spec
        self.backends = None if spec in NAMED_SOURCES else parse_backends(spec)
        self.tag = spec if self.backends is None else backends_tag(self.backends)

    def __repr__(self) -> str:
        return f"CueSource({self.name!r})"

    @property
    def reads_labels(self) -> bool:
        """Whether any part of these cues is the ground truth by their spec: ``oracle``, or a spec with an oracle
        backend (``offline;lipsync=oracle``). ``record`` cues are known only once read (``labelled``). Training
        reads these, never the spelling of the spec."""
        if self.backends is None:
            return self.name == "oracle"
        return any(value.partition(":")[0] == "oracle" for value in self.backends.values())

    def cues(self, record: dict, root, *, cache=None) -> dict:
        """The cue dict of one record (window seconds). Raises on a missing backend or broken media."""
        if self.name == "oracle":
            return oracle_cues(record)
        if self.name == "none":
            return {"source": "none (cues removed)"}
        if self.name == "record":
            from amuse_tasks.schema import load_cues

            return load_cues(root, record) or cue_source("offline").cues(record, root, cache=cache)
        path = Path(root) / tool_cues_path(self.tag, record["id"])
        cues = read_tool_cues(path, self.backends)
        if cues is not None:
            return cues
        cues = tool_cues(record, root, backends=self.backends, cache=cache)
        write_json_atomic(path, cues)
        return cues


@functools.lru_cache(maxsize=16)
def _cue_source(spec: str) -> CueSource:
    return CueSource(spec)


def cue_source(spec: str | None = None) -> CueSource:
    """The one precedence rule of every entry point (lm-eval ``--metadata '{"cues": ...}'``, ``amuse-cues
    --tools``, RAFT's ``--cue_source``, the benches): the spec given, else ``$AMUSE_CUES``, else
    ``offline``. One object per spec and process, so a spec is parsed once however many docs use it."""
    return _cue_source(spec or os.environ.get(CUES_ENV) or DEFAULT_CUES)
