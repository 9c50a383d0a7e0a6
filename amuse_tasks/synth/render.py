"""Video frames: people in a row (or two), mouths opening with their own speech energy.

Per scene every person gets a seat, a shirt colour, a brightness, a lighting contrast, a head tilt
and maybe a mirrored face, so
people reappear after a cut at another place and with another look (re-identification needs
the face, not the seat).  Nothing is drawn but people: no frame, no marker (the next-speaker cue
is the next speaker's own mouth, see ``clip.pre_speech``).  Face boxes are constant within a scene.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from amuse_tasks.synth.faces import MOUTH, SKIN_TONES, render_face

WIDTH, HEIGHT, FPS = 384, 288, 12
MOUTH_COLOUR = (70, 20, 25)

BACKGROUNDS = ((46, 64, 83), (84, 62, 48), (40, 78, 60), (90, 90, 98), (70, 50, 86), (30, 60, 90))
SHIRTS = ((200, 40, 40), (40, 110, 200), (40, 160, 70), (230, 190, 40), (150, 60, 170),
          (240, 120, 30), (30, 170, 170), (220, 220, 220), (120, 80, 40), (20, 20, 20), (230, 110, 160))
SHIRT_NAMES = ("red", "blue", "green", "yellow", "purple", "orange", "teal", "white", "brown", "black", "pink")


@dataclass
class Seat:
    """Where one person sits in one scene and how they look there."""

    person: int
    slot: int  # 0-based, row-major (left to right, top row first)
    row: int
    col: int
    rows: int
    box: tuple[int, int, int, int]  # face box x, y, w, h (pixels)
    tile: tuple[int, int, int, int]
    shirt: int  # index into SHIRTS
    flip: bool
    gain: float
    gamma: float  # the scene's lighting contrast on this face
    tilt: float  # head tilt in degrees

    def where(self) -> str:
        ordinal = ("1st", "2nd", "3rd")[self.col] if self.col < 3 else f"{self.col + 1}th"
        row = "" if self.rows == 1 else (" in the top row" if self.row == 0 else " in the bottom row")
        return f"{ordinal} from the left{row}, {SHIRT_NAMES[self.shirt]} shirt"


@dataclass
class SceneLook:
    background: int
    seats: list[Seat]  # indexed by person


def grid(n: int) -> tuple[int, int]:
    """(rows, cols) for n people: one row up to 4, two rows beyond."""
    return (1, n) if n <= 4 else (2, (n + 1) // 2)


def dress_scenes(rng: random.Random, n: int, n_scenes: int) -> list[SceneLook]:
    """A look per scene: new seats (never all the same as before), shirts, brightness, mirroring."""
    rows, cols = grid(n)
    tw, th = WIDTH // cols, HEIGHT // rows
    size = int(min(0.62 * tw, 0.55 * th, 96))
    looks: list[SceneLook] = []
    prev_order: list[int] | None = None
    backgrounds = rng.sample(range(len(BACKGROUNDS)), n_scenes) if n_scenes <= len(BACKGROUNDS) else \
        [i % len(BACKGROUNDS) for i in range(n_scenes)]
    for s in range(n_scenes):
        order = list(range(n))
        while True:
            rng.shuffle(order)
            if prev_order is None or order != prev_order:
                break
        prev_order = order[:]
        shirts = rng.sample(range(len(SHIRTS)), n)
        seats: list[Seat | None] = [None] * n
        for slot, person in enumerate(order):
            r, c = divmod(slot, cols)
            # the bottom row of an odd count is centred
            in_row = cols if r < rows - 1 or n % cols == 0 else n % cols
            x0 = (WIDTH - in_row * tw) // 2 + c * tw
            y0 = r * th
            fx, fy = x0 + (tw - size) // 2, y0 + int(0.1 * th)
            seats[person] = Seat(person, slot, r, c, rows, (fx, fy, size, size), (x0, y0, tw, th),
                                 shirts[person], rng.random() < 0.5, rng.uniform(0.85, 1.15),
                                 rng.uniform(0.85, 1.2), rng.uniform(-4.0, 4.0))
        looks.append(SceneLook(backgrounds[s], seats))  # type: ignore[arg-type]
    return looks


def _base_frame(look: SceneLook, faces: list[int], tones: list[int]) -> np.ndarray:
    img = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    bg = np.asarray(BACKGROUNDS[look.background], np.float32)
    ramp = np.linspace(1.15, 0.8, HEIGHT, dtype=np.float32)[:, None, None]
    img[:] = np.clip(bg * ramp, 0, 255).astype(np.uint8)
    for seat in look.seats:
        x, y, w, h = seat.box
        tone = SKIN_TONES[tones[seat.person]]
        skin = tuple(int(255 * t * 0.8) for t in tone)
        cv2.rectangle(img, (x + w // 3, y + h), (x + 2 * w // 3, y + h + h // 6), skin, -1)  # neck
        tx, ty, tw, th = seat.tile
        bottom = ty + th  # shoulders stay inside the seat's tile, clear of the faces below
        cv2.ellipse(img, (x + w // 2, bottom), (int(0.75 * w), bottom - (y + h + h // 6)), 0, 180, 360,
                    SHIRTS[seat.shirt], -1)
        img[y:y + h, x:x + w] = render_face(faces[seat.person], w, tone, seat.gain, seat.flip, seat.gamma, seat.tilt)
    return img


def mouth_centre(seat: Seat) -> tuple[int, int, int]:
    """Pixel centre x, y and width of the mouth of a seated face (mirroring moves it)."""
    x, y, w, h = seat.box
    fx = 1.0 - MOUTH[0] if seat.flip else MOUTH[0]
    # where the tilt (cv2.getRotationMatrix2D about the face centre) moved the mouth
    a = np.deg2rad(seat.tilt)
    dx, dy = (fx - 0.5) * w, (MOUTH[1] - 0.5) * h
    rx, ry = np.cos(a) * dx + np.sin(a) * dy, -np.sin(a) * dx + np.cos(a) * dy
    return int(x + w / 2 + rx), int(y + h / 2 + ry), int(MOUTH[2] * w)


def render_frames(looks: list[SceneLook], scenes: list[tuple[float, float]], faces: list[int], tones: list[int],
                  openness: np.ndarray, n_frames: int) -> Iterator[np.ndarray]:
    """Frames at FPS.  ``openness[p, f]`` in [0, 1] is person p's mouth opening at frame f."""
    bases = [_base_frame(look, faces, tones) for look in looks]
    for f in range(n_frames):
        t = f / FPS
        s = next((k for k, (a, b) in enumerate(scenes) if a <= t < b), len(scenes) - 1)
        img = bases[s].copy()
        look = looks[s]
        for seat in look.seats:
            o = float(openness[seat.person, f])
            if o > 0.05:
                cx, cy, mw = mouth_centre(seat)
                cv2.ellipse(img, (cx, cy), (max(2, mw // 2), max(1, int(o * 0.09 * seat.box[3]))), 0, 0, 360,
                            MOUTH_COLOUR, -1, lineType=cv2.LINE_AA)
        yield img
