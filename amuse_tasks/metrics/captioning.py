"""Corpus-level captioning metrics for ``avds`` summaries, x100.

Two paths whose numbers are never mixed, so each has its own metric names:
- ``coco`` (the reference): pycocoevalcap with the Java PTB tokenizer, BLEU-4, METEOR, ROUGE-L,
  CIDEr -> ``bleu4``, ``meteor``, ``rougeL``, ``cider``.  One METEOR JVM per process (~20 s start).
- ``python`` (when Java or pycocoevalcap is missing): sacrebleu BLEU-4, rouge_score ROUGE-L and a
  pure-Python CIDEr-D -> ``bleu4_sacrebleu``, ``rougeL_rouge_score``, ``ciderD_python``; no METEOR.

Both paths score at most the first ``max(MIN_PRED_WORDS, PRED_WORD_FACTOR x reference words)``
words of a prediction (and ``MAX_WORD_CHARS`` characters per such word): a runaway generation (100 kB of text) would otherwise exhaust METEOR's
JVM heap and lose the whole corpus score. Words past that cap could only lower precision anyway.
"""

from __future__ import annotations

import atexit
import importlib.util
import math
import re
import shutil
import threading
from collections import Counter
from functools import lru_cache

COCO_METRICS = ("bleu4", "meteor", "rougeL", "cider")
PYTHON_METRICS = ("bleu4_sacrebleu", "rougeL_rouge_score", "ciderD_python")

MIN_PRED_WORDS = 200
PRED_WORD_FACTOR = 4
MAX_WORD_CHARS = 20  # and at most this many characters per scored word, for text without spaces

_meteor = None
_meteor_lock = threading.Lock()


def caption_backend() -> str:
    """``coco`` when Java and pycocoevalcap are present, else ``python``."""
    if shutil.which("java") and importlib.util.find_spec("pycocoevalcap") is not None:
        return "coco"
    return "python"


def meteor_scorer():
    """The process-wide METEOR scorer (its JVM starts once and is closed at exit)."""
    global _meteor
    with _meteor_lock:
        if _meteor is None:
            from pycocoevalcap.meteor.meteor import Meteor

            _meteor = Meteor()
            atexit.register(_close_meteor)
        return _meteor


def _close_meteor() -> None:
    global _meteor
    if _meteor is not None:
        proc, _meteor = _meteor.meteor_p, None
        try:
            proc.stdin.close()
        except OSError:  # the JVM already died; nothing to flush
            pass
        proc.kill()
        proc.wait()


def cap_prediction(pred: str, ref: str) -> str:
    """The prediction cut to the words that are scored (see the module docstring)."""
    limit = max(MIN_PRED_WORDS, PRED_WORD_FACTOR * len(ref.split()))
    words = pred[: limit * MAX_WORD_CHARS].split()
    return " ".join(words[:limit]) if len(words) > limit or len(pred) > limit * MAX_WORD_CHARS else pred


def _nonempty(text: str) -> str:
    # The PTB tokenizer and METEOR misalign lines on empty input; an empty prediction scores ~0 as "empty".
    return text if text.strip() else "empty"


def coco_scores(preds: list[str], refs: list[str]) -> dict[str, float]:
    """pycocoevalcap corpus scores x100 for parallel lists of predictions and single references."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    if len(preds) != len(refs) or not preds:
        raise ValueError(f"need equally many predictions and references, got {len(preds)} and {len(refs)}")
    # One tokenizer (JVM) call for both sides.
    both = {f"r{i}": [{"caption": _nonempty(r)}] for i, r in enumerate(refs)}
    both.update({f"p{i}": [{"caption": _nonempty(p)}] for i, p in enumerate(preds)})
    tok = PTBTokenizer().tokenize(both)
    gts = {i: tok[f"r{i}"] for i in range(len(refs))}
    res = {i: tok[f"p{i}"] for i in range(len(preds))}
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    meteor, _ = meteor_scorer().compute_score(gts, res)
    rouge, _ = Rouge().compute_score(gts, res)
    cider, _ = Cider().compute_score(gts, res)
    return {"bleu4": 100 * float(bleu[3]), "meteor": 100 * float(meteor),
            "rougeL": 100 * float(rouge), "cider": 100 * float(cider)}


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def cider_d(preds: list[str], refs: list[list[str]], *, n: int = 4, sigma: float = 6.0) -> float:
    """CIDEr-D (Vedantam et al. 2015, as in coco-caption): tf-idf n-gram cosine with clipping and a
    Gaussian length penalty, x10 per sample; returns the corpus mean (not x100)."""
    ref_toks = [[_tokens(r) for r in rs] for rs in refs]
    df: Counter = Counter()
    for rs in ref_toks:
        df.update({g for r in rs for k in range(1, n + 1) for g in _ngrams(r, k)})
    log_n = math.log(max(1.0, float(len(refs))))

    def vec(tokens: list[str]) -> tuple[list[dict], list[float]]:
        vs, norms = [], []
        for k in range(1, n + 1):
            v = {g: c * (log_n - math.log(max(1.0, df[g]))) for g, c in _ngrams(tokens, k).items()}
            vs.append(v)
            norms.append(math.sqrt(sum(x * x for x in v.values())))
        return vs, norms

    scores = []
    for p, rs in zip(preds, ref_toks):
        pt = _tokens(p)
        pv, pn = vec(pt)
        total = 0.0
        for r in rs:
            rv, rn = vec(r)
            delta = len(pt) - len(r)
            s = 0.0
            for k in range(n):
                dot = sum(min(x, rv[k].get(g, 0.0)) * rv[k].get(g, 0.0) for g, x in pv[k].items())
                if pn[k] and rn[k]:
                    s += dot / (pn[k] * rn[k]) * math.exp(-(delta ** 2) / (2 * sigma ** 2))
            total += s / n
        scores.append(10.0 * total / max(1, len(rs)))
    return sum(scores) / len(scores) if scores else 0.0


def python_scores(preds: list[str], refs: list[str]) -> dict[str, float]:
    """Pure-Python corpus scores x100 (sacrebleu BLEU-4, rouge_score ROUGE-L F, CIDEr-D)."""
    import sacrebleu
    from rouge_score import rouge_scorer

    if len(preds) != len(refs) or not preds:
        raise ValueError(f"need equally many predictions and references, got {len(preds)} and {len(refs)}")
    bleu = sacrebleu.corpus_bleu(preds, [refs]).score
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    rouge = sum(scorer.score(r, p)["rougeL"].fmeasure for p, r in zip(preds, refs)) / len(preds)
    cider = cider_d(preds, [[r] for r in refs])
    return {"bleu4_sacrebleu": bleu, "rougeL_rouge_score": 100 * rouge, "ciderD_python": 100 * cider}


@lru_cache(maxsize=8)
def corpus_scores(pairs: tuple[tuple[str, str], ...], backend: str) -> dict[str, float]:
    """All metrics of one backend for (prediction, reference) pairs; cached so the four
    lm-eval aggregations of one corpus tokenize and score it once."""
    preds, refs = [cap_prediction(p, r) for p, r in pairs], [r for _, r in pairs]
    return coco_scores(preds, refs) if backend == "coco" else python_scores(preds, refs)
