"""``OpenAIChat`` against a real OpenAI-compatible server: ``transformers serve`` (transformers' own,
the ``serving`` extra) running the offline SmolLM2-135M-Instruct copy on 127.0.0.1. The same client
code serves vLLM, TGI and OpenAI users."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from amuse_tasks.metrics.tool_use import parse_transcript
from amuse_tasks.models.chat_backbones import SMOLLM2_COPY, OpenAIChat
from amuse_tasks.models.chat_policy import ChatPolicy
from amuse_tasks.models.episode import Episode
from amuse_tasks.prompts import build_prompt
from amuse_tasks.tools import Toolbox
from amuse_tasks.tools.schemas import TOOL_SCHEMAS



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_smollm2(tmp_path_factory):
    cli = shutil.which("transformers", path=str(Path(sys.executable).parent))
    if cli is None or not (SMOLLM2_COPY / "model.safetensors").is_file():
        pytest.skip("needs scripts/setup.sh: the transformers CLI and the SmolLM2 copy in .venv/share/amuse")
    pytest.importorskip("fastapi")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen([cli, "serve", str(SMOLLM2_COPY), "--host", "127.0.0.1", "--port", str(port),
                                 "--device", "cpu", "--log-level", "warning"], stdout=out, stderr=subprocess.STDOUT,
                                env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"transformers serve did not come up:\n{log.read_text()[-3000:]}")
                time.sleep(1)
        yield base + "/v1", str(SMOLLM2_COPY)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_an_agentic_episode_runs_through_transformers_serve(served_smollm2, synth_root, model_records):
    base_url, model = served_smollm2
    rec = next(r for r in model_records if r["task"] == "avsa")
    chat = OpenAIChat(base_url, model, max_new_tokens=48)
    reply = chat([{"role": "user", "content": "Say hi."}], TOOL_SCHEMAS)  # tools sent: the server takes them
    assert isinstance(reply.text, str) and isinstance(reply.tool_calls, list)
    ep = Episode(Toolbox.for_record(rec, synth_root, backends="oracle", cache=None), max_steps=2)
    ChatPolicy(chat).run(rec, build_prompt(rec, "agentic"), ep, TOOL_SCHEMAS)
    text = ep.transcript()
    assert text.index("<trace>") > 0  # the served model's words come before the trace
    trace = parse_transcript(text).trace
    assert trace["max_steps"] == 2 and trace["steps"] <= 2 and trace["seconds"] > 0
    json.dumps(trace)  # the trace lm-eval logs with --log_samples
