"""Face backend ``insightface``: InsightFace detection + ArcFace embeddings, when the user has it.

``faces=insightface[:<model pack, default buffalo_l>]``; the model pack must already be in
``~/.insightface/models`` (it cannot be downloaded offline). Not installed in our CI.
"""

from __future__ import annotations

import numpy as np

from amuse_tasks.tools.base import BackendUnavailable, require
from amuse_tasks.tools.clip import Clip
from amuse_tasks.tools.face_tracking import identities, shot_changes, track

_APPS: dict[str, object] = {}


class InsightFaces:
    kind, name, media = "faces", "insightface", "video"

    def __init__(self, option: str | None = None):
        self.pack = option or "buffalo_l"
        self.settings = {"pack": self.pack, "fps": 2.0, "id_distance": 0.6}

    def _app(self):
        if self.pack not in _APPS:
            app_mod = require("insightface.app", "insightface onnxruntime", "faces=insightface")
            try:
                app = app_mod.FaceAnalysis(name=self.pack, allowed_modules=["detection", "recognition"],
                                           providers=["CPUExecutionProvider"])
                app.prepare(ctx_id=-1, det_size=(640, 640))
            except Exception as e:  # missing model pack offline
                raise BackendUnavailable(f"insightface could not load model pack {self.pack!r} ({type(e).__name__}: {e}); "
                                         "put the pack in ~/.insightface/models/<pack>") from e
            _APPS[self.pack] = app
        return _APPS[self.pack]

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        app = self._app()
        times, frames = clip.frames(self.settings["fps"])
        dets = []
        for t, rgb in zip(times, frames):
            for face in app.get(np.ascontiguousarray(rgb[:, :, ::-1])):  # insightface takes BGR
                x1, y1, x2, y2 = (float(v) for v in face.bbox)
                dets.append((float(t), [round(x1), round(y1), round(x2 - x1), round(y2 - y1)], np.asarray(face.normed_embedding)))
        cv2 = require("cv2", "'opencv-python-headless<5'", "faces=insightface")
        tracks = identities(track(dets, max_gap=2.0, cuts=shot_changes(times, frames, cv2)),
                            max_distance=self.settings["id_distance"])
        return [{"id": tr["id"], "start": tr["start"], "end": tr["end"], "boxes": tr["boxes"]} for tr in tracks]
