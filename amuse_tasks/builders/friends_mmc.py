"""Friends-MMC: dialogue turns with speaker names, key frames and named face boxes.

Reads the published ``{5,8}_turns/{train,test,test-noisy}-metadata.json``: a list of dialogues,
each a list of turns ``{"frame": "s01e01-...", "video": "s01e01-001196-001272", "start": 1196,
"end": 1272, "speaker": "Ross", "content": "...", "faces": [[[x1, y1, x2, y2], "Ross"], ...]}``
(``start``/``end`` are frame numbers of the episode, boxes pixel corners of the 1280x720 key
frame).  Dialogues overlap (sliding windows), so turns are merged per episode by their
``video`` key.  A face box is that of the turn's key frame, held over the turn.  Times are
frame / fps, fps read from the episode video (``--fps`` overrides).  Media:
``<media>/<episode>.<ext>`` (e.g. ``s01e01.mkv``), the TV series, supplied by the user.
"""

from __future__ import annotations

import json
from pathlib import Path

from amuse_tasks.builders.clip_media import probe
from amuse_tasks.builders.conversation import FaceTrack, Recording, SkippedRows, Turn
from amuse_tasks.builders.dataset_dir import Source
from amuse_tasks.builders.generic_rttm import find_media

SOURCE = Source("Friends-MMC", "https://github.com/yellow-binary-tree/Friends-MMC", "MIT (annotations)",
                "Friends TV series, rights of Warner Bros. (supplied by the user)")
FRAME_SIZE = (1280, 720)  # the key frames the boxes were drawn on


def _video_fps(path: Path) -> float:
    return probe(path).fps or 0.0


def read_turns(path: Path, skipped: SkippedRows) -> dict[str, dict[str, dict]]:
    """episode -> video key -> turn dict, malformed turns and faces skipped and counted."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of dialogues, got {type(data).__name__}")
    out: dict[str, dict[str, dict]] = {}
    for i, dialog in enumerate(data):
        for j, turn in enumerate(dialog if isinstance(dialog, list) else []):
            where = f"dialogue {i} turn {j}"
            if not isinstance(turn, dict):
                skipped.skip(path, where, "<turn>", f"expected an object, got {type(turn).__name__}")
                continue
            missing = [k for k in ("frame", "speaker", "content", "start", "end") if k not in turn]
            if missing:
                skipped.skip(path, where, missing[0], "missing")
                continue
            s, e = turn["start"], turn["end"]
            if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e):
                skipped.skip(path, where, "start/end", f"expected frame numbers start < end, got {s!r}, {e!r}")
                continue
            if not isinstance(turn["speaker"], str) or not turn["speaker"].strip():
                skipped.skip(path, where, "speaker", f"expected a name, got {turn['speaker']!r}")
                continue
            faces = []
            for k, face in enumerate(turn.get("faces") or []):
                ok = (isinstance(face, list) and len(face) == 2 and isinstance(face[1], str)
                      and isinstance(face[0], list) and len(face[0]) == 4
                      and all(isinstance(v, (int, float)) for v in face[0]) and face[0][0] < face[0][2]
                      and face[0][1] < face[0][3])
                if not ok:
                    skipped.skip(path, where, f"faces[{k}]", f"expected [[x1, y1, x2, y2], name], got {face!r}")
                    continue
                faces.append(face)
            episode = str(turn["frame"])[:6]
            key = turn.get("video") or f"{episode}-{s:06d}-{e:06d}"
            out.setdefault(episode, {})[key] = {**turn, "faces": faces}
    return out


def load_recordings(metadata: str | Path | list, media: str | Path, skipped: SkippedRows, *,
                    fps: float | None = None) -> list[Recording]:
    paths = [Path(p) for p in (metadata if isinstance(metadata, list) else [metadata])]
    media = Path(media)
    episodes: dict[str, dict[str, dict]] = {}
    for p in paths:
        for ep, turns in read_turns(p, skipped).items():
            episodes.setdefault(ep, {}).update(turns)
    out = []
    for ep in sorted(episodes):
        path = find_media(media, ep)
        if path is None:
            skipped.skip(paths[0], "-", "frame", f"no media file for episode {ep!r} in {media}")
            continue
        rate = fps or _video_fps(path)
        if not rate:
            skipped.skip(path, "-", "fps", "cannot read the frame rate; pass --fps")
            continue
        W, H = FRAME_SIZE
        turns, faces = [], []
        for key, t in sorted(episodes[ep].items(), key=lambda kv: kv[1]["start"]):
            s, e = round(t["start"] / rate, 3), round(t["end"] / rate, 3)
            turns.append(Turn(t["speaker"].strip(), s, e, str(t["content"]).strip()))
            for (x1, y1, x2, y2), name in t["faces"]:
                box = [max(x1, 0) / W, max(y1, 0) / H, (min(x2, W) - max(x1, 0)) / W, (min(y2, H) - max(y1, 0)) / H]
                faces.append(FaceTrack(f"{key}:{name}", name, [(s, e, [round(v, 4) for v in box])]))
        out.append(Recording(ep, path, turns, faces=faces))
    return out
