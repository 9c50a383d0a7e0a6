"""Fixtures of the RAFT tests; the builders they use live in raft_fixtures.py."""

from __future__ import annotations

import pytest

from raft_fixtures import make_qwen2, make_tokenizer, record


@pytest.fixture(scope="session")
def tiny_tokenizer():
    return make_tokenizer()


@pytest.fixture
def tiny_model(tiny_tokenizer):
    return make_qwen2(tiny_tokenizer)


@pytest.fixture
def records_root(tmp_path):
    """A tiny AMUSE dataset (records only: guided prompts and rewards need no media)."""
    import json

    root = tmp_path / "amuse"
    root.mkdir()
    recs = [record(i, task) for i in range(2) for task in ("avsa", "stg")]
    recs[0]["reference_trace"] = "VOICE_2 speaks at 2.8-5.0 with FACE_B.\nAnswer: B"
    (root / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    return root


@pytest.fixture
def tiny_model_dir(tmp_path, tiny_tokenizer):
    """A tiny Qwen2 + tokenizer saved like a Hub checkpoint, for the training script."""
    path = tmp_path / "tiny-qwen2"
    make_qwen2(tiny_tokenizer).save_pretrained(path)
    tiny_tokenizer.save_pretrained(path)
    return path
