"""Lip-sync backend ``landmarks``: mouth opening from dlib's trained 68-point landmarks against the
speech energy, an active-speaker score without learned audio-visual weights (none ship offline).

At ``fps`` (default 12) the landmarks are fitted inside each face track's box (interpolated from
the face backend's detections), giving the inner-lip gap over the mouth width per frame. The
score is the same co-activity as the ``correlation`` backend (``lipsync_correlation.score``):
the fraction of speech frames in which the face's mouth is open relative to its own range;
``mouth_open`` the fraction of all frames with the mouth open (speaking or about to).
"""

from __future__ import annotations

import numpy as np

from amuse_tasks.tools import dlib_models
from amuse_tasks.tools.base import require
from amuse_tasks.tools.lipsync_correlation import CorrelationLipSync


class LandmarkLipSync(CorrelationLipSync):
    kind, name, media = "lipsync", "landmarks", "video"

    def __init__(self, option: str | None = None):
        self.fps = float(option) if option else 12.0
        self.settings = {"fps": self.fps, "mouth": "dlib 68-point inner-lip gap / mouth width",
                         "score": "open-mouth fraction of speech frames"}

    def mouth_measure(self):
        """The inner-lip gap over the mouth width (percent), landmarks fitted inside the face box."""
        dlib = require("dlib", "dlib-bin", "lip_sync=landmarks")
        shapes = dlib_models.load("landmarks", "lip_sync=landmarks")

        def opening(rgb: np.ndarray, box) -> float:
            x, y, w, h = (int(v) for v in box)
            shape = shapes(np.ascontiguousarray(rgb), dlib.rectangle(x, y, x + w, y + h))
            return 100.0 * dlib_models.mouth_opening(shape)
        return opening
