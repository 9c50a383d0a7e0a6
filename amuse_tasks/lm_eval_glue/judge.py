"""The optional LLM judge of ``avds`` (``judge_score``) and ``csnl`` (``judge_coherence``), 0-10.

Off unless asked for: ``--metadata '{"judge": SPEC}'``, else ``$AMUSE_JUDGE``. SPEC takes the
backbone arguments of ``amuse-agent``, as a ``key=value,...`` string or a JSON object:

- ``pretrained=<HF id | local path | smollm2-offline>`` (+ ``gguf_file``, ``dtype``, ``device``,
  ``device_map``): a Hugging Face chat model; a bare name without ``=`` means ``pretrained=<name>``;
- ``base_url=<OpenAI-compatible endpoint>,model=<name>`` (+ ``api_key_env``, ``timeout``);
- ``max_new_tokens`` (32) for either.

The spec is checked when the dataset loads (a typo fails before any generation); the judge model
loads on the first scored sample. A judge that cannot load, errs on a sample, or replies without a
0-10 score leaves that sample's judge metric empty and counts it in ``judge_fail``: the task's other
metrics and the run are never lost. An empty answer scores 0 without asking the judge.
"""

from __future__ import annotations

import logging
import math
import os

from amuse_tasks.metrics.judge_score import avds_messages, csnl_messages, parse_score
from amuse_tasks.schema import LETTERS
from amuse_tasks.tasks import TASKS

log = logging.getLogger(__name__)

JUDGE_KEY = "amuse_judge"  # the doc field holding the judge spec (set by custom_dataset)
HF_KEYS = frozenset({"pretrained", "gguf_file", "dtype", "device", "device_map"})
API_KEYS = frozenset({"base_url", "model", "api_key_env", "timeout"})
SHARED_KEYS = frozenset({"max_new_tokens"})
DEFAULT_MAX_NEW_TOKENS = 32
OFF = ("", "none", "off", "false", "0")


def judge_config(judge: str | dict | None = None) -> dict[str, str] | None:
    """The judge spec (the argument, else ``$AMUSE_JUDGE``) as backbone arguments, or None when off.
    Raises ValueError naming the offending key."""
    value = judge if judge is not None else os.environ.get("AMUSE_JUDGE")
    if value is None or (isinstance(value, str) and value.strip().lower() in OFF):
        return None
    if isinstance(value, str):
        if "=" not in value:
            value = {"pretrained": value.strip()}
        else:
            pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
            if any(len(p) != 2 for p in pairs):
                raise ValueError(f"judge {value!r}: expected key=value pairs separated by ','")
            value = {k.strip(): v.strip() for k, v in pairs}
    if not isinstance(value, dict):
        raise ValueError(f"judge: expected a key=value string or a JSON object, got {type(value).__name__}")
    unknown = set(value) - HF_KEYS - API_KEYS - SHARED_KEYS
    if unknown:
        raise ValueError(f"judge: unknown key(s) {sorted(unknown)}; pass pretrained=<HF id, path or smollm2-offline> "
                         f"or base_url=<OpenAI-compatible endpoint>,model=<name>")
    if ("pretrained" in value) == ("base_url" in value):
        raise ValueError("judge: give exactly one of pretrained=<HF id, path or smollm2-offline> "
                         "or base_url=<OpenAI-compatible endpoint>,model=<name>")
    mixed = set(value) & (API_KEYS if "pretrained" in value else HF_KEYS)
    if mixed:
        raise ValueError(f"judge: key(s) {sorted(mixed)} do not apply to a "
                         f"{'Hugging Face' if 'pretrained' in value else 'endpoint'} judge")
    if "base_url" in value and not value.get("model"):
        raise ValueError("judge: base_url needs model=<name>")
    if "max_new_tokens" in value and not str(value["max_new_tokens"]).isdigit():
        raise ValueError(f"judge: max_new_tokens={value['max_new_tokens']!r} is not a positive integer")
    return {k: str(v) for k, v in value.items()}


_judges: dict[tuple, object] = {}  # spec -> backbone, or the exception that stopped it loading


def _backbone(cfg: dict[str, str]):
    key = tuple(sorted(cfg.items()))
    if key not in _judges:
        try:
            _judges[key] = _load(dict(cfg))
        except Exception as e:  # once per process: every sample of this judge then counts as judge_fail
            log.error("judge %s could not be loaded (%s: %s): judge metrics stay empty, counted in judge_fail",
                      describe(cfg), type(e).__name__, e)
            _judges[key] = e
    return _judges[key]


def _load(cfg: dict[str, str]):
    from amuse_tasks.models.chat_backbones import HFChat, OpenAIChat

    max_new = int(cfg.pop("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))
    if "base_url" in cfg:
        return OpenAIChat(cfg["base_url"], cfg["model"], api_key_env=cfg.get("api_key_env", "OPENAI_API_KEY"),
                          max_new_tokens=max_new, timeout=float(cfg.get("timeout", 120)))
    from amuse_tasks.models.distributed import pick_device

    device = pick_device(cfg.get("device"), int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0")))
    return HFChat(cfg["pretrained"], gguf_file=cfg.get("gguf_file"), device=device, dtype=cfg.get("dtype"),
                  device_map=cfg.get("device_map"), max_new_tokens=max_new)


def describe(cfg: dict[str, str]) -> str:
    return cfg["pretrained"] if "pretrained" in cfg else f"{cfg['base_url']}:{cfg['model']}"


def judge_messages(doc: dict, answer: str) -> list[dict]:
    """The judge's chat messages for one answer of an ``avds`` or ``csnl`` doc."""
    if doc["task"] == "avds":
        return avds_messages(doc["id"], doc["answer"], answer, [p["label"] for p in doc.get("people", [])])
    gold = doc["answer"]
    correct = f"{gold}. {doc['options'][LETTERS.index(gold)]}"
    return csnl_messages(doc["id"], doc["question"], correct, doc.get("rationale") or "", answer)


def judge_scores(doc: dict, answer: str | None) -> dict[str, float]:
    """``{<judge metric>: 0-10 (NaN: no score), "judge_fail": 0/1}`` when the doc's task has a judge metric and a
    judge is set, else ``{}``."""
    metric, cfg = TASKS[doc["task"]].judge_metric, doc.get(JUDGE_KEY)
    if not metric or not cfg:
        return {}
    if not (answer or "").strip():
        return {metric: 0.0, "judge_fail": 0.0}
    judge = _backbone(cfg)
    if isinstance(judge, Exception):
        return {metric: math.nan, "judge_fail": 1.0}
    try:
        reply = judge(judge_messages(doc, answer), []).text
    except Exception as e:  # a network error, a timeout, a model error: this sample only
        log.warning("judge %s failed on %s (%s: %s)", describe(cfg), doc.get("id"), type(e).__name__, e)
        return {metric: math.nan, "judge_fail": 1.0}
    score = parse_score(reply)
    if score is None:
        log.warning("judge %s gave no 0-10 score for %s: %r", describe(cfg), doc.get("id"), reply[:200])
    return {metric: math.nan if score is None else score, "judge_fail": float(score is None)}
