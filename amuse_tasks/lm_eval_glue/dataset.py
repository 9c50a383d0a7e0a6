"""``custom_dataset`` of every AMUSE task: the records of one task from a dataset root.

Root: ``amuse_tasks.default_set.data_root`` (``--metadata '{"amuse_root": DIR}'``, else ``$AMUSE_DATA``,
else the embedded default AMUSE-Synth set, built on first use).  Each doc is the record plus ``amuse_root`` (the absolute
root), so media references and tool-using models can resolve the record's relative paths, and
``amuse_cues``: the name of the guided cue source (``--metadata '{"cues": ...}'``, else ``$AMUSE_CUES``,
else ``offline``; ``amuse_tasks.cues.cue_source``, parsed once here); for tasks with a judge metric (``avds``,
``csnl``), ``amuse_judge``: the optional LLM judge (``--metadata '{"judge": ...}'``, else ``$AMUSE_JUDGE``;
see ``amuse_tasks.lm_eval_glue.judge``).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from amuse_tasks.cues import RENDERINGS, cue_source
from amuse_tasks.default_set import data_root
from amuse_tasks.lm_eval_glue.judge import JUDGE_KEY, judge_config
from amuse_tasks.schema import ROOT_KEY, load_records
from amuse_tasks.tasks import TASKS, parse_drop

log = logging.getLogger(__name__)

CUES_KEY = "amuse_cues"
RENDERING_KEY = "amuse_rendering"
DROP_KEY = "amuse_drop"


class RecordDocs(list):
    """Docs as plain record dicts, with the one Dataset attribute lm-eval reads (``features``).

    A ``datasets.Dataset`` would coerce the nested, optional fields of JSON records into one
    Arrow schema (inserting nulls, changing number types); these docs stay the records as written.
    """

    @property
    def features(self) -> dict[str, None]:
        keys: dict[str, None] = {}
        for doc in self:
            keys.update(dict.fromkeys(doc))
        return keys


@lru_cache(maxsize=4)
def _records_by_task(root: str) -> dict[str, list[dict]]:
    report = load_records(root, strict=False)
    if report.errors:
        log.warning("%s: skipped %d bad record(s); first: %s", root, len(report.errors), report.errors[0])
    by_task: dict[str, list[dict]] = {t: [] for t in TASKS}
    for rec in report.records:
        by_task[rec["task"]].append({**rec, ROOT_KEY: root})
    return by_task


def custom_dataset(task: str, amuse_root: str | None = None, cues: str | None = None,
                   judge: str | dict | None = None, rendering: str = "full", drop: str | list | None = None,
                   **_: object) -> dict[str, RecordDocs]:
    """lm-eval's ``custom_dataset`` hook.  ``task`` comes from the YAML's ``dataset_kwargs``;
    ``amuse_root``, ``cues``, ``rendering`` (guided: ``full`` or ``compact``), ``drop`` (the modality ablation:
    ``audio``, ``video``; every mode) and ``judge`` from ``--metadata``; every other kwarg (model args, version)
    is ignored."""
    if task not in TASKS:
        raise ValueError(f"unknown AMUSE task {task!r} in dataset_kwargs (one of {', '.join(TASKS)})")
    if rendering not in RENDERINGS:
        raise ValueError(f"--metadata rendering: {rendering!r} is not one of {', '.join(RENDERINGS)}")
    root = data_root(amuse_root)
    # a typo in the spec fails here, before any request is built
    extra = {CUES_KEY: cue_source(cues).name, RENDERING_KEY: rendering}
    dropped = parse_drop(drop)
    if dropped:
        extra[DROP_KEY] = list(dropped)
    if TASKS[task].judge_metric:
        extra[JUDGE_KEY] = judge_config(judge)
    docs = RecordDocs({**d, **extra} for d in _records_by_task(str(root))[task])
    if not docs:
        raise ValueError(f"{root}/records.jsonl: no valid records for task {task!r}")
    return {"test": docs}
