"""AVA-ActiveSpeaker: per-frame face boxes with speaking labels (CSV, no header), as published::

    video_id, frame_timestamp, entity_box_x1, entity_box_y1, entity_box_x2, entity_box_y2, label, entity_id

Boxes are normalised (0-1) corners; timestamps are seconds of the source movie (900-1800 s);
``label`` is SPEAKING_AUDIBLE, SPEAKING_NOT_AUDIBLE or NOT_SPEAKING; ``entity_id``
(``<video>_<ssss>_<eeee>:<n>``) is one face track inside one annotated segment of the movie
(``ssss``-``eeee`` seconds), not a person: the same actor gets another id in the next segment,
or after a cut.  So each segment is its own recording and its people are its face tracks
("Face track N", numbered by first appearance); a question only offers faces visible in the asked
span (``task_rules``), never someone who cannot be seen then.  ``srid`` is not built (tracks are
never linked).  Files whose labels are placeholders (the ActivityNet test CSVs: every row
SPEAKING_AUDIBLE, ids with an extra ``:0``) are refused.  Speech turns are runs of
SPEAKING_AUDIBLE frames (gaps up to 0.5 s bridged); SPEAKING_NOT_AUDIBLE is not speech (the
audio carries no voice to link).  No transcripts: ``avsa``/``stg`` use their time-span forms;
``avds``/``csnl`` are not built.  Media: ``<media>/<video_id>.<ext>`` (the AVA movie files).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from amuse_tasks.builders.conversation import FaceTrack, Recording, SkippedRows, Turn
from amuse_tasks.builders.dataset_dir import Source
from amuse_tasks.builders.generic_rttm import find_media

TASKS = ("avsa", "nsp", "stg")
LABELS = ("SPEAKING_AUDIBLE", "SPEAKING_NOT_AUDIBLE", "NOT_SPEAKING")
SOURCE = Source("AVA-ActiveSpeaker", "https://research.google.com/ava/", "CC BY 4.0",
                "movies on YouTube, rights of their owners (supplied by the user)")
MAX_GAP = 0.5  # seconds between labelled frames still counted as one run
MOVE = 0.02  # a box that moves less than this (fraction of the frame) keeps the same piece
_ENTITY = re.compile(r"^(?P<video>.+)_(?P<start>\d+)_(?P<end>\d+):(?P<n>\d+)$")
_PLACEHOLDER_ID = re.compile(r":\d+:\d+$")


def segment_of(entity: str) -> str:
    """The annotated segment an entity id belongs to (``<video>_<ssss>_<eeee>``); the id itself when it
    has no segment part."""
    m = _ENTITY.match(entity)
    return f"{m.group('video')}_{m.group('start')}_{m.group('end')}" if m else entity


def placeholder_reason(rows: list[tuple[str, str]]) -> str | None:
    """Why a file's (label, entity) rows look like placeholders, or None: every label
    SPEAKING_AUDIBLE (real annotations always mark silent faces), or ids with an extra ``:0``."""
    if len(rows) >= 20 and all(label == "SPEAKING_AUDIBLE" for label, _ in rows):
        return f"all {len(rows)} rows are SPEAKING_AUDIBLE"
    odd = sum(1 for _, e in rows if _PLACEHOLDER_ID.search(e))
    if odd > len(rows) / 2:
        return f"{odd} of {len(rows)} entity ids end in an extra ':<n>' (e.g. ...:1:0)"
    return None


def read_rows(path: Path, skipped: SkippedRows) -> dict[str, dict[str, list[tuple[float, list[float], str]]]]:
    """video -> entity -> [(timestamp, [x, y, w, h], label)] sorted by time."""
    out: dict[str, dict[str, list]] = {}
    seen: list[tuple[str, str]] = []
    with open(path, newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.reader(f), 1):
            if not row or not "".join(row).strip():
                continue
            if len(row) != 8:
                skipped.skip(path, n, "<row>", f"expected 8 comma-separated fields, got {len(row)}")
                continue
            vid, ts, *box, label, entity = (c.strip() for c in row)
            try:
                t = float(ts)
                x1, y1, x2, y2 = (float(v) for v in box)
            except ValueError:
                bad = "frame_timestamp" if not _is_float(ts) else "entity_box"
                skipped.skip(path, n, bad, f"expected numbers, got {ts!r} / {box!r}")
                continue
            if not all(math.isfinite(v) for v in (t, x1, y1, x2, y2)) or t < 0:
                skipped.skip(path, n, "frame_timestamp", f"expected a non-negative finite time, got {ts!r}")
                continue
            if not (0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1):
                skipped.skip(path, n, "entity_box", f"expected normalised corners x1<x2, y1<y2 in [0, 1], got {box}")
                continue
            if label not in LABELS:
                skipped.skip(path, n, "label", f"expected one of {', '.join(LABELS)}, got {label!r}")
                continue
            if not entity:
                skipped.skip(path, n, "entity_id", "missing")
                continue
            seen.append((label, entity))
            out.setdefault(vid, {}).setdefault(entity, []).append((t, [x1, y1, x2 - x1, y2 - y1], label))
    reason = placeholder_reason(seen)
    if reason:
        raise ValueError(f"{path}: placeholder labels, not annotations ({reason}); this looks like an "
                         "ActivityNet challenge test file without ground truth: use the train/val CSVs")
    for ents in out.values():
        for rows in ents.values():
            rows.sort(key=lambda r: r[0])
    return out


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _frame_step(rows) -> float:
    diffs = sorted(b[0] - a[0] for a, b in zip(rows, rows[1:]) if b[0] > a[0])
    return diffs[len(diffs) // 2] if diffs else 0.04


def entity_track(person: str, entity: str, rows) -> tuple[FaceTrack, list[Turn]]:
    """One entity's face track (piecewise-constant boxes) and its audible speech turns."""
    step = _frame_step(rows)
    boxes: list[tuple[float, float, list[float]]] = []
    turns: list[Turn] = []
    for i, (t, box, label) in enumerate(rows):
        nxt = rows[i + 1][0] if i + 1 < len(rows) and rows[i + 1][0] - t <= MAX_GAP else t + step
        last = boxes[-1] if boxes else None
        if last and abs(t - last[1]) < 1e-6 and all(abs(a - b) < MOVE for a, b in zip(box, last[2])):
            boxes[-1] = (last[0], round(nxt, 3), last[2])
        else:
            boxes.append((round(t, 3), round(nxt, 3), [round(v, 4) for v in box]))
        if label == "SPEAKING_AUDIBLE":
            if turns and t - turns[-1].end <= MAX_GAP:
                turns[-1].end = round(t + step, 3)
            else:
                turns.append(Turn(person, round(t, 3), round(t + step, 3)))
    return FaceTrack(entity, person, boxes), [t for t in turns if t.end - t.start >= 0.3]


