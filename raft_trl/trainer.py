"""RAFTTrainer: GRPOTrainer with RAFT's objective. Only the overrides live here.

- RRO: the advantages TRL would use are replaced by ``rro_weight * K * softmax(tau * r)`` per prompt
  group, computed on the rewards gathered from every process before the rows are shuffled and
  split. With TRL's 'grpo' loss, beta=0 and one iteration, the loss is then exactly
  ``-rro_weight * J_RRO`` (length-normalised weighted NLL), averaged over prompts.
- L_align on the best-of-K candidate is folded into the same advantages (``+ align_weight * K`` on
  the best row); on a reference trace it is an extra forward in ``_compute_loss``.
- L_temp reads the decoder's last hidden states with a forward hook during the loss forward
  (TRL's fused LM head returns no hidden states).
- Audio and video features of the prompts are carried into every log-prob forward (TRL 1.16
  passes them to generation only, so the audio tower would never train).
"""

from __future__ import annotations

import math
import textwrap
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn
from trl import GRPOTrainer

from raft_trl.config import RAFTConfig
from raft_trl.sra import Selection, freeze_all_but, select_theta_cross, total_params
from raft_trl.temporal import row_windows, temporal_loss
from raft_trl.trl_compat import create_model_from_path, metrics_of, tokenizer_of, training_a_quantised_base


# Processor outputs that hold audio/video features, per prompt row.
MEDIA_KEYS = ("input_features", "feature_attention_mask", "pixel_values_videos", "video_grid_thw",
              "video_second_per_grid")


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


def _last_hidden(output) -> torch.Tensor:
    if isinstance(output, torch.Tensor):
        return output
    hidden = getattr(output, "last_hidden_state", None)
    return hidden if hidden is not None else output[0]


@contextmanager
def _audio_placeholder_as_image_token(model: nn.Module):
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


