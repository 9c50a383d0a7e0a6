"""The training script end to end on AMUSE records: checkpoints, resume, saved model and card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from raft_fixtures import make_omni_thinker, make_qwen2


def _argv(model_dir, data_root, out, steps, *extra):
    return ["--model_name_or_path", str(model_dir), "--data_root", str(data_root), "--output_dir", str(out),
            "--use_cpu", "true", "--num_generations", "2", "--per_device_train_batch_size", "4",
            "--max_completion_length", "8", "--max_steps", str(steps), "--save_steps", "1", "--report_to", "none",
            "--sra_budget", "0.1", "--dtype", "float32", "--gradient_checkpointing", "false", "--logging_steps", "1",
            "--cue_source", "oracle", "--allow_label_cues", "true", "--disable_tqdm", "true", *extra]


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


CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_accelerate_configs_cover_every_launcher():
    import yaml

    kinds = {yaml.safe_load(p.read_text())["distributed_type"] for p in (CONFIGS / "accelerate").glob("*.yaml")}
    assert kinds == {"NO", "MULTI_GPU", "DEEPSPEED", "FSDP"}


@pytest.mark.parametrize("config", sorted(p.name for p in (CONFIGS / "raft").glob("*.yaml")))
def test_every_shipped_config_trains_one_step(config, tmp_path, tiny_tokenizer, offline_cues):
    """Each config under configs/raft as written (rewards, weights, K, mode, cue source, dtype), with a tiny
    model of its class in place of the named one, one step on default-set records with their offline cues (four
    prompts: the Omni config accumulates four micro-batches of one prompt x K=4)."""
    import copy

    import torch
    import yaml

    from raft_trl.train import main

    settings = yaml.safe_load((CONFIGS / "raft" / config).read_text())
    model_dir = tmp_path / "model"
    if settings.get("model_class", "AutoModelForCausalLM") == "AutoModelForCausalLM":
        make_qwen2(tiny_tokenizer, max_positions=8192).save_pretrained(model_dir)
        tokenizer = copy.deepcopy(tiny_tokenizer)
        if settings["mode"] == "agentic":  # a template that renders tools, as the config says it needs
            from trl.chat_template_utils import qwen2_5_chat_template

            tokenizer.chat_template = qwen2_5_chat_template
        tokenizer.save_pretrained(model_dir)
    else:
        model, processor = make_omni_thinker(tiny_tokenizer)
        assert type(model).__name__ == settings["model_class"]
        model.save_pretrained(model_dir)
        processor.save_pretrained(model_dir)
    trainer = main(["--config", str(CONFIGS / "raft" / config), "--model_name_or_path", str(model_dir),
                    "--data_root", str(offline_cues), "--allow_eval_overlap", "true", "--tasks", "avsa", "srid",
                    "--limit", "4", "--output_dir", str(tmp_path / "run"), "--max_steps", "1",
                    "--max_completion_length", "8", "--use_cpu", "true", "--bf16", "false",
                    "--save_strategy", "no", "--disable_tqdm", "true", "--sra_budget", "0.1"])
    assert trainer.state.global_step == 1
    assert trainer.reward_func_names == settings["rewards"]
    assert trainer.reward_weights.tolist() == settings["reward_weights"]
    assert trainer.model.dtype == getattr(torch, settings["dtype"])
    if settings["mode"] == "agentic":  # the rollouts ran in the tool environment
        assert trainer.environment_factories and trainer.environments


def test_rewards_and_weights_that_differ_fail_before_any_work(tmp_path, monkeypatch):
    import raft_trl.train as train

    def never(*a, **k):
        raise AssertionError("rows were built before the arguments were checked")

    monkeypatch.setattr(train, "build_rows", never)
    monkeypatch.setattr(train, "_data_root", never)
    with pytest.raises(ValueError) as err:
        train.main(["--config", str(CONFIGS / "raft" / "smollm2_guided.yaml"), "--output_dir", str(tmp_path),
                    "--use_cpu", "true", "--reward_weights", "1.0", "0.5", "--data_root", str(tmp_path / "nowhere"),
                    "--cue_source", "offline;lipsync=nosuch", "--model_name_or_path", str(tmp_path / "no-model")])
    msg = str(err.value)
    assert "reward_weights has 2 values" in msg and "rewards names 6 functions" in msg and "consistency" in msg
    assert "data_root" in msg and "cue_source" in msg and "nosuch" in msg and "model_name_or_path" in msg


@pytest.mark.parametrize("spec", ["oracle", "offline;lipsync=oracle", "fast;transcribe=oracle", "oracle;faces=dlib"])
def test_every_spelling_that_reads_labels_is_stated_and_refused_without_opt_in(spec, tmp_path):
    from raft_trl.config import RAFTConfig
    from raft_trl.train import DataArguments, label_use, validate
    from trl import ModelConfig

    assert label_use(DataArguments(cue_source=spec)) == ["oracle cues (the perceptual rewards read the ground truth)"]
    args, model = RAFTConfig(str(tmp_path), use_cpu=True), ModelConfig(model_name_or_path=str(tmp_path))
    with pytest.raises(ValueError, match="--allow_label_cues"):
        validate(DataArguments(cue_source=spec), args, model)
    assert label_use(DataArguments(cue_source="fast")) == []


def test_records_whose_own_cues_are_ground_truth_count_as_label_use(records_root):
    from amuse_tasks.cues import cue_source
    from raft_trl.data import Rows, record_row
    from raft_trl.train import DataArguments, label_use

    rec = json.loads((records_root / "records.jsonl").read_text().splitlines()[0])
    rec["cues"] = cue_source("oracle").cues(rec, records_root)
    rows = Rows(rows=[record_row(rec, records_root, "guided", "record")])
    assert label_use(DataArguments(cue_source="record"), rows) == [
        "oracle cues (the perceptual rewards read the ground truth)"]


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
