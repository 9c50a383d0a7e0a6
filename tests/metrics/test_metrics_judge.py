import pytest

from amuse_tasks.metrics.judge_score import MAX_CANDIDATE_CHARS, avds_messages, csnl_messages, parse_score


@pytest.mark.parametrize("reply,score", [
    ("Score: 7", 7.0), ("score = 10/10", 10.0), ("**Score:** 8", 8.0), ("Score: 6.5\nThe summary misses...", 6.5),
    ("8", 8.0), (" 3. ", 3.0), ("0", 0.0), ("I would give it 7/10.", 7.0),
    ("The candidate is close. Score: 9 (one attribution is wrong)", 9.0),
])
def test_parse_score_reads_the_judge_reply(reply, score):
    assert parse_score(reply) == score


@pytest.mark.parametrize("reply", ["", None, "Score: 11", "score: 42/10", "great summary", "7 or 8",
                                   "-3", "Score: high", "a" * 100_000])
def test_parse_score_rejects_what_is_not_a_0_to_10_score(reply):
    assert parse_score(reply) is None


def test_avds_messages_carry_reference_candidate_and_speakers():
    system, user = avds_messages("c0-avds", "Maya proposes a trip.", "Dev proposes a trip.", ["Maya", "Dev"])
    assert system["role"] == "system" and user["role"] == "user"
    text = user["content"]
    assert "c0-avds" in text and "Maya proposes a trip." in text and "Dev proposes a trip." in text
    assert "Speakers: Maya, Dev" in text and "Score: N" in text


def test_csnl_messages_carry_the_correct_option_and_rationale():
    _, user = csnl_messages("c0-csnl", "Who raised it?", "B. Dev, in scene 1", "Dev asks about the budget.",
                            "Answer: B. Dev asked first.")
    text = user["content"]
    for part in ("c0-csnl", "Who raised it?", "Correct answer: B. Dev, in scene 1", "Dev asks about the budget.",
                 "Answer: B. Dev asked first."):
        assert part in text


def test_runaway_candidates_are_cut_before_the_judge():
    _, user = avds_messages("x", "ref", "word " * 10_000, [])
    assert len(user["content"]) < MAX_CANDIDATE_CHARS + 1000 and "[truncated]" in user["content"]
