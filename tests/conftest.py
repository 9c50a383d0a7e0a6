"""Shared fixtures: offline Hub, and the embedded AMUSE-Synth default set built once per machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
# The default set used by every test (and by lm_eval subprocesses, which inherit the env).
os.environ.setdefault("AMUSE_DATA", str(REPO / ".amuse_cache" / "default"))
# Perception results of the test session stay in the checkout, not in the user's ~/.cache.
os.environ.setdefault("AMUSE_TOOL_CACHE", str(REPO / ".amuse_cache" / "tools"))
# Guided prompts default to tool cues (perception: minutes per dataset on 2 cores); tests that are not
# about cues read the ground-truth cues. tests/tools checks the tool-cue default explicitly.
os.environ.setdefault("AMUSE_CUES", "oracle")


@pytest.fixture(scope="session")
def synth_root() -> Path:
    """The embedded default AMUSE-Synth dataset (built on first use, reused afterwards)."""
    from amuse_tasks.default_set import default_root

    return default_root()
