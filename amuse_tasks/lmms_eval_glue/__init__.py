"""AMUSE as an lmms-eval task pack (lmms-eval 0.7.3, its own environment: ``bash scripts/setup_lmms.sh``).

A thin adapter over the lm-eval tasks: the same records (``lm_eval_glue.dataset.custom_dataset``), prompts,
cue stage, answer extraction and metric hooks; only the media hand-off is lmms-eval's (a window's clip file
with its soundtrack for omni model classes). lmms-eval finds the tasks with
``LMMS_EVAL_PLUGINS=amuse_tasks.lmms_eval_glue`` (``tasks/``; ``models`` registers no model) or
``--include_path`` to ``tasks/``. Settings come from the environment, as lmms-eval has no ``--metadata``:
``AMUSE_DATA`` (dataset root), ``AMUSE_CUES`` (guided cue source), ``AMUSE_RENDERING`` (``full`` /
``compact``), ``AMUSE_DROP`` (``audio`` / ``video``: the modality ablation).
"""
