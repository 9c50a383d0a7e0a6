"""A record's cue dict computed by the perception tools (the ``Toolbox`` the agent uses): TR = transcribe,
VS = diarize, FC = track_faces over the whole window, LS = lip_sync of every visible face per voice segment."""

from __future__ import annotations

from amuse_tasks.tasks import CUE_KINDS, PERCEPTION


def tool_cues(record: dict, root, *, backends: str | dict = "offline", kinds=CUE_KINDS, cache=None) -> dict:
    """The cue dict of one record computed by the perception tools (``amuse_tasks.tools``).

    TR = transcribe, VS = diarize, FC = track_faces over the whole window; LS = lip_sync of every
    face visible during each voice segment. With the ``oracle`` backends these are the ground-truth cues (the
    only ones). Raises on a missing backend or broken media (the caller decides whether one record may fail).
    """
    from amuse_tasks.tools.backends import backends_fingerprint
    from amuse_tasks.tools.toolbox import Toolbox

    tb = Toolbox.for_record(record, root, backends=backends, cache=cache)
    dur = round(record["end"] - record["start"], 3)
    cues: dict = {"source": f"tools:{tb.tag}", "backends": backends_fingerprint(tb.chosen)}
    # each kind's tool over the whole window; LS needs the voice segments and the faces even when not asked for
    whole = {k: getattr(tb, PERCEPTION[k].tool)(0.0, dur)[PERCEPTION[k].result_key]
             for k in ("TR", "VS", "FC") if k in kinds or (k != "TR" and "LS" in kinds)}
    cues.update({k: v for k, v in whole.items() if k in kinds})
    segments, faces = whole.get("VS", []), whole.get("FC", [])
    if "LS" in kinds:
        cues["LS"] = [{"face": face, "start": seg["start"], "end": seg["end"],
                       "score": tb.lip_sync(face, seg["start"], seg["end"])["score"]}
                      for seg in segments if seg["end"] > seg["start"]
                      for face in sorted({f["face"] for f in faces if f["start"] < seg["end"] and f["end"] > seg["start"]})]
    return cues
