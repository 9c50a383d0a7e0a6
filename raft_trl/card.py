"""The RAFT model card: what a reader needs to reproduce or compare a run."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData

CARD_TEMPLATE = Path(__file__).with_name("templates") / "model_card.md"


def render_card(trainer, model_name: str, dataset_name: str | None = None, tags=None) -> ModelCard:
    args = trainer.args
    base = trainer.base_model_id
    selection = trainer.sra_selection
    if selection is not None:
        adaptation = f"Selective Reasoning Adaptation (budget {args.sra_budget})"
        modules = selection.modules
    elif hasattr(trainer.model, "peft_config"):
        adaptation, modules = "LoRA (peft) baseline", []
    else:
        adaptation, modules = "full fine-tuning", []
    extra = [tags] if isinstance(tags, str) else list(tags or [])
    dataset = trainer.train_dataset
    modes = sorted(set(dataset["mode"])) if dataset is not None and "mode" in dataset.column_names else ["not recorded"]
    if getattr(trainer, "environment_factories", None):
        from raft_trl.environment import TOOLS

        rollouts = (f"multi-turn: every tool call the model wrote ran on the clip ({', '.join(TOOLS)}, "
                    "raft_trl.environment.AmuseToolEnv, the amuse-agent Toolbox); tool results masked out of the loss")
    else:
        rollouts = "single turn, no tool calls"
    data = ModelCardData(base_model=base if base and "/" in base else None, datasets=dataset_name,
                         library_name="transformers", model_name=model_name,
                         tags=sorted(set(trainer.card_tags) | set(extra)))
    return ModelCard.from_template(
        data, template_path=str(CARD_TEMPLATE), model_name=model_name, base_model=base,
        base_model_url=f"https://huggingface.co/{base}" if base and "/" in base else base,
        dataset_name=dataset_name, modes=", ".join(modes), rollouts=rollouts, label_use="; ".join(trainer.label_use), trainable=trainer.trainable_parameters, total=trainer.total_parameters,
        fraction_pct=100 * trainer.trainable_fraction, adaptation=adaptation, modules=modules,
        k=args.num_generations, tau=args.reward_temperature, weighting=args.rro_weighting, beta=args.beta,
        rro_weight=args.rro_weight,
        align_weight=args.align_weight, align_target=args.align_target, alpha=args.temporal_weight,
        gamma=args.temporal_text_weight, window=args.temporal_window, derivative=args.temporal_derivative,
        learning_rate=args.learning_rate, steps=trainer.state.global_step,
        rewards=list(zip(trainer.reward_func_names, trainer.reward_weights.tolist())),
        citation=trainer.card_paper["citation"], trl_version=version("trl"),
        transformers_version=version("transformers"), pytorch_version=version("torch"),
    )
