"""Tiny offline models, tokenizers, data and configs for the RAFT tests (built from configs, nothing downloaded)."""

from __future__ import annotations

from tiny_models import CHAT_TEMPLATE, make_qwen2, make_tokenizer  # noqa: F401  (the RAFT tests import them from here)


def make_omni_thinker(tokenizer, seed: int = 0):
    """A tiny Qwen2.5-Omni thinker (audio + vision + text) and its processor."""
    import torch
    from transformers import (Qwen2_5OmniProcessor, Qwen2_5OmniThinkerConfig,
                              Qwen2_5OmniThinkerForConditionalGeneration, Qwen2VLImageProcessor,
                              WhisperFeatureExtractor)
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    processor = Qwen2_5OmniProcessor(image_processor=Qwen2VLImageProcessor(), video_processor=Qwen2VLVideoProcessor(),
                                     feature_extractor=WhisperFeatureExtractor(feature_size=128), tokenizer=tokenizer,
                                     chat_template=tokenizer.chat_template)
    tid = tokenizer.convert_tokens_to_ids
    config = Qwen2_5OmniThinkerConfig(
        audio_config=dict(d_model=32, encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=64,
                          num_mel_bins=128, output_dim=32, n_window=50, max_source_positions=1500),
        vision_config=dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=32,
                           fullatt_block_indexes=[0], patch_size=14, spatial_merge_size=2, temporal_patch_size=2),
        text_config=dict(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                         rope_parameters={"rope_type": "default", "mrope_section": [2, 1, 1], "rope_theta": 1e4}),
        audio_token_index=tid("<|AUDIO|>"), image_token_index=tid("<|IMAGE|>"), video_token_index=tid("<|VIDEO|>"),
        audio_start_token_id=tid("<|audio_bos|>"), audio_end_token_id=tid("<|audio_eos|>"),
        vision_start_token_id=tid("<|vision_bos|>"), vision_end_token_id=tid("<|vision_eos|>"))
    torch.manual_seed(seed)
    return Qwen2_5OmniThinkerForConditionalGeneration(config), processor


def text_reward(completions, **kwargs):
    """Deterministic, nearly tie-free reward of the completion text (a test stand-in for the perceptual ones)."""
    out = []
    for c in completions:
        text = c if isinstance(c, str) else c[0]["content"]
        out.append((sum((i + 1) * ord(ch) for i, ch in enumerate(text)) % 997) / 997)
    return out


def prompt_dataset(n: int = 2, reference: bool = False):
    from datasets import Dataset

    rows = {"prompt": [[{"role": "user", "content": f"[0.0-2.5] VOICE_1: hello {i}. [2.5-4.0] VOICE_2: who?"}]
                       for i in range(n)]}
    if reference:
        rows["reference_trace"] = ["<answer>B</answer> VOICE_1 at 0.5-2.0 s" if i % 2 == 0 else None
                                   for i in range(n)]
    return Dataset.from_dict(rows)


def raft_args(tmp_path, **overrides):
    from raft_trl import RAFTConfig

    base = dict(output_dir=str(tmp_path / "out"), use_cpu=True, num_generations=4, per_device_train_batch_size=4,
                max_completion_length=8, max_steps=2, report_to=[], logging_steps=1, save_strategy="no",
                sra_budget=0.1, gradient_checkpointing=False, seed=0, disable_tqdm=True)
    base.update(overrides)
    return RAFTConfig(**base)


def record(i: int, task: str) -> dict:
    people = [{"label": "Person 1", "description": "man, left", "face_track": "t1"},
              {"label": "Person 2", "description": "woman, right", "face_track": "t2"}]
    segments = [{"speaker": "Person 1", "start": 10.0, "end": 12.5, "text": "we should leave before the rain"},
                {"speaker": "Person 2", "start": 12.8, "end": 15.0, "text": "the car is not ready yet"}]
    faces = [{"track": "t1", "person": "Person 1", "boxes": [{"start": 10.0, "end": 15.0, "box": [10, 20, 40, 40]}]},
             {"track": "t2", "person": "Person 2", "boxes": [{"start": 10.0, "end": 15.0, "box": [90, 20, 40, 40]}]}]
    rec = {"schema_version": "1.0", "id": f"{task}-{i}", "task": task, "clip_id": f"clip{i}",
           "video": f"clips/clip{i}.mp4", "audio": f"clips/clip{i}.wav", "start": 10.0, "end": 16.0,
           "people": people, "segments": segments, "scenes": [{"start": 10.0, "end": 16.0}], "faces": faces,
           "expected_tools": ["transcribe", "track_faces", "lip_sync"], "cues": None}
    if task == "avsa":
        rec.update(question='Who said "the car is not ready yet"?', options=["Person 1", "Person 2"], answer="B")
    else:
        rec.update(question='When does Person 2 say "the car is not ready yet"?', options=[],
                   answer=[[2.8, 5.0]], expected_tools=["diarize", "transcribe"])
    return rec
