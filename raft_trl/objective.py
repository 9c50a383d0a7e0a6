"""RAFT's per-candidate weights, computed from the K rewards of each prompt group.

``advantages = rro_weight * A + align_weight * K * [unique best-of-K row]`` with the centred softmax
weights ``A_i = K softmax(r / T)_i - 1`` (default; a group sums to 0 and a tied group gives no update)
or the paper-literal ``A_i = K softmax(r / T)_i`` (positive, sums to K: every group is pulled toward
its own samples). With TRL's 'grpo' loss and one iteration, the loss on these advantages is exactly
``-rro_weight * J_RRO + align_weight * L_align`` with ``J_RRO = (1/K) sum_i stopgrad(A_i) log pi(y_i|x)``
(length-normalised weighted NLL, the mean over a prompt's K candidates), averaged over prompts, plus TRL's KL term when ``beta > 0``.
"""

from __future__ import annotations

import math

import torch


WEIGHTINGS = ("centred", "literal")


def softmax_weights(rewards: torch.Tensor, k: int, temperature: float, weighting: str = "centred") -> torch.Tensor:
    """``n softmax(r / T)_i`` (``literal``) or ``n softmax(r / T)_i - 1`` (``centred``) within each group of ``k``
    consecutive rewards, n = the group's scorable rows.

    NaN rewards (every reward function returned None) get weight 0 and the others of their group
    still sum to n (centred: 0); a group with no reward at all gets weights 0. Subtracting the
    group max (for stability) leaves the softmax unchanged.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    grouped = rewards.view(-1, k).float()
    valid = ~torch.isnan(grouped)
    logits = torch.where(valid, grouped / temperature, torch.full_like(grouped, -math.inf))
    top = logits.max(dim=1, keepdim=True).values
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    expd = torch.exp(logits - top) * valid
    denom = expd.sum(dim=1, keepdim=True)
    n = valid.sum(dim=1, keepdim=True).float()
    weights = torch.where(denom > 0, n * expd / denom.clamp(min=1e-30), torch.zeros_like(expd))
    if weighting == "centred":
        weights = (weights - 1.0) * valid
    return weights.view(-1)


def best_of_k(rewards: torch.Tensor, k: int) -> torch.Tensor:
    """1.0 on the highest-reward row of each group when that row is the only one with the top reward;
    0 elsewhere, in tied groups and in all-NaN groups (a tie has no best candidate to imitate)."""
    grouped = rewards.view(-1, k)
    filled = torch.nan_to_num(grouped, nan=-math.inf)
    top = filled.max(dim=1, keepdim=True).values
    unique = ((filled == top).sum(dim=1) == 1) & torch.isfinite(top.squeeze(1))
    best = torch.zeros_like(grouped, dtype=torch.float32)
    best[unique, filled[unique].argmax(dim=1)] = 1.0
    return best.view(-1)


def combined_rewards(per_func: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted sum over reward functions per row; NaN where every function returned None."""
    rewards = (per_func * weights.to(per_func.device).unsqueeze(0)).nansum(dim=1)
    rewards[torch.isnan(per_func).all(dim=1)] = torch.nan
    return rewards


def weight_stats(literal: torch.Tensor, k: int) -> dict[str, float] | None:
    """Mean entropy and mean largest share of the softmax shares (``literal`` weights normalised per group)
    over groups that have any (None if none)."""
    grouped = literal.view(-1, k)
    total = grouped.sum(dim=1)
    valid = total > 0
    if not valid.any():
        return None
    g = grouped[valid] / total[valid].unsqueeze(1)
    entropy = -(g * torch.log(g.clamp(min=1e-30))).sum(dim=1)
    return {"weight_entropy": entropy.mean().item(), "weight_max": g.max(dim=1).values.mean().item()}
