"""RRO weights and the gradient of a RAFT step, against hand computation."""

from __future__ import annotations

import math

import pytest
import torch
from raft_fixtures import make_qwen2, prompt_dataset, raft_args, text_reward

from raft_trl import RAFTConfig, RAFTTrainer, best_of_k, softmax_weights


def test_softmax_weights_match_hand_computation_centred_and_literal():
    nan = float("nan")
    r = torch.tensor([0.0, math.log(2), math.log(3),   # exp -> 1, 2, 3 -> softmax 1/6, 2/6, 3/6 at T = 1
                      nan, 5.0, 5.0,                    # unscorable row: weight 0, the rest share the group
                      nan, nan, nan])                   # nothing scorable: all 0
    literal = softmax_weights(r, k=3, temperature=1.0, weighting="literal")
    assert torch.allclose(literal, torch.tensor([0.5, 1.0, 1.5, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]), atol=1e-6)
    centred = softmax_weights(r, k=3, temperature=1.0)  # the default: n * softmax - 1
    assert torch.allclose(centred, torch.tensor([-0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), atol=1e-6)
    assert torch.allclose(centred.view(-1, 3).sum(1), torch.zeros(3), atol=1e-6)
    # a tied group gives no update (centred), the literal form pulls every row up by 1
    tied = torch.tensor([0.7, 0.7, 0.7, 0.7])
    assert torch.equal(softmax_weights(tied, 4, 0.5), torch.zeros(4))
    assert torch.allclose(softmax_weights(tied, 4, 0.5, "literal"), torch.ones(4))
    # the temperature divides the rewards
    e = torch.exp(torch.tensor([1.0, 2.0]) / 0.5)
    assert torch.allclose(softmax_weights(torch.tensor([1.0, 2.0]), 2, 0.5, "literal"), 2 * e / e.sum())
    # large T: uniform (centred: 0); T -> 0: best-of-K (Reward rAnked FineTuning)
    assert torch.allclose(softmax_weights(torch.tensor([1.0, 9.0, 3.0]), 3, 1e6), torch.zeros(3), atol=1e-4)
    assert torch.allclose(softmax_weights(torch.tensor([1.0, 9.0, 3.0]), 3, 1e-4), torch.tensor([-1.0, 2.0, -1.0]))
    with pytest.raises(ValueError, match="weighting"):
        softmax_weights(tied, 4, 0.5, "uncentred")


def test_best_of_k_only_for_a_unique_best():
    nan = float("nan")
    got = best_of_k(torch.tensor([1.0, 9.0, 2.0, 9.0, 9.0, 1.0, nan, nan, nan, nan, 3.0, 1.0]), 3)
    assert got.tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]


def test_config_rejects_settings_that_change_the_objective(tmp_path):
    for bad in ({"loss_type": "dapo"}, {"beta": -0.1}, {"num_iterations": 2}, {"reward_temperature": -1.0},
                {"reward_temperature": 0.0}, {"rro_weighting": "uncentred"},
                {"align_target": "best"}, {"sra_budget": 0.0}, {"steps_per_generation": 4},
                {"generation_batch_size": 16, "per_device_train_batch_size": 4}, {"top_entropy_quantile": 0.5},
                {"importance_sampling_level": "sequence"}):
        with pytest.raises(ValueError, match="RAFTConfig"):
            RAFTConfig(output_dir=str(tmp_path), use_cpu=True, **bad)


def _explicit_loss(model, inputs, tokenizer, k, temperature, rro, lam, weighting):
    """-rro * J_RRO + lam * NLL(unique best), written out: plain logits, hand softmax per prompt group."""
    ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
    att = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
    c = inputs["completion_ids"].size(1)
    logits = model(input_ids=ids, attention_mask=att).logits[:, -c - 1:-1]
    logp = torch.log_softmax(logits.float(), -1).gather(-1, inputs["completion_ids"].unsqueeze(-1)).squeeze(-1)
    mask = inputs["completion_mask"].float()
    seq = (logp * mask).sum(1) / mask.sum(1)
    texts = tokenizer.batch_decode([r[m.bool()] for r, m in zip(inputs["completion_ids"], inputs["completion_mask"])],
                                   skip_special_tokens=True)
    rewards = torch.tensor(text_reward(texts))
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(inputs["prompt_ids"].tolist()):
        groups.setdefault(tuple(row), []).append(i)
    assert all(len(g) == k for g in groups.values())
    total = 0.0
    for rows in groups.values():
        w = k * torch.softmax(rewards[rows] / temperature, 0) - (1.0 if weighting == "centred" else 0.0)
        total = total - rro * (w * seq[rows]).sum() / k
        if (rewards[rows] == rewards[rows].max()).sum() == 1:
            total = total + lam * (-seq[rows][int(torch.argmax(rewards[rows]))])
    return total / len(groups)


