"""The lmms-eval task class of every AMUSE task: lmms-eval's ``ConfigurableTask`` with the records of one
AMUSE task as its docs (lm-eval's ``custom_dataset``, which lmms-eval lacks), settings from the environment."""

from __future__ import annotations

import os

from lmms_eval.api.task import ConfigurableTask

from amuse_tasks.lm_eval_glue.dataset import custom_dataset

# the --metadata settings that only lm-eval's --metadata passes; the data root ($AMUSE_DATA), the cue source
# ($AMUSE_CUES) and the judge ($AMUSE_JUDGE) are read from the environment by custom_dataset's own functions
SETTINGS_ENV = {"rendering": "AMUSE_RENDERING", "drop": "AMUSE_DROP"}


def settings_from_env() -> dict:
    """The ``custom_dataset`` settings lm-eval takes from ``--metadata`` and the environment does not yet give."""
    return {key: os.environ[env] for key, env in SETTINGS_ENV.items() if os.environ.get(env)}


class AmuseTask(ConfigurableTask):
    """Docs are the records as written (``RecordDocs``), never coerced into one Arrow schema."""

    def __init__(self, config: dict | None = None, **kwargs):
        # lmms-eval hands a Python task its whole YAML, ``class`` included, which TaskConfig does not take
        super().__init__(config={k: v for k, v in (config or {}).items() if k != "class"}, **kwargs)

    def download(self, dataset_kwargs=None) -> None:
        docs = custom_dataset(**(dataset_kwargs or {}), **settings_from_env())
        self.dataset = self.dataset_no_image = docs
