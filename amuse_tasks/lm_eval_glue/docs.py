"""lm-eval's per-doc hooks: prompt text per mode, target, and media references.

Media references are small JSON-safe dicts, never decoded arrays (lm-eval builds every request
before the first model call, and its cache cannot hold arrays); the model decodes lazily.
"""

from __future__ import annotations

import logging

from amuse_tasks.cues import cue_source
from amuse_tasks.lm_eval_glue.dataset import CUES_KEY, DROP_KEY, RENDERING_KEY
from amuse_tasks.media import MediaError
from amuse_tasks.prompts import build_prompt
from amuse_tasks.schema import ROOT_KEY, RecordError, media_reference
from amuse_tasks.tasks import TASKS
from amuse_tasks.tools.base import ToolError


def doc_to_text_zeroshot(doc: dict) -> str:
    return build_prompt(doc, "zeroshot")


log = logging.getLogger(__name__)


_GUIDED: dict[tuple, str] = {}  # the prompt of each (root, record, cue source, rendering, drop) built so far


def doc_to_text_guided(doc: dict) -> str:
    """Guided prompt with the cues of the doc's cue source: tool cues (default ``offline``: read from
    ``cues/offline/<id>.json`` written by ``amuse-cues``, else computed now and cached), ``oracle``
    (the tools that answer from the ground truth, the labelled ablation) or ``none`` (cues removed). A record whose perception fails
    gets an empty, labelled cue block instead of stopping the run; a missing backend or a bug stops it.
    lm-eval asks for a doc's text more than once (its first doc when the task loads, then every doc when the
    requests are built): the cue stage runs once per doc and setting, the text is kept."""
    key = (doc.get(ROOT_KEY), doc.get("id"), doc.get(CUES_KEY), doc.get(RENDERING_KEY), tuple(doc.get(DROP_KEY, ())))
    if key not in _GUIDED:
        if len(_GUIDED) > 100_000:
            _GUIDED.clear()
        _GUIDED[key] = _guided_text(doc)
    return _GUIDED[key]


def _guided_text(doc: dict) -> str:
    source = cue_source(doc.get(CUES_KEY))
    try:
        cues = source.cues(doc, doc[ROOT_KEY])
    except (MediaError, ToolError, RecordError, OSError) as e:  # broken or missing media of one record
        log.warning("guided cues of %s failed (%s: %s): prompting without cues", doc.get("id"), type(e).__name__, e)
        cues = {"source": f"{source.name} (perception failed: {type(e).__name__})"}
    return build_prompt(doc, "guided", cues=cues, rendering=doc.get(RENDERING_KEY, "full"),
                        drop=tuple(doc.get(DROP_KEY, ())))


def doc_to_text_agentic(doc: dict) -> str:
    return build_prompt(doc, "agentic")


def reference_intervals(doc: dict) -> list[tuple[float, float]]:
    """stg reference intervals; records hold them in window seconds, like the prompt and the answer."""
    return [(float(s), float(e)) for s, e in doc["answer"]]


def doc_to_target(doc: dict) -> str:
    """The reference answer as text: a letter, ``start-end`` intervals, or the reference summary."""
    if TASKS[doc["task"]].is_intervals:
        return ", ".join(f"{s:.1f}-{e:.1f}" for s, e in reference_intervals(doc))
    return doc["answer"]


def _reference(doc: dict) -> dict:
    """The doc's media reference; under the modality ablation it names what the model must not perceive
    (``drop``: the omni model blanks the frames or mutes the audio, the agent withholds those tools)."""
    ref = media_reference(doc)
    if doc.get(DROP_KEY):
        ref["drop"] = list(doc[DROP_KEY])
    return ref


def doc_to_image(doc: dict) -> list[dict]:
    return [_reference(doc)]


def doc_to_audio(doc: dict) -> list[dict]:
    return [_reference(doc)]