@pytest.mark.parametrize("temperature,rro,lam,ragged,weighting", [(1.0, 1.0, 0.0, False, "centred"),
                                                                   (0.3, 0.7, 0.5, False, "literal"),
                                                                   (0.5, 1.0, 0.3, True, "centred")])
def test_step_gradient_equals_explicit_weighted_nll(tmp_path, tiny_tokenizer, temperature, rro, lam, ragged, weighting):
    """The loss is ``lambda * L_align - beta_J * J_RRO`` per prompt with ``J_RRO = (1/K) sum_i A_i log pi``,
    the formula docs/raft.md and RAFTConfig state (``_explicit_loss`` writes it out). ragged: EOS is made
    likely at every step, so completions have different lengths and the per-sequence length normalisation
    (not a per-token mean over the batch) is what is checked."""
    from pathlib import Path

    formula = "J_RRO = (1/K) sum_i stopgrad(A_i) log pi(y_i|x)"
    assert formula in (Path(__file__).resolve().parents[2] / "docs" / "raft.md").read_text()
    assert formula in " ".join(RAFTConfig.__doc__.split())
    model = make_qwen2(tiny_tokenizer)
    stop = {"sequence_bias": [[[tiny_tokenizer.eos_token_id], 3.0]]} if ragged else None
    args = raft_args(tmp_path, reward_temperature=temperature, rro_weighting=weighting, rro_weight=rro,
                     align_weight=lam, align_target="best_of_k",
                     temporal_weight=0.0, max_completion_length=10, per_device_train_batch_size=8,
                     generation_kwargs=stop)
    trainer = RAFTTrainer(model, [text_reward], args, train_dataset=prompt_dataset(2), processing_class=tiny_tokenizer)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    batch = next(iter(trainer.get_train_dataloader()))
    inputs = trainer.prepare_batch(batch)
    lengths = inputs["completion_mask"].sum(1)
    assert not ragged or len(set(lengths.tolist())) > 1, lengths
    loss = trainer.compute_loss(trainer.model, inputs)
    loss.backward()
    got = {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    trainer.model.zero_grad()
    explicit = _explicit_loss(trainer.model, inputs, tiny_tokenizer, 4, temperature, rro, lam, weighting)
    explicit.backward()
    # the value is the objective's too (TRL's own loss value would be the constant -mean(advantages))
    assert loss.item() == pytest.approx(explicit.item(), rel=1e-4, abs=1e-5)
    assert got
    for n, p in trainer.model.named_parameters():
        if p.requires_grad:
            assert torch.allclose(got[n], p.grad, atol=1e-6, rtol=1e-4), n
    # the weights the step used sum to 0 per group (centred) or to K (literal)
    groups: dict[tuple, float] = {}
    for row, w in zip(inputs["prompt_ids"].tolist(), inputs["rro_weights"].tolist()):  # rows are shuffled
        groups[tuple(row)] = groups.get(tuple(row), 0.0) + w
    sums = torch.tensor(list(groups.values()))
    assert len(groups) == 2 and torch.allclose(sums, torch.full_like(sums, 0.0 if weighting == "centred" else 4.0), atol=1e-5)


def test_temporal_term_uses_hidden_states_of_the_loss_forward(tmp_path, tiny_tokenizer):
    from raft_trl.temporal_coherence import temporal_loss

    model = make_qwen2(tiny_tokenizer)
    args = raft_args(tmp_path, temporal_weight=0.5, temporal_text_weight=2.0, align_weight=0.0)
    trainer = RAFTTrainer(model, [text_reward], args, train_dataset=prompt_dataset(1), processing_class=tiny_tokenizer)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    inputs = trainer.prepare_batch(next(iter(trainer.get_train_dataloader())))
    cite = tiny_tokenizer("VOICE_1 at 0.5-2.0\nVOICE_2 at 3.0-4.0", add_special_tokens=False)["input_ids"]
    inputs["completion_ids"] = torch.tensor([cite] * 4)
    inputs["completion_mask"] = torch.ones_like(inputs["completion_ids"])
    rows = trainer.temporal_rows(inputs, inputs["prompt_ids"].size(1) + len(cite))
    assert all(r.cue.keys() & r.response.keys() == {0, 1} for r in rows)
    with torch.no_grad():
        with_temp = trainer.compute_loss(trainer.model, inputs)
        trainer.args.temporal_weight = 0.0
        without = trainer.compute_loss(trainer.model, inputs)
        ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
        att = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
        hidden = trainer.model(input_ids=ids, attention_mask=att, output_hidden_states=True).hidden_states[-1]
    expected, n = temporal_loss(hidden, rows, gamma=2.0)
    assert n == 4 and expected > 0
    assert (with_temp - without).item() == pytest.approx(0.5 * expected.item(), rel=1e-4)
    logged = trainer.logged_metrics("train")["raft/temporal_rows"]
    assert logged[0] == 4


def test_an_unsupported_trl_is_refused_with_the_fix(monkeypatch):
    from raft_trl import trl_compat

    monkeypatch.setattr(trl_compat, "version", lambda name: "1.17.0")
    with pytest.raises(ImportError, match=r"supports TRL 1\.16\.x, found 1\.17\.0: pip install 'trl>=1\.16,<1\.17'"):
        trl_compat.check_trl()


def test_temporal_term_cannot_be_lowered_by_copying_the_cues_or_collapsing():
    from raft_trl.temporal_coherence import RowWindows, row_windows, temporal_loss

    prompt = ["[0.0-1.5] VOICE_1: hello there\n", "[2.0-3.5] VOICE_2: who is it\n", "[4.0-5.5] VOICE_1: the courier\n"]
    honest = ["VOICE_2 asks at 2.0-3.5\n"]
    pasted = honest + ["[0.0-1.5] VOICE_1: hello there\n", "[4.0-5.5] VOICE_1 said: the courier\n"]

    def windows(response):
        pieces = prompt + response
        return row_windows(list(range(len(pieces))), len(prompt), lambda ids: pieces[: len(ids)], 2.0)

    assert windows(honest).response == {1: [3]} and windows(pasted).response == {1: [3]}  # copies cite nothing
    torch.manual_seed(0)
    hidden = torch.randn(1, len(pasted) + len(prompt), 16)
    loss_honest, _ = temporal_loss(hidden[:, : len(prompt) + 1], [windows(honest)], gamma=1.0)
    loss_pasted, _ = temporal_loss(hidden, [windows(pasted)], gamma=1.0)
    assert loss_pasted.item() == pytest.approx(loss_honest.item())
    # collapsed states are the chance level log(n windows), not the minimum
    rw = RowWindows(cue={0: [0], 1: [1], 2: [2]}, response={1: [3]})
    collapsed, _ = temporal_loss(torch.ones(1, 4, 16), [rw], gamma=1.0)
    assert collapsed.item() == pytest.approx(math.log(3))
    aligned = torch.eye(4, 16).unsqueeze(0).clone()
    aligned[0, 3] = aligned[0, 1]  # the response state of window 1 is the cue state of window 1
    assert temporal_loss(aligned, [rw], gamma=1.0)[0].item() < 0.01
    # the cue side is a target: no gradient reaches it
    h = aligned.clone().requires_grad_(True)
    temporal_loss(h + 0.1 * torch.randn_like(h), [rw], gamma=1.0)[0].backward()
    assert h.grad[0, :3].abs().sum() == 0 and h.grad[0, 3].abs().sum() > 0


@pytest.mark.parametrize("weighting,changes", [("centred", False), ("literal", True)])
def test_tied_groups_give_no_update_unless_literal(tmp_path, tiny_tokenizer, weighting, changes):
    """Every candidate gets the same reward: centred weights are 0 and theta_cross stays bit-identical;
    the literal weights still pull the model toward its own samples."""
    model = make_qwen2(tiny_tokenizer)
    args = raft_args(tmp_path, rro_weighting=weighting, align_weight=0.5, align_target="best_of_k",
                     temporal_weight=0.0, max_steps=1)
    trainer = RAFTTrainer(model, [lambda completions, **kw: [0.5] * len(completions)], args,
                          train_dataset=prompt_dataset(1), processing_class=tiny_tokenizer)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    trainer.train()
    after = dict(trainer.model.named_parameters())
    changed = [n for n in before if not torch.equal(before[n], after[n].detach())]
    assert bool(changed) == changes, changed


def test_kl_to_the_reference_model_is_allowed(tmp_path, tiny_model_dir, tiny_tokenizer):
    args = raft_args(tmp_path, beta=0.1, temporal_weight=0.0, max_steps=1)
    trainer = RAFTTrainer(str(tiny_model_dir), [text_reward], args, train_dataset=prompt_dataset(1),
                          processing_class=tiny_tokenizer)
    assert trainer.ref_model is not None
    trainer.train()
    assert any("kl" in entry for entry in trainer.state.log_history)
