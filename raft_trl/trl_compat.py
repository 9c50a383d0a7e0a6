"""Everything ``raft_trl`` borrows from TRL's and transformers' internals, in one place, behind one
version check: when TRL moves, this file (and the overridden hooks of ``RAFTTrainer``, which TRL's
maintainers endorse subclassing) is what to revisit.

Supported: TRL 1.16.x (its private ``GRPOTrainer`` methods change between minor releases).
"""

from __future__ import annotations

from contextlib import contextmanager
from importlib.metadata import version

SUPPORTED_TRL = ("1.16",)


def check_trl() -> None:
    """Refuse an unsupported TRL with a message that says which one to install."""
    found = version("trl")
    if not any(found == v or found.startswith(v + ".") for v in SUPPORTED_TRL):
        raise ImportError(f"raft_trl supports TRL {', '.join(v + '.x' for v in SUPPORTED_TRL)}, found {found}: "
                          f"pip install 'trl>={SUPPORTED_TRL[0]},<1.17' (RAFTTrainer overrides GRPOTrainer hooks that "
                          "change between TRL minor releases)")


check_trl()

from trl.trainer.utils import create_model_from_path  # noqa: E402  (after the version check)


def tokenizer_of(trainer):
    """The text tokenizer GRPOTrainer resolved from its processing class."""
    return trainer._tokenizer


def metrics_of(trainer, mode: str) -> dict:
    """GRPOTrainer's per-mode metric lists (averaged and logged at each logging step)."""
    return trainer._metrics[mode]


@contextmanager
def training_a_quantised_base(model, selection):
    """transformers refuses to train a quantised model without adapters. SRA keeps theta_cross out of
    quantisation (full precision, trainable) and freezes the 4-bit base, so that check does not apply:
    lift it for the trainer's construction only."""
    import transformers.trainer as hf_trainer

    if selection is None or not getattr(model, "is_quantized", False):
        yield
        return
    original = hf_trainer.validate_quantization_for_training
    hf_trainer.validate_quantization_for_training = lambda m: None
    try:
        yield
    finally:
        hf_trainer.validate_quantization_for_training = original


__all__ = ["SUPPORTED_TRL", "check_trl", "create_model_from_path", "metrics_of", "tokenizer_of",
           "training_a_quantised_base"]
