"""Audio features reach the loss forward: a selected audio tower trains on audio prompts
(TRL 1.16 alone passes them to generation only, and the tower would get no gradient)."""

from __future__ import annotations

import numpy as np
import soundfile as sf
import torch
from raft_fixtures import make_omni_thinker, raft_args, text_reward

from raft_trl.sra import select_theta_cross


def test_selected_audio_tower_changes_with_audio_prompts(tmp_path, tiny_tokenizer):
    from datasets import Dataset
    from transformers import (Qwen2AudioConfig, Qwen2AudioForConditionalGeneration, Qwen2AudioProcessor,
                              WhisperFeatureExtractor)

    from raft_trl import RAFTTrainer

    processor = Qwen2AudioProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=128),
                                    tokenizer=tiny_tokenizer, chat_template=tiny_tokenizer.chat_template)
    torch.manual_seed(0)
    config = Qwen2AudioConfig(
        audio_config=dict(d_model=32, encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=64,
                          num_mel_bins=128, max_source_positions=1500),
        text_config=dict(model_type="qwen2", vocab_size=len(tiny_tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048),
        audio_token_index=tiny_tokenizer.convert_tokens_to_ids("<|AUDIO|>"))
    model = Qwen2AudioForConditionalGeneration(config)
    rng = np.random.default_rng(0)
    prompts = []
    for i in range(2):
        wav = tmp_path / f"clip{i}.wav"
        sf.write(wav, (0.1 * rng.standard_normal(16000 * 2)).astype("float32"), 16000)
        prompts.append([{"role": "user", "content": [{"type": "audio", "path": str(wav)},
                                                      {"type": "text", "text": "Who speaks at 0.0-2.0?"}]}])
    args = raft_args(tmp_path, num_generations=2, max_completion_length=6, learning_rate=1e-2, temporal_weight=1.0,
                     sra_targets=[r"audio_tower$", r"multi_modal_projector$"], sra_budget=0.9)
    trainer = RAFTTrainer(model, [text_reward], args, train_dataset=Dataset.from_dict({"prompt": prompts}),
                          processing_class=processor)
    tower = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if ".audio_tower." in n}
    assert tower and all(p.requires_grad for n, p in trainer.model.named_parameters() if n in tower)
    frozen = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if not p.requires_grad}
    trainer.train()
    after = dict(trainer.model.named_parameters())
    unchanged = [n for n in tower if torch.equal(tower[n], after[n].detach())]
    assert not unchanged, f"audio tower weights without a gradient from the loss: {unchanged}"
    assert all(torch.equal(frozen[n], after[n].detach()) for n in frozen)


def test_omni_thinker_audio_tower_trains_and_projectors_come_first(tmp_path, tiny_tokenizer):
    from datasets import Dataset

    from raft_trl import RAFTTrainer

    model, processor = make_omni_thinker(tiny_tokenizer)
    auto = select_theta_cross(model, budget=0.25)
    assert auto.modules[:2] == ["model.audio_tower.proj", "model.visual.merger"]
    assert not any("audio_tower.layers" in m or "visual.blocks" in m for m in auto.modules)
    wav = tmp_path / "clip.wav"
    sf.write(wav, (0.1 * np.random.default_rng(1).standard_normal(16000 * 2)).astype("float32"), 16000)
    prompts = [[{"role": "user", "content": [{"type": "audio", "path": str(wav)},
                                             {"type": "text", "text": "Who speaks at 0.0-2.0?"}]}]]
    args = raft_args(tmp_path, num_generations=2, per_device_train_batch_size=2, max_completion_length=6,
                     learning_rate=1e-2, sra_targets=[r"audio_tower$"], sra_budget=0.9)
    trainer = RAFTTrainer(model, [text_reward], args, train_dataset=Dataset.from_dict({"prompt": prompts}),
                          processing_class=processor)
    tower = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    trainer.train()
    after = dict(trainer.model.named_parameters())
    # audio_bos_eos_token is an embedding the thinker's forward does not use
    unchanged = [n for n in tower if torch.equal(tower[n], after[n].detach()) and "audio_bos_eos_token" not in n]
    assert not unchanged, unchanged
