"""Benchmark 4: training cost. (a) RAFTTrainer vs. plain TRL GRPOTrainer (its default path: every row
prefilled in generation and in the loss) on the same tiny model, prompts, rewards, K, batch and steps:
wall time per optimizer step and peak memory during training; RAFT with its shared prompt prefill
(the default) and without. (b) Peak weight memory of SmolLM2-135M in full precision vs. 4-bit NF4 with theta_cross
kept in full precision (``raft_trl.sra.load_4bit_with_sra``).

Every variant runs in a fresh process; the first step (warm-up) is not counted. The tiny model is
a 4-layer Llama (SmolLM2's architecture, 128 hidden units) built from a config, with a 2048-token
byte-level BPE trained in memory on the prompts, which are real guided AMUSE prompts (oracle cues).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time

from bench.measure import SCRATCH, md_table, mmm, smollm2_dir, stats, write

TRAINERS = {  # variant: (trainer, RAFT settings)
    "grpo": ("GRPOTrainer", {}),
    "raft": ("RAFTTrainer", {"sra": False, "temporal_weight": 0.01}),
    "raft_unshared": ("RAFTTrainer", {"sra": False, "temporal_weight": 0.01, "shared_prefill": False}),
    "raft_no_temporal": ("RAFTTrainer", {"sra": False, "temporal_weight": 0.0}),
    "raft_no_temporal_unshared": ("RAFTTrainer", {"sra": False, "temporal_weight": 0.0, "shared_prefill": False}),
    "raft_sra": ("RAFTTrainer", {"sra": True, "sra_budget": 0.05, "temporal_weight": 0.01}),
}
LABELS = {"grpo": "GRPOTrainer (TRL)", "raft": "RAFTTrainer, temporal term on (shared prefill, the default)",
          "raft_unshared": "RAFTTrainer, temporal term on, every row prefilled (shared_prefill false)",
          "raft_no_temporal": "RAFTTrainer, temporal term off (shared prefill)",
          "raft_no_temporal_unshared": "RAFTTrainer, temporal term off, every row prefilled", "raft_sra": "RAFTTrainer + SRA (5 % budget), temporal on"}


class PeakRSS:
    """Samples this process's resident memory every 5 ms (torch allocations are invisible to tracemalloc)."""

    def __init__(self):
        self.peak = self.now()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def now() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.now())

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.now())


CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def _tokenizer(texts: list[str], vocab: int = 2048):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab, special_tokens=[
        "<|im_start|>", "<|im_end|>", "<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   bos_token="<|im_start|>", padding_side="left")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def _prompt_text(prompt) -> str:
    return prompt if isinstance(prompt, str) else "\n".join(m["content"] for m in prompt)


def _dataset(n_prompts: int):
    from amuse_tasks.default_set import default_root
    from raft_trl.data import build_rows, to_dataset

    rows = build_rows(default_root(), mode="guided", tasks=["avsa", "nsp", "stg", "srid"], cue_source="oracle",
                      limit=n_prompts)
    return to_dataset(rows)


def child_train(variant: str, a: argparse.Namespace) -> dict:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from raft_trl import RAFTConfig, RAFTTrainer
    from raft_trl.rewards import reward_functions

    torch.set_num_threads(a.threads)
    data = _dataset(a.prompts)
    tok = _tokenizer([_prompt_text(p) for p in data["prompt"]] + ["<plan>p</plan><reflect>r</reflect><answer>A</answer>"])
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=128, intermediate_size=256, num_hidden_layers=4,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192,
                      tie_word_embeddings=True, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id)
    model = LlamaForCausalLM(cfg)
    rewards = reward_functions(["format", "accuracy", "sync", "face", "speech", "diarization"])
    common = dict(output_dir=str(SCRATCH / f"train-{variant}"), use_cpu=True, bf16=False,
                  num_generations=a.k, per_device_train_batch_size=a.batch, max_completion_length=a.completion,
                  max_steps=a.steps + 1, report_to=[], logging_steps=1, save_strategy="no", seed=0,
                  disable_tqdm=True, beta=0.0, loss_type="grpo", num_iterations=1, learning_rate=1e-5,
                  gradient_checkpointing=False)
    kind, extra = TRAINERS[variant]
    if kind == "GRPOTrainer":
        trainer = GRPOTrainer(model, rewards, GRPOConfig(**common), train_dataset=data, processing_class=tok)
    else:
        trainer = RAFTTrainer(model, rewards, RAFTConfig(**common, **extra), train_dataset=data, processing_class=tok)
    times: list[float] = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            times.append(time.perf_counter() - self.t0)

    trainer.add_callback(StepTimer())
    base = PeakRSS.now()
    with PeakRSS() as mem:
        trainer.train()
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    return {"step_seconds": times[1:], "peak_rss_mb": mem.peak, "train_peak_above_start_mb": mem.peak - base,
            "trainable_parameters": trainable, "parameters": sum(p.numel() for p in trainer.model.parameters())}


