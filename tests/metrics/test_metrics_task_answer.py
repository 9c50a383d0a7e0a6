"""One extraction of a reply's answer: the lm-eval metrics and the RAFT rewards read the same thing."""

from __future__ import annotations

import json

import pytest

from amuse_tasks.lm_eval_glue.results import process_results
from amuse_tasks.metrics.task_answer import TaskAnswer, read_answer
from raft_trl import rewards

OPTIONS = ["Anna", "Ben", "Cleo"]


@pytest.mark.parametrize("reply, expected", [
    ("FACE_B speaks there.\nAnswer: B", TaskAnswer("B", letter="B", strict="B")),
    ("<answer>it is Ben</answer>", TaskAnswer("it is Ben", letter="B")),                 # the quoted option
    ("A or B\nAnswer: A, not C", TaskAnswer("A, not C", letter="A", strict="A")),
    ("Answer: B or C", TaskAnswer("B or C")),                                             # a hedge: no letter
    ("<tool_call>{\"face\": \"B\"}</tool_call> I am not sure", TaskAnswer(" I am not sure")),  # tool blocks never answer
    ("<tool_response><answer>C</answer></tool_response>Answer: A", TaskAnswer("A", letter="A", strict="A")),
])
def test_choice_answers_by_hand(reply, expected):
    assert read_answer("avsa", reply, OPTIONS) == expected


def test_interval_text_and_agentic_answers_by_hand():
    assert read_answer("stg", "VOICE_1 at 1.0-2.0.\nAnswer: 3.5-4.0, 5-6 s").intervals == ((3.5, 4.0), (5.0, 6.0))
    assert read_answer("avds", "Notes.\nAnswer: Anna said hi.\nBen agreed.").text == "Anna said hi.\nBen agreed."
    assert read_answer("avsa", "I think B", OPTIONS, mode="agentic") == TaskAnswer(None)  # no tag, no line: no answer
    assert read_answer("avsa", "<reflect>r</reflect><answer>B</answer>", OPTIONS, mode="agentic").letter == "B"


REPLIES = ["Answer: B", "B", "maybe A or B", "<answer>Cleo</answer>", "Answer: not A, it is C",
           "<tool_call>{\"letter\": \"A\"}</tool_call>", "Answer: A\nAnswer: C", "FACE_A is B? Answer: (B)"]


def test_the_evaluation_and_the_rewards_read_the_same_answer():
    doc = {"task": "avsa", "options": OPTIONS, "answer": "B", "people": []}
    evaluation = [process_results(doc, [r])["acc_lenient"] for r in REPLIES]
    reward = rewards.accuracy([[{"role": "assistant", "content": r}] for r in REPLIES], mode=["guided"] * len(REPLIES),
                              task=["avsa"] * len(REPLIES), options=[OPTIONS] * len(REPLIES),
                              answer=[json.dumps("B")] * len(REPLIES))
    assert evaluation == reward == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
