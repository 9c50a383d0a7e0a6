"""RAFT training script: ``accelerate launch -m raft_trl.train --config configs/raft/<model>.yaml``.

Every RAFTConfig / TrainingArguments field, TRL's ModelConfig fields (model, dtype, 4-bit, LoRA)
and the data fields below can be set in the YAML or on the command line. ``--use_peft`` runs the
LoRA baseline instead of SRA; ``--load_in_4bit`` loads the base in NF4 with theta_cross kept in
full precision; ``--resume_from_checkpoint last`` continues from the newest checkpoint in
``output_dir``; ``--push_to_hub`` uploads the model with its RAFT model card.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
import transformers
from transformers.trainer_utils import get_last_checkpoint
from trl import ModelConfig, TrlParser, get_peft_config

from amuse_tasks.cues import cue_source, labelled
from raft_trl.config import RAFTConfig
from raft_trl.data import TRAIN_MODES, build_rows, overlap_with, to_dataset
from raft_trl.rewards import DEFAULT_REWARDS, REWARDS, reward_functions
from raft_trl.sra import load_4bit_with_sra
from raft_trl.trainer import RAFTTrainer

log = logging.getLogger("raft_trl.train")


@dataclass
class DataArguments:
    """Where the AMUSE records come from and how they become prompts."""

    data_root: str | None = field(
        default=None, metadata={"help": "AMUSE dataset root (records.jsonl) to train on. Default: the AMUSE-Synth "
                                        "training set (the default recipe on another seed; built on first use), "
                                        "never the evaluation set."})
    eval_root: str | None = field(
        default=None, metadata={"help": "The evaluation dataset the training data must not overlap. Default: "
                                        "$AMUSE_DATA, else the embedded AMUSE-Synth evaluation set."})
    allow_eval_overlap: bool = field(
        default=False, metadata={"help": "Train even when the training set shares clips (ids or media files) "
                                         "with the evaluation set."})
    mode: str = field(default="guided", metadata={"help": "Prompt format.", "choices": list(TRAIN_MODES)})
    tasks: list[str] | None = field(default=None, metadata={"help": "Task ids to train on (default: all)."})
    cue_source: str | None = field(
        default=None, metadata={"help": "Cues for guided prompts and perceptual rewards, the tools of agentic rollouts: "
                                        "any spelling lm-eval's guided tasks take (amuse_tasks.cues.cue_source): a tool "
                                        "backend spec (offline, fast, offline;asr=...), record (the records' cues, else "
                                        "offline), none, oracle (the ground-truth tools). Default: $AMUSE_CUES, else offline. A "
                                        "source that reads labels needs --allow_label_cues."})
    allow_label_cues: bool = field(
        default=False, metadata={"help": "Train on cues that hold ground truth (oracle, any spec with an oracle part "
                                         "such as offline;lipsync=oracle, records whose own cues are ground truth): the rewards then read the labels; "
                                         "logged and stated in the model card."})
    rendering: str = field(default="full", metadata={
        "help": "Guided prompts' cue rendering: full (the lm-eval guided tasks' default) or compact (only the times "
                "the question names, a few hundred tokens; lm-eval: --metadata '{\"rendering\": \"compact\"}').",
        "choices": ["full", "compact"]})
    split: str | None = field(default=None, metadata={"help": "Keep records whose `split` field equals this."})
    limit: int | None = field(default=None, metadata={"help": "Use at most this many records."})
    audio: bool = field(default=False, metadata={"help": "zeroshot rows carry the window audio (omni models)."})
    rewards: list[str] = field(
        default_factory=lambda: list(DEFAULT_REWARDS),
        metadata={"help": f"Reward functions, in the order of `reward_weights` ({', '.join(REWARDS)}); "
                          "`accuracy` reads the labels and is opt-in."})
    model_class: str = field(
        default="AutoModelForCausalLM",
        metadata={"help": "transformers class that loads the model, e.g. "
                          "Qwen2_5OmniThinkerForConditionalGeneration for the Omni thinker."})
    gguf_file: str | None = field(default=None, metadata={"help": "GGUF file inside model_name_or_path."})
    dataset_name: str | None = field(default=None, metadata={"help": "Training data name for the model card."})


def _data_root(data: DataArguments) -> Path:
    if data.data_root:
        return Path(data.data_root)
    from amuse_tasks.default_set import training_root

    return training_root()


def _eval_root(data: DataArguments) -> Path:
    from amuse_tasks.default_set import data_root

    return data_root(data.eval_root)


def check_split(data: DataArguments, root: Path) -> None:
    """Refuse a training set that shares clips with the evaluation set, unless allowed (then warn)."""
    eval_root = _eval_root(data)
    if not (eval_root / "records.jsonl").is_file():
        log.warning("no evaluation set at %s: the train/eval overlap check was skipped", eval_root)
        return
    shared = overlap_with(root, eval_root)
    if not shared:
        return
    what = f"{len(shared)} overlap(s) between training data {root} and evaluation data {eval_root} ({', '.join(shared[:5])})"
    if not data.allow_eval_overlap:
        raise ValueError(f"{what}: train on a disjoint set, or pass --allow_eval_overlap to train anyway")
    log.warning("TRAINING ON EVALUATION CLIPS: %s", what)


def label_use(data: DataArguments, rows=None) -> list[str]:
    """What of the ground truth reaches the rewards (stated in the logs and the model card): the cue
    source's own ``reads_labels``, and, once built, any row whose cues came from the labels (a record's
    own cues may be oracle cues)."""
    out = []
    if cue_source(data.cue_source).reads_labels or (rows is not None and rows_read_labels(rows)):
        out.append("oracle cues (the perceptual rewards read the ground truth)")
    if "accuracy" in data.rewards:
        out.append("the accuracy reward (reads the answer labels)")
    return out


def rows_read_labels(rows) -> bool:
    """Whether any built row's cues hold ground truth (``record`` cues can be oracle cues)."""
    return any(labelled(json.loads(r["cues"])) for r in rows.rows)


