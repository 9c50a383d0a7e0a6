"""``python -m amuse_tasks.lmms_eval_glue`` prints the pack's task folder, for ``lmms-eval --include_path``."""

from pathlib import Path

print(Path(__file__).resolve().parent / "tasks")
