"""RAFT's per-candidate weights, computed from the K rewards of each prompt group.

``advantages = rro_weight * K * softmax(tau * r) + align_weight * K * [best-of-K row]``: with TRL's
'grpo' loss, beta=0 and one iteration, the loss on these advantages is exactly
``-rro_weight * J_RRO - align_weight * L_align`` (length-normalised weighted NLL), averaged over prompts.
"""

from __future__ import annotations

import math

import torch


def softmax_weights(rewards: torch.Tensor, k: int, tau: float) -> torch.Tensor:
    """``K * softmax(tau * (r - mean r))`` within each group of ``k`` consecutive rewards.

    NaN rewards (every reward function returned None) get weight 0 and the others of their group
    still sum to K; a group with no reward at all gets weights 0. Subtracting the group mean (or
    max, as done here for stability) leaves the softmax unchanged.
    """
    grouped = rewards.view(-1, k).float()
    valid = ~torch.isnan(grouped)
    logits = torch.where(valid, tau * grouped, torch.full_like(grouped, -math.inf))
    top = logits.max(dim=1, keepdim=True).values
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    expd = torch.exp(logits - top) * valid
    denom = expd.sum(dim=1, keepdim=True)
    weights = torch.where(denom > 0, k * expd / denom.clamp(min=1e-30), torch.zeros_like(expd))
    return weights.view(-1)


def best_of_k(rewards: torch.Tensor, k: int) -> torch.Tensor:
    """1.0 on the highest-reward row of each group (first on ties), 0 elsewhere and in all-NaN groups."""
    grouped = rewards.view(-1, k)
    filled = torch.nan_to_num(grouped, nan=-math.inf)
    best = torch.zeros_like(grouped, dtype=torch.float32)
    has = ~torch.isnan(grouped).all(dim=1)
    best[has, filled[has].argmax(dim=1)] = 1.0
    return best.view(-1)


def combined_rewards(per_func: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted sum over reward functions per row; NaN where every function returned None."""
    rewards = (per_func * weights.to(per_func.device).unsqueeze(0)).nansum(dim=1)
    rewards[torch.isnan(per_func).all(dim=1)] = torch.nan
    return rewards


def weight_stats(weights: torch.Tensor, k: int) -> dict[str, float] | None:
    """Mean entropy and mean largest share of the softmax weights over groups that have any (None if none)."""
    grouped = (weights / k).view(-1, k)
    valid = grouped.sum(dim=1) > 0
    if not valid.any():
        return None
    g = grouped[valid]
    entropy = -(g * torch.log(g.clamp(min=1e-30))).sum(dim=1)
    return {"weight_entropy": entropy.mean().item(), "weight_max": g.max(dim=1).values.mean().item()}
