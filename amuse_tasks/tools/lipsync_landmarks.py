"""Lip-sync backend ``landmarks``: mouth opening from dlib's trained 68-point landmarks against the
speech energy, an active-speaker score without learned audio-visual weights (none ship offline).

At ``fps`` (default 12) the landmarks are fitted inside each face track's box (the face backend's
detection nearest in time). A frame's mouth activity adds two readings of the fitted lips, in
percent: the inner-lip gap over the mouth width (geometry) and how much darker the inside of the
outer lip contour is than the face (the open oral cavity; teeth or a blurred face can hide the
gap, not both). Per-frame separation of a face's speaking from its silent frames on AMUSE-Synth
(ROC AUC, ground-truth boxes, 6 clips): gap alone 0.71, lip darkness 0.91, both 0.90, the
``correlation`` backend's fixed lower-face region 0.74. The score is the same co-activity as
the ``correlation`` backend (``lipsync_correlation.score``).
"""

from __future__ import annotations

import numpy as np

from amuse_tasks.tools import dlib_models
from amuse_tasks.tools.base import require
from amuse_tasks.tools.lipsync_correlation import SCORE, CorrelationLipSync


class LandmarkLipSync(CorrelationLipSync):
    kind, name, media = "lipsync", "landmarks", "video"

    def __init__(self, option: str | None = None):
        self.fps = float(option) if option else 12.0
        self.settings = {"fps": self.fps, "mouth": "dlib 68-point inner-lip gap / mouth width + lip-contour darkness",
                         "score": SCORE}

    def mouth_measure(self):
        """Inner-lip gap / mouth width + lip-contour darkness (percent), landmarks fitted inside the face box."""
        dlib = require("dlib", "dlib-bin", "lip_sync=landmarks")
        cv2 = require("cv2", "'opencv-python-headless<5'", "lip_sync=landmarks")
        shapes = dlib_models.load("landmarks", "lip_sync=landmarks")

        def opening(rgb: np.ndarray, box) -> float:
            x, y, w, h = (int(v) for v in box)
            # the face with a margin, so landmarks and the lip mask cost the face's pixels, not the frame's
            x0, y0 = max(0, x - w // 4), max(0, y - h // 4)
            crop = np.ascontiguousarray(rgb[y0:y + h + h // 4, x0:x + w + w // 4])
            shape = shapes(crop, dlib.rectangle(x - x0, y - y0, x - x0 + w, y - y0 + h))
            gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
            return 100.0 * (dlib_models.mouth_opening(shape) + dlib_models.mouth_darkness(gray, shape, (x - x0, y - y0, w, h)))
        return opening
