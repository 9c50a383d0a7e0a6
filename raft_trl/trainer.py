"""RAFTTrainer: GRPOTrainer with RAFT's objective. Only the overrides live here; they are the public
extension points of ``trl_compat.GRPOHooks``, never TRL's private methods.

- RRO: the advantages TRL would use are replaced by ``rro_weight * (K * softmax(r / T) - 1)`` per
  prompt group (centred; ``rro_weighting="literal"`` drops the -1; ``objective.py``), computed on the
  rewards gathered from every process before the rows are shuffled and split.
- L_align on the best-of-K candidate is folded into the same advantages (``+ align_weight * K`` on
  the best row, when one row alone has the best reward); on a reference trace it is an extra forward
  in ``policy_loss``.
- ``beta > 0`` keeps TRL's KL term against the reference model; ``collapse_entropy_floor > 0`` adds
  ``CollapseStop``, which ends a run whose policy has collapsed.
- L_temp reads the decoder's last hidden states with a forward hook during the loss forward
  (TRL's fused LM head returns no hidden states).
- Audio and video features of the prompts are carried into every log-prob forward (``media_forward.py``); text
  prompts run once for their K samples (``shared_grpo.SharedPrefillGRPOTrainer``, the base).
"""

from __future__ import annotations

import functools
import json
import textwrap
from pathlib import Path

import torch

from raft_trl.collapse import CollapseStop
from raft_trl.config import RAFTConfig
from raft_trl.master_weights import MasterWeights
from raft_trl.media_forward import MEDIA_KEYS, audio_placeholder_as_image_token, media_logps, media_rows
from raft_trl.objective import best_of_k, combined_rewards, softmax_weights, weight_stats
from raft_trl.shared_grpo import SharedPrefillGRPOTrainer
from raft_trl.sra import Selection, freeze_all_but, select_theta_cross, total_params
from raft_trl.temporal_coherence import batch_row_windows, temporal_loss
from raft_trl.trl_compat import (ADVANTAGES, COMPLETION_MASK, TOOL_MASK, create_model_from_path, loss_mask,
                                 training_a_quantised_base)


def _last_hidden(output) -> torch.Tensor:
    if isinstance(output, torch.Tensor):
        return output
    hidden = getattr(output, "last_hidden_state", None)
    return hidden if hidden is not None else output[0]


