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


def _run(fn, texts, prompt="", **cols):
    return fn([[{"role": "assistant", "content": t}] for t in texts], cues=[json.dumps(CUES)] * len(texts),
              prompts=[[{"role": "user", "content": prompt}]] * len(texts), **cols)


def test_perceptual_rewards_score_claims_and_are_neutral_without_claims():
    texts = ["FACE_B speaks at 2.8-5.0.\nAnswer: B",                  # sync a = 0.8
             "FACE_A speaks at 1.5-4.0.",                             # sync a = (1.0*1.0 + 0.2*1.2) / 2.2
             "Answer: A",                                             # no claims at all
             'VOICE_2 is FACE_B. VOICE_1 is FACE_B. FACE_B said "the car is not ready".',
             "VOICE_1 talks at 0.0-5.0. <tool_response>FACE_A at 0.0-2.5</tool_response>"]
    sync = _run(rewards.sync, texts)  # each claim scores 2a - 1
    assert sync[0] == pytest.approx(0.6) and sync[1] == pytest.approx(2 * 1.24 / 2.2 - 1)
    assert sync[2:] == [0.0, 0.0, 0.0]  # no claim: neutral; tool responses are not claims
    assert _run(rewards.face, texts) == [0.0, 0.0, 0.0, 0.0, 0.0]  # one right (+1), one wrong (-1) pair
    speech = _run(rewards.speech, texts)
    assert speech[:3] == [0.0, 0.0, 0.0] and speech[3] == pytest.approx(1.0)  # FACE_B is VOICE_2's face
    assert _run(rewards.speech, ['VOICE_2 says "the cart is not ready"'])[0] == pytest.approx(0.6)  # 1 of 5 wrong
    assert _run(rewards.speech, ['"the car is not ready"', 'VOICE_2: "not ready"']) == [0.0, 0.0]  # no who / < 3 words
    diar = _run(rewards.diarization, texts)
    assert diar[:4] == [0.0, 0.0, 0.0, 0.0] and diar[4] == pytest.approx(2 * 2.5 / 5.0 - 1)


def test_copies_of_the_prompt_are_no_claims():
    prompt = "[2.8-5.0] VOICE_2: the car is not ready yet\nFACE_B speaks at 2.8-5.0\nWho speaks?"
    copied = "FACE_B speaks at 2.8-5.0\n[2.8-5.0] VOICE_2: the car is not ready yet\nAnswer: A"
    assert _run(rewards.sync, [copied], prompt=prompt) == [0.0]
    assert _run(rewards.diarization, [copied], prompt=prompt) == [0.0]
    assert _run(rewards.sync, [copied]) == [pytest.approx(0.6)]  # the same words, not in the prompt: a claim


def test_echoes_copies_and_blanket_claims_never_beat_a_correct_specific_answer():
    """Summed over the default (label-free) reward functions, as TRL sums them with equal weights."""
    from raft_trl.train import DataArguments

    names = DataArguments().rewards
    assert "accuracy" not in names
    prompt = ("Clip c1. Who says \"the car is not ready yet\"?\nOptions: (A) Ann (B) Bob\n"
              "[0.0-2.5] VOICE_1: we should leave before the rain\n[2.8-5.0] VOICE_2: the car is not ready yet\n"
              "FACE_A 0.0-5.0 box 10 10 40 40\nFACE_B 0.0-5.0 box 80 10 40 40\nAnswer with the letter.")
    candidates = {
        "correct, specific": 'VOICE_2 speaks at 2.8-5.0 and is FACE_B. FACE_B says "the car is not ready yet".\nAnswer: B',
        "prompt echo, wrong answer": prompt + "\nAnswer: A",
        "transcript copy": "[0.0-2.5] VOICE_1: we should leave before the rain\n[2.8-5.0] VOICE_2: the car is not "
                           "ready yet\nAnswer: B",
        "blanket claims": "FACE_A speaks at 0.0-5.0. FACE_B speaks at 0.0-5.0. VOICE_1 is FACE_A. VOICE_1 is FACE_B. "
                          "VOICE_2 is FACE_A. VOICE_2 is FACE_B.\nAnswer: B",
        "bare answer": "Answer: B",
    }
    cols = dict(mode=["guided"] * len(candidates), task=["avsa"] * len(candidates),
                options=[["Ann", "Bob"]] * len(candidates), answer=['"B"'] * len(candidates))
    total = [0.0] * len(candidates)
    for fn in rewards.reward_functions(names):
        got = _run(fn, list(candidates.values()), prompt=prompt, **cols)
        total = [t + g for t, g in zip(total, got)]
    score = dict(zip(candidates, total))
    best = score.pop("correct, specific")
    assert all(v < best for v in score.values()), (best, score)


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
    agentic = build_rows(records_root, mode="agentic", tasks=["avsa"], cue_source="oracle").rows  # no media here
    assert agentic[0]["prompt"][0]["role"] == "system" and "<plan>" in agentic[0]["prompt"][0]["content"]


def test_temporal_windows_link_cue_lines_and_response_citations():
    text = "[0.0-2.5] VOICE_1: hi\nVOICE_2: 2.8-5.0, 6.0-6.5\nno time here"
    assert [w for _, _, w in stamped_lines(text, 2.0)] == [{0, 1}, {1, 2}, {3}]
    prompt = ["[0.0-", "1.5] ", "VOICE_1", "\n", "hello"]
    response = ["VOICE_1 ", "at 0.5-1.0", "\n", "done"]
    rw = row_windows(list(range(9)), 5, lambda ids: (prompt + response)[: len(ids)], 2.0,
                     audio_token_id=None)
    assert rw.cue == {0: [0, 1, 2]} and rw.response == {0: [5, 6]} and rw.aligned()
