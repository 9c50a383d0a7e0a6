"""Perceptual rewards on hand-checked claims, and AMUSE records -> training rows."""

from __future__ import annotations

import json

import pytest
import torch
from raft_fixtures import make_qwen2, prompt_dataset, raft_args

from raft_trl import RAFTTrainer, rewards
from raft_trl.data import build_rows
from raft_trl.temporal_coherence import row_windows, stamped_lines

CUES = {"source": "tools:oracle",
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


# Two people side by side; VOICE_2 (lips of FACE_B, on the right) says the quote; after a cut at 6.0 s
# they have swapped seats.
SCENE = {**CUES,
         "FC": [{"face": "FACE_A", "start": 0.0, "end": 6.0, "box": [10, 50, 40, 40]},
                {"face": "FACE_B", "start": 0.0, "end": 6.0, "box": [100, 50, 40, 40]},
                {"face": "FACE_A", "start": 6.0, "end": 10.0, "box": [100, 50, 40, 40]},
                {"face": "FACE_B", "start": 6.0, "end": 10.0, "box": [10, 50, 40, 40]}]}
PEOPLE = [{"label": "Ann", "description": "1st from the left", "seat": {"column": 1, "row": None}},
          {"label": "Bob", "description": "2nd from the left", "seat": {"column": 2, "row": None}}]
QUOTE = "the car is not ready yet"
FACTS = {
    "avsa": {"query": {"quote": QUOTE, "span": [2.8, 5.0]}, "people": PEOPLE, "duration": 10.0},
    "srid": {"query": {"quote": QUOTE, "span": [2.8, 5.0], "scene_start": 6.0,
                       "options": [{"seat": {"column": 2, "row": None}}, {"seat": {"column": 1, "row": None}}]},
             "people": PEOPLE, "duration": 10.0},
    "stg": {"query": {"quote": QUOTE, "person": "Bob"}, "people": PEOPLE, "duration": 10.0},
    "nsp": {"query": {}, "people": PEOPLE, "duration": 10.0},
}
OPTIONS = {"avsa": ["Ann", "Bob"], "srid": ["right", "left"], "stg": [], "nsp": ["Ann", "Bob"]}


def _cols(task: str, n: int, mode: str = "guided") -> dict:
    return dict(mode=[mode] * n, task=[task] * n, options=[OPTIONS[task]] * n, answer=['"B"'] * n,
                question_facts=[json.dumps(FACTS[task])] * n)


def _scene(fn, texts, prompt="", task="avsa", mode="guided"):
    return fn([[{"role": "assistant", "content": t}] for t in texts], cues=[json.dumps(SCENE)] * len(texts),
              prompts=[[{"role": "user", "content": prompt}]] * len(texts), **_cols(task, len(texts), mode))


def test_consistency_scores_the_final_answer_against_the_cues_not_the_label():
    # avsa: FACE_B's lips move with the quote, FACE_B sits where Bob sits -> B
    assert _scene(rewards.consistency, ["Answer: B", "Answer: A", "I think B.\nAnswer: A", "A or B", "Answer: B, not A"]) \
        == [1.0, -1.0, -1.0, -1.0, 1.0]
    # srid: FACE_B is on the left after the cut -> option B ("left"), though Bob sat on the right before
    assert _scene(rewards.consistency, ["Answer: B", "Answer: A"], task="srid") == [1.0, -1.0]
    # stg: Bob is the voice FACE_B lip-syncs with (VOICE_2); 2 tIoU - 1
    got = _scene(rewards.consistency, ["Answer: 2.8-5.0", "Answer: 3.9-5.0", "Answer: 0.0-2.5", "no idea"], task="stg")
    assert got == [pytest.approx(1.0), pytest.approx(2 * 1.1 / 2.2 - 1), -1.0, -1.0]
    # nsp: no cue covers the silence before the cut -> not scorable, not a guess
    assert _scene(rewards.consistency, ["Answer: B"], task="nsp") == [None]
    # agentic: only <answer> counts; a letter inside a tool call is no answer
    agent = ["<plan>p</plan><reflect>r</reflect><answer>B</answer>",
             '<tool_call>{"name": "lip_sync", "arguments": {"face_id": "B"}}</tool_call>']
    assert _scene(rewards.consistency, agent, mode="agentic") == [1.0, -1.0]


def test_consistency_follows_the_cues_when_they_point_elsewhere():
    """The same reply, the same label: swap the lip-sync scores and the supported answer swaps too."""
    swapped = {**SCENE, "LS": [{**i, "face": {"FACE_A": "FACE_B", "FACE_B": "FACE_A"}[i["face"]]} for i in SCENE["LS"]]}
    got = rewards.consistency([[{"role": "assistant", "content": "Answer: B"}]], cues=[json.dumps(swapped)],
                              **_cols("avsa", 1))
    assert got == [-1.0]


def test_format_reads_the_final_answer_by_the_evaluation_rule():
    texts = ["Answer: B", "Options: A, B\nAnswer: A, B or C", "B\nAnswer: none of them",
             '<tool_call>{"name": "lip_sync", "arguments": {"face_id": "B"}}</tool_call>', "B"]
    assert _scene(rewards.format, texts) == [1.0, 0.0, 0.0, 0.0, 1.0]


def test_restated_prompt_lines_are_no_claims():
    prompt = "LS - Lip sync:\nFACE_B: 2.8-5.0: 0.80\nTR:\n[2.8-5.0] VOICE_2: the car is not ready yet"
    restated = "[2.8-5.0] VOICE_2 said: the car is not ready yet"  # small changes, still the prompt's line
    own = "VOICE_2 speaks at 2.8-5.0"
    assert rewards.own_clauses(restated + "\n" + own, prompt) == [own]


def test_wrong_answers_never_beat_right_ones_and_echoes_never_beat_a_bare_correct_answer():
    """Summed over the default (label-free) reward functions, as TRL sums them with equal weights."""
    from raft_trl.train import DataArguments

    names = DataArguments().rewards
    assert "accuracy" not in names and "consistency" in names
    prompt = (f'Clip c1. Who says "{QUOTE}"?\nOptions: (A) Ann (B) Bob\n'
              "[0.0-2.5] VOICE_1: we should leave before the rain\n[2.8-5.0] VOICE_2: the car is not ready yet\n"
              "VOICE_1: 0.0-2.5\nVOICE_2: 2.8-5.0\nFACE_A: visible 0.0-6.0 at [10, 50, 40, 40]\n"
              "FACE_B: visible 0.0-6.0 at [100, 50, 40, 40]\nFACE_A: 0.0-2.5: 1.00, 2.8-5.0: 0.20\n"
              "FACE_B: 0.0-2.5: 0.00, 2.8-5.0: 0.80\nAnswer with the letter.")
    bodies = {
        "specific": f'VOICE_2 speaks at 2.8-5.0 and is FACE_B. FACE_B says "{QUOTE}".',
        "prompt echo": prompt,
        "cue copy": "[0.0-2.5] VOICE_1: we should leave before the rain\n[2.8-5.0] VOICE_2: the car is not ready yet",
        "cue copy, small changes": "[2.8-5.0] VOICE_2 said: the car is not ready yet\nFACE_B 2.8-5.0 0.80",
        "blanket claims": "FACE_A speaks at 0.0-5.0. FACE_B speaks at 0.0-5.0. VOICE_1 is FACE_A. VOICE_1 is FACE_B. "
                          "VOICE_2 is FACE_A. VOICE_2 is FACE_B.",
        "none": "",
    }
    replies = {(name, letter): f"{body}\nAnswer: {letter}".strip() for name, body in bodies.items() for letter in "AB"}
    total = [0.0] * len(replies)
    for fn in rewards.reward_functions(names):
        got = _scene(fn, list(replies.values()), prompt=prompt)
        total = [t + (g or 0.0) for t, g in zip(total, got)]
    score = dict(zip(replies, total))
    for name in bodies:
        assert score[(name, "B")] > score[(name, "A")], (name, score)
    bare = score[("none", "B")]
    for name in ("prompt echo", "cue copy", "cue copy, small changes", "blanket claims"):
        assert score[(name, "A")] < bare, (name, score)
        assert score[(name, "B")] <= bare + 1e-9, (name, score)  # an echo adds nothing to a right answer


def test_cue_evidence_supports_the_labels_with_oracle_cues(synth_root):
    """The evidence the reward uses is the rule baseline's: with ground-truth cues it finds the labelled
    option on AMUSE-Synth (the upper bound; the offline tools' rate is in bench/results/reward_validity)."""
    from amuse_tasks.cues import cue_source
    from amuse_tasks.evidence import CueEvidence
    from amuse_tasks.schema import load_records
    from raft_trl.data import question_facts

    hits = {}
    for rec in load_records(synth_root).records:
        if rec["task"] not in ("avsa", "srid", "csnl"):
            continue
        facts = question_facts(rec)
        ev = CueEvidence(cue_source("oracle").cues(rec, synth_root), facts["query"], facts["people"], rec["options"], facts["duration"])
        hits.setdefault(rec["task"], []).append(ev.supported(rec["task"]) == rec["answer"])
    assert {t: sum(h) / len(h) for t, h in hits.items()} == {"avsa": 1.0, "srid": 1.0, "csnl": 1.0}


def test_format_and_accuracy_use_the_task_table():
    cols = dict(mode=["guided", "guided", "agentic", "guided", "agentic"], task=["avsa", "avsa", "avsa", "stg", "avsa"],
                options=[["P1", "P2"]] * 3 + [[], ["P1", "P2"]], answer=['"B"', '"B"', '"B"', "[[2.0, 4.0]]", '"B"'])
    texts = ["VOICE_2 is FACE_B.\nAnswer: B", "maybe A or B", "<reflect>r</reflect><answer>B</answer>",
             "Answer: 3.0-4.0",
             # agentic, with a tool result the model wrote itself: the format reward never pays for it
             "<tool_call>{\"name\": \"lip_sync\", \"arguments\": {}}</tool_call>"
             "<tool_response>x</tool_response><reflect>r</reflect><answer>B</answer>"]
    comps = [[{"role": "assistant", "content": t}] for t in texts]
    # an agentic rollout's tool messages are the tools' words, not the model's
    comps[2] = [{"role": "assistant", "content": "", "tool_calls": []}, {"role": "tool", "content": "<answer>A</answer>"},
                {"role": "assistant", "content": texts[2]}]
    assert rewards.format(comps, **cols) == [1.0, 0.0, 1.0, 1.0, pytest.approx(2 / 3)]
    acc = rewards.accuracy(comps, **cols)
    assert acc[:3] == [1.0, 0.0, 1.0] and acc[3] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unknown reward"):
        rewards.reward_functions(["sync", "nope"])


def test_records_become_prompts_of_the_evaluation(records_root):
    from amuse_tasks.cues import cue_source
    from amuse_tasks.prompts import agent_system_prompt, build_prompt
    from amuse_tasks.schema import load_records

    (records_root / "records.jsonl").open("a").write('{"schema_version": "1.0", "id": "broken"}\n')
    rows = build_rows(records_root, mode="guided", cue_source="oracle")
    assert len(rows.rows) == 4 and len(rows.errors) == 1 and "records.jsonl:5" in rows.errors[0]
    recs = {r["id"]: r for r in load_records(records_root, strict=False).records}
    for row in rows.rows:
        assert row["prompt"] == [{"role": "user", "content": build_prompt(recs[row["record_id"]], "guided",
                                                                        cues=cue_source("oracle").cues(recs[row["record_id"]], records_root))}]
    stg = next(r for r in rows.rows if r["task"] == "stg")
    assert json.loads(stg["answer"]) == [[2.8, 5.0]]  # window seconds, as in the record and the answers
    assert rows.rows[0]["reference_trace"].startswith("VOICE_2") and rows.rows[1]["reference_trace"] is None
    agentic = build_rows(records_root, mode="agentic", tasks=["avsa"], cue_source="oracle").rows  # no media here
    assert agentic[0]["prompt"][0] == {"role": "system", "content": agent_system_prompt(list_tools=False)}
    assert json.loads(agentic[0]["record"])["id"] == agentic[0]["record_id"] and agentic[0]["root"]
    assert agentic[0]["reference_trace"] is None  # a trace would train tool results as the model's own text


def test_temporal_windows_link_cue_lines_and_response_citations():
    text = "[0.0-2.5] VOICE_1: hi\nVOICE_2: 2.8-5.0, 6.0-6.5\nno time here"
    assert [w for _, _, w in stamped_lines(text, 2.0)] == [{0, 1}, {1, 2}, {3}]
    prompt = ["[0.0-", "1.5] ", "VOICE_1", "\n", "hello"]
    response = ["VOICE_1 ", "at 0.5-1.0", "\n", "done"]
    rw = row_windows(list(range(9)), 5, lambda ids: (prompt + response)[: len(ids)], 2.0,
                     audio_token_id=None)
    assert rw.cue == {0: [0, 1, 2]} and rw.response == {0: [5, 6]} and rw.aligned()


def test_a_reply_the_budget_cut_has_no_final_answer():
    """"A. 1st from the left," cut at max_completion_length reads as letter A, but the evaluation, with its own budget,
    sees the list of options it goes on to: format, accuracy and consistency score a cut reply as unanswered."""
    texts = ["Answer: B", "B. Bob, on the right"]
    for cut, want in (([False, False], ([1.0, 1.0], [1.0, 1.0], [1.0, 1.0])),
                      ([False, True], ([1.0, 0.0], [1.0, 0.0], [1.0, -1.0]))):
        kw = dict(cues=[json.dumps(SCENE)] * 2, truncated=cut, **_cols("avsa", 2))
        comps = [[{"role": "assistant", "content": t}] for t in texts]
        got = rewards.format(comps, **kw), rewards.accuracy(comps, **kw), rewards.consistency(comps, **kw)
        assert got == want
    agentic = [[{"role": "assistant", "content": "<reflect>r</reflect><answer>B</answer>"}]]
    assert rewards.format(agentic, **_cols("avsa", 1, "agentic"), truncated=[True]) == [0.0]


def test_the_trainer_tells_the_rewards_which_replies_the_budget_cut(tmp_path, tiny_tokenizer):
    """``truncated`` is TRL's own test (the last token is no EOS/pad), one flag per reply, both kinds here."""
    seen = []

    def probe(completions, completion_ids, truncated, **kwargs):
        seen.append((completion_ids, truncated))
        return [0.0] * len(completions)

    model = make_qwen2(tiny_tokenizer)
    with torch.no_grad():  # make EOS likely, so that some replies end before the budget
        model.lm_head.weight[tiny_tokenizer.eos_token_id] = model.model.norm.weight
    trainer = RAFTTrainer(model, [probe], raft_args(tmp_path, max_steps=1, temporal_weight=0.0, max_completion_length=4),
                          train_dataset=prompt_dataset(4), processing_class=tiny_tokenizer)
    trainer.train()
    ids, truncated = seen[0]
    assert truncated == [i[-1] != tiny_tokenizer.eos_token_id for i in ids]
    assert set(truncated) == {True, False}
    assert all(len(i) == 4 for i, t in zip(ids, truncated) if t)
