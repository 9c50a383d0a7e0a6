#!/usr/bin/env bash
# The lmms-eval environment (.venv-lmms) of the AMUSE task pack: lmms-eval 0.7.3 pins av<16 and wandb 0.25.0
# (protobuf<7), which the main environment's pins exclude, so it lives apart. Pinned by constraints-lmms.txt.
# Idempotent like scripts/setup.sh; needs scripts/setup.sh's system packages (ffmpeg cuts the windows).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv-lmms/bin/python ] || "$PY" -m venv .venv-lmms
STAMP=.venv-lmms/.amuse-setup-stamp
WANT="$(cat constraints-lmms.txt pyproject.toml setup.py scripts/setup_lmms.sh | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  .venv-lmms/bin/python -m pip install -q --upgrade pip
  .venv-lmms/bin/python -m pip install -q -c constraints-lmms.txt torch torchvision torchaudio
  # perception + offline weights: guided prompts read (or compute) the offline tool cues
  .venv-lmms/bin/python -m pip install -q -c constraints-lmms.txt -e ".[lmms,perception,offline-models]"
  echo "$WANT" > "$STAMP"
fi
echo "lmms setup done: $(.venv-lmms/bin/python -c 'import importlib.metadata as m; print("lmms-eval", m.version("lmms_eval"), "| av", m.version("av"))')"
