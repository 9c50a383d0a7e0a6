"""The one tiny text model of the tests: a byte-level BPE tokenizer trained in memory (chat template,
Qwen-style special tokens) and a 2-layer Qwen2 built from a config; nothing is downloaded."""

from __future__ import annotations


CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
    "{% if c['type'] == 'audio' %}<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif c['type'] == 'video' %}<|vision_bos|><|VIDEO|><|vision_eos|>{% elif c['type'] == 'text' %}{{ c['text'] }}"
    "{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|audio_bos|>", "<|AUDIO|>", "<|audio_eos|>",
           "<|vision_bos|>", "<|vision_eos|>", "<|IMAGE|>", "<|VIDEO|>"]
CORPUS = [
    "<plan>check who speaks</plan><reflect>VOICE_1 matches FACE_A</reflect><answer>B</answer>",
    "[0.0-2.5] VOICE_1: hello there. [2.5-4.0] VOICE_2: who is next? FACE_A left, FACE_B right",
    "The answer is A. Speaker 1 talks at 3.0-4.5 s. 0123456789 abcdefghijklmnopqrstuvwxyz",
    "Question: which person said it? Options: A. the man B. the woman C. nobody",
] * 20


def make_tokenizer(vocab_size: int = 400):
    """A byte-level BPE trained in memory, with a chat template and Qwen-style special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   padding_side="left", extra_special_tokens={
                                       "audio_token": "<|AUDIO|>", "audio_bos_token": "<|audio_bos|>",
                                       "audio_eos_token": "<|audio_eos|>", "image_token": "<|IMAGE|>",
                                       "video_token": "<|VIDEO|>", "vision_bos_token": "<|vision_bos|>",
                                       "vision_eos_token": "<|vision_eos|>"})
    fast.chat_template = CHAT_TEMPLATE
    return fast


def make_qwen2(tokenizer, seed: int = 0, layers: int = 2, max_positions: int = 1024):
    """A tiny Qwen2 (random weights, seeded) for ``tokenizer``."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=layers,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=max_positions,
                      tie_word_embeddings=False, eos_token_id=tokenizer.eos_token_id,
                      pad_token_id=tokenizer.pad_token_id)
    model = Qwen2ForCausalLM(cfg)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model
