"""No network at import time, no remote code unless asked, no pickle where the format allows:
checked by behaviour (a blocked socket, a model folder whose code or pickle would leave a mark)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_fixtures import copy_dataset, tiny_model_dir

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("amuse_tasks", "raft_trl")

IMPORT_ALL = r'''
import importlib, json, pkgutil, socket, sys
attempts = []
def blocked(what):
    def f(*args, **kwargs):
        attempts.append(f"{what} {args[1:2] if what == 'connect' else args[:1]!r} during import of {current[0]}")
        raise OSError("network blocked by the AMUSE import test")
    return f
socket.socket.connect = blocked("connect")
socket.socket.connect_ex = blocked("connect")
socket.getaddrinfo = blocked("resolve")
socket.create_connection = blocked("connect")
current = ["?"]
failed = {}
names = []
for pkg in sys.argv[1:]:
    mod = importlib.import_module(pkg)
    names.append(pkg)
    names += [m.name for m in pkgutil.walk_packages(mod.__path__, pkg + ".")]
for name in names:
    current[0] = name
    try:
        importlib.import_module(name)
    except ImportError as e:  # an optional backend whose package is not installed
        failed[name] = f"{type(e).__name__}: {e}"
print(json.dumps({"imported": names, "failed": failed, "attempts": attempts}))
'''


def test_importing_every_module_makes_no_network_call(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}  # offline flags would hide calls
    env.update(PYTHONPATH=str(REPO), AMUSE_TOOL_CACHE=str(tmp_path / "cache"), HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", IMPORT_ALL, *PACKAGES], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not out["attempts"], out["attempts"]
    assert len(out["imported"]) > 30
    # only optional third-party backends may be missing, never one of our own modules
    for name, err in out["failed"].items():
        assert "No module named 'amuse_tasks" not in err and "No module named 'raft_trl" not in err, (name, err)
    # (the lmms-eval pack's task class imports lmms-eval, which lives in .venv-lmms only)
    assert set(out["failed"]) <= {"amuse_tasks.tools.faces_insightface", "amuse_tasks.lmms_eval_glue.task"}, out["failed"]


class _Mark:
    """A file that appears only if foreign code ran."""

    def __init__(self, path: Path):
        self.path = path

    @property
    def code(self) -> str:
        return f"open({str(self.path)!r}, 'w').write('ran')"

    def ran(self) -> bool:
        return self.path.exists()


def remote_code_model(path: Path, mark: _Mark) -> Path:
    """A tiny model folder whose config asks for custom code; importing that code leaves the mark."""
    tiny_model_dir(path)
    cfg = json.loads((path / "config.json").read_text())
    cfg["model_type"] = "amuse-evil"  # unknown to transformers: only the folder's code could build it
    cfg["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoModelForCausalLM": "evil.EvilModel"}
    (path / "config.json").write_text(json.dumps(cfg))
    (path / "evil.py").write_text(f"{mark.code}\nfrom transformers import Qwen2Config as EvilConfig, "
                                  "Qwen2ForCausalLM as EvilModel\n")
    return path


def pickle_model(path: Path, mark: _Mark) -> Path:
    """A tiny model folder whose only weights are a pickle that runs code when unpickled."""
    import pickle

    tiny_model_dir(path)
    (path / "model.safetensors").unlink()

    class Payload:
        def __reduce__(self):
            return (exec, (mark.code,))

    (path / "pytorch_model.bin").write_bytes(pickle.dumps({"weights": Payload()}))
    return path


def _train(model: Path, data: Path, out: Path):
    from raft_trl.train import main

    return main(["--model_name_or_path", str(model), "--data_root", str(data), "--output_dir", str(out),
                 "--limit", "2", "--cue_source", "oracle", "--allow_label_cues", "true", "--max_steps", "1", "--use_cpu", "true",
                 "--report_to", "none", "--num_generations", "2", "--per_device_train_batch_size", "2", "--sra_budget", "0.2",
                 "--allow_eval_overlap", "true"])  # the data are clips of the evaluation set: fine for this check


@pytest.fixture
def tiny_data(synth_root, tmp_path):
    copy_dataset(synth_root, tmp_path / "data", tasks=("avsa",), clips=2)
    return tmp_path / "data"


def test_training_refuses_remote_code_unless_asked(tmp_path, tiny_data):
    mark = _Mark(tmp_path / "remote_code_ran")
    model = remote_code_model(tmp_path / "model", mark)
    with pytest.raises(ValueError, match="trust_remote_code"):
        _train(model, tiny_data, tmp_path / "out")
    assert not mark.ran()


def test_training_never_unpickles_model_weights(tmp_path, tiny_data):
    mark = _Mark(tmp_path / "pickle_ran")
    model = pickle_model(tmp_path / "model", mark)
    with pytest.raises(Exception, match="(?i)weights_only|unpickl"):  # .bin files load with weights_only=True
        _train(model, tiny_data, tmp_path / "out")
    assert not mark.ran()


def test_whisper_checkpoint_is_loaded_without_pickle(tmp_path):
    import pickle

    from amuse_tasks.tools.asr_openai_whisper import OpenAIWhisperASR
    from amuse_tasks.tools.base import BackendUnavailable

    mark = _Mark(tmp_path / "pickle_ran")

    class Payload:
        def __reduce__(self):
            return (exec, (mark.code,))

    ckpt = tmp_path / "evil.pt"
    ckpt.write_bytes(pickle.dumps({"dims": Payload()}))
    with pytest.raises(BackendUnavailable, match="could not load"):
        OpenAIWhisperASR(str(ckpt))._model()
    assert not mark.ran()


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            yield node, owner, name


def test_no_unsafe_deserialisation_or_remote_code_default_in_our_code():
    """Complements the behavioural tests for load paths no test reaches (AST, not grep: comments and
    strings do not count, keyword values do)."""
    problems = []
    for pkg in ("amuse_tasks", "raft_trl", "bench"):
        for path in sorted((REPO / pkg).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node, owner, name in _calls(tree):
                kw = {k.arg: k.value for k in node.keywords}
                where = f"{path.relative_to(REPO)}:{node.lineno}"
                if owner in ("pickle", "dill", "joblib", "cloudpickle") and name in ("load", "loads"):
                    problems.append(f"{where}: {owner}.{name}")
                if owner == "torch" and name == "load":
                    v = kw.get("weights_only")
                    if not (isinstance(v, ast.Constant) and v.value is True):
                        problems.append(f"{where}: torch.load without weights_only=True")
                if owner == "np" and name == "load":
                    v = kw.get("allow_pickle")
                    if isinstance(v, ast.Constant) and v.value is True:
                        problems.append(f"{where}: np.load(allow_pickle=True)")
                v = kw.get("trust_remote_code")
                if isinstance(v, ast.Constant) and v.value is True:
                    problems.append(f"{where}: trust_remote_code=True hard-coded")
    assert not problems, problems
