"""One prefill per prompt: the same loss, gradient and greedy generations as running every row in full."""

from __future__ import annotations

import pytest
import torch
from raft_fixtures import make_qwen2, prompt_dataset, raft_args, text_reward

from raft_trl import RAFTTrainer, SharedPrefillGRPOTrainer


def _trainer(kind: str, tmp_path, tokenizer, temporal_weight: float):
    """RAFT (its objective, L_temp on or off), or plain GRPO (TRL's advantages and loss) with the shared prefill."""
    model = make_qwen2(tokenizer)
    args = raft_args(tmp_path, temporal_weight=temporal_weight, per_device_train_batch_size=8, max_completion_length=10,
                     generation_kwargs={"sequence_bias": [[[tokenizer.eos_token_id], 3.0]]})  # ragged lengths
    if kind == "raft":
        return RAFTTrainer(model, [text_reward], args, train_dataset=prompt_dataset(2), processing_class=tokenizer)
    from trl import GRPOConfig

    config = GRPOConfig(**{k: getattr(args, k) for k in ("output_dir", "use_cpu", "num_generations", "seed",
                                                          "per_device_train_batch_size", "max_completion_length",
                                                          "max_steps", "report_to", "gradient_checkpointing",
                                                          "generation_kwargs", "bf16")})  # fp32, as RAFT on a CPU
    return SharedPrefillGRPOTrainer(model, [text_reward], config, train_dataset=prompt_dataset(2),
                                    processing_class=tokenizer)


@pytest.mark.parametrize("kind, temporal_weight", [("raft", 0.0), ("raft", 0.5), ("grpo", 0.0)])
def test_shared_prompt_loss_and_gradient_equal_the_unshared_path(tmp_path, tiny_tokenizer, kind, temporal_weight):
    trainer = _trainer(kind, tmp_path, tiny_tokenizer, temporal_weight)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    inputs = trainer.prepare_batch(next(iter(trainer.get_train_dataloader())))
    assert len(torch.unique(inputs["prompt_ids"], dim=0)) == 2  # 8 rows, 2 prompts: each runs once when shared

    def loss_and_grads(shared: bool):
        trainer.args.shared_prefill = shared
        trainer.model.zero_grad()
        loss = trainer.compute_loss(trainer.model, inputs)
        loss.backward()
        return loss.detach(), {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.requires_grad}

    calls = []
    hook = trainer.model.register_forward_hook(lambda m, a, kw, out: calls.append(kw["input_ids"].shape), with_kwargs=True)
    shared_loss, shared_grads = loss_and_grads(True)
    assert calls[0][0] == 2 and calls[1] == inputs["completion_ids"].shape  # 2 prompt rows, then the completions
    calls.clear()
    full_loss, full_grads = loss_and_grads(False)
    hook.remove()
    assert calls[0][0] == 8  # every row in full
    assert torch.allclose(shared_loss, full_loss, atol=1e-6, rtol=0)
    for n, g in full_grads.items():
        assert torch.allclose(shared_grads[n], g, atol=1e-6, rtol=1e-5), n


def test_shared_prefill_generates_what_full_generation_does(tiny_tokenizer):
    from transformers import GenerationConfig

    from raft_trl.shared_prefill import shared_generate

    model = make_qwen2(tiny_tokenizer).eval()
    short = tiny_tokenizer.encode("VOICE_1: hello there", add_special_tokens=False)
    long = tiny_tokenizer.encode("[0.0-2.5] VOICE_1: hello there. [2.5-4.0] VOICE_2: who is next?",
                                 add_special_tokens=False)
    prompts = [short, short, long, long, long]
    config = GenerationConfig(max_new_tokens=6, do_sample=False, pad_token_id=tiny_tokenizer.pad_token_id)
    shared = shared_generate(model, prompts, tiny_tokenizer.pad_token_id, config)
    padded = tiny_tokenizer.pad({"input_ids": prompts}, padding_side="left", return_tensors="pt")
    full = model.generate(**padded, generation_config=config)[:, padded["input_ids"].size(1):]
    assert torch.equal(shared, full)
