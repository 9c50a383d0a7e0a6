"""Audio and video features of the prompts, carried into every log-prob forward.

TRL 1.16 passes a processor's audio/video outputs to generation only, so without this the audio
tower of an omni model would never see its input in the loss (and never train).
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

# Processor outputs that hold audio/video features, per prompt row.
MEDIA_KEYS = ("input_features", "feature_attention_mask", "pixel_values_videos", "video_grid_thw",
              "video_second_per_grid")


def media_rows(fields: dict, n_rows: int) -> dict[str, list[torch.Tensor]]:
    """Split processor media outputs into one tensor slice per prompt row."""
    rows: dict[str, list[torch.Tensor]] = {}
    grid = fields.get("video_grid_thw")
    for key in MEDIA_KEYS:
        value = fields.get(key)
        if value is None:
            continue
        value = torch.as_tensor(value)
        if key == "pixel_values_videos":
            if grid is None or len(grid) != n_rows:
                raise ValueError(f"RAFT supports one video per prompt; got {0 if grid is None else len(grid)} "
                                 f"videos for {n_rows} prompts")
            rows[key] = list(torch.split(value, torch.as_tensor(grid).prod(-1).tolist()))
        elif value.size(0) == n_rows:
            rows[key] = [value[i:i + 1] for i in range(n_rows)]
        else:
            raise ValueError(f"RAFT supports one audio/video per prompt: {key} has {value.size(0)} entries "
                             f"for {n_rows} prompts")
    return rows


def media_logps(model, media: dict[str, list[torch.Tensor]], input_ids, attention_mask, logits_to_keep: int,
                batch_size: int | None, compute_entropy: bool, temperature: float, autocast):
    """Per-token log-probs (and entropies) with the prompts' audio/video features in the forward (plain logits)."""
    n = input_ids.size(0)
    if any(len(v) != n for v in media.values()):
        raise RuntimeError(f"RAFT: media rows ({ {k: len(v) for k, v in media.items()} }) != batch rows ({n})")
    batch_size = batch_size or n
    device = input_ids.device
    all_logps, all_ent = [], []
    for start in range(0, n, batch_size):
        end = min(start + batch_size, n)
        ids = input_ids[start:end]
        extra = {k: torch.cat(v[start:end]).to(device) for k, v in media.items()}
        with autocast():
            out = model(input_ids=ids, attention_mask=attention_mask[start:end], logits_to_keep=logits_to_keep + 1,
                        use_cache=False, **extra)
        # some multimodal classes ignore logits_to_keep: slice explicitly
        logits = out.logits[:, -(logits_to_keep + 1):-1].float() / temperature
        logprobs = torch.log_softmax(logits, dim=-1)
        target = ids[:, -logits_to_keep:]
        all_logps.append(logprobs.gather(-1, target.unsqueeze(-1)).squeeze(-1))
        if compute_entropy:
            all_ent.append(-(logprobs.exp() * logprobs).sum(-1).detach())
    return torch.cat(all_logps), (torch.cat(all_ent) if compute_entropy else None), None


@contextmanager
def audio_placeholder_as_image_token(model: nn.Module):
    """TRL 1.16 reads ``config.image_token_id`` of every processor model (to stop generate() from sampling a
    placeholder). Audio-only models (Qwen2-Audio) have none: lend it the audio placeholder for the
    duration of ``__init__``, which is the token to suppress there."""
    config = model.config
    audio = getattr(config, "audio_token_id", None) or getattr(config, "audio_token_index", None)
    lend = audio is not None and not hasattr(config, "image_token_id")
    if lend:
        config.image_token_id = audio
    try:
        yield
    finally:
        if lend:
            del config.image_token_id
