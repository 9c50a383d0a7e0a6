"""The import rules of docs/architecture.md, read from the source with ``ast``: every import between
two parts of the project points down the line (to a strictly lower layer), ``raft_trl`` never
reaches into lm-eval glue, models or the CLI, and no module imports itself in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# part -> layer (docs/architecture.md); a module belongs to the longest part that prefixes it
LAYERS = {
    "amuse_tasks.tasks": 0, "amuse_tasks.intervals": 0, "amuse_tasks.media": 0,
    "amuse_tasks.schema": 1,
    "amuse_tasks.synth": 2, "amuse_tasks.builders": 2, "amuse_tasks.tools": 2, "amuse_tasks.metrics": 2,
    "amuse_tasks.evidence": 2,
    "amuse_tasks.cues": 3, "amuse_tasks.default_set": 3, "amuse_tasks.reports": 3,
    "amuse_tasks.prompts": 4,
    "amuse_tasks.models": 5, "raft_trl": 5,
    "amuse_tasks.lm_eval_glue": 6,
    "amuse_tasks.lmms_eval_glue": 7,
    "amuse_tasks.cli": 7,
}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in ("amuse_tasks", "raft_trl"):
        for path in (REPO / pkg).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _part(module: str) -> str | None:
    hits = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    return max(hits, key=len) if hits else None


def _imports(path: Path, name: str) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                base = ".".join(name.split(".")[: -node.level] + [node.module])
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in out if m.split(".")[0] in ("amuse_tasks", "raft_trl")}


def test_every_module_has_a_layer():
    assert [m for m in _modules() if m not in ("amuse_tasks", "raft_trl") and _part(m) is None] == []


def test_imports_point_down_the_line():
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        here = _part(name)
        for target in _imports(path, name):
            there = _part(target)
            if here is None or there is None or there == here:
                continue
            if LAYERS[there] >= LAYERS[here]:
                wrong.append(f"{name} -> {target} (layer {LAYERS[here]} -> {LAYERS[there]})")
    assert wrong == []


def test_raft_trl_stays_off_lm_eval_glue_models_and_cli():
    for name, path in _modules().items():
        if name.startswith("raft_trl"):
            bad = [t for t in _imports(path, name)
                   if t.startswith(("amuse_tasks.lm_eval_glue", "amuse_tasks.models", "amuse_tasks.cli"))]
            assert bad == [], name


def test_no_import_cycles_between_modules():
    modules = _modules()
    graph = {n: {t for t in _imports(p, n) if t in modules and t != n} for n, p in modules.items()}
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v), on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            # a package's __init__ re-exporting its own modules is not a cycle of design
            if len(comp) > 1 and not all(c.startswith(min(comp, key=len)) for c in comp):
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []


def _scripts() -> dict[str, Path]:
    """Every Python file of the package, the benches and the scripts, by dotted name."""
    out = dict(_modules())
    for folder in ("bench", "scripts"):
        for path in (REPO / folder).rglob("*.py"):
            out[".".join(path.relative_to(REPO).with_suffix("").parts)] = path
    return out


def test_nothing_imports_a_cli_module():
    """CLI modules are entry points only (docs/architecture.md): the package, the benches and the scripts
    run them as commands (``amuse-cues`` in a subprocess), never import them."""
    bad = [f"{name} -> {target}" for name, path in _scripts().items() if not name.startswith("amuse_tasks.cli")
           for target in _imports(path, name) if target.startswith("amuse_tasks.cli")]
    assert bad == []


def test_the_cue_stage_has_one_door():
    """Only the cue package turns tool outputs or ground truth into cues: everything else goes through
    ``amuse_tasks.cues`` (its ``__init__``), never into its modules (source, from_tools, cache, render)."""
    bad = [f"{name} -> {target}" for name, path in _scripts().items() if not name.startswith("amuse_tasks.cues")
           for target in _imports(path, name) if target.startswith("amuse_tasks.cues.")
           and target.split(".")[2] in ("source", "from_tools", "cache", "render")]
    assert bad == []


def test_one_perception_output_one_row_of_names():
    """``tasks.PERCEPTION`` is the one map of a perception output's names; the tools, the backend kinds, the
    result keys and docs/architecture.md's table all agree with it."""
    from amuse_tasks.tasks import CUE_KINDS, PERCEPTION, TOOL_NAMES
    from amuse_tasks.tools import backends
    from amuse_tasks.tools.toolbox import Toolbox

    doc = (REPO / "docs" / "architecture.md").read_text()
    for p in PERCEPTION.values():
        assert p.tool in TOOL_NAMES and callable(getattr(Toolbox, p.tool))
        assert backends.KIND_OF_TOOL[p.tool] == p.backend_kind in backends.KINDS
        assert f"| `{p.cue}` | `{p.tool}` | `{p.backend_kind}` |" in doc, p
    assert CUE_KINDS == tuple(PERCEPTION) == ("TR", "VS", "FC", "LS")
