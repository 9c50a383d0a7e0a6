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
