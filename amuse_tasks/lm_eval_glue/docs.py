"""lm-eval's per-doc hooks: prompt text per mode, target, and media references.

Media references are small JSON-safe dicts, never decoded arrays (lm-eval builds every request
before the first model call, and its cache cannot hold arrays); the model decodes lazily.
"""

from __future__ import annotations

from amuse_tasks.lm_eval_glue.dataset import ROOT_KEY
from amuse_tasks.prompts import build_prompt
from amuse_tasks.schema import resolve_media
from amuse_tasks.tasks import TASKS


def doc_to_text_zeroshot(doc: dict) -> str:
    return build_prompt(doc, "zeroshot")


def doc_to_text_guided(doc: dict) -> str:
    """Guided prompt with the oracle cues of the record's ground truth (until tool cues are the default)."""
    return build_prompt(doc, "guided")


def doc_to_text_agentic(doc: dict) -> str:
    return build_prompt(doc, "agentic")


def reference_intervals(doc: dict) -> list[tuple[float, float]]:
    """stg reference intervals; records hold them in window seconds, like the prompt and the answer."""
    return [(float(s), float(e)) for s, e in doc["answer"]]


def doc_to_target(doc: dict) -> str:
    """The reference answer as text: a letter, ``start-end`` intervals, or the reference summary."""
    fmt = TASKS[doc["task"]].answer_format
    if fmt == "intervals":
        return ", ".join(f"{s:.1f}-{e:.1f}" for s, e in reference_intervals(doc))
    return doc["answer"]


def media_ref(doc: dict) -> dict:
    """``{"clip_id", "video", "audio", "start", "end"}`` with absolute paths; start/end in file seconds."""
    where = f"record {doc.get('id')!r}"
    root = doc[ROOT_KEY]
    return {
        "clip_id": doc["clip_id"],
        "video": str(resolve_media(root, doc["video"], where=where, field_name="video")),
        "audio": str(resolve_media(root, doc["audio"], where=where, field_name="audio")),
        "start": doc["start"],
        "end": doc["end"],
    }


def doc_to_image(doc: dict) -> list[dict]:
    return [media_ref(doc)]


def doc_to_audio(doc: dict) -> list[dict]:
    return [media_ref(doc)]
