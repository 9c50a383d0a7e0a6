"""AMUSE as an lmms-eval task pack (lmms-eval 0.7.3, its own environment: ``bash scripts/setup_lmms.sh``).

A thin adapter over the lm-eval tasks: the same records (``lm_eval_glue.dataset.custom_dataset``), prompts,
cue stage, answer extraction and metric hooks; only the media hand-off is lmms-eval's (a window's clip file
with its soundtrack for omni model classes). lmms-eval finds the tasks with ``--include_path`` to ``tasks/``
(``python -m amuse_tasks.lmms_eval_glue`` prints it): 0.7.3's ``LMMS_EVAL_PLUGINS`` imports ``<plugin>.models``
(here: no model) but indexes tasks before it adds ``<plugin>.tasks``. Settings come from the environment, as lmms-eval has no ``--metadata``:
``AMUSE_DATA`` (dataset root), ``AMUSE_CUES`` (guided cue source), ``AMUSE_RENDERING`` (``full`` /
``compact``), ``AMUSE_DROP`` (``audio`` / ``video``: the modality ablation).
"""
