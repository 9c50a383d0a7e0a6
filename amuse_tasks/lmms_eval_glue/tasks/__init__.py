"""The pack's task YAMLs (lmms-eval reads this folder through ``--include_path``)."""
