"""A terminal summary of lm-eval runs: where the results are, every task's headline metrics on one
scale legend, chance beside each choice accuracy (from the evaluated records themselves), and what
the numbers can and cannot say."""

from __future__ import annotations

from amuse_tasks.reports.runs import Run
from amuse_tasks.tasks import TASKS

# (metric, how it reads) per answer format, headline first
HEADLINE = {
    "choice": [("acc_lenient", "0-1"), ("acc_strict", "0-1"), ("parse_fail", "0-1, lower is better")],
    "intervals": [("tiou", "x100"), ("r@0.5", "0-1"), ("parse_fail", "0-1, lower is better")],
    "text": [("rougeL", "x100"), ("meteor", "x100"), ("cider", "x100, up to 1000"), ("speaker_f1", "0-1"),
             ("rougeL_rouge_score", "x100")],
}
LEGEND = ("Scales: accuracies, parse_fail, r@k and speaker_f1 are fractions (0-1); tIoU, BLEU-4, METEOR and "
          "ROUGE-L are x100 (0-100), CIDEr x100 (up to 1000). parse_fail: replies with no single parsable answer "
          "(scored wrong). chance: 1/options averaged over the evaluated records.")


def chance(run: Run, task: str, mode: str) -> float | None:
    docs = [s.get("doc") or {} for s in run.load_samples(task, mode)]
    opts = [len(d["options"]) for d in docs if d.get("options")]
    return sum(1 / n for n in opts) / len(opts) if opts else None


def summary(runs: list[Run]) -> str:
    lines = []
    for run in runs:
        lines += [f"{run.label}: {run.path}", "  per-sample logs beside it (samples_*.jsonl)", ""]
        lines.append(f"  {'task':<22} {'metric':<19} {'value':>8}  {'chance':>6}  scale")
        for (task, mode), scores in sorted(run.scores.items()):
            spec = TASKS[task]
            kind = "choice" if spec.is_choice else spec.answer_format
            c = chance(run, task, mode) if spec.is_choice else None
            for metric, scale in HEADLINE[kind]:
                if metric in scores:
                    near = f"{c:6.2f}" if c is not None and metric.startswith("acc") else " " * 6
                    lines.append(f"  {f'amuse_{task}_{mode}':<22} {metric:<19} {scores[metric]:8.3f}  {near}  {scale}")
        lines.append("")
    lines += [LEGEND, "Small models (such as the offline SmolLM2-135M) score near chance: such a run shows that the "
              "pipeline works end to end, not that the model understands the clips."]
    return "\n".join(lines)
