"""Everything ``raft_trl`` borrows from TRL's and transformers' internals, in one place, behind one
version check. ``GRPOHooks`` turns the private ``GRPOTrainer`` methods that RAFT needs to change into
named extension points, so ``RAFTTrainer`` overrides public names only; when TRL moves, this file is
the one to revisit (``tests/raft/test_raft_trl_compat.py`` fails if another module names a private
TRL attribute).

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

from trl import GRPOTrainer  # noqa: E402  (after the version check)
from trl.models import unwrap_model_for_generation  # noqa: E402
from trl.trainer.utils import create_model_from_path  # noqa: E402

# Keys of the batch dict that GRPOTrainer's scoring step hands to its loss step.
ADVANTAGES = "advantages"
COMPLETION_MASK = "completion_mask"
TOOL_MASK = "tool_mask"


def loss_mask(inputs: dict):
    """The completion tokens the policy loss covers (tool-response tokens excluded when TRL masks them)."""
    mask = inputs[COMPLETION_MASK]
    return mask * inputs[TOOL_MASK] if TOOL_MASK in inputs else mask


class GRPOHooks(GRPOTrainer):
    """GRPOTrainer with the TRL 1.16 private hooks RAFT changes exposed as public extension points.

    Override these, not TRL's private methods:

    - ``prompt_fields(fields, n_rows)``: sees the processor outputs of each tokenized batch of prompts;
    - ``token_logps(...)``: per-token log-probs (and entropies) of the completion tokens;
    - ``score_completions(inputs)``: generation + rewards + advantages, returns the batch dict; the
      gathered (all processes) rewards per function of that batch are in ``rewards_per_function``; reward
      functions get a ``truncated`` column (the reply ended at ``max_completion_length``, not at EOS);
    - ``policy_loss(model, inputs)``: the loss of one batch dict;
    - ``generate_turn(prompt_ids, images, multimodal_fields, num_generations, has_tool_images)``: one turn of
      generation, ``(completion token lists, logprobs or None)``; ``generation_model()`` is the context that
      yields the model to call ``generate`` on, as TRL's own generation does.

    Model-card metadata: set ``card_tags``, ``card_name``, ``card_paper`` (``{"title", "citation"}``).
    """

    card_tags: tuple[str, ...] = ()
    card_name = "GRPO"
    card_paper: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._tag_names = list(cls.card_tags)
        cls._name = cls.card_name
        cls._paper = dict(cls.card_paper)

    rewards_per_function = None

    @property
    def text_tokenizer(self):
        """The text tokenizer GRPOTrainer resolved from its processing class."""
        return self._tokenizer

    def logged_metrics(self, mode: str) -> dict:
        """The per-mode metric lists GRPOTrainer averages and logs at each logging step."""
        return self._metrics[mode]

    def prepare_batch(self, batch):
        """One training batch dict as the loss step sees it (generation and scoring included)."""
        return self._prepare_inputs(batch)

    # ---- extension points (defaults: TRL's behaviour) ---------------------------------------------
    def prompt_fields(self, fields: dict, n_rows: int) -> None:
        """Called with the processor outputs of every tokenized batch of ``n_rows`` prompts."""

    def token_logps(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None, compute_entropy=False,
                    compute_aux_loss=False, **kwargs):
        """(per-token log-probs, entropies or None, auxiliary loss or None) of the last ``logits_to_keep`` tokens."""
        return super()._get_per_token_logps_and_entropies(model, input_ids, attention_mask, logits_to_keep, batch_size,
                                                          compute_entropy, compute_aux_loss, **kwargs)

    def score_completions(self, inputs: list[dict]) -> dict:
        """Generate K completions per prompt, score them, and return the batch dict for the loss."""
        return super()._generate_and_score_completions(inputs)

    def policy_loss(self, model, inputs: dict):
        """The loss of one batch dict (TRL's: per-token clipped surrogate with ``inputs[ADVANTAGES]``)."""
        return super()._compute_loss(model, inputs)

    def generate_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        """One generation turn for every row: (completion token lists, per-token logprobs or None)."""
        return super()._generate_single_turn(prompt_ids, images, multimodal_fields, num_generations, has_tool_images)

    def generation_model(self):
        """Context manager yielding the model to call ``generate`` on (TRL's unwrapping, generation kwargs applied)."""
        return unwrap_model_for_generation(self.model_wrapped, self.accelerator,
                                           gather_deepspeed3_params=self.args.ds3_gather_for_generation,
                                           generation_kwargs=self.generation_kwargs,
                                           gradient_checkpointing_kwargs=self.args.gradient_checkpointing_kwargs)

    # ---- TRL 1.16's private hooks, routed to the extension points ---------------------------------
    def _tokenize_prompts(self, prompts: list):
        prompt_ids, images, fields = super()._tokenize_prompts(prompts)
        self.prompt_fields(fields, len(prompt_ids))
        return prompt_ids, images, fields

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None,
                                           compute_entropy=False, compute_aux_loss=False, **kwargs):
        return self.token_logps(model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy,
                                compute_aux_loss, **kwargs)

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        # reward functions get ``truncated``: the reply ended at max_completion_length, not at EOS (TRL's own test
        # for its ``completions/clipped_ratio``), so what it would have answered is unknown
        eos_and_pad = {*self.eos_token_ids, self._tokenizer.pad_token_id}
        inputs = [{**x, "truncated": not ids or ids[-1] not in eos_and_pad} for x, ids in zip(inputs, completion_ids_list)]
        self.rewards_per_function = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self.rewards_per_function

    def _generate_and_score_completions(self, inputs):
        return self.score_completions(inputs)

    def _compute_loss(self, model, inputs):
        return self.policy_loss(model, inputs)

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        return self.generate_turn(prompt_ids, images, multimodal_fields, num_generations, has_tool_images)


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


__all__ = ["ADVANTAGES", "COMPLETION_MASK", "GRPOHooks", "SUPPORTED_TRL", "TOOL_MASK", "check_trl",
           "create_model_from_path", "loss_mask", "training_a_quantised_base"]
