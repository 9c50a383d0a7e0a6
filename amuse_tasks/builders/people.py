"""Who a clip can ask about: the people it identifies (a visible face, a corpus description, or
another utterance of theirs) and, per question span, the ones that may be offered."""

from __future__ import annotations

from amuse_tasks.builders.clip_geometry import overlap_of
from amuse_tasks.builders.conversation import FaceTrack, Recording, Turn


def _position(box: list[float]) -> str:
    cx = box[0] + box[2] / 2
    return "left" if cx < 1 / 3 else "centre" if cx < 2 / 3 else "right"


def describe_people(rec: Recording, turns: list[Turn], faces: list[FaceTrack], *,
                    until: float | None = None, avoid: Turn | None = None) -> dict[str, str]:
    """label -> description, for the people this clip identifies (see the module rules).

    until: only evidence before this clip time counts (nsp).  avoid: a turn that must not
    serve as a voice anchor (the one a question quotes).
    """
    end = float("inf") if until is None else until
    out: dict[str, str] = {}
    for f in sorted(faces, key=lambda f: f.boxes[0][0]):
        s, e, box = f.boxes[0]
        if s < end and f.person not in out:
            where = f"face on the {_position(box)} of the frame at {s:.1f}-{min(e, end):.1f} s"
            static = rec.descriptions.get(f.person)
            out[f.person] = f"{static}; {where}" if static else where
    for label, text in rec.descriptions.items():
        if label not in out and any(t.speaker == label and t.start < end for t in turns):
            out[label] = text
    for t in turns:
        if t.speaker in out or t.end > end or t.partial or t is avoid or (avoid is not None and t == avoid):
            continue
        if overlap_of(t, turns) > 0.5 * (t.end - t.start) or t.end - t.start < 0.5:
            continue
        said = f' that says "{t.text.strip()}"' if t.text.strip() else ""
        out[t.speaker] = f"the voice{said} at {t.start:.1f}-{t.end:.1f} s"
    return out


def seen_during(people: dict[str, str], faces: list[FaceTrack], a: float, b: float) -> list[str]:
    """The people a question about [a, b] may offer: everyone known by voice or description, and of
    the people known by a face, only those whose face is visible during [a, b]."""
    faced = {f.person for f in faces}
    visible = {f.person for f in faces if any(s < b and e > a for s, e, _ in f.boxes)}
    return [p for p in people if p not in faced or p in visible]
