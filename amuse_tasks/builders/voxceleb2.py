"""VoxCeleb2: identities across videos, for ``srid`` only.

Reads the published per-utterance face-track files ``<txt root>/<id>/<video ref>/<nnnnn>.txt``::

    Identity  : 	id00012
    Reference : 	21Uxsk56VDQ
    Offset    : 	1
    FV Conf   : 	16.647	(1)
    ASD Conf  : 	4.177

    FRAME 	X 	Y 	W 	H
    000245 	0.432 	0.155 	0.152 	0.264

(frames at 25 fps of the source video; boxes normalised x, y, w, h).  The user supplies the
utterance videos ``<media>/<id>/<video ref>/<nnnnn>.mp4`` (the ``dev/mp4`` or ``test/mp4`` tree).

Construction (deterministic by seed): for each identity X with utterances from two different
videos, scene 1 is one utterance of X (at most 8 s); scene 2 joins an utterance of X from
another video and one utterance each of up to ``max_options - 1`` other identities (at most 6 s
each), in shuffled order.  The question: which person in scene 2 is the one heard in scene 1.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from amuse_tasks.builders.conversation import FaceTrack, SkippedRows, Turn
from amuse_tasks.builders.dataset_dir import Source
from amuse_tasks.builders.clip_geometry import overlap_ratio
from amuse_tasks.builders.clip_plan import BuildConfig, ClipPlan
from amuse_tasks.builders.scene_tasks import srid_record

FPS = 25.0
SCENE1_MAX, SCENE2_PART_MAX = 8.0, 6.0
SOURCE = Source("VoxCeleb2", "https://www.robots.ox.ac.uk/~vgg/data/voxceleb/vox2.html", "CC BY-SA 4.0",
                "YouTube videos, rights of their owners (supplied by the user)")


@dataclass
class Utterance:
    identity: str
    video: str
    media: Path
    duration: float
    boxes: list[tuple[float, float, list[float]]]


def read_track(path: Path, skipped: SkippedRows) -> tuple[str, str, list[tuple[int, list[float]]]] | None:
    """(identity, reference, [(frame, [x, y, w, h])]) of one txt file; None when unusable."""
    header: dict[str, str] = {}
    frames: list[tuple[int, list[float]]] = []
    in_frames = False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if not in_frames:
            if line.strip().upper().startswith("FRAME"):
                in_frames = True
            elif ":" in line:
                k, v = line.split(":", 1)
                header[k.strip().lower()] = v.split()[0] if v.split() else ""
            continue
        cols = line.split()
        try:
            frame, box = int(cols[0]), [float(c) for c in cols[1:5]]
            if len(box) != 4 or box[2] <= 0 or box[3] <= 0:
                raise ValueError
        except (ValueError, IndexError):
            skipped.skip(path, n, "FRAME/X/Y/W/H", f"expected an integer frame and 4 numbers with W, H > 0, got {line.strip()!r}")
            continue
        frames.append((frame, box))
    if not header.get("identity"):
        skipped.skip(path, 1, "Identity", "missing")
        return None
    if not frames:
        skipped.skip(path, "-", "FRAME", "no face-track frames")
        return None
    return header["identity"], header.get("reference", path.parent.name), frames


def load_utterances(txt_root: str | Path, media: str | Path, skipped: SkippedRows) -> dict[str, list[Utterance]]:
    """identity -> utterances that have a media file."""
    txt_root, media = Path(txt_root), Path(media)
    files = sorted(txt_root.glob("*/*/*.txt"))
    if not files:
        raise FileNotFoundError(f"{txt_root}: no <id>/<video>/<n>.txt face-track files")
    out: dict[str, list[Utterance]] = {}
    for f in files:
        parsed = read_track(f, skipped)
        if parsed is None:
            continue
        ident, ref, frames = parsed
        rel = f.relative_to(txt_root).with_suffix("")
        mp4 = next((p for p in (media / rel.with_suffix(ext) for ext in (".mp4", ".m4a", ".wav")) if p.is_file()), None)
        if mp4 is None:
            skipped.skip(f, "-", "media", f"no media file {media / rel}.mp4")
            continue
        first = frames[0][0]
        boxes = []
        for k, (fr, box) in enumerate(frames):
            end = (frames[k + 1][0] if k + 1 < len(frames) else fr + 1) - first
            boxes.append((round((fr - first) / FPS, 3), round(end / FPS, 3), box))
        out.setdefault(ident, []).append(Utterance(ident, ref, mp4, round((frames[-1][0] - first + 1) / FPS, 3), boxes))
    return out


def _piece(u: Utterance, limit: float, offset: float) -> tuple[float, list]:
    dur = min(u.duration, limit)
    boxes = [(round(s + offset, 3), round(min(e, dur) + offset, 3), b) for s, e, b in u.boxes if s < dur]
    return dur, boxes


def plan_clips(utterances: dict[str, list[Utterance]], cfg: BuildConfig, corpus: str = "voxceleb2") -> list[ClipPlan]:
    plans: list[ClipPlan] = []
    idents = sorted(utterances)
    for x in idents:
        rng = random.Random(f"{cfg.seed}|{x}|srid")
        videos = sorted({u.video for u in utterances[x]})
        others = [i for i in idents if i != x]
        if len(videos) < 2 or not others:
            continue
        v1, v2 = rng.sample(videos, 2)
        u1 = rng.choice([u for u in utterances[x] if u.video == v1])
        u2 = rng.choice([u for u in utterances[x] if u.video == v2])
        picks = [u2] + [rng.choice(utterances[o]) for o in rng.sample(others, min(cfg.max_options - 1, len(others)))]
        rng.shuffle(picks)
        clip_id = f"{corpus}-{x}-r000"
        turns, faces, parts = [], [], []
        d1, boxes = _piece(u1, SCENE1_MAX, 0.0)
        turns.append(Turn(x, 0.0, d1))
        faces.append(FaceTrack(f"{x}/{u1.video}@0", x, boxes))
        parts.append((u1.media, 0.0, d1))
        off = d1
        for k, u in enumerate(picks, 1):
            d, boxes = _piece(u, SCENE2_PART_MAX, off)
            turns.append(Turn(u.identity, round(off, 3), round(off + d, 3)))
            faces.append(FaceTrack(f"{u.identity}/{u.video}@{k}", u.identity, boxes))
            parts.append((u.media, 0.0, d))
            off += d
        if not cfg.min_clip <= off <= cfg.max_clip:
            continue
        meta = {"source": corpus, "recording": x, "overlap_ratio": overlap_ratio(turns),
                "source_spans": [[f"{p.parent.parent.name}/{p.parent.name}/{p.name}", s, e] for p, s, e in parts]}
        r = srid_record(turns, faces, turns[0], [(0.0, round(d1, 3)), (round(d1, 3), round(off, 3))],
                        cfg, random.Random(f"{cfg.seed}|{clip_id}|srid"), clip_id, meta)
        if r is not None:
            plans.append(ClipPlan(clip_id, parts, [r], faces))
    return plans
