"""Stop a GRPO-family run whose policy has collapsed, before it spends more steps going nowhere.

Two signs, read from the metrics TRL logs each step: the policy's mean token entropy (``entropy``) below a floor,
i.e. it samples one answer whatever the prompt; or every prompt's K rewards tied (``frac_reward_zero_std`` = 1),
so the rewards carry no signal (RAFT's centred weights and GRPO's advantages are then zero). Measured on the
learning bench: Qwen2.5-Coder-0.5B with the label reward at lr 1e-4 went from entropy 0.42 to ~0.12 in six steps
and put p = 0.98 on one letter while its accuracy fell. Works as a plain ``TrainerCallback`` for TRL's
``GRPOTrainer`` too; ``RAFTConfig.collapse_entropy_floor`` adds it to a ``RAFTTrainer``.
"""

from __future__ import annotations

import logging
import math

from transformers import TrainerCallback

logger = logging.getLogger(__name__)


class CollapseStop(TrainerCallback):
    """Stops training once ``patience`` logged training steps in a row show a collapse; ``stopped`` then says
    at which step and why (``None`` while training goes on)."""

    def __init__(self, entropy_floor: float, patience: int = 3):
        if not (isinstance(entropy_floor, (int, float)) and math.isfinite(entropy_floor) and entropy_floor > 0):
            raise ValueError(f"CollapseStop: entropy_floor must be a finite number > 0, got {entropy_floor!r}")
        if not (isinstance(patience, int) and patience >= 1):
            raise ValueError(f"CollapseStop: patience must be an integer >= 1, got {patience!r}")
        self.entropy_floor, self.patience = float(entropy_floor), patience
        self.in_a_row = 0
        self.stopped: str | None = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        entropy, tied = (logs or {}).get("entropy"), (logs or {}).get("frac_reward_zero_std")
        if entropy is None and tied is None:  # not a training step's metrics (the run summary, an evaluation)
            return
        signs = []
        if entropy is not None and entropy < self.entropy_floor:
            signs.append(f"entropy {entropy:.3f} < {self.entropy_floor}")
        if tied is not None and tied >= 1.0:
            signs.append("every prompt's rewards tied")
        self.in_a_row = self.in_a_row + 1 if signs else 0
        if self.in_a_row >= self.patience and not control.should_training_stop:
            self.stopped = (f"collapsed at step {state.global_step} ({' and '.join(signs)}, {self.in_a_row} logged "
                            "steps in a row): training stopped")
            logger.warning("CollapseStop: %s", self.stopped)
            control.should_training_stop = True
