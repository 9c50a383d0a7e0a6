"""Face backend ``haar``: OpenCV Haar cascade detection (cascades ship in opencv-python-headless<5),
IoU tracking, and a per-track embedding of the normalised grey face patch (a pixel baseline, not a
trained face embedding: it re-identifies the same photo, not the same person in a new photo).
Tracks end at shot changes (large frame differences)."""

from __future__ import annotations

import numpy as np

from amuse_tasks.tools.base import BackendUnavailable, require
from amuse_tasks.tools.clip import Clip
from amuse_tasks.tools.face_tracking import identities, shot_changes, track

PATCH = 24


def patch_embedding(gray: np.ndarray, box, cv2) -> np.ndarray:
    x, y, w, h = (int(v) for v in box)
    crop = cv2.resize(gray[max(y, 0): y + h, max(x, 0): x + w], (PATCH, PATCH), interpolation=cv2.INTER_AREA)
    v = cv2.equalizeHist(crop).astype(np.float32)
    v = (v + v[:, ::-1]).ravel()  # mirror-invariant: the same face may be shown flipped
    v -= v.mean()
    return v / (np.linalg.norm(v) + 1e-9)


class HaarFaces:
    kind, name, media = "faces", "haar", "video"

    def __init__(self, option: str | None = None):
        self.fps = float(option) if option else 3.0
        self.settings = {"cascade": "haarcascade_frontalface_default", "fps": self.fps, "scale": 1.1,
                         "min_neighbors": 3, "embedding": f"gray{PATCH}-mirror", "id_distance": 0.5,
                         "max_gap": 2.0, "cut_threshold": 12.0}

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        """Tracks ``{id, start, end, boxes: [[t, x, y, w, h]]}`` (seconds from the window start)."""
        cv2 = require("cv2", "'opencv-python-headless<5'", "faces=haar")
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml" if hasattr(cv2, "data") else ""
        detector = cv2.CascadeClassifier(path)
        if detector.empty():
            raise BackendUnavailable("faces=haar: OpenCV has no Haar cascades (opencv 5 removed them); "
                                     "install 'opencv-python-headless<5'")
        times, frames = clip.frames(self.fps)
        dets = []
        for t, rgb in zip(times, frames):
            gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            min_side = max(24, gray.shape[0] // 12)
            for box in detector.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3, minSize=(min_side, min_side)):
                dets.append((float(t), [int(v) for v in box], patch_embedding(gray, box, cv2)))
        tracks = identities(track(dets, max_gap=2.0, cuts=shot_changes(times, frames, cv2)),
                            max_distance=self.settings["id_distance"])
        return [{"id": tr["id"], "start": tr["start"], "end": tr["end"], "boxes": tr["boxes"]} for tr in tracks]
