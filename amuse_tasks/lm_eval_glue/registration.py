"""Make lm-eval 0.4.13 see AMUSE: our task folder on every TaskManager, our models in its registry.

lm-eval 0.4.13 reads no plugin entry points, so the task folder is added by wrapping
``TaskManager.__init__`` (the class itself, so every module that already imported the name sees
it) and the models are registered as lazy "module:Class" placeholders after ``lm_eval.models``
(nothing heavy is imported until a run asks for ``--model amuse-agent`` / ``amuse-omni``).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path

log = logging.getLogger(__name__)

MODELS = {"amuse-agent": "amuse_tasks.models.agent:AmuseAgentLM", "amuse-omni": "amuse_tasks.models.omni:AmuseOmniLM"}


TASKS_PACKAGE = "amuse_tasks.task_yamls"  # the repository folder task_yamls/, installed inside our namespace (setup.py)


def task_dir() -> Path:
    """The AMUSE task folder: the installed ``amuse_tasks.task_yamls``, or the repository's ``task_yamls/``
    when running from a source checkout (there the folder sits beside the package, not inside it)."""
    spec = importlib.util.find_spec(TASKS_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0]).resolve()
    checkout = Path(__file__).resolve().parents[2] / "task_yamls"
    if (checkout / "amuse.yaml").is_file():
        return checkout
    raise RuntimeError(f"the AMUSE task folder ({TASKS_PACKAGE}) is not installed: pip install amuse-av")


def _with_task_dir(include_path):
    ours = task_dir()
    paths = [] if include_path is None else list(include_path) if isinstance(include_path, (list, tuple)) else [include_path]
    if not any(Path(p).expanduser().resolve() == ours for p in paths):
        paths.append(str(ours))
    return paths


_INDEX = {"defaults": True}  # False: amuse-eval was asked for AMUSE tasks only (see only_amuse_tasks)


def only_amuse_tasks(argv: list[str]) -> bool:
    """Whether every name after ``--tasks``/``-t`` is an AMUSE task, group or glob (``amuse*``).

    Then lm-eval need not index its ~15,000 built-in tasks (about 10 s of every start on 2 cores);
    any other name, a path, a ``--config`` file or no ``--tasks`` keeps the full index."""
    names, taking = [], False
    for arg in argv:
        if arg in ("--config", "-C") or arg.startswith("--config="):
            return False
        if arg.startswith("--tasks="):
            names += arg.split("=", 1)[1].split(",")
            taking = False
        elif arg in ("--tasks", "-t"):
            taking = True
        elif taking and not arg.startswith("-"):
            names += arg.split(",")
        else:
            taking = False
    names = [n.strip() for n in names if n.strip()]
    return bool(names) and all(n.startswith("amuse") and "/" not in n and not n.endswith(".yaml") for n in names)


def index_only_amuse(only: bool = True) -> None:
    """Make every TaskManager built after this skip lm-eval's built-in tasks (unless a caller passes
    ``include_defaults`` itself); ``patch_task_manager`` must wrap the class."""
    _INDEX["defaults"] = not only


def patch_task_manager(manager_cls=None) -> bool:
    """Wrap ``TaskManager.__init__`` so its include_path always holds our folder (idempotent).

    A user's own ``include_path`` stays first; ours is appended.  Returns True when patched now.
    """
    if manager_cls is None:
        from lm_eval.tasks.manager import TaskManager as manager_cls
    init = manager_cls.__init__
    if getattr(init, "_amuse_patched", False):
        return False

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if len(args) >= 2:  # (verbosity, include_path, ...) passed positionally
            args = (args[0], _with_task_dir(args[1]), *args[2:])
        else:
            kwargs["include_path"] = _with_task_dir(kwargs.get("include_path"))
        if len(args) < 3 and not _INDEX["defaults"]:
            kwargs.setdefault("include_defaults", False)
        init(self, *args, **kwargs)

    __init__._amuse_patched = True
    manager_cls.__init__ = __init__
    return True


def register_models() -> list[str]:
    """Register the AMUSE models lazily; returns the names registered.

    ``lm_eval.models`` is imported first: registering into an empty registry would stop the
    built-in models (``hf``, ``dummy``) from resolving.  A model whose module is not installed is
    skipped, so a missing optional part never breaks the others.
    """
    import lm_eval.models  # noqa: F401
    from lm_eval.api.registry import model_registry

    done = []
    for name, target in MODELS.items():
        module = target.split(":")[0]
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            log.debug("%s: module %s not available, not registered", name, module)
            continue
        if name not in model_registry:
            model_registry.register(name, target=target)
        done.append(name)
    return done
