"""Selective Reasoning Adaptation: selection, freezing, 4-bit, and the model card."""

from __future__ import annotations

import json

import pytest
import torch
from raft_fixtures import make_qwen2, prompt_dataset, raft_args, text_reward

from raft_trl import RAFTTrainer
from raft_trl.sra import disable_avx512bf16_4bit, load_4bit_with_sra, select_theta_cross


def _snapshot(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def test_budget_selection_fills_top_layer_attention_first(tiny_tokenizer):
    model = make_qwen2(tiny_tokenizer, layers=3)
    sel = select_theta_cross(model, budget=0.05)
    assert sel.modules[0] == "model.layers.2.self_attn.q_proj"
    assert all(".self_attn." in m for m in sel.modules)
    assert 0 < sel.trainable <= 0.05 * sel.total
    assert sel.total == sum(p.numel() for p in model.parameters())
    with pytest.raises(ValueError, match="fits no projector"):
        select_theta_cross(model, budget=1e-6)
    explicit = select_theta_cross(model, targets=[r"layers\.0\.mlp\.down_proj$"])
    assert explicit.modules == ["model.layers.0.mlp.down_proj"]


def test_training_changes_only_theta_cross(tmp_path, tiny_tokenizer, capsys):
    model = make_qwen2(tiny_tokenizer)
    args = raft_args(tmp_path, learning_rate=1e-2, max_steps=3, temporal_weight=1.0, align_weight=0.5,
                     max_completion_length=12)
    trainer = RAFTTrainer(model, [text_reward], args, train_dataset=prompt_dataset(2, reference=True),
                          processing_class=tiny_tokenizer, dataset_name="unit-test prompts")
    selected = set(trainer.sra_selection.parameters)
    assert "SRA theta_cross" in capsys.readouterr().out
    saved = json.loads((tmp_path / "out" / "sra_selection.json").read_text())
    assert set(saved["parameters"]) == selected and saved["fraction"] == pytest.approx(trainer.trainable_fraction)
    before = _snapshot(trainer.model)
    trainer.train()
    after = _snapshot(trainer.model)
    for name in before:
        if name in selected:
            if name.endswith("k_proj.bias"):  # softmax is shift-invariant: its gradient is ~0 by construction
                continue
            assert not torch.equal(before[name], after[name]), f"selected {name} did not change"
        else:
            assert torch.equal(before[name], after[name]), f"frozen {name} changed"
    logged = {k for entry in trainer.state.log_history for k in entry}
    assert {"raft/nll", "raft/loss_rro", "raft/loss_align", "raft/loss_temporal", "raft/weight_entropy",
            "raft/weight_max", "raft/trainable_fraction"} <= logged

    trainer.create_model_card()
    card = (tmp_path / "out" / "README.md").read_text()
    for needle in ("Reasoning-Acting-Feedback Training", "Reward rAnked", "unit-test prompts",
                   f"{trainer.trainable_parameters:,} of {trainer.total_parameters:,}",
                   "model.layers.1.self_attn.q_proj", "| text_reward | 1.0 |", "| K (`num_generations`) | 4 |",
                   "| T (`reward_temperature`), weighting (`rro_weighting`) | 0.5, centred |", "| alpha (`temporal_weight`) | 1.0 |",
                   "| gamma (`temporal_text_weight`) | 1.0 |", "| lambda (`align_weight`), target | 0.5, reference |",
                   "| base model |"):
        assert needle in card, needle


def test_4bit_generate_then_train_updates_theta_cross(tmp_path, tiny_tokenizer):
    pytest.importorskip("bitsandbytes")
    import bitsandbytes as bnb
    from transformers import Qwen2ForCausalLM

    src = tmp_path / "tiny"
    make_qwen2(tiny_tokenizer, layers=2).save_pretrained(src)
    model, selection = load_4bit_with_sra(str(src), Qwen2ForCausalLM, budget=0.1, targets=None, include_norms=False)
    quantised = {n for n, m in model.named_modules() if isinstance(m, bnb.nn.Linear4bit)}
    assert quantised and not quantised & set(selection.modules)
    assert disable_avx512bf16_4bit(model) == len(quantised)
    packed = {n: m.weight.detach().clone() for n, m in model.named_modules() if n in quantised}
    args = raft_args(tmp_path, learning_rate=1e-2, max_steps=2, temporal_weight=0.0)
    trainer = RAFTTrainer(model, [text_reward], args, train_dataset=prompt_dataset(2),
                          processing_class=tiny_tokenizer, sra_selection=selection)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert set(before) == set(selection.parameters)
    assert all(p.dtype == torch.float32 for n, p in trainer.model.named_parameters() if n in before)
    trainer.train()  # each step generates with the 4-bit model, then trains it
    modules = dict(trainer.model.named_modules())
    for n, p in trainer.model.named_parameters():
        if n in before and not n.endswith("k_proj.bias"):
            assert not torch.equal(before[n], p.detach()), n
    for n, w in packed.items():
        assert torch.equal(w, modules[n].weight.detach()), n


@pytest.mark.parametrize("base", ["bf16", "4bit"])
def test_low_precision_theta_cross_trains_in_fp32_at_1e5(base, tmp_path, tiny_tokenizer):
    """An AdamW step of 1e-5 is below half a bf16 ulp for most weights: theta_cross trains through fp32
    masters (forward and backward in bf16), so every selected weight moves, the frozen ones not at all."""
    from transformers import Qwen2ForCausalLM

    src = tmp_path / "tiny"
    make_qwen2(tiny_tokenizer, layers=2).save_pretrained(src)
    if base == "4bit":
        pytest.importorskip("bitsandbytes")
        model, selection = load_4bit_with_sra(str(src), Qwen2ForCausalLM, budget=0.1, targets=None,
                                              include_norms=False, compute_dtype=torch.bfloat16, dtype=torch.bfloat16)
    else:
        model, selection = Qwen2ForCausalLM.from_pretrained(src, dtype=torch.bfloat16), None
    frozen = {n: t.detach().clone() for n, t in model.state_dict().items()}
    args = raft_args(tmp_path, learning_rate=1e-5, max_steps=1, temporal_weight=0.0)
    trainer = RAFTTrainer(model, [text_reward], args, train_dataset=prompt_dataset(2),
                          processing_class=tiny_tokenizer, sra_selection=selection)
    selected = {n: p for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert selected and all(p.dtype == torch.bfloat16 for p in selected.values())  # the forward's dtype
    trainer.train()
    masters = {n: trainer.master_weights.master_of(p) for n, p in selected.items()}
    for n, master in masters.items():
        assert master.dtype == torch.float32, n
        if not n.endswith("k_proj.bias"):  # softmax is invariant to it: zero gradient
            assert not torch.equal(master.detach(), frozen[n].float()), f"{n} did not move"
        assert torch.equal(selected[n].detach(), master.detach().to(torch.bfloat16)), n  # the model holds it, rounded
    after = trainer.model.state_dict()
    for n, t in frozen.items():
        if n not in selected:
            assert torch.equal(after[n], t), f"frozen {n} changed"