class RAFTTrainer(GRPOTrainer):
    """Reasoning-Acting-Feedback Training (RAFT, AMUSE) on TRL's GRPOTrainer; see the module docstring.

    Extra argument ``sra_selection``: a theta_cross chosen beforehand (e.g. by
    ``raft_trl.sra.load_4bit_with_sra``); otherwise it is picked from ``args`` when ``args.sra`` is on
    and no ``peft_config`` (the LoRA baseline) is given.
    """

    _tag_names = ["trl", "raft", "amuse", "sra"]
    _name = "RAFT"
    _paper = {
        "title": "RAFT: Reasoning-Acting-Feedback Training (AMUSE multi-speaker audio-visual benchmark)",
        "citation": textwrap.dedent("""\
            @misc{amuse_raft,
                title  = {{AMUSE: multi-speaker audio-visual understanding, and RAFT: Reasoning-Acting-Feedback Training}},
                note   = {RAFT as implemented in raft_trl (amuse-av); not Reward rAnked FineTuning},
            }"""),
    }

    def __init__(self, model, reward_funcs=None, args: RAFTConfig | None = None, *, peft_config=None,
                 sra_selection: Selection | None = None, dataset_name: str | None = None,
                 label_use: list[str] | None = None, **kwargs):
        if args is None:
            args = RAFTConfig("raft-output")
        if not isinstance(args, RAFTConfig):
            raise TypeError(f"RAFTTrainer needs a RAFTConfig, got {type(args).__name__}")
        if isinstance(model, str):
            model = create_model_from_path(model, **dict(args.model_init_kwargs or {}))
        self.base_model_id = getattr(model.config, "_name_or_path", None) or type(model).__name__
        self.dataset_name = dataset_name
        self.label_use = label_use or ["not recorded (trainer built outside raft_trl.train)"]
        self.sra_selection = None
        if peft_config is None and args.sra:
            self.sra_selection = sra_selection or select_theta_cross(
                model, args.sra_budget, args.sra_targets, args.sra_include_norms)
            freeze_all_but(model, self.sra_selection)
        # TRL casts trainable weights of a quantised model to bf16 (a QLoRA convention); theta_cross keeps its dtype.
        dtypes = {n: p.dtype for n, p in model.named_parameters() if p.requires_grad}
        with training_a_quantised_base(model, self.sra_selection), _audio_placeholder_as_image_token(model):
            super().__init__(model=model, reward_funcs=reward_funcs, args=args, peft_config=peft_config, **kwargs)
        if self.sra_selection is not None:
            for n, p in self.model.named_parameters():
                if n in dtypes and p.dtype != dtypes[n]:
                    p.data = p.data.to(dtypes[n])
        self.trainable_parameters = sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        self.total_parameters = total_params(self.model)
        self.trainable_fraction = self.trainable_parameters / max(self.total_parameters, 1)
        if self.accelerator.is_main_process:
            if self.sra_selection is not None:
                print(self.sra_selection.summary())
                self.sra_selection.save(Path(args.output_dir) / "sra_selection.json")
            else:
                print(f"RAFT: {self.trainable_parameters:,} of {self.total_parameters:,} parameters trainable "
                      f"({100 * self.trainable_fraction:.4f} %){' (LoRA baseline)' if peft_config else ''}")
        self._active_media: dict[str, list[torch.Tensor]] | None = None
        self._hidden: list[torch.Tensor] | None = None
        self._last_logps: torch.Tensor | None = None
        self._gathered_rewards: torch.Tensor | None = None
        text_model = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        self._decoder = text_model.get_decoder()
        self._decoder.register_forward_hook(self._capture_hidden)
        tok = tokenizer_of(self)
        self._audio_token_id = self._special_id(("<|AUDIO|>", "<|audio_pad|>"))
        self._video_token_id = self._special_id(("<|VIDEO|>", "<|video_pad|>"))
        self._merge = getattr(getattr(model.config, "vision_config", None), "spatial_merge_size", 2)
        self._decode_pieces = lambda ids: tok.batch_decode([[i] for i in ids])

    def _special_id(self, names: tuple[str, ...]) -> int | None:
        for name in names:
            if name in tokenizer_of(self).get_vocab():
                return tokenizer_of(self).convert_tokens_to_ids(name)
        return None

    # ---- hidden states for L_temp ---------------------------------------------------------------
    def _capture_hidden(self, module, args, output):
        if self._hidden is not None:
            self._hidden.append(_last_hidden(output))

    # ---- media carried into the loss forward ---------------------------------------------------
    def _tokenize_prompts(self, prompts: list):
        prompt_ids, images, fields = super()._tokenize_prompts(prompts)
        self._active_media = self._media_rows(fields, len(prompt_ids)) or None
        return prompt_ids, images, fields

    @staticmethod
    def _media_rows(fields: dict, n_rows: int) -> dict[str, list[torch.Tensor]]:
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

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None,
                                           compute_entropy=False, compute_aux_loss=False, **kwargs):
        if not self._active_media:
            logps, ent, aux = super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy, compute_aux_loss,
                **kwargs)
        else:
            logps, ent, aux = self._media_logps(model, input_ids, attention_mask, logits_to_keep, batch_size,
                                                compute_entropy)
        self._last_logps = logps.detach()
        return logps, ent, aux

    def _media_logps(self, model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy):
        """Per-token log-probs with the prompts' audio/video features in the forward (plain logits path)."""
        media = self._active_media
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
            with self.accelerator.autocast():
                out = model(input_ids=ids, attention_mask=attention_mask[start:end], logits_to_keep=logits_to_keep + 1,
                            use_cache=False, **extra)
            # some multimodal classes ignore logits_to_keep: slice explicitly
            logits = out.logits[:, -(logits_to_keep + 1):-1].float() / self.temperature
            logprobs = torch.log_softmax(logits, dim=-1)
            target = ids[:, -logits_to_keep:]
            all_logps.append(logprobs.gather(-1, target.unsqueeze(-1)).squeeze(-1))
            if compute_entropy:
                all_ent.append(-(logprobs.exp() * logprobs).sum(-1).detach())
        return torch.cat(all_logps), (torch.cat(all_ent) if compute_entropy else None), None

    # ---- the RAFT weights, on gathered rewards --------------------------------------------------
    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._gathered_rewards = rewards_per_func
        return rewards_per_func

    def _generate_and_score_completions(self, inputs):
        try:
            output = super()._generate_and_score_completions(inputs)
            media = self._active_media
        finally:
            self._active_media = None
        mode = "train" if self.model.training else "eval"
        k = self.num_generations if mode == "train" else self.num_generations_eval
        args: RAFTConfig = self.args
        per_func = self._gathered_rewards
        rewards = (per_func * self.reward_weights.to(per_func.device).unsqueeze(0)).nansum(dim=1)
        rewards[torch.isnan(per_func).all(dim=1)] = torch.nan
        weights = softmax_weights(rewards, k, args.reward_temperature)
        best = best_of_k(rewards, k)

        n_local = len(inputs)
        first = self.accelerator.process_index * n_local
        local = slice(first, first + n_local)
        refs = [self._reference_ids(x) for x in inputs]
        has_ref = torch.tensor([r is not None for r in refs], device=rewards.device)
        group_has_ref = self.accelerator.gather(has_ref).view(-1, k).any(dim=1).repeat_interleave(k)
        use_ref = group_has_ref if args.align_target == "reference" else torch.zeros_like(group_has_ref)
        best_align = best * (~use_ref).float()
        advantages = args.rro_weight * weights + args.align_weight * k * best_align
        output["advantages"] = advantages[local].to(output["advantages"].dtype)
        output["rro_weights"] = weights[local]
        output["best_align"] = best_align[local]
        # reference traces: the first row of a group carries the group's L_align with weight K
        is_first = (torch.arange(first, first + n_local, device=rewards.device) % k) == 0
        ref_scale = (is_first & use_ref[local]).float() * k
        output["ref_scale"] = ref_scale
        output["ref_ids"] = [torch.tensor(r if (r is not None and s > 0) else [], dtype=torch.long)
                             for r, s in zip(refs, ref_scale.tolist())]
        if media:
            output.update(media)

        grouped = (weights / k).view(-1, k)
        valid = grouped.sum(dim=1) > 0
        if valid.any():
            g = grouped[valid]
            entropy = -(g * torch.log(g.clamp(min=1e-30))).sum(dim=1)
            metrics_of(self, mode)["raft/weight_entropy"].append(entropy.mean().item())
            metrics_of(self, mode)["raft/weight_max"].append(g.max(dim=1).values.mean().item())
        metrics_of(self, mode)["raft/trainable_fraction"].append(self.trainable_fraction)
        return output

    def _reference_ids(self, example: dict) -> list[int] | None:
        ref = example.get("reference_trace")
        if not isinstance(ref, str) or not ref.strip():
            return None
        return tokenizer_of(self)(ref, add_special_tokens=False)["input_ids"] + [self.eos_token_ids[0]]

    # ---- the loss -------------------------------------------------------------------------------
    def _compute_loss(self, model, inputs):
        args: RAFTConfig = self.args
        mode = "train" if self.model.training else "eval"
        self._active_media = {k: inputs[k] for k in MEDIA_KEYS if k in inputs} or None
        self._hidden = [] if args.temporal_weight > 0 else None
        try:
            loss = super()._compute_loss(model, inputs)
            hidden = self._hidden[-1] if self._hidden else None
        finally:
            self._hidden = None
        logps = self._last_logps
        mask = inputs["completion_mask"] if "tool_mask" not in inputs else inputs["completion_mask"] * inputs["tool_mask"]
        seq_logp = (logps * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)
        accumulate = self.current_gradient_accumulation_steps if mode == "train" else 1.0
        n_rows = seq_logp.size(0)
        k = self.num_generations if mode == "train" else self.num_generations_eval
        # TRL's "grpo" loss has the weighted NLL's gradient but the constant value -mean(A) (the ratio is
        # exp(0) = 1 at one iteration): shift it to the objective's value so the logged `loss` means something
        objective = (inputs["advantages"].to(seq_logp.dtype) * -seq_logp).mean() / accumulate
        loss = loss + (objective - loss).detach()
        metrics = metrics_of(self, mode)
        metrics["raft/nll"].append(self.accelerator.gather(-seq_logp).mean().item())
        metrics["raft/loss_rro"].append(self.accelerator.gather(-(inputs["rro_weights"] * seq_logp)).mean().item())
        align = -(inputs["best_align"] * k * seq_logp)

        ref_rows = (inputs["ref_scale"] > 0).nonzero(as_tuple=True)[0]
        if args.align_weight > 0 and len(ref_rows) > 0:
            ref_nll = self._reference_nll(model, inputs, ref_rows)
            ref_term = inputs["ref_scale"][ref_rows] * ref_nll
            loss = loss + args.align_weight * ref_term.sum() / n_rows / accumulate
            align = align.index_add(0, ref_rows, ref_term.detach())
        metrics["raft/loss_align"].append(self.accelerator.gather(align).mean().item())

        if args.temporal_weight > 0:
            if hidden is None:
                raise RuntimeError("RAFT: the decoder hook captured no hidden states in the loss forward")
            rows = self._temporal_rows(inputs, hidden.size(1))
            l_temp, n_aligned = temporal_loss(hidden, rows, args.temporal_text_weight, args.temporal_derivative)
            loss = loss + args.temporal_weight * l_temp / accumulate
            metrics["raft/loss_temporal"].append(self.accelerator.gather(l_temp.detach().reshape(1)).mean().item())
            metrics["raft/temporal_rows"].append(
                self.accelerator.gather(torch.tensor([float(n_aligned)], device=l_temp.device)).sum().item())
        self._active_media = None
        return loss

    def _reference_nll(self, model, inputs, rows: torch.Tensor) -> torch.Tensor:
        """Length-normalised -log pi(reference | prompt) for the given rows."""
        refs = [inputs["ref_ids"][i] for i in rows.tolist()]
        device = inputs["prompt_ids"].device
        width = max(len(r) for r in refs)
        ref_ids = torch.full((len(refs), width), tokenizer_of(self).pad_token_id, dtype=torch.long, device=device)
        ref_mask = torch.zeros((len(refs), width), dtype=torch.long, device=device)
        for i, r in enumerate(refs):
            ref_ids[i, : len(r)] = r.to(device)
            ref_mask[i, : len(r)] = 1
        input_ids = torch.cat([inputs["prompt_ids"][rows], ref_ids], dim=1)
        attention = torch.cat([inputs["prompt_mask"][rows], ref_mask], dim=1)
        full_media = self._active_media
        if full_media:
            self._active_media = {k: [v[i] for i in rows.tolist()] for k, v in full_media.items()}
        try:
            logps, _, _ = self._get_per_token_logps_and_entropies(model, input_ids, attention, width)
        finally:
            self._active_media = full_media
        return -(logps * ref_mask).sum(-1) / ref_mask.sum(-1).clamp(min=1)

    def _temporal_rows(self, inputs, seq_len: int):
        """Time windows of each row's tokens, in the coordinates of the (left-padded prompt + completion) batch."""
        args: RAFTConfig = self.args
        rows = []
        grid = inputs.get("video_grid_thw")
        seconds = inputs.get("video_second_per_grid")
        for i in range(inputs["prompt_ids"].size(0)):
            pmask = inputs["prompt_mask"][i].bool()
            cmask = inputs["completion_mask"][i].bool()
            p_ids = inputs["prompt_ids"][i][pmask].tolist()
            c_ids = inputs["completion_ids"][i][cmask].tolist()
            per_group = per_seconds = None
            if grid is not None:
                t, h, w = grid[i].reshape(-1, 3)[0].tolist()
                per_group = (h * w) // (self._merge ** 2)
                per_seconds = float(seconds[i].reshape(-1)[0]) if seconds is not None else None
            rw = row_windows(p_ids + c_ids, len(p_ids), self._decode_pieces, args.temporal_window,
                             audio_token_id=self._audio_token_id, audio_seconds=args.temporal_audio_token_seconds,
                             video_token_id=self._video_token_id, video_tokens_per_group=per_group,
                             video_seconds_per_group=per_seconds)
            # map unpadded positions back to batch positions
            p_pos = pmask.nonzero(as_tuple=True)[0].tolist()
            c_pos = (cmask.nonzero(as_tuple=True)[0] + inputs["prompt_ids"].size(1)).tolist()
            pos = p_pos + c_pos
            for win in (rw.cue, rw.response, rw.audio, rw.video):
                for key in win:
                    win[key] = [pos[j] for j in win[key] if pos[j] < seq_len]
            rows.append(rw)
        return rows

    # ---- outputs --------------------------------------------------------------------------------
    def save_model(self, output_dir: str | None = None, _internal_call: bool = False):
        super().save_model(output_dir, _internal_call)
        if self.sra_selection is not None and self.args.should_save:
            self.sra_selection.save(Path(output_dir or self.args.output_dir) / "sra_selection.json")

    def create_model_card(self, model_name: str | None = None, dataset_name: str | None = None,
                          tags: str | list[str] | None = None):
        """A RAFT card: base model, theta_cross and fraction, reward weights, tau/alpha/gamma/lambda, K, data."""
        if not self.is_world_process_zero():
            return
        from raft_trl.card import render_card

        card = render_card(self, model_name=model_name or Path(self.args.output_dir).name,
                           dataset_name=dataset_name or self.dataset_name, tags=tags)
        Path(self.args.output_dir).mkdir(parents=True, exist_ok=True)
        card.save(str(Path(self.args.output_dir) / "README.md"))
