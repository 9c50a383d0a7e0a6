"""A cue dict as prompt text: the full rendering (every cue of the kinds asked for) and the compact one (only the
times the question names, lip sync averaged per face)."""

from __future__ import annotations

from amuse_tasks.evidence import lip_sync_mean
from amuse_tasks.tasks import CUE_KINDS, TASKS

CUE_TITLES = {
    "TR": "Transcript (speech recognition; anonymous voice labels)",
    "VS": "Voice segments (who spoke when; same voice labels as the transcript)",
    "FC": "Face tracks (stable ids; box = x, y, width, height in pixels)",
    "LS": "Lip sync (score 0-1 that the face is the one speaking in that span)",
}


def _t(x: float) -> str:
    return f"{x:.1f}"


def _render_kind(kind: str, items: list[dict]) -> list[str]:
    if not items:
        return ["(none)"]
    if kind == "TR":
        return [f"[{_t(i['start'])}-{_t(i['end'])}] {i['voice']}: {i.get('text', '')}" for i in items]
    if kind == "VS":
        by_voice: dict[str, list[str]] = {}
        for i in items:
            by_voice.setdefault(i["voice"], []).append(f"{_t(i['start'])}-{_t(i['end'])}")
        return [f"{v}: {', '.join(spans)}" for v, spans in by_voice.items()]
    if kind == "FC":
        by_face: dict[str, list[str]] = {}
        for i in items:
            box = i.get("box")
            where = f" at [{', '.join(str(round(v)) for v in box)}]" if box else ""
            by_face.setdefault(i["face"], []).append(f"{_t(i['start'])}-{_t(i['end'])}{where}")
        return [f"{f}: visible {'; '.join(spans)}" for f, spans in by_face.items()]
    by_face = {}
    for i in items:
        by_face.setdefault(i["face"], []).append(f"{_t(i['start'])}-{_t(i['end'])}: {i['score']:.2f}")
    return [f"{f}: {', '.join(spans)}" for f, spans in by_face.items()]


def render_cues(cues: dict, kinds: tuple[str, ...] | list[str]) -> str:
    """Text block of the given cue kinds, in the canonical order TR, VS, FC, LS."""
    unknown = set(kinds) - set(CUE_KINDS)
    if unknown:
        raise ValueError(f"unknown cue kind(s) {sorted(unknown)} (one of {', '.join(CUE_KINDS)})")
    blocks = []
    for kind in CUE_KINDS:
        if kind in kinds:
            lines = _render_kind(kind, cues.get(kind, []) or [])
            blocks.append(f"{kind} - {CUE_TITLES[kind]}:\n" + "\n".join(lines))
    return "\n\n".join(blocks)


RENDERINGS = ("full", "compact")


def question_ranges(record: dict) -> list[tuple[float, float]]:
    """The time ranges (window seconds) the question itself names: the quoted span (``query.span``) and a later
    scene it points to (``query.scene_start`` to the end); the whole window when it names none."""
    dur = round(record["end"] - record["start"], 3)
    query = record.get("query") or {}
    ranges = []
    if query.get("span"):
        a, b = (float(x) for x in query["span"])
        ranges.append((max(0.0, a), min(dur, b)))
    if query.get("scene_start") is not None and record.get("task") == "srid":
        ranges.append((float(query["scene_start"]), dur))
    return ranges or [(0.0, dur)]


def _in(item: dict, a: float, b: float) -> bool:
    return item["start"] < b and item["end"] > a


def render_compact_cues(cues: dict, record: dict, kinds: tuple[str, ...] | list[str] | None = None) -> str:
    """The task's cue kinds, only inside the ranges the question names, one line per thing: transcript lines and
    voice segments that overlap a range, each face once (its time and first box there), and per range the faces'
    lip-sync scores averaged over it (time-weighted), highest first. A few hundred tokens instead of ~1,000.
    kinds: the cue kinds to show (default: the task's)."""
    kinds = TASKS[record["task"]].default_cues if kinds is None else kinds
    ranges = question_ranges(record)
    blocks = []
    for kind in CUE_KINDS:
        if kind not in kinds:
            continue
        items = cues.get(kind) or []
        if kind == "LS":
            lines = []
            for a, b in ranges:
                means = ((lip_sync_mean(items, f, [(a, b)]), f) for f in sorted({i["face"] for i in items}))
                mean = sorted(((m, f) for m, f in means if m is not None), reverse=True)
                lines.append(f"{_t(a)}-{_t(b)}: " + (", ".join(f"{f} {m:.2f}" for m, f in mean) or "(none)"))
        elif kind == "FC":
            first: dict[str, dict] = {}
            for i in items:
                if any(_in(i, a, b) for a, b in ranges) and i["face"] not in first:
                    first[i["face"]] = i
            lines = _render_kind("FC", list(first.values()))
        else:
            lines = _render_kind(kind, [i for i in items if any(_in(i, a, b) for a, b in ranges)])
        blocks.append(f"{kind} - {CUE_TITLES[kind]}:\n" + "\n".join(lines))
    return "\n\n".join(blocks)
