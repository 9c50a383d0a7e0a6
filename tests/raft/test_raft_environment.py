"""Agentic RAFT through TRL's tool environments: the calls a model writes run on the clip, their results go
back as tool messages that the loss never sees, and the rewards read the calls that really ran."""

from __future__ import annotations

import itertools
import json

import pytest
import torch
from raft_fixtures import make_qwen2, raft_args

# A scripted policy (a tiny random model writes no calls): the first turn of a rollout calls a tool, alternately
# well (as bare JSON, the way Qwen2.5-Coder-0.5B writes calls) and with an empty span (in the template's tags);
# the turn after a tool result answers.
GOOD_CALL = '{"name": "transcribe", "arguments": {"start": 0, "end": 3}}<|im_end|>'
BAD_CALL = '<tool_call>\n{"name": "lip_sync", "arguments": {"face_id": "FACE_A", "start": 4, "end": 2}}\n</tool_call><|im_end|>'
FINAL = "<reflect>the transcript shows the voice</reflect><answer>A</answer><|im_end|>"


def _scripted_generate(tokenizer):
    turns = itertools.cycle([GOOD_CALL, BAD_CALL])

    def generate(input_ids, attention_mask=None, **kwargs):
        rows = []
        for ids in input_ids:
            seen = tokenizer.decode(ids)
            reply = FINAL if "<tool_response>" in seen else next(turns)
            rows.append(torch.cat([ids, torch.tensor(tokenizer.encode(reply, add_special_tokens=False))]))
        width = max(len(r) for r in rows)
        pad = tokenizer.pad_token_id
        return torch.stack([torch.cat([r, torch.full((width - len(r),), pad, dtype=r.dtype)]) for r in rows])

    return generate


@pytest.fixture
def tool_tokenizer(tiny_tokenizer):
    """The tiny tokenizer behind TRL's Qwen2.5 chat template (renders tools; TRL knows its call format)."""
    from trl.chat_template_utils import qwen2_5_chat_template

    tok = __import__("copy").deepcopy(tiny_tokenizer)
    tok.chat_template = qwen2_5_chat_template
    return tok


def test_environment_offers_the_agents_tools_with_their_schemas():
    from transformers.utils import get_json_schema

    from amuse_tasks.tools.schemas import offered_tools, schemas_for
    from raft_trl.environment import AmuseToolEnv

    env = AmuseToolEnv()
    got = [get_json_schema(getattr(env, name)) for name in offered_tools()]
    for schema, want in zip(got, schemas_for(offered_tools())):
        schema["function"].pop("return", None)
        assert schema == want


def test_agentic_rollouts_run_the_tools_and_mask_their_results(tmp_path, tool_tokenizer, offline_cues):
    from raft_trl import RAFTTrainer
    from raft_trl.data import build_rows, to_dataset
    from raft_trl.environment import AmuseToolEnv
    from raft_trl.rewards import reward_functions

    rows = build_rows(offline_cues, mode="agentic", tasks=["avsa"], limit=1)
    model = make_qwen2(tool_tokenizer, max_positions=8192)
    model.generate = _scripted_generate(tool_tokenizer)
    args = raft_args(tmp_path, num_generations=2, per_device_train_batch_size=2, max_completion_length=1024,
                     max_steps=1, temporal_weight=0.0)
    trainer = RAFTTrainer(model, reward_functions(["tool_use", "format", "consistency"]), args,
                          train_dataset=to_dataset(rows), processing_class=tool_tokenizer,
                          environment_factory=AmuseToolEnv.factory())
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    inputs = trainer.prepare_batch(next(iter(trainer.get_train_dataloader())))

    # every call ran on the clip: one result, one fixable error, and the step went on
    traces = [json.loads(line) for line in (tmp_path / "out" / "rollout_traces.jsonl").read_text().splitlines()]
    calls = sorted((c for t in traces for c in t["calls"]), key=lambda c: c["name"])
    assert [c["name"] for c in calls] == ["lip_sync", "transcribe"]
    assert not calls[0]["ok"] and "empty span" in calls[0]["error"] and "e.g. start=" in calls[0]["error"]
    assert calls[1]["ok"] and "utterances" in calls[1]["summary"]
    assert all(t["answer"] == "A" and "<tool_response>" not in t["text"] for t in traces)
    metrics = trainer.logged_metrics("train")
    assert metrics["tools/call_frequency"] == [1.0] and metrics["tools/failure_frequency"] == [0.5]

    # the tool results are in the completion tokens, and outside the loss
    tool_tokens = inputs["completion_ids"][inputs["tool_mask"] == 0]
    assert len(tool_tokens) > 0 and "utterances" in tool_tokenizer.decode(tool_tokens)
    loss = trainer.compute_loss(trainer.model, inputs)
    assert torch.isfinite(loss)

    # tool_use read the calls that ran: the rollout whose call failed scores below the one whose call ran
    tool_use = trainer.rewards_per_function[:, 0].tolist()
    assert sorted(tool_use) == pytest.approx([-1.0 + 0.0 + 0.0, -1.0 + 1.0 + 1 / 3])

    # the model card says which mode was trained and how the tools ran
    trainer.create_model_card()
    card = (tmp_path / "out" / "README.md").read_text()
    assert "| mode (prompts) | agentic |" in card and "every tool call the model wrote ran on the clip" in card