def child_weights(variant: str, a: argparse.Namespace) -> dict:
    import torch
    from transformers import AutoModelForCausalLM

    from raft_trl.sra import load_4bit_with_sra

    path = str(smollm2_dir())
    base = PeakRSS.now()
    with PeakRSS() as mem:
        if variant == "fp32":
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
            trainable = None
        else:
            model, sel = load_4bit_with_sra(path, AutoModelForCausalLM, budget=0.005, targets=None,
                                            include_norms=False, compute_dtype=torch.float32)
            trainable = sel.trainable
        with torch.no_grad():  # touch every weight (safetensors are memory-mapped until used)
            model(input_ids=torch.ones(1, 256, dtype=torch.long))
    return {"footprint_mb": model.get_memory_footprint() / 2 ** 20, "load_peak_above_start_mb": mem.peak - base,
            "theta_cross_parameters": trainable}


def run_child(kind: str, variant: str, a: argparse.Namespace) -> dict:
    cmd = [sys.executable, "-m", "bench.training", "--child", kind, variant, "--steps", str(a.steps), "--k", str(a.k),
           "--batch", str(a.batch), "--completion", str(a.completion), "--prompts", str(a.prompts),
           "--threads", str(a.threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} {variant} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=5, help="timed optimizer steps (plus one warm-up)")
    ap.add_argument("--k", type=int, default=4, help="num_generations K")
    ap.add_argument("--batch", type=int, default=8, help="per-device batch (rows = prompts x K)")
    ap.add_argument("--completion", type=int, default=32, help="max_completion_length")
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        kind, variant = a.child
        out = child_train(variant, a) if kind == "train" else child_weights(variant, a)
        print(json.dumps(out))
        return out
    smollm2_dir()
    runs: dict[str, list[dict]] = {v: [] for v in TRAINERS}
    for _ in range(a.repeats):
        for v in TRAINERS:  # interleaved, so every variant sees the same machine load
            runs[v].append(run_child("train", v, a))
    weights = {v: run_child("weights", v, a) for v in ("fp32", "nf4")}
    res: dict = {"trainers": {}, "weights": weights}
    grpo_step = [sum(r["step_seconds"]) / len(r["step_seconds"]) for r in runs["grpo"]]
    rows = []
    for v, rs in runs.items():
        step = [sum(r["step_seconds"]) / len(r["step_seconds"]) for r in rs]
        ratio = [s / g for s, g in zip(step, grpo_step)]
        peak = [r["train_peak_above_start_mb"] for r in rs]
        res["trainers"][v] = {"step_seconds": stats(step), "ratio_to_grpo": stats(ratio), "train_peak_mb": stats(peak),
                              "trainable_parameters": rs[0]["trainable_parameters"], "parameters": rs[0]["parameters"]}
        t = res["trainers"][v]
        rows.append([LABELS[v], f"{t['trainable_parameters']:,} / {t['parameters']:,}", mmm(t["step_seconds"]),
                     "1" if v == "grpo" else mmm(t["ratio_to_grpo"]) + (" (target <= 1.15)" if v == "raft" else ""),
                     mmm(t["train_peak_mb"], fmt="{:.0f}")])
    table = (f"Tiny Llama (4 layers, 128 wide, 2048-token BPE), guided prompts of the default set, K={a.k}, batch {a.batch} rows, "
             f"{a.completion} completion tokens, {a.steps} timed steps, {a.threads} threads.\n\n")
    table += md_table(["trainer", "trainable / all parameters", "s per step", "ratio to GRPOTrainer",
                       "training peak RSS above start (MB)"], rows)
    fp, q = weights["fp32"], weights["nf4"]
    res["weights_ratio_nf4_to_fp32"] = q["footprint_mb"] / fp["footprint_mb"]
    table += "\n\n" + md_table(
        ["SmolLM2-135M weights", "weights in memory (MB)", "peak RSS, load + one 256-token forward (MB)",
         "weights ratio to fp32"],
        [["fp32", fp["footprint_mb"], fp["load_peak_above_start_mb"], "1"],
         [f"NF4 + double quant, theta_cross ({q['theta_cross_parameters']:,} params) and LM head in fp32",
          q["footprint_mb"], q["load_peak_above_start_mb"], f"{res['weights_ratio_nf4_to_fp32']:.3f}"]])
    write("training", "Training: RAFTTrainer vs GRPOTrainer, and 4-bit weights", {k: v for k, v in vars(a).items()
                                                                                  if k != "child"}, res, table)
    return res


if __name__ == "__main__":
    main()