def validate(data: DataArguments, args: RAFTConfig, model_args: ModelConfig) -> None:
    """Everything that can be checked before the expensive part (rows, cues, model): one ValueError that
    names each field at fault."""
    problems = []
    unknown = [n for n in data.rewards if n not in REWARDS]
    if unknown:
        problems.append(f"rewards: unknown {unknown} (one of {', '.join(REWARDS)})")
    if args.reward_weights is not None and len(args.reward_weights) != len(data.rewards):
        problems.append(f"reward_weights has {len(args.reward_weights)} values {list(args.reward_weights)} but rewards "
                        f"names {len(data.rewards)} functions {list(data.rewards)}: give one weight per reward")
    if data.mode not in TRAIN_MODES:
        problems.append(f"mode: {data.mode!r} is not one of {', '.join(TRAIN_MODES)}")
    if data.data_root and not (Path(data.data_root).expanduser() / "records.jsonl").is_file():
        problems.append(f"data_root: {data.data_root} holds no records.jsonl")
    try:
        if data.mode == "agentic" and cue_source(data.cue_source).name == "none":
            problems.append("cue_source: agentic rollouts run the tools of the cue source's backends; 'none' has none")
        if cue_source(data.cue_source).reads_labels and not data.allow_label_cues:
            problems.append(f"cue_source: {cue_source(data.cue_source).name!r} reads the ground truth, so the rewards "
                            "would read the labels: pass --allow_label_cues true to train on it anyway")
    except ValueError as e:
        problems.append(f"cue_source: {e}")
    problem = model_problem(model_args.model_name_or_path, data.gguf_file)
    if problem:
        problems.append(problem)
    if problems:
        raise ValueError("raft_trl.train: " + "; ".join(problems))


def model_problem(name: str | None, gguf_file: str | None) -> str | None:
    """Why ``model_name_or_path`` (a local folder or a Hub id) cannot be loaded, when that is knowable
    without loading it; None when it looks loadable."""
    if not name:
        return "model_name_or_path: not given"
    path = Path(name).expanduser()
    if path.exists():
        if gguf_file:
            return None if (path / gguf_file).is_file() else f"gguf_file: {gguf_file} is not in {path}"
        if not (path / "config.json").is_file():
            return f"model_name_or_path: {path} has no config.json (a GGUF folder needs --gguf_file)"
        return None
    if name.startswith(("/", ".", "~")) or name.count("/") > 1:
        return f"model_name_or_path: no such folder {name}"
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(name, gguf_file or "config.json"), str):
            return f"model_name_or_path: {name} is not a folder and not in the Hub cache (HF_HUB_OFFLINE=1)"
    return None


