"""AMUSE: multi-speaker audio-visual understanding tasks for lm-evaluation-harness."""

__version__ = "0.1.0"
