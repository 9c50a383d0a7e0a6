"""Read lm-eval result folders: ``results_<date>.json`` and ``samples_<task>_<date>.jsonl``.

One results file is one run (a model with its arguments, over some AMUSE tasks and modes).
Its label is the model type plus its ``pretrained``/``backbone``/``policy`` argument (e.g.
``hf (SmolLM2-135M-Instruct)``) unless the user names it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from amuse_tasks.tasks import MODES, TASKS

log = logging.getLogger("amuse_tasks.reports")
TASK_NAME = re.compile(rf"^amuse_({'|'.join(TASKS)})_({'|'.join(MODES)})$")


@dataclass
class Run:
    label: str
    path: Path
    model: str
    model_args: str
    # (task, mode) -> metric -> value, from results_*.json
    scores: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    # (task, mode) -> samples file
    samples: dict[tuple[str, str], Path] = field(default_factory=dict)

    def load_samples(self, task: str, mode: str) -> list[dict]:
        """Per-sample logs (lm-eval ``--log_samples``); a malformed line is logged and skipped."""
        path = self.samples.get((task, mode))
        if path is None:
            return []
        out = []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    log.warning("%s:%d: skipping malformed sample line (%s)", path, n, e.msg)
        return out


def _metric_values(block: dict) -> dict[str, float]:
    """``{"acc_strict,none": 0.5, "acc_strict_stderr,none": ...}`` -> ``{"acc_strict": 0.5}``."""
    out = {}
    for key, value in block.items():
        name, _, _filter = key.partition(",")
        if name == "alias" or name.endswith("_stderr") or not isinstance(value, (int, float)):
            continue
        out.setdefault(name, float(value))
    return out


def load_run(results_file: Path, label: str | None = None) -> Run | None:
    """A Run from one results file; None (with a warning) if it is not an lm-eval results file."""
    try:
        data = json.loads(results_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, OSError) as e:
        log.warning("%s: not readable as lm-eval results (%s); skipped", results_file, e)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        log.warning("%s: no 'results' object; skipped", results_file)
        return None
    cfg = data.get("config") or {}
    model, args = str(cfg.get("model", "?")), cfg.get("model_args") or {}
    if isinstance(args, str):
        args = dict(kv.split("=", 1) for kv in args.split(",") if "=" in kv)
    backbone = args.get("pretrained") or args.get("backbone") or args.get("policy")
    default = f"{model} ({Path(str(backbone)).name})" if backbone else model
    run = Run(label or default, results_file, model, ",".join(f"{k}={v}" for k, v in sorted(args.items())))
    for name, block in data["results"].items():
        m = TASK_NAME.match(name)
        if m and isinstance(block, dict):
            run.scores[(m.group(1), m.group(2))] = _metric_values(block)
    stamp = results_file.stem.removeprefix("results_")
    for s in results_file.parent.glob(f"samples_amuse_*_{stamp}.jsonl"):
        m = TASK_NAME.match(s.stem.removeprefix("samples_").removesuffix(f"_{stamp}"))
        if m:
            run.samples[(m.group(1), m.group(2))] = s
    if not run.scores:
        log.warning("%s: no AMUSE task results; skipped", results_file)
        return None
    return run


def find_runs(folders: list[str | Path], labels: dict[str, str] | None = None) -> list[Run]:
    """Every results_*.json under the folders, in path order.

    labels: folder or results-file path -> display name (else derived from the model).  Runs with
    the same name over different tasks/modes are joined into one (e.g. a model's guided run and
    its agentic run); runs that would overlap keep apart, named with their results timestamp.
    """
    labels = {str(Path(k).resolve()): v for k, v in (labels or {}).items()}
    files = sorted({p.resolve() for f in folders for p in
                    ([Path(f)] if Path(f).is_file() else Path(f).rglob("results_*.json"))})
    runs = []
    for p in files:
        name = labels.get(str(p)) or labels.get(str(p.parent)) or labels.get(str(p.parent.parent))
        run = load_run(p, name)
        if run is not None:
            runs.append(run)
    merged: list[Run] = []
    for r in runs:  # one model's modes often come from separate runs: join them under one label
        same = next((m for m in merged if m.label == r.label and not set(m.scores) & set(r.scores)), None)
        if same is None:
            merged.append(r)
        else:
            same.scores.update(r.scores)
            same.samples.update(r.samples)
    seen: dict[str, int] = {}
    for r in merged:
        seen[r.label] = seen.get(r.label, 0) + 1
    for r in merged:
        if seen[r.label] > 1:
            r.label = f"{r.label} ({r.path.stem.removeprefix('results_')})"
    return merged
