"""Option-letter extraction for multiple-choice answers, strict and lenient (like gsm8k's two filters).

Both read only the final answer (``answer_span.final_answer``: the ``<answer>`` tag, else the last
``Answer:`` line, else the whole reply). A reply that names no option, several options, only a
negated option ("not A"), or a letter that is part of another token (``FACE_C``, ``A1``, the
article in "A person speaks") is unparseable (None): it scores as wrong and counts in
``parse_fail``. There is never a fallback to a default option.
"""

from __future__ import annotations

import re

from amuse_tasks.metrics.answer_span import final_answer
from amuse_tasks.schema import LETTERS

# An option letter as a token of its own: not inside an identifier (FACE_C, A1, B-roll, it's).
_MENTION = re.compile(r"(?<![\w'’\-])\(?([A-Z])\)?(?![\w'’\-])")
# Whole final answer starts with a letter: "B", "(B)", "B.", "Answer: B", "(B). because ...".
_STRICT = re.compile(r"^\s*[*_]*\s*(?:(?i:answer)\s*:\s*)?[*_]*\(?([A-Z])\)?[*_]*\s*(?:[.,:;)]|$)")
# "the answer is b", "answer: option C", "Answer - (d)", "I choose option B".
_STATED = re.compile(r"\b(?:answer\s*(?:is|:|-|=)?|option|choice|choose|pick|select)\s*(?:option\s*)?"
                     r"\(?([A-Za-z])\)?(?![\w'’\-])", re.IGNORECASE)
# A negation shortly before a mention, in the same clause: "not A", "isn't (B)", "rather than C".
_NEGATION = re.compile(r"\b(?:not|never|no|nor|neither|except|excluding|exclude|isn'?t|wasn'?t|rather\s+than|"
                       r"instead\s+of|other\s+than|besides|rule\s+out|rules\s+out|ruled\s+out)\b"
                       r"(?:\s+\S+){0,2}\s*\(?$", re.IGNORECASE)
# ... or right after it: "A is not the speaker", "B is wrong", "C can't be right".
_NEGATION_AFTER = re.compile(r"^\)?\s*(?:(?:is|was|seems|looks)\s+)?(?:not|never|wrong|incorrect|false|unlikely|"
                             r"impossible|excluded|ruled\s+out|isn'?t|wasn'?t|cannot|can'?t)\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[.;,:!?\n]|\b(?:but|however|so|therefore|thus|instead|rather)\b", re.IGNORECASE)
# Words after "A"/"I" that keep it a letter ("A is right", "A because ..."); any other lower-case
# word makes it the article or the pronoun ("A person speaks", "I think").
_LETTER_FOLLOWERS = {"is", "was", "seems", "looks", "appears", "fits", "matches", "wins", "because", "since",
                     "as", "and", "or", "but", "then", "here", "again", "too"}


def _valid(n_options: int) -> str:
    return LETTERS[:n_options]


def _negated(text: str, pos: int, end: int | None = None) -> bool:
    """A negation in the few words before ``pos`` (same clause) or right after ``end``."""
    clause = _CLAUSE_BREAK.split(text[max(0, pos - 60):pos])[-1]
    after = end is not None and _NEGATION_AFTER.match(text[end:end + 40].lstrip(" ")) is not None
    return after or _NEGATION.search(clause) is not None


def _is_word(text: str, m: re.Match) -> bool:
    """"A"/"I" followed by a lower-case word outside ``_LETTER_FOLLOWERS``: an article or a pronoun."""
    if m.group(1) not in "AI" or m.group(0).startswith("(") or m.group(0).endswith(")"):
        return False
    nxt = re.match(r"\s+([a-z][a-z']*)", text[m.end():])
    return bool(nxt) and nxt.group(1) not in _LETTER_FOLLOWERS


def mentions(text: str, n_options: int) -> tuple[set[str], set[str]]:
    """(letters named, letters named only under a negation) among the first ``n_options``."""
    valid, named, negated = _valid(n_options), set(), set()
    for m in _MENTION.finditer(text):
        letter = m.group(1)
        if letter not in valid or _is_word(text, m):
            continue
        (negated if _negated(text, m.start(), m.end()) else named).add(letter)
    return named, negated - named


def extract_strict(text: str | None, n_options: int) -> str | None:
    """The letter when the final answer starts with it ("B", "(B)", "Answer: B") and names no other
    option (a negated one aside: "B, not A"); else None."""
    answer = final_answer(text)
    if not answer:
        return None
    m = _STRICT.match(answer)
    if not m or m.group(1) not in _valid(n_options):
        return None
    named, _ = mentions(answer, n_options)
    return m.group(1) if named == {m.group(1)} else None


def extract_lenient(text: str | None, n_options: int, options: list[str] | None = None) -> str | None:
    """The letter a reader would take from the final answer, or None when it names none or several.

    Order: the strict form; an explicit "answer is X" / "option X" (exactly one, not negated);
    exactly one non-negated stand-alone option letter; exactly one option text quoted verbatim
    (case-insensitive, not negated).
    """
    answer = final_answer(text)
    if not answer:
        return None
    strict = extract_strict(answer, n_options)
    if strict:
        return strict
    valid = _valid(n_options)
    stated = {m.group(1).upper() for m in _STATED.finditer(answer)
              if _letter_not_word(m, answer) and not _negated(answer, m.start(1), m.end())} & set(valid)
    named, _ = mentions(answer, n_options)
    if len(stated) == 1 and named <= stated:
        return stated.pop()
    if stated:
        return None
    if len(named) == 1:
        return named.pop()
    if named:
        return None
    if options:
        low = answer.lower()
        hits = {valid[i] for i, o in enumerate(options[:n_options])
                if o.strip() and _quoted_not_negated(low, o.strip().lower())}
        if len(hits) == 1:
            return hits.pop()
    return None


def _quoted_not_negated(low: str, option: str) -> bool:
    positions = [m.start() for m in re.finditer(re.escape(option), low)]
    return bool(positions) and all(not _negated(low, p) for p in positions)


def _letter_not_word(m: re.Match, text: str) -> bool:
    """A lower-case letter counts only at the end of a clause ("is b."), not as a word ("is a bit")."""
    return m.group(1).isupper() or re.match(r"\s*(?:[.,;:!)]|$)", text[m.end():]) is not None
