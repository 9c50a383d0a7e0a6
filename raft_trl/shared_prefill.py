"""One prefill per prompt, shared by its K samples, in generation and in the loss forward.

TRL prefills each of a prompt's K copies separately when it generates, and its loss forward runs the
prompt K times again: with ~1,000-token guided prompts and short answers that is most of a step. Here the
rows of a batch that share a prompt (same tokens, same padding) run it once: its key/value cache is
computed once and indexed out to the rows, which then only run their completions. Causal attention makes
this exact: a prompt token's states depend on the prompt alone, and the completions attend to the same
keys and values, at the same positions, as in one full forward. In the loss forward the prompt runs with
gradients, so the gradient is that of the unshared path (``tests/raft/test_raft_shared_prefill.py``).

Text-only rows: with media in the prompt (audio/video features) the callers take the unshared path.
"""

from __future__ import annotations

import torch


def prompt_groups(prompts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(index of one row per distinct prompt, the distinct prompt of each row): rows ``r`` run
    ``prompts[first[of_row[r]]]``. Which row of a group stands for it does not matter: they are identical."""
    distinct, of_row = torch.unique(prompts, dim=0, return_inverse=True)
    first = torch.zeros(len(distinct), dtype=torch.long, device=prompts.device)
    first.scatter_(0, of_row, torch.arange(len(of_row), device=prompts.device))
    return first, of_row


def worth_sharing(prompts: torch.Tensor) -> bool:
    """True when fewer distinct prompts than rows (one prefill then serves several rows)."""
    return len(torch.unique(prompts, dim=0)) < prompts.size(0)


def _prefill(model, ids: torch.Tensor, mask: torch.Tensor, position_ids: torch.Tensor | None = None):
    """The prompts' cache and the logits of their last position only: the others are never read, and over a
    150k-token vocabulary (Qwen) they would cost more memory and time than the layers."""
    out = model(input_ids=ids, attention_mask=mask, position_ids=position_ids, use_cache=True, logits_to_keep=1)
    return out.logits, out.past_key_values


def shared_logps(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, logits_to_keep: int,
                 compute_entropy: bool, temperature: float, autocast, hidden: list | None = None):
    """Per-token log-probs (and entropies) of the last ``logits_to_keep`` tokens, each distinct prompt run once
    with gradients. ``hidden``: the decoder-hook list of the caller; its two entries of this forward (the
    prompts', the completions') are replaced by the full-sequence hidden states the unshared forward gives."""
    prompt, completion = input_ids[:, :-logits_to_keep], input_ids[:, -logits_to_keep:]
    first, of_row = prompt_groups(torch.cat([prompt, attention_mask[:, :-logits_to_keep]], dim=1))
    n_hidden = len(hidden) if hidden is not None else 0
    with autocast():
        prompt_logits, cache = _prefill(model, prompt[first], attention_mask[first, :-logits_to_keep])
        cache.batch_select_indices(of_row)
        out = model(input_ids=completion, attention_mask=attention_mask, past_key_values=cache, use_cache=True)
    # the prompt's last position predicts the first completion token; each completion position the next
    logits = torch.cat([prompt_logits[of_row, -1:], out.logits[:, :-1]], dim=1).float() / temperature
    logprobs = torch.log_softmax(logits, dim=-1)
    logps = logprobs.gather(-1, completion.unsqueeze(-1)).squeeze(-1)
    entropy = -(logprobs.exp() * logprobs).sum(-1).detach() if compute_entropy else None
    if hidden is not None and len(hidden) == n_hidden + 2:
        completion_hidden = hidden.pop()
        prompt_hidden = hidden.pop()
        hidden.append(torch.cat([prompt_hidden[of_row], completion_hidden], dim=1))
    return logps, entropy


@torch.no_grad()
def shared_generate(model, prompt_ids: list[list[int]], pad_token_id: int, generation_config) -> torch.Tensor:
    """``model.generate`` on left-padded ``prompt_ids`` with every distinct prompt prefilled once (all its tokens
    but the last) and its cache indexed out to its rows; returns the generated tokens after the prompts."""
    device = next(model.parameters()).device
    width = max(len(p) for p in prompt_ids)
    ids = torch.full((len(prompt_ids), width), pad_token_id, dtype=torch.long, device=device)
    mask = torch.zeros_like(ids)
    for i, p in enumerate(prompt_ids):
        ids[i, width - len(p):] = torch.tensor(p, device=device)
        mask[i, width - len(p):] = 1
    first, of_row = prompt_groups(torch.cat([ids, mask], dim=1))
    # positions as generate() computes them for left-padded rows
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    _, cache = _prefill(model, ids[first, :-1], mask[first, :-1], positions[first, :-1])
    cache.batch_select_indices(of_row)
    out = model.generate(input_ids=ids, attention_mask=mask, past_key_values=cache, generation_config=generation_config)
    return out[:, width:]


def cut_at_eos(completions: torch.Tensor, eos_token_ids: list[int]) -> list[list[int]]:
    """Each row's tokens up to and including its first EOS (all of them when it has none), as TRL keeps them."""
    is_eos = torch.isin(completions, torch.tensor(eos_token_ids, device=completions.device))
    out = []
    for row, eos in zip(completions.tolist(), is_eos.tolist()):
        end = eos.index(True) + 1 if True in eos else len(row)
        out.append(row[:end])
    return out
