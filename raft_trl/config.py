"""RAFTConfig: the RAFT objective's knobs on top of TRL's GRPOConfig.

RAFT here is Reasoning-Acting-Feedback Training (the AMUSE paper's trainer), not Reward rAnked
FineTuning (best-of-K fine-tuning, 2023): our softmax weighting tends to best-of-K as
``reward_temperature`` falls (T -> 0). The paper gives no values for tau/alpha/gamma/lambda/beta_J; every
default below is ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from trl import GRPOConfig

from raft_trl.objective import WEIGHTINGS

ALIGN_TARGETS = ("reference", "best_of_k")


@dataclass
class RAFTConfig(GRPOConfig):
    r"""Configuration of [`RAFTTrainer`].

    Total loss ``L = align_weight * L_align + temporal_weight * L_temp - rro_weight * J_RRO`` (+ TRL's
    ``beta * KL`` to the reference model when ``beta > 0``), averaged over prompts, with
    ``J_RRO = (1/K) sum_i stopgrad(A_i) log pi(y_i|x)`` (the mean over the K candidates, log pi
    length-normalised; the formula of docs/raft.md), ``A_i = K s_i - 1`` (``rro_weighting="centred"``) or
    ``K s_i`` (``"literal"``) and
    ``s = softmax(r / reward_temperature)`` within the K = ``num_generations`` candidates of a prompt.
    TRL defaults changed here: ``loss_type="grpo"``, ``scale_rewards="none"`` (the weights replace TRL's
    advantages, so the GRPO loss is exactly the weighted NLL), ``learning_rate=1e-5``, ``bf16`` off when
    no GPU is present.
    """

    # TRL fields whose defaults RAFT changes (the softmax-weighted NLL needs these)
    loss_type: str = field(
        default="grpo",
        metadata={"help": "Must be 'grpo': per-sequence length-normalised loss, which with RAFT's weights is "
                          "exactly the softmax-weighted NLL of RAFT."},
    )
    scale_rewards: str = field(
        default="none",
        metadata={"help": "Unused by RAFT (the softmax weights replace TRL's advantages); kept 'none'."},
    )
    learning_rate: float = field(
        default=1e-5,
        metadata={"help": "AdamW learning rate (ours: 1e-5, since SRA trains about 1 in 200 of the weights)."},
    )

    # RAFT objective
    reward_temperature: float = field(
        default=0.5,
        metadata={"help": "T of the softmax weights s = softmax(r / T) within a prompt's K candidates (it divides "
                          "the rewards; the paper recommends 0.3-1.0). Large T weights them uniformly; T -> 0 tends "
                          "to best-of-K (Reward rAnked FineTuning). Not TRL's `beta`, the KL coefficient. "
                          "Default (ours): 0.5."},
    )
    rro_weighting: str = field(
        default="centred",
        metadata={"help": "'centred': A_i = K s_i - 1, so a group sums to 0 and a tied group gives no update "
                          "(default, decided after measuring). 'literal': the paper's A_i = K s_i, positive and "
                          "summing to K: every group, tied or not, is pulled toward its own samples.",
                  "choices": list(WEIGHTINGS)},
    )
    rro_weight: float = field(
        default=1.0,
        metadata={"help": "beta_J: weight of the Reflective Reward Optimization term J_RRO. Default (ours): 1.0."},
    )
    align_weight: float = field(
        default=0.1,
        metadata={"help": "lambda: weight of L_align = -log pi(y*|x) (length-normalised). Default (ours): 0.1."},
    )
    align_target: str = field(
        default="reference",
        metadata={"help": "y* of L_align: 'reference' uses the record's reference trace where it has one and the "
                          "best-of-K candidate otherwise; 'best_of_k' always uses the best candidate.",
                  "choices": list(ALIGN_TARGETS)},
    )
    temporal_weight: float = field(
        default=0.01,
        metadata={"help": "alpha: weight of the temporal-coherence regulariser L_temp. 0 switches it (and its "
                          "hidden-state hook) off. Default (ours): 0.01."},
    )
    temporal_text_weight: float = field(
        default=1.0,
        metadata={"help": "gamma: weight of the transcript-vs-response distance ||f_t - f_r||^2 inside L_temp "
                          "(the audio-vs-video distance has weight 1). Default (ours): 1.0."},
    )
    temporal_derivative: bool = field(
        default=False,
        metadata={"help": "Add the temporal-difference term: the same distances on f(t+1) - f(t)."},
    )
    temporal_window: float = field(
        default=2.0,
        metadata={"help": "Length in seconds of a time window t of L_temp (ours: 2.0)."},
    )
    temporal_audio_token_seconds: float = field(
        default=0.04,
        metadata={"help": "Seconds of audio per audio placeholder token (Qwen2-Audio / Qwen2.5-Omni: 0.04), used to "
                          "place audio tokens in time windows."},
    )

    collapse_entropy_floor: float = field(
        default=0.0,
        metadata={"help": "Stop training (raft_trl.CollapseStop) once the policy has collapsed for `collapse_patience` "
                          "logged steps in a row: its mean token entropy (TRL's logged `entropy`) below this floor, or "
                          "every prompt's K rewards tied (`frac_reward_zero_std` = 1: no reward signal left). "
                          "0 (default) turns the guard off."},
    )
    collapse_patience: int = field(
        default=3,
        metadata={"help": "Logged steps in a row that must show a collapse before `collapse_entropy_floor` stops "
                          "training."},
    )

    shared_prefill: bool = field(
        default=True,
        metadata={"help": "Run each prompt once for its K samples, in generation and in the loss forward (its cache "
                          "indexed out to the rows; exact: the same loss and gradient). Text-only prompts with plain "
                          "transformers generation; off under DeepSpeed/FSDP, and in the loss under gradient "
                          "checkpointing or several processes (DDP pairs one forward with one backward), and for "
                          "prompts with audio/video."},
    )

    # Selective Reasoning Adaptation
    sra: bool = field(
        default=True,
        metadata={"help": "Train only theta_cross (Selective Reasoning Adaptation). Ignored when a peft_config "
                          "(the LoRA baseline) is given. False trains every parameter."},
    )
    sra_budget: float = field(
        default=0.005,
        metadata={"help": "Fraction of all parameters theta_cross may hold (spec default 0.005)."},
    )
    sra_targets: list[str] | None = field(
        default=None,
        metadata={"help": "Regular expressions (re.search on module names) naming theta_cross explicitly; the "
                          "budget is then only checked (warning), not used to pick."},
    )
    sra_include_norms: bool = field(
        default=False,
        metadata={"help": "Also train the norm weights of the decoder layers SRA picks."},
    )

    def __post_init__(self):
        if self.bf16 is None and not self.fp16 and not torch.cuda.is_available():
            self.bf16 = False  # TRL defaults to bf16, which fails on CPU
        super().__post_init__()
        problems = []
        if self.loss_type != "grpo":
            problems.append(f"loss_type must be 'grpo' (got {self.loss_type!r}): RAFT's J_RRO is the per-sequence "
                            "length-normalised weighted NLL, which TRL's 'grpo' loss computes with our weights")
        if not (math.isfinite(self.beta) and self.beta >= 0):
            problems.append(f"beta (TRL's KL coefficient against the reference model) must be >= 0, got {self.beta}")
        if self.rro_weighting not in WEIGHTINGS:
            problems.append(f"rro_weighting must be one of {WEIGHTINGS}, got {self.rro_weighting!r}")
        if self.num_iterations != 1:
            problems.append(f"num_iterations must be 1 (got {self.num_iterations}): more iterations clip the "
                            "importance ratio and the gradient is no longer the weighted NLL")
        if self.steps_per_generation != self.gradient_accumulation_steps:
            problems.append(f"steps_per_generation ({self.steps_per_generation}) must equal gradient_accumulation_steps "
                            f"({self.gradient_accumulation_steps}): reusing one generation over more optimizer steps "
                            "trains on stale log-probs and the gradient is no longer the weighted NLL")
        if self.top_entropy_quantile != 1.0:
            problems.append(f"top_entropy_quantile must be 1.0 (got {self.top_entropy_quantile}): masking low-entropy "
                            "tokens drops part of each sequence's log-probability from J_RRO")
        if self.importance_sampling_level != "token":
            problems.append(f"importance_sampling_level must be 'token' (got {self.importance_sampling_level!r}): "
                            "with one iteration the ratio is 1, and RAFT's objective is defined per token")
        if self.multi_objective_aggregation != "sum_then_normalize":
            problems.append("multi_objective_aggregation must be 'sum_then_normalize': RAFT weights the weighted "
                            "sum of the reward functions")
        if not (isinstance(self.reward_temperature, (int, float)) and math.isfinite(self.reward_temperature)
                and self.reward_temperature > 0):
            problems.append(f"reward_temperature must be a finite number > 0 (it divides the rewards), "
                            f"got {self.reward_temperature!r}")
        for name in ("rro_weight", "align_weight", "temporal_weight", "temporal_text_weight"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                problems.append(f"{name} must be a finite number >= 0, got {value!r}")
        for name in ("temporal_window", "temporal_audio_token_seconds"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                problems.append(f"{name} must be a finite number > 0, got {value!r}")
        if not (isinstance(self.collapse_entropy_floor, (int, float)) and math.isfinite(self.collapse_entropy_floor)
                and self.collapse_entropy_floor >= 0):
            problems.append("collapse_entropy_floor must be a finite number >= 0 (0: off), "
                            f"got {self.collapse_entropy_floor!r}")
        if not (isinstance(self.collapse_patience, int) and self.collapse_patience >= 1):
            problems.append(f"collapse_patience must be an integer >= 1, got {self.collapse_patience!r}")
        if self.align_target not in ALIGN_TARGETS:
            problems.append(f"align_target must be one of {ALIGN_TARGETS}, got {self.align_target!r}")
        if not (isinstance(self.sra_budget, (int, float)) and 0 < self.sra_budget <= 1):
            problems.append(f"sra_budget must be in (0, 1], got {self.sra_budget!r}")
        if self.sra_targets is not None and (
            not isinstance(self.sra_targets, list) or not all(isinstance(t, str) and t for t in self.sra_targets)
        ):
            problems.append(f"sra_targets must be a list of non-empty regular expressions, got {self.sra_targets!r}")
        if problems:
            raise ValueError("RAFTConfig: " + "; ".join(problems))
