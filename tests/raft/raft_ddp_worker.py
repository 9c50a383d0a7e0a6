"""One RAFT run for the DDP test: ``python raft_ddp_worker.py OUT PER_DEVICE_BATCH`` or under torchrun.

Generation is replaced by a deterministic rollout (candidate = f(prompt, copy index in the global
batch)) so one process and two processes see the same completions; everything else is RAFTTrainer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]  # raft_fixtures, tiny_models
from raft_fixtures import make_qwen2, make_tokenizer, prompt_dataset, text_reward  # noqa: E402

from raft_trl import RAFTConfig, RAFTTrainer  # noqa: E402

CANDIDATES = ["Answer: A", "VOICE_1 at 0.0-2.5 is FACE_A", "Answer: B because", "who speaks next?"]
K = 4


def main(out: str, per_device: int) -> None:
    tok = make_tokenizer()

    def rollout(prompts, trainer):
        first = trainer.accelerator.process_index * len(prompts)
        prompt_ids = [tok.apply_chat_template(p, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
                      for p in prompts]
        completion_ids = [tok(CANDIDATES[(first + i) % K], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
                          for i in range(len(prompts))]
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": None}

    args = RAFTConfig(output_dir=out, use_cpu=True, num_generations=K, per_device_train_batch_size=per_device,
                      max_completion_length=16, max_steps=2, learning_rate=1e-2, report_to=[], save_strategy="no",
                      gradient_checkpointing=False, sra_budget=0.1, temporal_weight=1.0, align_weight=0.5,
                      reward_temperature=2.0, seed=0, shuffle_dataset=False, disable_tqdm=True,
                      shared_prefill=False)  # two processes take the unshared loss path: compare like with like
    model = make_qwen2(tok, seed=0)
    trainer = RAFTTrainer(model, [text_reward], args, train_dataset=prompt_dataset(2), processing_class=tok,
                          rollout_func=rollout)
    trainer.train()
    if trainer.accelerator.is_main_process:
        state = {n: p.detach().cpu() for n, p in trainer.accelerator.unwrap_model(trainer.model).named_parameters()}
        torch.save(state, Path(out) / "weights.pt")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
