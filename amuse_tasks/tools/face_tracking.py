"""Detections -> face tracks -> identities, shared by the face backends.

Tracks: greedy IoU matching between consecutive sampled frames (a track ends after ``max_gap``
seconds unseen, and at every shot change). Identities: tracks whose mean embeddings are close (cosine) and that are never
on screen at the same time get one id, so a face that returns after a scene cut keeps its label.
"""

from __future__ import annotations

import numpy as np


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def track(detections: list[tuple], *, min_iou: float = 0.3, max_gap: float = 1.0,
          min_hits: int = 2, cuts: list[float] = ()) -> list[dict]:
    """detections: (time, box [x, y, w, h], unit embedding) in time order; cuts: shot-change times,
    which no track crosses (a new face may sit where the old one sat).

    Returns tracks ``{start, end, boxes: [[t, x, y, w, h]], embedding}``, dropping tracks seen fewer than
    ``min_hits`` times (one-frame false detections).
    """
    tracks: list[dict] = []
    by_time: dict[float, list] = {}
    for t, box, emb in detections:
        by_time.setdefault(t, []).append((box, emb))
    for dets in by_time.values():  # a multi-threaded detector returns a frame's faces in any order
        dets.sort(key=lambda d: tuple(d[0]))
    for t in sorted(by_time):
        live = [tr for tr in tracks if t - tr["end"] <= max_gap and not any(tr["end"] < c <= t for c in cuts)]
        pairs = sorted(((iou(tr["boxes"][-1][1:], box), ti, di) for ti, tr in enumerate(live)
                        for di, (box, _) in enumerate(by_time[t])), reverse=True)
        used_t, used_d = set(), set()
        for score, ti, di in pairs:
            if score < min_iou or ti in used_t or di in used_d:
                continue
            used_t.add(ti), used_d.add(di)
            box, emb = by_time[t][di]
            live[ti]["boxes"].append([t, *box]), live[ti]["embs"].append(emb)
            live[ti]["end"] = t
        for di, (box, emb) in enumerate(by_time[t]):
            if di not in used_d:
                tracks.append({"start": t, "end": t, "boxes": [[t, *box]], "embs": [emb]})
    out = []
    for tr in tracks:
        if len(tr["boxes"]) < min_hits:
            continue
        emb = np.mean(tr.pop("embs"), axis=0)
        tr["embedding"] = (emb / (np.linalg.norm(emb) + 1e-9)).tolist()
        out.append(tr)
    return out


def identities(tracks: list[dict], *, max_distance: float) -> list[dict]:
    """Give each track an ``id``: tracks with cosine distance below ``max_distance`` that never overlap in
    time share one (average linkage, merged closest first)."""
    groups = [[i] for i in range(len(tracks))]
    emb = np.array([t["embedding"] for t in tracks]) if tracks else np.zeros((0, 1))

    def overlap(g1, g2):
        return any(tracks[a]["start"] <= tracks[b]["end"] and tracks[b]["start"] <= tracks[a]["end"]
                   for a in g1 for b in g2)

    while True:
        best = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                d = 1.0 - float(np.mean(emb[groups[i]] @ emb[groups[j]].T))
                if d < max_distance and not overlap(groups[i], groups[j]) and (best is None or d < best[0]):
                    best = (d, i, j)
        if best is None:
            break
        _, i, j = best
        groups[i] += groups.pop(j)
    for gid, g in enumerate(groups):
        for i in g:
            tracks[i]["id"] = f"id{gid}"
    return tracks


def shot_changes(times, frames, cv2, threshold: float = 12.0) -> list[float]:
    """Times of frames that differ from the previous sampled frame by more than ``threshold`` grey
    levels on average (at 32x24): scene cuts, not mouths or small motion."""
    cuts, prev = [], None
    for t, rgb in zip(times, frames):
        small = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (32, 24), interpolation=cv2.INTER_AREA).astype(np.float32)
        if prev is not None and float(np.abs(small - prev).mean()) > threshold:
            cuts.append(float(t))
        prev = small
    return cuts