def load_recordings(csv_path: str | Path, media: str | Path, skipped: SkippedRows) -> list[Recording]:
    csv_path, media = Path(csv_path), Path(media)
    files = sorted(csv_path.glob("*.csv")) if csv_path.is_dir() else [csv_path]
    if not files:
        raise FileNotFoundError(f"{csv_path}: no .csv files")
    videos: dict[str, dict[str, list]] = {}
    for f in files:
        for vid, ents in read_rows(f, skipped).items():
            for ent, rows in ents.items():
                videos.setdefault(vid, {}).setdefault(ent, []).extend(rows)
    out = []
    for vid in sorted(videos):
        path = find_media(media, vid)
        if path is None:
            skipped.skip(csv_path, "-", "video_id", f"no media file for video {vid!r} in {media}")
            continue
        segments: dict[str, list] = {}
        for ent, rows in videos[vid].items():
            segments.setdefault(segment_of(ent), []).append((ent, rows))
        for seg in sorted(segments):
            ents = sorted(segments[seg], key=lambda kv: (min(r[0] for r in kv[1]), kv[0]))
            faces, turns = [], []
            for k, (ent, rows) in enumerate(ents, 1):
                rows.sort(key=lambda r: r[0])
                track, ts = entity_track(f"Face track {k}", ent, rows)
                faces.append(track)
                turns += ts
            out.append(Recording(seg, path, sorted(turns, key=lambda t: (t.start, t.end)), faces=faces))
    return out
