"""Fixtures of the perception-tool tests: one perception cache per session (the offline backends
run once per clip), and records of the default set by task."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tool_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("tool_cache")


@pytest.fixture(scope="session")
def records(synth_root):
    from amuse_tasks.schema import load_records

    return load_records(synth_root).records


@pytest.fixture(scope="session")
def short_avsa(records):
    """The avsa record with the shortest window (avsa windows are one scene)."""
    return min((r for r in records if r["task"] == "avsa"), key=lambda r: r["end"] - r["start"])
