"""dlib's trained face models, found inside the ``face-recognition-models`` package (MIT; the
68-point landmarks are trained on iBUG 300-W, whose terms exclude commercial use; the 128-d ResNet
descriptor is dlib's face recognition model) and loaded once per process."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2  # opencv-python-headless: a core dependency
import numpy as np

from amuse_tasks.tools.base import BackendUnavailable, require

_LOADED: dict[str, object] = {}
FILES = {"landmarks": "shape_predictor_68_face_landmarks.dat", "descriptor": "dlib_face_recognition_resnet_model_v1.dat"}


def model_file(name: str) -> Path:
    """Path of one model file; the package is located without importing it (its __init__ needs
    setuptools' pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable("the dlib face models are missing: pip install face-recognition-models")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / FILES[name]
    if not path.is_file():
        raise BackendUnavailable(f"{path} is missing: reinstall face-recognition-models")
    return path


def load(name: str, backend: str):
    """``detector`` (HOG), ``landmarks`` (68-point shape predictor) or ``descriptor`` (ResNet)."""
    if name not in _LOADED:
        dlib = require("dlib", "dlib-bin", backend)
        if name == "detector":
            _LOADED[name] = dlib.get_frontal_face_detector()
        elif name == "landmarks":
            _LOADED[name] = dlib.shape_predictor(str(model_file("landmarks")))
        else:
            _LOADED[name] = dlib.face_recognition_model_v1(str(model_file("descriptor")))
    return _LOADED[name]


def mouth_opening(shape) -> float:
    """Inner-lip gap (points 61-63 vs 67-65) over the mouth width (48-54): 0 closed, ~0.3+ wide open."""
    p = [(shape.part(i).x, shape.part(i).y) for i in range(68)]
    gap = sum(abs(p[b][1] - p[a][1]) for a, b in ((61, 67), (62, 66), (63, 65))) / 3.0
    width = max(1.0, abs(p[54][0] - p[48][0]))
    return gap / width


def mouth_darkness(gray: np.ndarray, shape, box) -> float:
    """How much darker the inside of the outer lip contour (points 48-59) is than the face box, as a
    fraction of the face's mean grey: an open mouth shows the dark oral cavity."""
    lips = np.array([(shape.part(i).x, shape.part(i).y) for i in range(48, 60)], np.int32)
    mask = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(lips), 1)
    x, y, w, h = (max(0, int(v)) for v in box)
    face = float(gray[y:y + h, x:x + w].mean()) if w and h else 0.0
    if not mask.any() or face <= 0:
        return 0.0
    return 1.0 - float(gray[mask > 0].mean()) / face
