"""``amuse-eval``: the lm-eval CLI (run / ls / validate, same flags) with AMUSE tasks and models
registered; ``amuse-tasks-path``: prints the task folder for ``lm_eval --include_path``."""

from __future__ import annotations

from amuse_tasks.lm_eval_glue.registration import patch_task_manager, register_models, task_dir


def main() -> None:
    register_models()
    patch_task_manager()
    from lm_eval.__main__ import cli_evaluate

    cli_evaluate()


def tasks_path_main() -> None:
    print(task_dir())
