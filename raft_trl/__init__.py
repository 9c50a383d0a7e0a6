"""RAFT (Reasoning-Acting-Feedback Training) for TRL: trainer, config, rewards, SRA, temporal regulariser.

Not Reward rAnked FineTuning: our softmax weighting of the K candidates tends to best-of-K as the
temperature falls (T -> 0).
"""

from raft_trl import trl_compat  # noqa: F401  (first: refuses an unsupported TRL with one clear message)
from raft_trl.collapse import CollapseStop
from raft_trl.config import RAFTConfig
from raft_trl.objective import best_of_k, softmax_weights
from raft_trl.shared_grpo import SharedPrefillGRPOTrainer
from raft_trl.trainer import RAFTTrainer

__all__ = ["CollapseStop", "RAFTConfig", "RAFTTrainer", "SharedPrefillGRPOTrainer", "best_of_k", "softmax_weights"]
