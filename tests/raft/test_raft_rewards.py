"""Perceptual rewards on hand-checked claims, and AMUSE records -> training rows."""

from __future__ import annotations

import json

import pytest

from raft_trl import rewards
from raft_trl.data import build_rows
from raft_trl.temporal import row_windows, stamped_lines

CUES = {"source": "oracle",
        "TR": [{"voice": "VOICE_1", "start": 0.0, "end": 2.5, "text": "we should leave before the rain"},
               {"voice": "VOICE_2", "start": 2.8, "end": 5.0, "text": "the car is not ready yet"}],
        "VS": [{"voice": "VOICE_1", "start": 0.0, "end": 2.5}, {"voice": "VOICE_2", "start": 2.8, "end": 5.0}],
        "LS": [{"face": "FACE_A", "start": 0.0, "end": 2.5, "score": 1.0},
               {"face": "FACE_B", "start": 0.0, "end": 2.5, "score": 0.0},
               {"face": "FACE_A", "start": 2.8, "end": 5.0, "score": 0.2},
               {"face": "FACE_B", "start": 2.8, "end": 5.0, "score": 0.8}]}


def _run(fn, texts, **cols):
    return fn([[{"role": "assistant", "content": t}] for t in texts], cues=[json.dumps(CUES)] * len(texts), **cols)


def test_perceptual_rewards_score_claims_and_skip_candidates_without_claims():
    texts = ["FACE_B speaks at 2.8-5.0.\nAnswer: B",                  # sync 0.8
             "FACE_A speaks at 1.5-4.0.",                             # sync (1.0*1.0 + 0.2*1.2) / 2.2
             "Answer: A",                                             # no claims at all
             'VOICE_2 is FACE_B. VOICE_1 is FACE_B. She said "the car is not ready".',
             "VOICE_1 talks at 0.0-5.0. <tool_response>FACE_A at 0.0-2.5</tool_response>"]
    sync = _run(rewards.sync, texts)
    assert sync[0] == pytest.approx(0.8) and sync[1] == pytest.approx(1.24 / 2.2)
    assert sync[2] is None and sync[3] is None and sync[4] is None  # tool responses are not claims
    assert _run(rewards.face, texts) == [None, None, None, 0.5, None]
    speech = _run(rewards.speech, texts)
    assert speech[:3] == [None, None, None] and speech[3] == pytest.approx(1.0)  # 5 words inside the utterance
    assert _run(rewards.speech, ['"the cart is not ready"'])[0] == pytest.approx(0.8)  # 1 substitution in 5
    diar = _run(rewards.diarization, texts)
    assert diar[:4] == [None, None, None, None] and diar[4] == pytest.approx(2.5 / 5.0)


def test_format_and_accuracy_use_the_task_table():
    cols = dict(mode=["guided", "guided", "agentic", "guided"], task=["avsa", "avsa", "avsa", "stg"],
                options=[["P1", "P2"]] * 3 + [[]], answer=['"B"', '"B"', '"B"', "[[2.0, 4.0]]"])
    texts = ["VOICE_2 is FACE_B.\nAnswer: B", "maybe A or B",
             "<plan>p</plan><tool_call>{\"name\": \"lip_sync\", \"arguments\": {}}</tool_call>"
             "<tool_response>x</tool_response><reflect>r</reflect><answer>B</answer>", "Answer: 3.0-4.0"]
    comps = [[{"role": "assistant", "content": t}] for t in texts]
    assert rewards.format(comps, **cols) == [1.0, 0.0, 1.0, 1.0]
    acc = rewards.accuracy(comps, **cols)
    assert acc[:3] == [1.0, 0.0, 1.0] and acc[3] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unknown reward"):
        rewards.reward_functions(["sync", "nope"])


def test_records_become_prompts_of_the_evaluation(records_root):
    from amuse_tasks.prompts import build_prompt
    from amuse_tasks.schema import load_records

    (records_root / "records.jsonl").open("a").write('{"schema_version": "1.0", "id": "broken"}\n')
    rows = build_rows(records_root, mode="guided", cue_source="oracle")
    assert len(rows.rows) == 4 and len(rows.errors) == 1 and "records.jsonl:5" in rows.errors[0]
    recs = {r["id"]: r for r in load_records(records_root, strict=False).records}
    for row in rows.rows:
        assert row["prompt"] == [{"role": "user", "content": build_prompt(recs[row["record_id"]], "guided")}]
    stg = next(r for r in rows.rows if r["task"] == "stg")
    assert json.loads(stg["answer"]) == [[2.8, 5.0]]  # window seconds, as in the record and the answers
    assert rows.rows[0]["reference_trace"].startswith("VOICE_2") and rows.rows[1]["reference_trace"] is None
    agentic = build_rows(records_root, mode="agentic", tasks=["avsa"]).rows
    assert agentic[0]["prompt"][0]["role"] == "system" and "<plan>" in agentic[0]["prompt"][0]["content"]


def test_temporal_windows_link_cue_lines_and_response_citations():
    text = "[0.0-2.5] VOICE_1: hi\nVOICE_2: 2.8-5.0, 6.0-6.5\nno time here"
    assert [w for _, _, w in stamped_lines(text, 2.0)] == [{0, 1}, {1, 2}, {3}]
    prompt = ["[0.0-", "1.5] ", "VOICE_1", "\n", "hello"]
    response = ["VOICE_1 ", "at 0.5-1.0", "\n", "done"]
    rw = row_windows(list(range(9)), 5, lambda ids: (prompt + response)[: len(ids)], 2.0,
                     audio_token_id=None)
    assert rw.cue == {0: [0, 1, 2]} and rw.response == {0: [5, 6]} and rw.aligned()
