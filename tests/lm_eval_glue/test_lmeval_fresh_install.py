"""Plain ``lm_eval`` finds the AMUSE tasks after a non-editable wheel install, through the
startup hook (``amuse_av_lm_eval.pth``), in a fresh virtual environment; and the hook never
breaks its host process."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory) -> Path:
    """A new venv holding only our wheel (--no-deps); lm-eval & co. come from this venv's
    site-packages through a path-only .pth (its own .pth files, e.g. our editable finder, stay inert)."""
    tmp = tmp_path_factory.mktemp("fresh")
    wheels = tmp / "wheels"
    import setuptools

    # build offline with this venv's setuptools when it is new enough for pyproject.toml, else isolated
    isolation = ["--no-build-isolation"] if int(setuptools.__version__.split(".")[0]) >= 69 else []
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q",
                    "-w", str(wheels), str(REPO)], check=True, capture_output=True, cwd=tmp)
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    str(next(wheels.glob("amuse_av-*.whl")))], check=True, capture_output=True, cwd=tmp)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    assert (Path(purelib) / "amuse_av_lm_eval.pth").is_file()
    (Path(purelib) / "zz_base_packages.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def _lm_eval(python: Path, args: list[str], tmp: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "lm_eval", *args], capture_output=True, text=True, cwd=tmp,
                          env={**os.environ, **env}, timeout=300)


def test_installed_wheel_is_what_runs(fresh_python, tmp_path):
    code = ("import amuse_tasks, amuse_tasks.task_yamls as t; from amuse_tasks.lm_eval_glue.registration import task_dir; "
            "print(amuse_tasks.__file__); print(task_dir())")
    out = subprocess.run([str(fresh_python), "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert str(REPO) not in out and "site-packages" in out
    assert out.splitlines()[1].endswith("site-packages/amuse_tasks/task_yamls")


def test_the_wheel_puts_no_generic_top_level_name_into_site_packages(fresh_python):
    purelib = Path(subprocess.run([str(fresh_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    record = next(purelib.glob("amuse_av-*.dist-info")) / "RECORD"
    top = {line.split(",")[0].split("/")[0] for line in record.read_text().splitlines()}  # ".." = console scripts in bin/
    assert {t for t in top if not t.startswith(("amuse_av-", ".."))} == {"amuse_tasks", "raft_trl", "amuse_av_lm_eval.pth"}


def test_plain_lm_eval_finds_guided_tasks_through_the_hook(fresh_python, tmp_path, synth_root):
    proc = _lm_eval(fresh_python, ["--model", "dummy", "--tasks", "amuse_*_guided", "--limit", "1",
                                   "--metadata", json.dumps({"amuse_root": str(synth_root), "cues": "oracle"}),
                                   "--output_path", str(tmp_path / "out")], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())
    assert sorted(res["results"]) == sorted(f"amuse_{t}_guided" for t in ("avds", "avsa", "nsp", "srid", "stg", "csnl"))
    assert res["results"]["amuse_avsa_guided"]["parse_fail,none"] == 1.0  # dummy answers "lol"


@pytest.mark.parametrize("switch,patched", [("1", "True"), ("0", "False")])
def test_hook_acts_on_import_and_is_switched_off_by_env(fresh_python, tmp_path, switch, patched):
    code = ("import sys; assert 'lm_eval' not in sys.modules; import lm_eval.tasks.manager as m; "
            "print(getattr(m.TaskManager.__init__, '_amuse_patched', False))")
    proc = subprocess.run([str(fresh_python), "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "AMUSE_LM_EVAL_HOOK": switch}, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == patched


def test_hook_never_fails_the_host_when_lm_eval_differs(fresh_python, tmp_path):
    """A stand-in lm_eval whose internals differ: the hook warns once and the host goes on."""
    fake = tmp_path / "lm_eval"
    (fake / "tasks").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "tasks" / "__init__.py").write_text("")
    (fake / "tasks" / "manager.py").write_text("VALUE = 42  # no TaskManager here\n")
    proc = subprocess.run([str(fresh_python), "-c", "import lm_eval.tasks.manager as m; print(m.VALUE)"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "42"
    assert "amuse-av lm-eval hook" in proc.stderr and "failed" in proc.stderr
