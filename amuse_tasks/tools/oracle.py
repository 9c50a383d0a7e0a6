"""Backend ``oracle`` for every tool: answers from the record's ground truth.

An upper bound for the perception pipeline and the fixture of the tool tests: with oracle tools a
correct policy must solve AMUSE-Synth. Raw ids are the record's people labels; the toolbox turns
them into anonymous VOICE_n / FACE_X labels like any other backend's.
"""

from __future__ import annotations

from amuse_tasks.intervals import union
from amuse_tasks.tools.base import BackendUnavailable
from amuse_tasks.tools.clip import Clip


def _record(clip: Clip) -> dict:
    if clip.record is None:
        raise BackendUnavailable("backend 'oracle' needs the record (ground truth); build the toolbox with Toolbox.for_record")
    return clip.record


def _window_segments(clip: Clip) -> list[dict]:
    out = []
    for s in _record(clip)["segments"]:
        a, b = max(s["start"], clip.start), min(s["end"], clip.end)
        if b > a:
            out.append({"speaker": s["speaker"], "start": a - clip.start, "end": b - clip.start, "text": s.get("text", "")})
    return sorted(out, key=lambda s: (s["start"], s["end"]))


class OracleASR:
    kind, name, media, settings = "asr", "oracle", "record", {}

    def __init__(self, option: str | None = None):
        pass

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        return [{"start": s["start"], "end": s["end"], "text": s["text"], "speaker": s["speaker"], "words": []}
                for s in _window_segments(clip)]


class OracleDiarizer(OracleASR):
    kind = "diarize"

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        return [{"speaker": s["speaker"], "start": s["start"], "end": s["end"]} for s in _window_segments(clip)]


class OracleVAD(OracleASR):
    kind = "vad"

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        merged: list[dict] = []
        for s in _window_segments(clip):
            if merged and s["start"] <= merged[-1]["end"]:
                merged[-1]["end"] = max(merged[-1]["end"], s["end"])
            else:
                merged.append({"start": s["start"], "end": s["end"]})
        return merged


class OracleFaces(OracleASR):
    kind = "faces"

    def run(self, clip: Clip, ctx=None) -> list[dict]:
        """Ground-truth face tracks, one per run of the same box inside the window and scene (a moved
        face or a scene cut starts a new track); id = the person."""
        rec = _record(clip)
        person_of = {p.get("face_track"): p["label"] for p in rec["people"] if p.get("face_track")}
        # scene cuts end every track, as a shot change ends a real tracker's tracks
        cuts = [sc["start"] - clip.start for sc in rec.get("scenes", []) if sc["start"] > clip.start]
        tracks = []
        for ft in rec.get("faces", []):
            pid = ft.get("person") or person_of.get(ft["track"], ft["track"])
            cur = None
            for b in sorted(ft["boxes"], key=lambda b: b["start"]):
                a, e = max(b["start"], clip.start) - clip.start, min(b["end"], clip.end) - clip.start
                if e <= a:
                    continue
                cut = any(cur is not None and cur["end"] - 0.05 < c <= a + 0.05 for c in cuts)
                if cur is not None and not cut and a - cur["end"] <= 0.05 and cur["boxes"][-1][1:] == list(b["box"]):
                    cur["end"] = e
                    cur["boxes"].append([a, *b["box"]])
                else:
                    cur = {"id": pid, "start": a, "end": e, "boxes": [[a, *b["box"]]]}
                    tracks.append(cur)
        return sorted(tracks, key=lambda t: (t["start"], t["boxes"][0][1]))


class OracleLipSync(OracleASR):
    kind = "lipsync"

    @staticmethod
    def score_person(clip: Clip, person: str, start: float, end: float) -> dict:
        """``score``: fraction of [start, end] during which ``person`` speaks (1 = speaks throughout);
        ``mouth_open``: fraction during which their mouth moves, speaking or about to speak (the
        record's ``meta.pre_speech`` spans, where AMUSE-Synth states them)."""
        span = max(end - start, 1e-6)
        talk = [(s["start"], s["end"]) for s in _window_segments(clip) if s["speaker"] == person]
        ready = [(p["start"] - clip.start, p["end"] - clip.start)
                 for p in (_record(clip).get("meta") or {}).get("pre_speech", []) if p.get("person") == person]

        def covered(spans):
            return sum(max(0.0, min(end, b) - max(start, a)) for a, b in union(spans))
        return {"score": round(min(1.0, covered(talk) / span), 3),
                "mouth_open": round(min(1.0, covered(talk + ready) / span), 3)}
