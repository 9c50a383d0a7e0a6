"""Every command-line entry point answers ``--help`` (argparse %-formats each help text: one stray "%" in a
config field's help made ``python -m raft_trl.train --help`` crash)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
ENTRY_POINTS = ["amuse_tasks.cli.synth", "amuse_tasks.cli.build", "amuse_tasks.cli.report", "amuse_tasks.cli.cues",
                "raft_trl.train"] + [f"bench.{p.stem}" for p in sorted(BENCH.glob("*.py"))
                                     if p.stem not in ("__init__", "measure")]  # measure: the benches' helpers


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_help_exits_zero_with_a_usage(module, capsys):
    with pytest.raises(SystemExit) as stop:
        importlib.import_module(module).main(["--help"])
    assert stop.value.code == 0
    assert "usage:" in capsys.readouterr().out
