"""The training script end to end on AMUSE records: checkpoints, resume, saved model and card."""

from __future__ import annotations

import json


def _argv(model_dir, data_root, out, steps, *extra):
    return ["--model_name_or_path", str(model_dir), "--data_root", str(data_root), "--output_dir", str(out),
            "--use_cpu", "true", "--num_generations", "2", "--per_device_train_batch_size", "4",
            "--max_completion_length", "8", "--max_steps", str(steps), "--save_steps", "1", "--report_to", "none",
            "--sra_budget", "0.1", "--dtype", "float32", "--gradient_checkpointing", "false", "--logging_steps", "1",
            "--cue_source", "oracle", "--disable_tqdm", "true", *extra]


def test_train_script_checkpoints_and_resumes(tmp_path, tiny_model_dir, records_root):
    from raft_trl.train import main

    out = tmp_path / "run"
    first = main(_argv(tiny_model_dir, records_root, out, 2))
    assert first.state.global_step == 2 and (out / "checkpoint-2").is_dir()
    assert first.reward_func_names == ["format", "consistency", "sync", "face", "speech", "diarization"]  # label-free
    resumed = main(_argv(tiny_model_dir, records_root, out, 4, "--resume_from_checkpoint", "last"))
    assert resumed.state.global_step == 4
    assert resumed._step == 2  # two new steps were run in this process: it continued, it did not restart
    assert [e["step"] for e in resumed.state.log_history if "loss" in e] == [1, 2, 3, 4]
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    selection = json.loads((out / "sra_selection.json").read_text())
    card = (out / "README.md").read_text()
    assert f"{selection['trainable']:,} of {selection['total']:,}" in card and "AMUSE records at" in card
    assert "oracle cues (the perceptual rewards read the ground truth)" in card  # this run asked for them


def test_shipped_configs_parse(tmp_path):
    from pathlib import Path

    import yaml
    from trl import ModelConfig, TrlParser

    from raft_trl.config import RAFTConfig
    from raft_trl.train import DataArguments

    configs = Path(__file__).resolve().parents[2] / "configs"
    raft = sorted((configs / "raft").glob("*.yaml"))
    assert {p.stem for p in raft} >= {"smollm2_guided", "qwen2_5_omni_thinker"}
    for path in raft:
        parser = TrlParser((DataArguments, RAFTConfig, ModelConfig))
        data, args, model = parser.parse_args_and_config(
            args=["--config", str(path), "--output_dir", str(tmp_path), "--use_cpu", "true", "--bf16", "false"])
        assert args.loss_type == "grpo" and args.num_generations >= 2 and model.model_name_or_path
    kinds = {yaml.safe_load(p.read_text())["distributed_type"] for p in (configs / "accelerate").glob("*.yaml")}
    assert kinds == {"NO", "MULTI_GPU", "DEEPSPEED", "FSDP"}


def test_default_training_data_is_disjoint_from_the_evaluation_set(synth_root):
    from amuse_tasks.default_set import training_root
    from raft_trl.data import overlap_with
    from raft_trl.train import DataArguments, _data_root, check_split, label_use

    data = DataArguments()
    root = _data_root(data)
    assert root == training_root() and root != synth_root
    assert overlap_with(root, synth_root) == []
    check_split(DataArguments(eval_root=str(synth_root)), root)  # passes
    assert label_use(data) == []  # no ground truth reaches a default reward
    assert label_use(DataArguments(cue_source="oracle", rewards=["accuracy"])) == [
        "oracle cues (the perceptual rewards read the ground truth)", "the accuracy reward (reads the answer labels)"]


def test_training_on_the_evaluation_set_is_refused_unless_asked(synth_root, tmp_path):
    import shutil

    import pytest

    from raft_trl.data import overlap_with
    from raft_trl.train import DataArguments, check_split

    with pytest.raises(ValueError, match="same folder"):
        check_split(DataArguments(eval_root=str(synth_root)), synth_root)
    copy = tmp_path / "copy"
    shutil.copytree(synth_root, copy, ignore=shutil.ignore_patterns("cues"))
    shared = overlap_with(copy, synth_root)
    assert shared and all(s.startswith("clip id") for s in shared)
    with pytest.raises(ValueError, match="--allow_eval_overlap"):
        check_split(DataArguments(eval_root=str(synth_root)), copy)
    check_split(DataArguments(eval_root=str(synth_root), allow_eval_overlap=True), copy)  # warns, goes on
