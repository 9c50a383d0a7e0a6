"""TRL's GRPOTrainer with one prefill per prompt (``shared_prefill.py``): its advantages and its loss unchanged.

The base ``RAFTTrainer`` builds on, and the GRPO arm of ``bench/raft_learning``, so RAFT and GRPO are compared at
the same cost per step. Exact: the same completions for the same sampling draws, the same loss and gradient
(``tests/raft/test_raft_shared_prefill.py``). ``args.shared_prefill`` (a ``RAFTConfig`` field; on when a plain
``GRPOConfig`` lacks it) switches it off.
"""

from __future__ import annotations

from raft_trl.shared_prefill import cut_at_eos, shared_generate, shared_logps, worth_sharing
from raft_trl.trl_compat import GRPOHooks


class SharedPrefillGRPOTrainer(GRPOHooks):
    """``GRPOTrainer`` whose rows that share a prompt run it once, in generation and in the loss forward. Text-only
    prompts with plain transformers generation in one process; every other case takes TRL's own path."""

    # a subclass that reads the decoder's hidden states in the loss forward sets a list here (RAFT's L_temp)
    captured_hidden: list | None = None

    def sharing(self) -> bool:
        """Whether prompts may be shared: on (``shared_prefill``), plain transformers generation, no sharded model."""
        return (getattr(self.args, "shared_prefill", True) and not self.use_vllm
                and not self.use_transformers_continuous_batching and not (self.is_deepspeed_enabled or self.is_fsdp_enabled))

    def generate_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        if (not self.sharing() or images or multimodal_fields or has_tool_images
                or len({tuple(p) for p in prompt_ids}) == len(prompt_ids)):
            return super().generate_turn(prompt_ids, images, multimodal_fields, num_generations, has_tool_images)
        with self.generation_model() as model:
            completions = shared_generate(model, prompt_ids, self.text_tokenizer.pad_token_id, self.generation_config)
        return cut_at_eos(completions, self.eos_token_ids), None

    def token_logps(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None, compute_entropy=False,
                    compute_aux_loss=False, **kwargs):
        # DDP pairs each forward with one backward: the two forwards of a shared prefill run in one process only
        share = (all(v is None for v in kwargs.values()) and not compute_aux_loss and self.sharing()
                 and self.accelerator.num_processes == 1 and not self.args.gradient_checkpointing
                 and worth_sharing(input_ids[:, :-logits_to_keep]))
        if not share:
            return super().token_logps(model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy,
                                       compute_aux_loss, **kwargs)
        logps, ent = shared_logps(model, input_ids, attention_mask, logits_to_keep, compute_entropy, self.temperature,
                                  self.accelerator.autocast, self.captured_hidden)
        return logps, ent, None
