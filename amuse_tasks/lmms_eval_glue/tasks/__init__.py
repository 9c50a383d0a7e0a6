"""The pack's task YAMLs (lmms-eval reads this folder: ``LMMS_EVAL_PLUGINS`` or ``--include_path``)."""
