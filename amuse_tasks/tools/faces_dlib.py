"""Face backend ``dlib``: trained models end to end, offline.

dlib's HOG face detector (built into ``dlib-bin``; frames upsampled once, so faces from ~40 px are
found) with the 68-point landmarks of every face, run at ``fps`` on the file's own time grid in
fixed PART-second parts of the file, each cached and shared by all windows that overlap it (each
window tracks only the detections inside it, so a next-speaker window still cannot see past its
cut; a window of a long recording costs at most its own span plus two part ends). Then IoU
tracking that ends at shot changes, and for identity across cuts the mean of dlib's 128-d ResNet
face descriptors (``face-recognition-models``, aligned by the landmarks) of each track, linked
when their cosine distance is small.
"""

from __future__ import annotations

import math

import numpy as np

from amuse_tasks import media
from amuse_tasks.tools import dlib_models
from amuse_tasks.tools.base import require
from amuse_tasks.tools.clip import Clip
from amuse_tasks.tools.face_tracking import identities, shot_changes, track

DESCRIBED = 3  # detections per track that get a descriptor (first, middle, last)
PART = 30.0  # seconds of file per shared detection pass
ID_DISTANCE = 0.08  # cosine distance of unit dlib descriptors (dlib's own rule: euclidean < 0.6 on raw ones)


class DlibFaces:
    kind, name, media = "faces", "dlib", "video"

    def __init__(self, option: str | None = None):
        self.fps = float(option) if option else 3.0
        self.settings = {"detector": "dlib-hog", "upsample": 1, "fps": self.fps, "landmarks": "68-point",
                         "embedding": "dlib-resnet-128", "id_distance": ID_DISTANCE, "max_gap": 2.0,
                         "cut_threshold": 12.0, "grid": "file", "part": PART}

    def detections(self, video, part: int) -> dict:
        """``{"faces": [[t, [x, y, w, h], [[px, py] x 68]]], "cuts": [t]}`` (file seconds) in part ``part``
        of the file; its first frame is compared with the frame before, so a cut on a part boundary is seen."""
        require("dlib", "dlib-bin", "faces=dlib")
        cv2 = require("cv2", "'opencv-python-headless<5'", "faces=dlib")
        detector = dlib_models.load("detector", "faces=dlib")
        shapes = dlib_models.load("landmarks", "faces=dlib")
        start, end = part * self.part_seconds, min(media.probe(video).duration, (part + 1) * self.part_seconds)
        before = max(0.0, start - 1.0 / self.fps)
        frames, times = media.read_video(video, before, end, fps=self.fps)
        faces = []
        for k, (t, rgb) in enumerate(zip(times, frames)):
            if k == 0 and before < start:  # the frame before the part: only for the cut test
                continue
            img = np.ascontiguousarray(rgb)
            for r in detector(img, 1):
                x, y = max(0, r.left()), max(0, r.top())
                points = [[p.x, p.y] for p in shapes(img, r).parts()]
                faces.append([round(float(t), 4), [int(x), int(y), int(r.right() - x), int(r.bottom() - y)], points])
        return {"faces": faces, "cuts": [round(float(c), 4) for c in shot_changes(times, frames, cv2)]}

    @property
    def part_seconds(self) -> float:
        """PART rounded to whole frames at ``fps``, so every part starts on the file's frame grid."""
        return max(1, round(PART * self.fps)) / self.fps

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        """Tracks ``{id, start, end, boxes: [[t, x, y, w, h]]}`` (seconds from the window start)."""
        dlib = require("dlib", "dlib-bin", "faces=dlib")
        describe = dlib_models.load("descriptor", "faces=dlib")
        step = self.part_seconds
        found: dict = {"faces": [], "cuts": []}
        for part in range(int(clip.start // step), int(max(clip.start, clip.end - 1e-6) // step) + 1):
            got = (ctx.cached_for_file("face_detections", self, part, lambda p=part: self.detections(clip.video, p))
                   if ctx is not None else self.detections(clip.video, part))
            found["faces"] += got["faces"]
            found["cuts"] += got["cuts"]
        a, b = clip.start, clip.end
        inside = [(round(t - a, 4), box, pts) for t, box, pts in found["faces"] if a - 1e-6 <= t < b]
        points = {(t, tuple(box)): pts for t, box, pts in inside}
        tracks = track([(t, box, np.zeros(1, np.float32)) for t, box, _ in inside], max_gap=2.0,
                       cuts=[c - a for c in found["cuts"] if a < c < b])
        first = math.ceil(a * self.fps - 1e-6) / self.fps  # the window's frames on the file's grid
        frames, _ = media.read_video(clip.video, first, b, fps=self.fps) if tracks else ([], [])
        for tr in tracks:  # the ResNet descriptor costs ~0.1 s a face: DESCRIBED detections per track
            picks = np.unique(np.linspace(0, len(tr["boxes"]) - 1, DESCRIBED).round().astype(int))
            embs = []
            for t, x, y, w, h in (tr["boxes"][i] for i in picks):
                shape = dlib.full_object_detection(dlib.rectangle(x, y, x + w, y + h),
                                                   [dlib.point(px, py) for px, py in points[(t, (x, y, w, h))]])
                rgb = np.ascontiguousarray(frames[min(len(frames) - 1, round((t + a - first) * self.fps))])
                embs.append(np.asarray(describe.compute_face_descriptor(rgb, shape)))
            emb = np.mean([e / (np.linalg.norm(e) + 1e-9) for e in embs], axis=0)
            tr["embedding"] = (emb / (np.linalg.norm(emb) + 1e-9)).tolist()
        tracks = identities(tracks, max_distance=ID_DISTANCE)
        return [{"id": tr["id"], "start": tr["start"], "end": tr["end"], "boxes": tr["boxes"]} for tr in tracks]
