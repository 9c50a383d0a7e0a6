"""Benchmark: the README's two commands on a fresh clone, as a new user runs them: ``git clone`` of this
checkout's HEAD into a temporary folder, ``HOME`` pointed at an empty folder (no pip cache, no dataset,
no tool cache) and ``PIP_NO_CACHE_DIR=1``, then ``bash scripts/quickstart.sh`` and
``.venv/bin/python -m pytest -q``. Every output line is time-stamped, so the quickstart's phases
(its ``== `` headers) get their own times. Debian packages already installed stay installed (apt is
not undone), which the results say.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.measure import md_table, write

REPO = Path(__file__).resolve().parents[1]


def timed_lines(cmd: list[str], cwd: Path, env: dict) -> tuple[float, int, list[tuple[float, str]]]:
    """(seconds, exit status, [(seconds since start, line)]) of a command's merged output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            bufsize=1)
    lines = [(time.perf_counter() - t0, line.rstrip("\n")) for line in proc.stdout]
    return time.perf_counter() - t0, proc.wait(), lines


def phases(total: float, lines: list[tuple[float, str]]) -> list[list]:
    """Seconds from each ``== phase`` header to the next (the first phase is the setup before them)."""
    marks = [(0.0, "setup: apt check, .venv, pip install (no pip cache)")]
    marks += [(t, line[3:].strip()) for t, line in lines if line.startswith("== ")]
    ends = [t for t, _ in marks[1:]] + [total]
    return [[name, round(end - start, 1)] for (start, name), end in zip(marks, ends)]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quickstart-args", default="", help="extra arguments for scripts/quickstart.sh (e.g. '--limit 1')")
    ap.add_argument("--no-tests", action="store_true", help="time the first command only")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="amuse-fresh-", dir="/tmp"))
    try:
        clone, home = work / "amuse-av", work / "home"
        home.mkdir()
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AMUSE_", "VIRTUAL_ENV"))}
        env.update(HOME=str(home), PIP_NO_CACHE_DIR="1", PATH=os.environ["PATH"])
        load0 = [round(x, 2) for x in os.getloadavg()]
        qs_secs, qs_rc, qs_lines = timed_lines(["bash", "scripts/quickstart.sh", *args.quickstart_args.split()], clone, env)
        if qs_rc != 0:
            raise RuntimeError("quickstart failed:\n" + "\n".join(line for _, line in qs_lines[-40:]))
        rows = phases(qs_secs, qs_lines)
        res = {"quickstart_seconds": qs_secs, "phases": rows, "load_avg_start": load0}
        if not args.no_tests:
            t_secs, t_rc, t_lines = timed_lines([".venv/bin/python", "-m", "pytest", "-q"], clone, env)
            summary = next((line for _, line in reversed(t_lines) if re.search(r"\d+ (passed|failed)", line)), "")
            res.update(tests_seconds=t_secs, tests_rc=t_rc, tests_summary=summary)
        res["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
        venv_gb = sum(f.stat().st_size for f in (clone / ".venv").rglob("*") if f.is_file()) / 1e9
        res["venv_gb"] = round(venv_gb, 2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = md_table(["first command, phase", "seconds"], rows + [["**total**", round(qs_secs, 1)]])
    table += f"\n\n`.venv`: {res['venv_gb']} GB. Debian packages were already installed (apt not undone)."
    if "tests_seconds" in res:
        table += f"\n\nSecond command (`.venv/bin/python -m pytest -q`): {res['tests_seconds'] / 60:.1f} min, `{res['tests_summary']}`."
    table += f"\n\nLoad average {res['load_avg_start']} at the start, {res['load_avg_end']} at the end."
    write("fresh_clone", "The README's two commands on a fresh clone", vars(args), res, table)
    return res


if __name__ == "__main__":
    main()
