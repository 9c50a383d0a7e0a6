"""AMUSE-Synth: deterministic synthetic multi-speaker clips with exact ground truth."""

from amuse_tasks.synth.dataset import build_dataset

__all__ = ["build_dataset"]
