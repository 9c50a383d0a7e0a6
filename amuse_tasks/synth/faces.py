"""Real face photos from scikit-image's LFW subset, one distinct face per speaker.

``lfw_subset()`` ships 100 face crops (25x25 grey, tight around the face) plus 100 non-faces.
FACE_POOL lists the crops that OpenCV's offline Haar detector (``cv2.data.haarcascades``,
frontalface_default) finds as rendered here: every size from 47 to 96 px, every skin tone,
brightness 0.85-1.15, mirrored or not, mouth closed or open.  Checked once with
opencv-python-headless 4.14 and fixed here so a build never depends on the installed detector.  ``tests/synth`` re-checks detection on the rendered clips.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

FACE_POOL = (
    0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14, 15, 18, 19, 20, 23, 24, 25, 26, 27, 28, 29, 31, 33, 34,
    35, 36, 37, 38, 40, 41, 42, 43, 44, 45, 46, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
    62, 64, 65, 66, 67, 69, 70, 71, 72, 73, 74, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 90,
    91, 92, 93, 94, 95, 97, 99,
)

# Where the mouth sits in an LFW crop, as fractions of the face box (x centre, y centre, width).
MOUTH = (0.46, 0.73, 0.34)

SKIN_TONES = ((1.0, 0.86, 0.74), (0.92, 0.76, 0.62), (0.80, 0.62, 0.48), (1.0, 0.90, 0.82), (0.70, 0.54, 0.42))


@lru_cache(maxsize=1)
def _lfw() -> np.ndarray:
    from skimage.data import lfw_subset

    return lfw_subset()[:100]


def face_photo(index: int) -> np.ndarray:
    """Grey face crop ``index`` of the LFW subset, float in [0, 1], shape (25, 25)."""
    return _lfw()[index]


def render_face(index: int, size: int, tone: tuple[float, float, float], gain: float, flip: bool,
                gamma: float = 1.0, tilt: float = 0.0) -> np.ndarray:
    """The face photo as an RGB uint8 square of ``size`` px: skin-toned, brightened, maybe mirrored,
    with a scene's lighting contrast (``gamma``) and a slight head tilt (degrees), so the same person
    does not come back as the same pixels after a cut."""
    grey = face_photo(index)
    if flip:
        grey = grey[:, ::-1]
    grey = np.power(np.clip(grey, 0.0, 1.0), gamma)
    up = cv2.resize(np.ascontiguousarray(grey, dtype=np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    if tilt:
        turn = cv2.getRotationMatrix2D((size / 2, size / 2), tilt, 1.0)
        up = cv2.warpAffine(up, turn, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    rgb = np.clip(up[..., None] * np.asarray(tone, np.float32) * gain * 255.0, 0, 255)
    return rgb.astype(np.uint8)
