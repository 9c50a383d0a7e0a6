"""Selective Reasoning Adaptation: pick theta_cross, freeze the rest, keep theta_cross out of 4-bit.

theta_cross = the modules that mix modalities: projectors/mergers between an encoder and the
language model, then the attention projections of decoder layers, taken from the top layer
down until the parameter budget is spent. Freezing goes through ``requires_grad`` only (the
optimizer never sees theta_base), so frozen weights stay bit-identical.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn


# Modules that connect an encoder to the language model, across the model families we target
# (Qwen2-Audio, Qwen2-VL/2.5-VL, Qwen2.5-Omni thinker, LLaVA, SmolVLM/Idefics3).
PROJECTOR_PATTERNS = (
    r"multi_modal_projector$", r"(^|\.)visual\.merger$", r"(^|\.)audio_tower\.proj$", r"(^|\.)mm_projector$",
    r"(^|\.)connector$", r"(^|\.)audio_projector$",
)
ATTENTION_LEAVES = ("q_proj", "k_proj", "v_proj", "o_proj")
NORM_LEAVES = ("input_layernorm", "post_attention_layernorm")
# decoder layers of the language model, not of an audio/vision encoder
_DECODER_LAYER = re.compile(r"^(?!.*(audio_tower|visual|vision_tower|vision_model)\.)(.*\.)?layers\.(\d+)\.(.+)$")


@dataclass
class Selection:
    """theta_cross: module names, their parameter counts and the trainable fraction."""

    modules: list[str]
    parameters: dict[str, int]
    trainable: int
    total: int
    budget: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return self.trainable / self.total if self.total else 0.0

    def summary(self) -> str:
        head = (f"SRA theta_cross: {len(self.modules)} modules, {self.trainable:,} of {self.total:,} parameters "
                f"({100 * self.fraction:.4f} %)")
        if self.budget is not None:
            head += f", budget {100 * self.budget:.3f} %"
        return "\n".join([head, *("  " + m for m in self.modules), *self.notes])

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**asdict(self), "fraction": self.fraction}, indent=2) + "\n", encoding="utf-8")
        return path


def param_count(p: torch.Tensor) -> int:
    """Logical element count, also for packed 4-bit weights."""
    qs = getattr(p, "quant_state", None)
    return int(qs.shape.numel()) if qs is not None else p.numel()


def total_params(model: nn.Module) -> int:
    return sum(param_count(p) for p in model.parameters())


def _own_params(module: nn.Module) -> int:
    return sum(param_count(p) for p in module.parameters())


def _units(model: nn.Module, include_norms: bool) -> tuple[list[str], list[tuple[int, str]]]:
    """Projector modules, and (layer index, module name) of decoder attention projections (and norms)."""
    projectors, layer_units = [], []
    leaves = ATTENTION_LEAVES + (NORM_LEAVES if include_norms else ())
    for name, _ in model.named_modules():
        if any(re.search(p, name) for p in PROJECTOR_PATTERNS):
            projectors.append(name)
            continue
        m = _DECODER_LAYER.match(name)
        if m and name.rsplit(".", 1)[-1] in leaves:
            layer_units.append((int(m.group(3)), name))
    return projectors, layer_units


def select_theta_cross(model: nn.Module, budget: float = 0.005, targets: list[str] | None = None,
                       include_norms: bool = False) -> Selection:
    """Choose theta_cross by module patterns and a parameter budget (or by explicit ``targets``)."""
    modules = dict(model.named_modules())
    total = total_params(model)
    notes: list[str] = []
    if targets:
        chosen = [n for n in modules if n and any(re.search(t, n) for t in targets)]
        # a module inside an already chosen one adds nothing
        chosen = [n for n in chosen if not any(n.startswith(c + ".") for c in chosen if c != n)]
        if not chosen:
            raise ValueError(f"sra_targets {targets} match no module of {type(model).__name__}")
        trainable = sum(_own_params(modules[n]) for n in chosen)
        if trainable > budget * total:
            notes.append(f"note: sra_targets hold {100 * trainable / total:.3f} % of the parameters, over the "
                         f"{100 * budget:.3f} % budget")
    else:
        projectors, layer_units = _units(model, include_norms)
        limit = budget * total
        chosen, trainable = [], 0
        for name in projectors + [n for _, n in sorted(layer_units, key=lambda u: -u[0])]:
            size = _own_params(modules[name])
            if trainable + size <= limit:
                chosen.append(name)
                trainable += size
        if not chosen:
            sizes = [_own_params(modules[n]) for n in projectors + [n for _, n in layer_units]]
            need = min(sizes) / total if sizes else float("nan")
            raise ValueError(f"sra_budget {budget} fits no projector or attention projection of "
                             f"{type(model).__name__} (the smallest needs {need:.5f}); raise it or set sra_targets")
        skipped = [n for n in projectors if n not in chosen]
        if skipped:
            notes.append(f"note: projectors over the budget, not trained: {', '.join(skipped)}")
    params = {f"{m}.{pn}": param_count(p) for m in chosen for pn, p in modules[m].named_parameters()}
    return Selection(modules=chosen, parameters=params, trainable=trainable, total=total,
                     budget=budget, notes=notes)


def freeze_all_but(model: nn.Module, selection: Selection) -> None:
    """requires_grad=True exactly on theta_cross; raise if a selected weight cannot train (e.g. quantised)."""
    selected = set(selection.parameters)
    for name, p in model.named_parameters():
        train = name in selected
        if train and not p.is_floating_point():
            raise ValueError(f"SRA: selected parameter {name} is {p.dtype} (quantised?) and cannot be trained; "
                             "keep theta_cross out of quantisation (see raft_trl.sra.bnb_config)")
        p.requires_grad_(train)
    missing = selected - {n for n, _ in model.named_parameters()}
    if missing:
        raise ValueError(f"SRA: selected parameters not in the model: {sorted(missing)[:5]}")


def bnb_config(selection: Selection, compute_dtype: torch.dtype = torch.float32, extra_skip: tuple[str, ...] = ("lm_head",)):
    """NF4 with double quantisation; theta_cross (and the LM head) stay out of quantisation."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute_dtype,
        llm_int8_skip_modules=[re.escape(m) for m in selection.modules] + list(extra_skip),
    )


def disable_avx512bf16_4bit(model: nn.Module) -> int:
    """CPU workaround (bitsandbytes 0.50.2): generate() then backward on a 4-bit model fails on CPUs with
    AVX512-BF16 ("a view of a leaf Variable ... in-place"); the plain 4-bit path avoids it."""
    import bitsandbytes as bnb

    n = 0
    for m in model.modules():
        if isinstance(m, bnb.nn.Linear4bit):
            m.support_avx512bf16_for_cpu = False
            n += 1
    return n


def load_4bit_with_sra(model_id: str, model_class, *, budget: float, targets: list[str] | None,
                       include_norms: bool, compute_dtype: torch.dtype = torch.float32, **init_kwargs):
    """Pick theta_cross on an empty (meta) copy, then load NF4 with theta_cross kept in full precision."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(
        model_id, **{k: v for k, v in init_kwargs.items() if k in ("revision", "trust_remote_code", "gguf_file")})
    with torch.device("meta"):
        skeleton = model_class.from_config(config) if hasattr(model_class, "from_config") else model_class(config)
    selection = select_theta_cross(skeleton, budget, targets, include_norms)
    del skeleton
    model = model_class.from_pretrained(model_id, quantization_config=bnb_config(selection, compute_dtype), **init_kwargs)
    if not torch.cuda.is_available():
        disable_avx512bf16_4bit(model)
    return model, selection
