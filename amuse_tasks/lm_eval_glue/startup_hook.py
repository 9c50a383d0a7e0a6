"""Startup hook (run from ``amuse_av_lm_eval.pth`` at interpreter start): makes plain ``lm_eval``
find the AMUSE tasks and models on lm-eval 0.4.13, which has no plugin mechanism.

It only installs an import watcher: nothing of lm-eval (or torch) is imported unless the host
process imports lm-eval itself.  When ``lm_eval.tasks.manager`` / ``lm_eval.models`` finish
loading, it patches / registers (see ``registration``).  It never fails the host process: any
error becomes one warning and the hook does nothing.  ``AMUSE_LM_EVAL_HOOK=0`` switches it off.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
import warnings

ENV_SWITCH = "AMUSE_LM_EVAL_HOOK"


def _warn(what: str, err: BaseException) -> None:
    warnings.warn(f"amuse-av lm-eval hook: {what} failed ({type(err).__name__}: {err}); "
                  f"use `amuse-eval` or `--include_path \"$(amuse-tasks-path)\"` instead "
                  f"(set {ENV_SWITCH}=0 to silence)", RuntimeWarning, stacklevel=2)


def _after_manager(module) -> None:
    from amuse_tasks.lm_eval_glue.registration import patch_task_manager

    patch_task_manager(module.TaskManager)


def _after_models(module) -> None:
    from amuse_tasks.lm_eval_glue.registration import register_models

    register_models()


ACTIONS = {"lm_eval.tasks.manager": _after_manager, "lm_eval.models": _after_models}


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the real loader of watched modules to act after they load."""

    def find_spec(self, name, path, target=None):
        if name not in ACTIONS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module):
            original(module)
            try:
                ACTIONS[name](module)
            except Exception as e:  # runs inside every import of lm-eval: a failure here warns, never breaks it
                _warn(f"setting up AMUSE after importing {name}", e)

        loader.exec_module = exec_module
        return spec


def install() -> None:
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return
    try:
        if any(isinstance(f, _AfterImport) for f in sys.meta_path):
            return
        for name, action in ACTIONS.items():
            if name in sys.modules:  # lm-eval already loaded: act now
                action(sys.modules[name])
        sys.meta_path.insert(0, _AfterImport())
    except Exception as e:  # the .pth hook runs in every Python process of the environment: warn, never break one
        _warn("installing", e)


install()
