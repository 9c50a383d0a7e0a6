"""A record's cue dict computed by the perception tools (the ``Toolbox`` the agent uses): TR = transcribe,
VS = diarize, FC = track_faces over the whole window, LS = lip_sync of every visible face per voice segment."""

from __future__ import annotations

from amuse_tasks.tasks import CUE_KINDS


def tool_cues(record: dict, root, *, backends: str | dict = "offline", kinds=CUE_KINDS, cache=None) -> dict:
    """The cue dict of one record computed by the perception tools (``amuse_tasks.tools``).

    TR = transcribe, VS = diarize, FC = track_faces over the whole window; LS = lip_sync of every
    face visible during each voice segment (the same layout as ``oracle_cues``). Raises on a
    missing backend or broken media (the caller decides whether one record may fail).
    """
    from amuse_tasks.tools.backends import backends_fingerprint
    from amuse_tasks.tools.toolbox import Toolbox

    tb = Toolbox.for_record(record, root, backends=backends, cache=cache)
    dur = round(record["end"] - record["start"], 3)
    cues: dict = {"source": f"tools:{tb.tag}", "backends": backends_fingerprint(tb.chosen)}
    if "TR" in kinds:
        cues["TR"] = tb.transcribe(0.0, dur)["utterances"]
    if "VS" in kinds or "LS" in kinds:
        segments = tb.diarize(0.0, dur)["segments"]
        if "VS" in kinds:
            cues["VS"] = segments
    if "FC" in kinds or "LS" in kinds:
        faces = tb.track_faces(0.0, dur)["faces"]
        if "FC" in kinds:
            cues["FC"] = faces
    if "LS" in kinds:
        cues["LS"] = [{"face": face, "start": seg["start"], "end": seg["end"],
                       "score": tb.lip_sync(face, seg["start"], seg["end"])["score"]}
                      for seg in segments if seg["end"] > seg["start"]
                      for face in sorted({f["face"] for f in faces if f["start"] < seg["end"] and f["end"] > seg["start"]})]
    return cues
