"""lm-eval metric hooks: ``process_results`` per sample and the corpus-level aggregations.

Each task returns only its own metrics (the templates declare them): choice tasks
``acc_strict``/``acc_lenient``/``parse_fail``/``parse_fail_strict``; ``stg`` ``tiou`` (x100),
``r@0.3/0.5/0.7``, ``off_by_one``, ``parse_fail``; ``avds`` the captioning metrics of the
available backend plus ``speaker_f1``.  Every mode scores only the final answer
(``metrics.task_answer.read_answer``, the rewards' extraction too: ``<answer>`` tag, else the last ``Answer:``
line, else the whole reply; agentic: no tag and no line = no answer); agentic tasks add the tool-use metrics.
"""

from __future__ import annotations

from amuse_tasks.lm_eval_glue.docs import reference_intervals
from amuse_tasks.lm_eval_glue.judge import judge_scores
from amuse_tasks.metrics.answer_span import agentic_answer
from amuse_tasks.metrics.captioning import COCO_METRICS, PYTHON_METRICS, caption_backend, corpus_scores
from amuse_tasks.metrics.speaker_f1 import speaker_f1
from amuse_tasks.metrics.task_answer import read_answer
from amuse_tasks.metrics.temporal import score_intervals
from amuse_tasks.metrics.tool_use import tool_metrics
from amuse_tasks.tasks import TASKS


def score_answer(doc: dict, answer: str | None) -> dict:
    """The task metrics of one answer text (None = the model gave no answer), judge scores included."""
    return {**_task_metrics(doc, answer), **judge_scores(doc, answer)}


def _task_metrics(doc: dict, reply: str | None) -> dict:
    spec, answer = TASKS[doc["task"]], read_answer(doc["task"], reply, doc.get("options"))
    if spec.is_choice:
        gold = doc["answer"]
        return {"acc_strict": float(answer.strict == gold), "acc_lenient": float(answer.letter == gold),
                "parse_fail": float(answer.letter is None), "parse_fail_strict": float(answer.strict is None)}
    if spec.is_intervals:
        return {**score_intervals(list(answer.intervals), reference_intervals(doc)), "parse_fail": float(not answer.intervals)}
    pair = (answer.text or "", doc["answer"])
    names = COCO_METRICS if caption_backend() == "coco" else PYTHON_METRICS
    labels = [p["label"] for p in doc.get("people", [])]
    return {**dict.fromkeys(names, pair), "speaker_f1": speaker_f1(answer.text, doc["answer"], labels)}


def process_results(doc: dict, results: list[str]) -> dict:
    return score_answer(doc, results[0])


def process_results_agentic(doc: dict, results: list[str]) -> dict:
    """Only the agent's final answer is scored; the transcript gives the tool-use metrics."""
    transcript = results[0]
    answer = agentic_answer(transcript, rest=TASKS[doc["task"]].is_text)
    return {**score_answer(doc, answer),
            **tool_metrics(transcript, TASKS[doc["task"]].expected_tools)}


# Corpus-level aggregations, one per metric name the avds template declares; each receives the
# (prediction, reference) pairs of the whole task, and all of one backend share one scoring pass.
def _corpus(items: list[tuple[str, str]], name: str, backend: str) -> float:
    return corpus_scores(tuple((str(p), str(r)) for p, r in items), backend)[name]


def bleu4(items): return _corpus(items, "bleu4", "coco")
def meteor(items): return _corpus(items, "meteor", "coco")
def rougeL(items): return _corpus(items, "rougeL", "coco")
def cider(items): return _corpus(items, "cider", "coco")
def bleu4_sacrebleu(items): return _corpus(items, "bleu4_sacrebleu", "python")
def rougeL_rouge_score(items): return _corpus(items, "rougeL_rouge_score", "python")
def ciderD_python(items): return _corpus(items, "ciderD_python", "python")