class RAFTTrainer(SharedPrefillGRPOTrainer):
    """Reasoning-Acting-Feedback Training (RAFT, AMUSE) on TRL's GRPOTrainer; see the module docstring.

    Extra argument ``sra_selection``: a theta_cross chosen beforehand (e.g. by
    ``raft_trl.sra.load_4bit_with_sra``); otherwise it is picked from ``args`` when ``args.sra`` is on
    and no ``peft_config`` (the LoRA baseline) is given.
    """

    card_tags = ("trl", "raft", "amuse", "sra")
    card_name = "RAFT"
    card_paper = {
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
        if kwargs.get("environment_factory") is not None:  # agentic rollouts: run the calls amuse-agent runs
            from raft_trl.environment import read_calls_like_the_agent

            tok = kwargs.get("processing_class")
            read_calls_like_the_agent(getattr(tok, "tokenizer", tok))
        # TRL casts trainable weights of a quantised model to bf16 (a QLoRA convention); theta_cross keeps its dtype.
        dtypes = {n: p.dtype for n, p in model.named_parameters() if p.requires_grad}
        with training_a_quantised_base(model, self.sra_selection), audio_placeholder_as_image_token(model):
            super().__init__(model=model, reward_funcs=reward_funcs, args=args, peft_config=peft_config, **kwargs)
        if self.sra_selection is not None:
            for n, p in self.model.named_parameters():
                if n in dtypes and p.dtype != dtypes[n]:
                    p.data = p.data.to(dtypes[n])
        if args.collapse_entropy_floor > 0:
            self.add_callback(CollapseStop(args.collapse_entropy_floor, args.collapse_patience))
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
        # state of one step: media of the prompts in flight, hidden states of the loss forward, its log-probs
        self.active_media: dict[str, list[torch.Tensor]] | None = None
        self.captured_hidden: list[torch.Tensor] | None = None
        self.last_logps: torch.Tensor | None = None
        self.master_weights: MasterWeights | None = None
        text_model = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        text_model.get_decoder().register_forward_hook(self.capture_hidden)
        tok = self.text_tokenizer
        self.audio_token_id = self.special_id(("<|AUDIO|>", "<|audio_pad|>"))
        self.video_token_id = self.special_id(("<|VIDEO|>", "<|video_pad|>"))
        self.spatial_merge = getattr(getattr(model.config, "vision_config", None), "spatial_merge_size", 2)
        piece = functools.lru_cache(maxsize=None)(lambda i: tok.decode([i]))  # L_temp reads every row's pieces
        self.decode_pieces = lambda ids: [piece(i) for i in ids]

    def special_id(self, names: tuple[str, ...]) -> int | None:
        vocab = self.text_tokenizer.get_vocab()
        return next((self.text_tokenizer.convert_tokens_to_ids(n) for n in names if n in vocab), None)

    def capture_hidden(self, module, args, output):
        """Decoder forward hook: keeps the last hidden states while L_temp needs them."""
        if self.captured_hidden is not None:
            self.captured_hidden.append(_last_hidden(output))

    # ---- media carried into the loss forward ---------------------------------------------------
    def prompt_fields(self, fields: dict, n_rows: int) -> None:
        self.active_media = media_rows(fields, n_rows) or None

    # ---- log-probs: media carried in; otherwise the shared prefill (SharedPrefillGRPOTrainer) or TRL's path ----
    def token_logps(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None, compute_entropy=False,
                    compute_aux_loss=False, **kwargs):
        if self.active_media:
            logps, ent, aux = media_logps(model, self.active_media, input_ids, attention_mask, logits_to_keep,
                                          batch_size, compute_entropy, self.temperature, self.accelerator.autocast)
        else:
            logps, ent, aux = super().token_logps(model, input_ids, attention_mask, logits_to_keep, batch_size,
                                                  compute_entropy, compute_aux_loss, **kwargs)
        self.last_logps = logps.detach()
        return logps, ent, aux

    # ---- the RAFT weights, on gathered rewards --------------------------------------------------
    def score_completions(self, inputs):
        try:
            output = super().score_completions(inputs)
            media = self.active_media
        finally:
            self.active_media = None
        mode = "train" if self.model.training else "eval"
        k = self.num_generations if mode == "train" else self.num_generations_eval
        args: RAFTConfig = self.args
        rewards = combined_rewards(self.rewards_per_function, self.reward_weights)
        weights = softmax_weights(rewards, k, args.reward_temperature, args.rro_weighting)
        literal = weights if args.rro_weighting == "literal" else softmax_weights(rewards, k, args.reward_temperature,
                                                                                   "literal")
        best = best_of_k(rewards, k)

        n_local = len(inputs)
        first = self.accelerator.process_index * n_local
        local = slice(first, first + n_local)
        refs = [self.reference_ids(x) for x in inputs]
        has_ref = torch.tensor([r is not None for r in refs], device=rewards.device)
        group_has_ref = self.accelerator.gather(has_ref).view(-1, k).any(dim=1).repeat_interleave(k)
        use_ref = group_has_ref if args.align_target == "reference" else torch.zeros_like(group_has_ref)
        best_align = best * (~use_ref).float()
        advantages = args.rro_weight * weights + args.align_weight * k * best_align
        output[ADVANTAGES] = advantages[local].to(output[ADVANTAGES].dtype)
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
        if getattr(self, "environments", None):
            self.write_traces(output)
        metrics = self.logged_metrics(mode)
        for name, value in (weight_stats(literal, k) or {}).items():
            metrics[f"raft/{name}"].append(value)
        metrics["raft/trainable_fraction"].append(self.trainable_fraction)
        return output

    def write_traces(self, output: dict) -> None:
        """Agentic rollouts: one line per rollout in ``output_dir/rollout_traces[.rankN].jsonl`` with the calls that
        ran (``amuse-agent``'s call records), the model's own text (tool results masked out) and its answer."""
        from amuse_tasks.metrics.answer_span import agentic_answer

        own = output[COMPLETION_MASK] * output[TOOL_MASK] if TOOL_MASK in output else output[COMPLETION_MASK]
        rank = self.accelerator.process_index
        path = Path(self.args.output_dir) / f"rollout_traces{f'.rank{rank}' if rank else ''}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            for env, ids, keep in zip(self.environments, output["completion_ids"], own):
                text = self.text_tokenizer.decode(ids[keep.bool()], skip_special_tokens=True)
                calls = [{k: c.get(k) for k in ("name", "arguments", "ok", "error", "summary", "seconds")} for c in env.calls]
                f.write(json.dumps({"step": self.state.global_step, "record_id": env.record_id, "calls": calls,
                                    "text": text, "answer": agentic_answer(text)}, default=str) + "\n")

    def reference_ids(self, example: dict) -> list[int] | None:
        ref = example.get("reference_trace")
        if not isinstance(ref, str) or not ref.strip():
            return None
        return self.text_tokenizer(ref, add_special_tokens=False)["input_ids"] + [self.eos_token_ids[0]]

    # ---- the loss -------------------------------------------------------------------------------
    def policy_loss(self, model, inputs):
        args: RAFTConfig = self.args
        mode = "train" if self.model.training else "eval"
        self.active_media = {k: inputs[k] for k in MEDIA_KEYS if k in inputs} or None
        self.captured_hidden = [] if args.temporal_weight > 0 else None
        try:
            loss = super().policy_loss(model, inputs)
            hidden = self.captured_hidden[-1] if self.captured_hidden else None
        finally:
            self.captured_hidden = None
        mask = loss_mask(inputs)
        seq_logp = (self.last_logps * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)
        accumulate = self.current_gradient_accumulation_steps if mode == "train" else 1.0
        n_rows = seq_logp.size(0)
        k = self.num_generations if mode == "train" else self.num_generations_eval
        # TRL's "grpo" loss has the weighted NLL's gradient but the value -mean(A) (+ beta * KL; the ratio
        # is exp(0) = 1 at one iteration): shift the constant part to the objective's value so the logged
        # `loss` means something
        advantages = inputs[ADVANTAGES].to(seq_logp.dtype)
        objective = (advantages * -seq_logp).mean() / accumulate
        constant = -(advantages * (mask.sum(-1) > 0)).mean() / accumulate  # TRL counts an empty completion as 0
        loss = loss + (objective - constant).detach()
        metrics = self.logged_metrics(mode)
        metrics["raft/nll"].append(self.accelerator.gather(-seq_logp).mean().item())
        metrics["raft/loss_rro"].append(self.accelerator.gather(-(inputs["rro_weights"] * seq_logp)).mean().item())
        align = -(inputs["best_align"] * k * seq_logp)

        ref_rows = (inputs["ref_scale"] > 0).nonzero(as_tuple=True)[0]
        if args.align_weight > 0 and len(ref_rows) > 0:
            ref_nll = self.reference_nll(model, inputs, ref_rows)
            ref_term = inputs["ref_scale"][ref_rows] * ref_nll
            loss = loss + args.align_weight * ref_term.sum() / n_rows / accumulate
            align = align.index_add(0, ref_rows, ref_term.detach())
        metrics["raft/loss_align"].append(self.accelerator.gather(align).mean().item())

        if args.temporal_weight > 0:
            if hidden is None:
                raise RuntimeError("RAFT: the decoder hook captured no hidden states in the loss forward")
            rows = self.temporal_rows(inputs, hidden.size(1))
            l_temp, n_aligned = temporal_loss(hidden, rows, args.temporal_text_weight, args.temporal_derivative)
            loss = loss + args.temporal_weight * l_temp / accumulate
            metrics["raft/loss_temporal"].append(self.accelerator.gather(l_temp.detach().reshape(1)).mean().item())
            metrics["raft/temporal_rows"].append(
                self.accelerator.gather(torch.tensor([float(n_aligned)], device=l_temp.device)).sum().item())
        self.active_media = None
        return loss

    def reference_nll(self, model, inputs, rows: torch.Tensor) -> torch.Tensor:
        """Length-normalised -log pi(reference | prompt) for the given rows."""
        refs = [inputs["ref_ids"][i] for i in rows.tolist()]
        device = inputs["prompt_ids"].device
        width = max(len(r) for r in refs)
        ref_ids = torch.full((len(refs), width), self.text_tokenizer.pad_token_id, dtype=torch.long, device=device)
        ref_mask = torch.zeros((len(refs), width), dtype=torch.long, device=device)
        for i, r in enumerate(refs):
            ref_ids[i, : len(r)] = r.to(device)
            ref_mask[i, : len(r)] = 1
        input_ids = torch.cat([inputs["prompt_ids"][rows], ref_ids], dim=1)
        attention = torch.cat([inputs["prompt_mask"][rows], ref_mask], dim=1)
        full_media = self.active_media
        if full_media:
            self.active_media = {k: [v[i] for i in rows.tolist()] for k, v in full_media.items()}
        try:
            logps, _, _ = self.token_logps(model, input_ids, attention, width)
        finally:
            self.active_media = full_media
        return -(logps * ref_mask).sum(-1) / ref_mask.sum(-1).clamp(min=1)

    def temporal_rows(self, inputs, seq_len: int):
        """Time windows of each row's tokens, in the coordinates of the (left-padded prompt + completion) batch."""
        args: RAFTConfig = self.args
        return batch_row_windows(
            inputs["prompt_ids"], inputs["prompt_mask"], inputs["completion_ids"], inputs[COMPLETION_MASK], seq_len,
            self.decode_pieces, args.temporal_window, audio_token_id=self.audio_token_id,
            audio_seconds=args.temporal_audio_token_seconds, video_token_id=self.video_token_id,
            video_grid_thw=inputs.get("video_grid_thw"), video_second_per_grid=inputs.get("video_second_per_grid"),
            merge=self.spatial_merge)

    # ---- optimisation -------------------------------------------------------------------------
    def create_optimizer(self, *args, **kwargs):
        """TRL's optimizer, stepping fp32 masters of every bf16/fp16 trainable weight (``master_weights.py``):
        theta_cross trains in fp32 whatever the base dtype (DeepSpeed and FSDP keep their own masters)."""
        optimizer = super().create_optimizer(*args, **kwargs)
        fresh = self.master_weights is None or self.master_weights.optimizer is not optimizer
        if fresh and not (self.is_deepspeed_enabled or self.is_fsdp_enabled):
            self.master_weights = MasterWeights(optimizer)
        return optimizer

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
