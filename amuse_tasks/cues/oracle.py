"""Ground-truth cues of a record (the labelled ablation, ``cues=oracle``): its segments and face tracks shifted
and clipped to the sample window, lip sync 1/0 by who speaks. Labels anonymous as the tools' are."""

from __future__ import annotations

from amuse_tasks.tools.labels import face_labels, window_salt


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
