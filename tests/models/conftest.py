"""Fixtures of the model-class tests: records of the default set by task, and a session tool cache."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def model_records(synth_root):
    from amuse_tasks.schema import ROOT_KEY
    from amuse_tasks.schema import load_records

    return [{**r, ROOT_KEY: str(synth_root)} for r in load_records(synth_root).records]
