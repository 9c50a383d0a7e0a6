"""``amuse-eval``: the lm-eval CLI (run / ls / validate, same flags) with AMUSE tasks and models
registered; ``amuse-tasks-path``: prints the task folder for ``lm_eval --include_path``.

A run whose ``--tasks`` are all AMUSE names indexes only the AMUSE task folder (and the user's
``--include_path``), not lm-eval's built-in tasks: the same tasks load, the start is ~10 s shorter."""

from __future__ import annotations

import sys

from amuse_tasks.lm_eval_glue.registration import (index_only_amuse, only_amuse_tasks, patch_task_manager,
                                                   register_models, task_dir)


def main() -> None:
    register_models()
    patch_task_manager()
    index_only_amuse(only_amuse_tasks(sys.argv[1:]))
    from lm_eval.__main__ import cli_evaluate

    cli_evaluate()


def tasks_path_main() -> None:
    print(task_dir())
