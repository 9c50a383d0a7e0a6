"""Speaker-attribution F1 of ``avds`` summaries (decided): who said what, not which names appear.

Both the summary and the reference are cut into clauses (sentences, ``;``, line breaks). A clause
is attributed to the first people label it names (its subject: "Dev asks Maya about the keys"
is Dev's). Each attributed clause gives (label, content word) pairs: words of three or more
letters, lower-cased, crudely stemmed, minus stop words and labels. The score is the F1 of the
summary's pairs against the reference's pairs. A summary that only lists names has no pairs and
scores 0; content given to the wrong person earns nothing.
"""

from __future__ import annotations

import re

_CLAUSE = re.compile(r"[.!?;\n]+")
_WORD = re.compile(r"[a-z][a-z']+")
_STOP = frozenset("""
the and but for nor yet with from into onto upon about over under then than that this these those
there here what when where which while who whom whose why how all any both each few more most other
some such only own same very can will just should would could might must shall may also too again
are was were been being have has had having does did doing not now its his her hers him she they
them their theirs our ours your yours you out off down per via after before during between through
says said say tells told asks asked answers answered replies replied mentions mentioned talks
speaks spoke person people someone everyone nobody dialogue conversation summary
""".split())


def _stem(word: str) -> str:
    word = word.replace("'", "")
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _label_pattern(labels: list[str]) -> re.Pattern | None:
    names = sorted({lab for lab in labels if lab.strip()}, key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.IGNORECASE)


def attributed_pairs(text: str | None, labels: list[str]) -> set[tuple[str, str]]:
    """(label, content stem) pairs of the clauses that name a label."""
    pattern = _label_pattern(labels)
    if not text or pattern is None:
        return set()
    canonical = {lab.lower(): lab for lab in labels}
    label_words = {w for lab in labels for w in _WORD.findall(lab.lower())}
    pairs = set()
    for clause in _CLAUSE.split(text):
        m = pattern.search(clause)
        if not m:
            continue
        who = canonical[m.group(1).lower()]
        rest = pattern.sub(" ", clause).lower()
        for word in _WORD.findall(rest):
            if len(word) >= 3 and word not in _STOP and word not in label_words:
                pairs.add((who, _stem(word)))
    return pairs


def speaker_f1(pred: str | None, ref: str, labels: list[str]) -> float:
    """F1 of (speaker, content) pairs of the summary vs. the reference, in [0, 1]; 1.0 when the
    reference attributes nothing and neither does the summary."""
    p, r = attributed_pairs(pred, labels), attributed_pairs(ref, labels)
    if not r:
        return float(not p)
    tp = len(p & r)
    if tp == 0:
        return 0.0
    precision, recall = tp / len(p), tp / len(r)
    return 2 * precision * recall / (precision + recall)
