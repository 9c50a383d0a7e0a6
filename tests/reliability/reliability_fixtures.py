"""Faults to inject, built from the embedded default set: datasets with one broken sample, a
network guard, a tiny on-disk model, and a small lm-eval LM whose answers we choose.

Everything is built in tmp dirs; nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from tiny_models import make_qwen2, make_tokenizer

from amuse_tasks.schema import RECORDS_FILE


# ---- datasets -------------------------------------------------------------------------------------
def read_records(root: Path) -> list[dict]:
    return [json.loads(line) for line in (Path(root) / RECORDS_FILE).read_text(encoding="utf-8").splitlines() if line]


def write_records(root: Path, records: list) -> None:
    """One JSON value per line (a value may be anything, to inject records of the wrong type)."""
    with open(Path(root) / RECORDS_FILE, "w", encoding="utf-8") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")


def copy_dataset(src: Path, dst: Path, *, tasks: tuple[str, ...] | None = None, clips: int | None = None,
                 window: float | None = None) -> list[dict]:
    """Copy records (of ``tasks``, of the first ``clips`` clips) and their media into ``dst``.

    ``window``: cut every record's window to its first ``window`` seconds (keeps tool runs short;
    only for tests that do not score the answer).
    """
    recs = read_records(src)
    clip_ids = sorted({r["clip_id"] for r in recs})[:clips] if clips else None
    keep = [r for r in recs if (tasks is None or r["task"] in tasks) and (clip_ids is None or r["clip_id"] in clip_ids)]
    if window is not None:
        for r in keep:
            r["end"] = min(r["end"], r["start"] + window)
    dst.mkdir(parents=True, exist_ok=True)
    for r in keep:
        for k in ("video", "audio"):
            target = dst / r[k]
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src / r[k], target)
    write_records(dst, keep)
    return keep


def corrupt_mp4(path: Path) -> None:
    """Keep the size, overwrite everything after the first 64 bytes with junk (moov/mdat gone)."""
    data = bytearray(path.read_bytes())
    data[64:] = bytes((i * 37 + 11) % 256 for i in range(len(data) - 64))
    path.write_bytes(bytes(data))


def truncate(path: Path, fraction: float = 0.3) -> None:
    """Cut the file to a fraction of its size; the WAV header still promises all of it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


# ---- no network ---------------------------------------------------------------------------------
class NetworkBlocked(RuntimeError):
    pass


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = str(address[0]) if isinstance(address, tuple) and address else ""
    return host in ("localhost", "127.0.0.1", "::1", "0.0.0.0", "") or host.startswith("127.")


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to reach a non-loopback address (connect or DNS) raises NetworkBlocked."""
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if not _is_local(address):
            attempts.append(f"connect {address!r}")
            raise NetworkBlocked(f"network access in a test: connect to {address!r}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _is_local(address):
            attempts.append(f"connect {address!r}")
            raise NetworkBlocked(f"network access in a test: connect to {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local((host,)):
            attempts.append(f"resolve {host!r}")
            raise NetworkBlocked(f"network access in a test: DNS lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"the test tried to reach the network: {attempts}"


# ---- a tiny model on disk -------------------------------------------------------------------------
def tiny_tokenizer():
    return make_tokenizer()


def tiny_model_dir(path: Path, seed: int = 0) -> Path:
    """A 2-layer Qwen2 (random weights, safetensors) with its tokenizer, saved under ``path``."""
    tok = make_tokenizer()
    model = make_qwen2(tok, seed=seed, max_positions=4096)
    model.save_pretrained(path)  # safetensors
    tok.save_pretrained(path)
    return path


# ---- lm-eval -----------------------------------------------------------------------------------------
def evaluate(model, tasks: list[str], root: Path, cues: str | None = "oracle", **kwargs) -> dict:
    """One in-process lm-eval run of AMUSE tasks on the dataset at ``root`` (only our task folder indexed);
    ``cues``: the guided cue source, by default the ground truth (these tests are about scoring and
    robustness, not perception; None: the default offline tools)."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    from amuse_tasks.lm_eval_glue.registration import task_dir

    metadata = {"amuse_root": str(root)} | ({"cues": cues} if cues else {})
    tm = TaskManager(include_path=[str(task_dir())], include_defaults=False, metadata=metadata)
    return lm_eval.simple_evaluate(model=model, tasks=tasks, task_manager=tm, log_samples=True, **kwargs)


def scripted_lm(answer_for):
    """An lm-eval LM (text or media requests) answering ``answer_for(doc, task_name)`` for each request."""
    from lm_eval.api.model import LM

    class ScriptedLM(LM):
        MULTIMODAL = True

        def generate_until(self, requests, disable_tqdm: bool = False):
            return [answer_for(r.doc, r.task_name) for r in requests]

        def loglikelihood(self, requests, disable_tqdm: bool = False):
            raise NotImplementedError

        def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
            raise NotImplementedError

    return ScriptedLM()
