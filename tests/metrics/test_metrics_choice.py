import pytest

from amuse_tasks.metrics.choice import extract_lenient, extract_strict

OPTIONS = ["Maya", "Dev", "Hugo", "Lena"]


@pytest.mark.parametrize("text", ["B", "(B)", "Answer: B", "answer: (B).", "B. Dev spoke next", "  B\n"])
def test_strict_accepts_the_letter_forms(text):
    assert extract_strict(text, 4) == "B"
    assert extract_lenient(text, 4, OPTIONS) == "B"


@pytest.mark.parametrize("text", ["the answer is b.", "I think the answer is B because Dev looks up",
                                  "I pick (B).", "It has to be Dev."])
def test_lenient_reads_what_strict_refuses(text):
    assert extract_strict(text, 4) is None
    assert extract_lenient(text, 4, OPTIONS) == "B"


@pytest.mark.parametrize("text", ["A or B", "(A) or (B)", "A/B", "A and C", "", None, "no idea",
                                  "the answer is a bit unclear", "E", "Answer: E"])
def test_alternatives_and_garbage_are_unparseable(text):
    assert extract_strict(text, 4) is None
    assert extract_lenient(text, 4, OPTIONS) is None


def test_letter_beyond_the_options_is_rejected():
    assert extract_strict("C", 2) is None
    assert extract_lenient("C", 2, ["Maya", "Dev"]) is None


def test_two_option_texts_named_is_ambiguous():
    assert extract_lenient("either Maya or Dev", 4, OPTIONS) is None


@pytest.mark.parametrize("text", [
    "It is not B.", "B is not the speaker", "Not B.", "the answer is not B", "no option B",
    "(A) (B) (C) (D)", "Answer: A. B. C.", "Answer: B. C.", "A person speaks here", "FACE_B", "FACE_B speaks",
    "B1", "The answer is B or C", "Answer: (A) (B)",
])
def test_hedges_negations_and_letters_inside_tokens_earn_nothing(text):
    for answer in (text, f"<answer>{text}</answer>"):
        assert extract_strict(answer, 4) is None
        assert extract_lenient(answer, 4, OPTIONS) is None


@pytest.mark.parametrize("text,letter", [
    ("VOICE_1 is FACE_A and overlaps 3.0-4.0, so maybe A.\nAnswer: B", "B"),
    ("<reflect>A looks likely</reflect><answer>B</answer>", "B"),
    ("**Answer:** B", "B"),
    ("Answer:\nB", "B"),
    ("B, not A", "B"),
    ("Not A but B", None),  # lenient only, below
])
def test_the_final_answer_wins_over_reasoning(text, letter):
    assert extract_strict(text, 4) == letter
    assert extract_lenient(text, 4, OPTIONS) == "B"


def test_a_negated_option_text_is_not_a_choice():
    assert extract_lenient("It is not Dev.", 4, OPTIONS) is None
    assert extract_lenient("Not Maya: Dev.", 4, OPTIONS) == "B"
