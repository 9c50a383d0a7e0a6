"""Transcript utterances with voice labels: ASR segments split where the diarized voice changes
(by word timestamps), so each utterance has exactly one speaker."""

from __future__ import annotations

from amuse_tasks.tools.base import seconds as _r


def voice_at(turns: list[dict], voices: dict[str, str], start: float, end: float) -> str:
    """The voice label of the turn overlapping [start, end] most; else of the nearest turn within 0.5 s."""
    best, best_overlap = "VOICE_?", 0.0
    for x in turns:
        ov = min(end, x["end"]) - max(start, x["start"])
        if ov > best_overlap:
            best, best_overlap = voices[x["speaker"]], ov
    if best_overlap == 0.0 and turns:
        mid = (start + end) / 2
        near = min(turns, key=lambda x: min(abs(mid - x["start"]), abs(mid - x["end"])))
        if min(abs(mid - near["start"]), abs(mid - near["end"])) <= 0.5:
            best = voices[near["speaker"]]
    return best


def split_by_voice(asr: list[dict], turns: list[dict], voices: dict[str, str], same_ids: bool) -> list[dict]:
    """``{voice, start, end, text}`` per utterance. ``same_ids``: the ASR segments carry the diarizer's own
    speaker ids (both oracle), so they are labelled directly."""
    out: list[dict] = []
    for seg in asr:
        if same_ids and "speaker" in seg:
            out.append({"voice": voices.get(seg["speaker"], "VOICE_?"),
                        "start": seg["start"], "end": seg["end"], "text": seg["text"]})
            continue
        words = seg.get("words") or [{"start": seg["start"], "end": seg["end"], "word": seg["text"]}]
        labels = [voice_at(turns, voices, w["start"], w["end"]) for w in words]
        for i in range(1, len(labels) - 1):  # one word between two of the same voice is that voice
            if labels[i - 1] == labels[i + 1] != labels[i]:
                labels[i] = labels[i - 1]
        for w, voice in zip(words, labels):
            if out and out[-1]["voice"] == voice and out[-1].get("_seg") is seg and w["start"] - out[-1]["end"] < 1.0:
                out[-1]["end"], out[-1]["text"] = w["end"], out[-1]["text"] + w["word"]
            else:
                out.append({"voice": voice, "start": w["start"], "end": w["end"], "text": w["word"], "_seg": seg})
    for u in out:
        u.pop("_seg", None)
        u["text"] = u["text"].strip()
        u["start"], u["end"] = _r(u["start"]), _r(u["end"])
    return [u for u in out if u["text"]]
