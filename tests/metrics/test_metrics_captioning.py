"""Captioning metrics against hand values and against pycocoevalcap called directly."""

import shutil

import pytest

from amuse_tasks.metrics.captioning import caption_backend, cider_d, coco_scores, meteor_scorer, python_scores

PREDS = ["Dev opened the meeting and Hugo suggested a new date.", "", "Maya offered to handle the van."]
REFS = ["Dev opened the discussion and Hugo suggested the start of next quarter.",
        "Lena asked about the cables.", "Maya said she would handle the moving van."]

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="pycocoevalcap needs Java")


def test_python_path_identical_text_scores_100():
    s = python_scores(REFS, REFS)
    assert s["bleu4_sacrebleu"] == pytest.approx(100.0)
    assert s["rougeL_rouge_score"] == pytest.approx(100.0)
    # CIDEr-D of a perfect match is 10 per sample (x100 -> 1000)
    assert s["ciderD_python"] == pytest.approx(1000.0)


def test_python_path_disjoint_text_scores_0():
    s = python_scores(["zzz qqq www"] * 3, REFS)
    assert s == {"bleu4_sacrebleu": 0.0, "rougeL_rouge_score": 0.0, "ciderD_python": 0.0}


def test_cider_d_single_corpus_document_has_no_idf():
    # with one reference document every n-gram has df = N: idf 0, so CIDEr is 0 by definition
    assert cider_d(["a b c"], [["a b c"]]) == 0.0


@needs_java
def test_coco_backend_is_chosen_when_java_exists():
    assert caption_backend() == "coco"


@needs_java
def test_coco_identical_text_bleu4_is_100():
    s = coco_scores(REFS, REFS)
    assert s["bleu4"] == pytest.approx(100.0, abs=1e-6)
    assert s["meteor"] == pytest.approx(100.0)
    assert s["rougeL"] == pytest.approx(100.0)


@needs_java
def test_coco_matches_pycocoevalcap_called_directly():
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    preds = [p or "empty" for p in PREDS]  # what coco_scores feeds for an empty prediction
    tok = PTBTokenizer()
    gts = tok.tokenize({i: [{"caption": r}] for i, r in enumerate(REFS)})
    res = tok.tokenize({i: [{"caption": p}] for i, p in enumerate(preds)})
    meteor = meteor_scorer()  # pycocoevalcap's Meteor; one JVM per process is the point
    direct = {"bleu4": 100 * Bleu(4).compute_score(gts, res, verbose=0)[0][3],
              "meteor": 100 * meteor.compute_score(gts, res)[0],
              "rougeL": 100 * Rouge().compute_score(gts, res)[0],
              "cider": 100 * Cider().compute_score(gts, res)[0]}
    ours = coco_scores(PREDS, REFS)
    assert ours == pytest.approx(direct)
    # the pure-Python CIDEr-D follows coco-caption's CIDEr-D; tokenization differs only in punctuation here
    assert python_scores(PREDS, REFS)["ciderD_python"] == pytest.approx(ours["cider"], rel=1e-6)


def test_runaway_prediction_is_capped_before_scoring():
    from amuse_tasks.metrics.captioning import MIN_PRED_WORDS, cap_prediction

    ref = "Maya proposes a picnic and Dev agrees."
    assert cap_prediction("Maya proposes a picnic.", ref) == "Maya proposes a picnic."
    long = " ".join(["word"] * 10_000)
    assert len(cap_prediction(long, ref).split()) == MIN_PRED_WORDS
    assert len(cap_prediction("x" * 100_000, ref)) <= MIN_PRED_WORDS * 20
