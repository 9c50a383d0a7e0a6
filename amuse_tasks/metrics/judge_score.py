"""LLM-as-judge scoring, the pure part: the judge's messages for ``avds`` and ``csnl`` and reading
its reply.  Calling a judge model is the caller's job (``amuse_tasks.lm_eval_glue.judge``).

The judge sees the reference (summary, or correct option + reference rationale) and the
candidate, and replies ``Score: N`` with N in 0..10.  A reply without such a score is a judge
failure (``None``), never a guessed number.
"""

from __future__ import annotations

import re

SCALE = 10
MAX_CANDIDATE_CHARS = 4000  # a runaway answer is cut before it reaches the judge

SYSTEM = "You are a strict, consistent grader. You compare a candidate answer with a reference and give one score."
REPLY_FORMAT = f"Reply with one line and nothing else: 'Score: N', where N is an integer from 0 to {SCALE}."

_SCORE = re.compile(r"\bscore\s*[:=]?\s*\**\s*(\d{1,2}(?:\.\d+)?)\s*(?:/\s*10\b)?", re.IGNORECASE)
_OUT_OF_TEN = re.compile(r"\b(\d{1,2}(?:\.\d+)?)\s*/\s*10\b")
_BARE = re.compile(r"\s*(\d{1,2}(?:\.\d+)?)\s*\.?\s*")


def _candidate(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_CANDIDATE_CHARS else text[:MAX_CANDIDATE_CHARS] + " [truncated]"


def avds_messages(sample_id: str, reference: str, candidate: str, speakers: list[str]) -> list[dict]:
    """Chat messages asking for a 0-10 score of a dialogue summary against the reference."""
    user = (
        f"Sample: {sample_id}\n"
        f"Task: grade a summary of a multi-speaker conversation. Speakers: {', '.join(speakers) or 'none named'}.\n"
        f"Reference summary:\n{reference.strip()}\n\n"
        f"Candidate summary:\n{_candidate(candidate)}\n\n"
        f"Score how well the candidate conveys the reference's content AND attributes each point to the right "
        f"speaker. {SCALE}: same content, every point attributed correctly. 5: about half the content, or "
        f"several wrong attributions. 0: unrelated, empty or wrong throughout. Wording does not matter.\n"
        f"{REPLY_FORMAT}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def csnl_messages(sample_id: str, question: str, correct_option: str, reference_rationale: str,
                  candidate: str) -> list[dict]:
    """Chat messages asking for a 0-10 coherence score of a cross-scene answer and its rationale."""
    user = (
        f"Sample: {sample_id}\n"
        f"Task: grade an answer to a question that links scenes of one story.\n"
        f"Question: {question.strip()}\n"
        f"Correct answer: {correct_option.strip()}\n"
        f"Reference rationale: {reference_rationale.strip() or '(none given)'}\n\n"
        f"Candidate answer and rationale:\n{_candidate(candidate)}\n\n"
        f"Score the coherence of the candidate: does it pick the correct answer and explain the link between "
        f"the scenes in a way consistent with the reference? {SCALE}: correct and coherently explained. "
        f"5: correct without a usable explanation, or a sound explanation of a wrong answer. "
        f"0: wrong and incoherent, or empty.\n"
        f"{REPLY_FORMAT}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_score(reply: str | None) -> float | None:
    """The judge's score: the first ``Score: N`` (also ``score = N/10``, ``**Score:** N``), else the
    first ``N/10``, else a reply that is only a number; None when there is none or it lies outside 0..10."""
    if not reply:
        return None
    head = reply[:2000]
    m = _SCORE.search(head) or _OUT_OF_TEN.search(head) or _BARE.fullmatch(head)
    if not m:
        return None
    value = float(m.group(1))
    return value if 0.0 <= value <= SCALE else None
