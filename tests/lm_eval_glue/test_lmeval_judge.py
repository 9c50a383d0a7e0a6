"""The optional LLM judge of avds/csnl: spec checks, a real ``lm_eval`` CLI run scored by an
OpenAI-compatible endpoint (``fake_chat_endpoint``, a test double on 127.0.0.1 replying by sample
id), and the real offline SmolLM2 loaded as an HF judge."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import pytest

from amuse_tasks.lm_eval_glue import judge as judge_mod
from amuse_tasks.lm_eval_glue.dataset import custom_dataset
from amuse_tasks.lm_eval_glue.judge import JUDGE_KEY, judge_config, judge_scores
from amuse_tasks.reports.runs import find_runs
from amuse_tasks.reports.tables import build_table
from amuse_tasks.schema import load_records

from fake_chat_endpoint import fake_chat_endpoint
from lmeval_runs import FAKES, metric, run_lm_eval, smollm2_or_skip


@pytest.mark.parametrize("spec,expected", [
    ("smollm2-offline", {"pretrained": "smollm2-offline"}),
    ("pretrained=Qwen/Qwen2.5-7B-Instruct,dtype=bfloat16", {"pretrained": "Qwen/Qwen2.5-7B-Instruct", "dtype": "bfloat16"}),
    ({"base_url": "http://localhost:8000/v1", "model": "gpt-4o", "max_new_tokens": 16},
     {"base_url": "http://localhost:8000/v1", "model": "gpt-4o", "max_new_tokens": "16"}),
    ("none", None), ("", None),
])
def test_judge_spec_forms(spec, expected):
    assert judge_config(spec) == expected


@pytest.mark.parametrize("spec,message", [
    ("pretrained=x,tools=offline", "unknown key(s) ['tools']"),
    ("base_url=http://h/v1", "base_url needs model"),
    ("pretrained=a,base_url=b,model=m", "exactly one of"),
    ("dtype=float32", "exactly one of"),
    ("pretrained=x,api_key_env=KEY", "['api_key_env'] do not apply to a Hugging Face judge"),
    ("pretrained=x,max_new_tokens=lots", "max_new_tokens='lots'"),
    ("pretrained=x,dtype", "key=value pairs"),
])
def test_bad_judge_specs_name_the_problem(spec, message):
    with pytest.raises(ValueError) as err:
        judge_config(spec)
    assert message in str(err.value)


def test_judge_defaults_to_env_and_is_off_without_it(monkeypatch):
    monkeypatch.delenv("AMUSE_JUDGE", raising=False)
    assert judge_config() is None
    monkeypatch.setenv("AMUSE_JUDGE", "base_url=http://127.0.0.1:1/v1,model=m")
    assert judge_config() == {"base_url": "http://127.0.0.1:1/v1", "model": "m"}


def test_dataset_checks_the_spec_and_only_judged_tasks_carry_it(synth_root):
    with pytest.raises(ValueError, match=r"\['temperature'\]"):
        custom_dataset("avds", amuse_root=str(synth_root), judge="pretrained=x,temperature=0")
    spec = "base_url=http://127.0.0.1:1/v1,model=m"
    for task, judged in (("avds", True), ("csnl", True), ("avsa", False), ("stg", False)):
        doc = custom_dataset(task, amuse_root=str(synth_root), judge=spec)["test"][0]
        assert (JUDGE_KEY in doc) == judged, task


def test_a_judge_that_cannot_load_fails_its_samples_once_not_the_run(synth_root, monkeypatch):
    loads = []

    def broken(cfg):
        loads.append(cfg)
        raise OSError("no such model folder")

    monkeypatch.setattr(judge_mod, "_load", broken)
    monkeypatch.setattr(judge_mod, "_judges", {})
    docs = custom_dataset("avds", amuse_root=str(synth_root), judge="pretrained=/nowhere")["test"]
    for doc in docs[:3]:
        out = judge_scores(doc, "Maya proposes a trip.")
        assert math.isnan(out["judge_score"]) and out["judge_fail"] == 1.0
    assert len(loads) == 1
    assert judge_scores(docs[0], "  ") == {"judge_score": 0.0, "judge_fail": 0.0}  # nothing to judge


def test_lm_eval_run_reports_judge_scores_and_failures(tmp_path, synth_root):
    ids = {t: [r["id"] for r in load_records(synth_root).records if r["task"] == t][:3] for t in ("avds", "csnl")}
    replies = {
        ids["avds"][0]: "Score: 8", ids["avds"][1]: "score = 6/10", ids["avds"][2]: 500,  # HTTP error
        ids["csnl"][0]: "**Score:** 9", ids["csnl"][1]: "I cannot tell.", ids["csnl"][2]: "Score: 3",
    }

    def by_sample(body: dict) -> dict | int:
        reply = replies[re.search(r"Sample: (\S+)", body["messages"][-1]["content"]).group(1)]
        return reply if isinstance(reply, int) else {"content": reply}

    with fake_chat_endpoint(by_sample) as (base_url, requests):
        res = run_lm_eval([sys.executable, str(FAKES), "--model", "amuse-fake-oracle", "--limit", "3",
                           "--tasks", "amuse_avds_guided,amuse_csnl_agentic,amuse_avsa_guided",
                           "--metadata", json.dumps({"amuse_root": str(synth_root), "cues": "oracle",
                                                     "judge": f"base_url={base_url},model=fake-judge"})], tmp_path)
    assert metric(res, "amuse_avds_guided", "judge_score") == pytest.approx(7.0)
    assert metric(res, "amuse_avds_guided", "judge_fail") == pytest.approx(1 / 3)
    assert metric(res, "amuse_csnl_agentic", "judge_coherence") == pytest.approx(6.0)
    assert metric(res, "amuse_csnl_agentic", "judge_fail") == pytest.approx(1 / 3)
    assert metric(res, "amuse_avds_guided", "bleu4") == pytest.approx(100.0)  # the task metrics are unaffected
    assert metric(res, "amuse_csnl_agentic", "acc_strict") == 1.0
    assert not [k for k in res["results"]["amuse_avsa_guided"] if "judge" in k]
    assert len(requests) == 6
    for body in requests:
        assert body["model"] == "fake-judge" and body["temperature"] == 0.0
    avds = next(b["messages"][-1]["content"] for b in requests if ids["avds"][0] in b["messages"][-1]["content"])
    reference = next(r["answer"] for r in load_records(synth_root).records if r["id"] == ids["avds"][0])
    assert avds.count(reference.strip()) == 2  # the oracle's summary is the reference
    csnl = next(b["messages"][-1]["content"] for b in requests if ids["csnl"][0] in b["messages"][-1]["content"])
    assert "<tool_call>" not in csnl  # agentic: only the <answer> is judged
    sample = json.loads(next(Path(tmp_path).rglob("samples_amuse_avds_guided_*.jsonl")).read_text().splitlines()[0])
    assert sample["judge_score"] == 8.0 and sample["judge_fail"] == 0.0
    # amuse-report shows the judge columns of runs that had a judge (0-10, not rescaled)
    [run] = find_runs([tmp_path], {str(tmp_path): "oracle"})
    header, rows = build_table("summarization", [run])
    assert rows[0][header.index("Judge (0-10)")] == pytest.approx(7.0)
    header, rows = build_table("grounding", [run])
    assert rows[0][header.index("CSNL judge coherence (0-10)")] == pytest.approx(6.0)


def test_smollm2_as_a_real_hf_judge(synth_root, monkeypatch):
    from amuse_tasks.models.chat_backbones import HFChat

    smollm2_or_skip()
    monkeypatch.setattr(judge_mod, "_judges", {})
    doc = custom_dataset("avds", amuse_root=str(synth_root), judge="smollm2-offline")["test"][0]
    out = judge_scores(doc, doc["answer"])
    # loaded and asked through the chat template; whether a 135M model writes a usable score is its own
    # business (it does not, here): a reply without one must be counted, never turned into a number
    assert set(out) == {"judge_score", "judge_fail"}
    assert out["judge_fail"] == float(math.isnan(out["judge_score"]))
    assert math.isnan(out["judge_score"]) or 0.0 <= out["judge_score"] <= 10.0
    assert isinstance(judge_mod._judges[(("pretrained", "smollm2-offline"),)], HFChat)