def load_model(data: DataArguments, args: RAFTConfig, model_args: ModelConfig):
    """Model, processing class and (for 4-bit SRA) the theta_cross chosen before loading."""
    cls = getattr(transformers, data.model_class)
    dtype = model_args.dtype if model_args.dtype in (None, "auto") else getattr(torch, model_args.dtype)
    kwargs = {"revision": model_args.model_revision, "trust_remote_code": args.trust_remote_code,
              "dtype": dtype, "attn_implementation": model_args.attn_implementation}
    if data.gguf_file:
        kwargs["gguf_file"] = data.gguf_file
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    name = model_args.model_name_or_path
    proc_cls = transformers.AutoProcessor if data.audio else transformers.AutoTokenizer
    processor = proc_cls.from_pretrained(name, padding_side="left", **{k: v for k, v in kwargs.items()
                                                                    if k in ("revision", "trust_remote_code", "gguf_file")})
    selection = None
    if model_args.load_in_4bit and not model_args.use_peft and args.sra:
        compute = torch.bfloat16 if torch.cuda.is_available() else torch.float32
        model, selection = load_4bit_with_sra(name, cls, budget=args.sra_budget, targets=args.sra_targets,
                                              include_norms=args.sra_include_norms, compute_dtype=compute, **kwargs)
    else:
        if model_args.load_in_4bit or model_args.load_in_8bit:
            from trl import get_quantization_config

            kwargs["quantization_config"] = get_quantization_config(model_args)
        model = cls.from_pretrained(name, **kwargs)
    if data.gguf_file:
        _drop_gguf_marker(model)
    return model, processor, selection


def _drop_gguf_marker(model) -> None:
    """GGUF weights are dequantised to plain float tensors on load, but transformers keeps a GGUF
    quantizer on the model that refuses training and save_pretrained; the weights need neither."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)


def main(argv: list[str] | None = None) -> RAFTTrainer:
    parser = TrlParser((DataArguments, RAFTConfig, ModelConfig))
    data, args, model_args = parser.parse_args_and_config(args=argv)
    logging.basicConfig(level=logging.INFO if args.should_log else logging.WARNING)
    validate(data, args, model_args)
    root = _data_root(data)
    check_split(data, root)
    rows = build_rows(root, mode=data.mode, tasks=data.tasks, cue_source=data.cue_source, split=data.split,
                      limit=data.limit, audio=data.audio, rendering=data.rendering)
    if rows.errors:
        log.warning("%d records skipped (first: %s)", len(rows.errors), rows.errors[0])
    if not data.allow_label_cues and rows_read_labels(rows):
        raise ValueError(f"{root}: records whose own cues hold ground truth (cue_source {data.cue_source!r}): pass "
                         "--allow_label_cues true to train on them anyway")
    labels = label_use(data, rows)
    if labels:
        log.warning("LABELS IN THE REWARDS: %s", "; ".join(labels))
    dataset = to_dataset(rows)
    model, processor, selection = load_model(data, args, model_args)
    tools = {}
    if data.mode == "agentic":  # rollouts run the real tools on the row's clip (TRL's environment_factory)
        from raft_trl.environment import AmuseToolEnv

        tools["environment_factory"] = AmuseToolEnv.factory(backends=cue_source(data.cue_source).backends or "offline")
    trainer = RAFTTrainer(model, reward_functions(data.rewards), args, train_dataset=dataset, **tools,
                          processing_class=processor, peft_config=get_peft_config(model_args),
                          sra_selection=selection, dataset_name=data.dataset_name or f"AMUSE records at {root}",
                          label_use=labels or ["none: label-free rewards from tool cues"])
    resume = args.resume_from_checkpoint
    if resume in ("last", "true", "True"):
        resume = get_last_checkpoint(args.output_dir)
        if resume is None:
            log.info("no checkpoint in %s: starting from scratch", args.output_dir)
    trainer.train(resume_from_checkpoint=resume)
    trainer.save_model(args.output_dir)
    trainer.create_model_card()
    if args.push_to_hub:
        trainer.push_to_hub(dataset_name=trainer.dataset_name)
    return trainer


if __name__ == "__main__":
    main()
