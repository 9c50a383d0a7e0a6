"""Anonymous face labels (FACE_A, FACE_B, ...) that say nothing about where a face is.

Letters follow a hash of (salt, track key), not the order of appearance or screen position: with
several faces visible from the first frame, "first appearance, then left to right" would hand out
letters by seat and leak the seat order into every cue. The salt (the sample window) makes the
assignment stable for a sample window and different between windows.
"""

from __future__ import annotations

import hashlib

from amuse_tasks.schema import LETTERS


def face_label(i: int) -> str:
    return "FACE_" + (LETTERS[i] if i < len(LETTERS) else str(i + 1))


def face_labels(keys: list[str], salt: str) -> dict[str, str]:
    """``{key: FACE_x}`` for the distinct keys, letters in a salted hash order."""
    distinct = list(dict.fromkeys(keys))
    order = sorted(distinct, key=lambda k: hashlib.sha1(f"{salt}\x00{k}".encode()).hexdigest())
    return {k: face_label(i) for i, k in enumerate(order)}


def window_salt(clip) -> str:
    """The salt of one sample window (a tools ``Clip`` or a record: ``clip_id``, ``start``, ``end``)."""
    get = clip.get if isinstance(clip, dict) else lambda k: getattr(clip, k)
    return f"{get('clip_id')}/{float(get('start')):.3f}-{float(get('end')):.3f}"
