"""Face backend ``dlib``: trained models end to end, offline.

dlib's HOG face detector (built into ``dlib-bin``; frames upsampled once, so faces from ~40 px are
found), IoU tracking that ends at shot changes, and for identity across cuts the mean of dlib's
128-d ResNet face descriptors of each track (``face-recognition-models``), linked when their
cosine distance is small (the 68-point landmarks align each face for its descriptor).
"""

from __future__ import annotations

import numpy as np

from amuse_tasks.tools import dlib_models
from amuse_tasks.tools.base import require
from amuse_tasks.tools.clip import Clip
from amuse_tasks.tools.face_tracking import identities, shot_changes, track

DESCRIBED = 3  # detections per track that get a descriptor (first, middle, last)
ID_DISTANCE = 0.08  # cosine distance of unit dlib descriptors (dlib's own rule: euclidean < 0.6 on raw ones)


class DlibFaces:
    kind, name, media = "faces", "dlib", "video"

    def __init__(self, option: str | None = None):
        self.fps = float(option) if option else 3.0
        self.settings = {"detector": "dlib-hog", "upsample": 1, "fps": self.fps, "landmarks": "68-point",
                         "embedding": "dlib-resnet-128", "id_distance": ID_DISTANCE, "max_gap": 2.0, "cut_threshold": 12.0}

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        """Tracks ``{id, start, end, boxes: [[t, x, y, w, h]]}`` (seconds from the window start)."""
        require("dlib", "dlib-bin", "faces=dlib")
        cv2 = require("cv2", "'opencv-python-headless<5'", "faces=dlib")
        detector = dlib_models.load("detector", "faces=dlib")
        shapes = dlib_models.load("landmarks", "faces=dlib")
        describe = dlib_models.load("descriptor", "faces=dlib")
        times, frames = clip.frames(self.fps)
        dets, found = [], {}
        for k, (t, rgb) in enumerate(zip(times, frames)):
            img = np.ascontiguousarray(rgb)
            for r in detector(img, 1):
                x, y = max(0, r.left()), max(0, r.top())
                box = [int(x), int(y), int(r.right() - x), int(r.bottom() - y)]
                found[(float(t), tuple(box))] = (k, shapes(img, r))
                dets.append((float(t), box, np.zeros(1, np.float32)))
        tracks = track(dets, max_gap=2.0, cuts=shot_changes(times, frames, cv2))
        for tr in tracks:  # the ResNet descriptor costs ~0.1 s a face: DESCRIBED detections per track
            picks = np.unique(np.linspace(0, len(tr["boxes"]) - 1, DESCRIBED).round().astype(int))
            embs = []
            for b in (tr["boxes"][i] for i in picks):
                k, shape = found[(b[0], tuple(b[1:]))]
                embs.append(np.asarray(describe.compute_face_descriptor(np.ascontiguousarray(frames[k]), shape)))
            emb = np.mean([e / (np.linalg.norm(e) + 1e-9) for e in embs], axis=0)
            tr["embedding"] = (emb / (np.linalg.norm(emb) + 1e-9)).tolist()
        tracks = identities(tracks, max_distance=ID_DISTANCE)
        return [{"id": tr["id"], "start": tr["start"], "end": tr["end"], "boxes": tr["boxes"]} for tr in tracks]
