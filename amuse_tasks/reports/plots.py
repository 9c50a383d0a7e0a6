"""The paper's analysis figures (matplotlib, Agg backend; PNG files).

- score by task and mode (headline metric of each task, one bar per run and mode);
- the guided-to-agentic drop (guided minus agentic headline score, per task and run);
- scores stratified by overlap ratio, number of visible speakers and clip length, from the
  per-sample logs: each sample's score (choice: strict accuracy, ``stg``: tIoU, ``avds``:
  speaker F1; x100) against features of its doc (the logged record).
"""

from __future__ import annotations

import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from amuse_tasks.builders.conversation import Turn  # noqa: E402
from amuse_tasks.builders.clip_geometry import overlap_ratio  # noqa: E402
from amuse_tasks.reports.runs import Run  # noqa: E402
from amuse_tasks.reports.tables import per_sample_metric, primary_metric, random_baseline, scaled  # noqa: E402
from amuse_tasks.tasks import MODES, TASK_IDS  # noqa: E402

FACTORS = {
    "overlap ratio": ([0.0, 0.05, 0.2, 0.4, 1.01], ["<0.05", "0.05-0.2", "0.2-0.4", ">=0.4"]),
    "visible speakers": ([1, 2, 3, 4, 5, 99], ["1", "2", "3", "4", "5+"]),
    "clip length (s)": ([0, 15, 30, 45, 1e9], ["<15", "15-30", "30-45", ">=45"]),
}


def sample_features(doc: dict) -> dict[str, float]:
    """Overlap ratio of the window's speech, visible people (face tracks; speakers when the
    record has no faces) and window length."""
    s0, e0 = doc["start"], doc["end"]
    turns = [Turn(s["speaker"], max(s["start"], s0), min(s["end"], e0)) for s in doc.get("segments", [])
             if min(s["end"], e0) > max(s["start"], s0)]
    faces = doc.get("faces") or []
    visible = {f.get("person") or f["track"] for f in faces
               if any(b["start"] < e0 and b["end"] > s0 for b in f.get("boxes", []))}
    n = len(visible) if faces else len({t.speaker for t in turns})
    return {"overlap ratio": overlap_ratio(turns), "visible speakers": n, "clip length (s)": e0 - s0}


def _series(runs: list[Run]) -> list[tuple[Run, str]]:
    return [(r, m) for r in runs for m in MODES if any((t, m) in r.scores for t in TASK_IDS)]


def score_by_task_mode(runs: list[Run], path: Path) -> Path:
    series = _series(runs)
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(TASK_IDS) + 0.3 * len(series) + 2), 4))
    width = 0.8 / max(1, len(series))
    for k, (run, mode) in enumerate(series):
        ys = []
        for t in TASK_IDS:
            s = run.scores.get((t, mode), {})
            m = primary_metric(t, s)
            ys.append(scaled(m, s[m]) if m else 0.0)
        ax.bar([i + k * width for i in range(len(TASK_IDS))], ys, width, label=f"{run.label} / {mode}")
    centres = [i + width * (len(series) - 1) / 2 for i in range(len(TASK_IDS))]
    rand = random_baseline(runs)
    for i, t in enumerate(TASK_IDS):
        if t in rand:
            ax.hlines(rand[t], centres[i] - 0.45, centres[i] + 0.45, colors="black", linestyles="dashed",
                      label="random (expected)" if t == next(iter(rand)) else None)
    ax.set_xticks(centres, list(TASK_IDS))
    ax.set_ylabel("score (x100; avds BLEU-4, stg mIoU, others accuracy)")
    ax.set_title("AMUSE score by task and mode")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def guided_agentic_drop(runs: list[Run]) -> list[tuple[str, str, float]]:
    """(run, task, guided - agentic) for every run and task scored in both modes."""
    out = []
    for run in runs:
        for t in TASK_IDS:
            g, a = run.scores.get((t, "guided")), run.scores.get((t, "agentic"))
            m = primary_metric(t, g or {})
            if g and a and m and m in a:
                out.append((run.label, t, scaled(m, g[m]) - scaled(m, a[m])))
    return out


def plot_drop(drops: list[tuple[str, str, float]], path: Path) -> Path:
    labels = sorted({d[0] for d in drops})
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(1, len(labels))
    for k, lab in enumerate(labels):
        vals = {t: v for l, t, v in drops if l == lab}
        ax.bar([i + k * width for i in range(len(TASK_IDS))], [vals.get(t, 0.0) for t in TASK_IDS], width, label=lab)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks([i + width * (len(labels) - 1) / 2 for i in range(len(TASK_IDS))], list(TASK_IDS))
    ax.set_ylabel("guided - agentic (points)")
    ax.set_title("Guided-to-agentic drop")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def stratified_scores(runs: list[Run]) -> list[list]:
    """Rows (run, mode, factor, bin, samples, mean score x100) over all tasks' logged samples."""
    rows = []
    for run, mode in _series(runs):
        scores: dict[str, dict[str, list[float]]] = {f: {} for f in FACTORS}
        for t in TASK_IDS:
            metric = per_sample_metric(t)
            for s in run.load_samples(t, mode):
                doc, v = s.get("doc"), s.get(metric)
                if not isinstance(doc, dict) or not isinstance(v, (int, float)):
                    continue
                feats = sample_features(doc)
                for f, (edges, names) in FACTORS.items():
                    x = feats[f]
                    k = next((i for i in range(len(names)) if edges[i] <= x < edges[i + 1]), None)
                    if k is not None:
                        scores[f].setdefault(names[k], []).append(scaled(metric, float(v)))
        for f, (_, names) in FACTORS.items():
            for name in names:
                vals = scores[f].get(name, [])
                if vals:
                    rows.append([run.label, mode, f, name, len(vals), statistics.fmean(vals)])
    return rows


def plot_stratified(rows: list[list], path: Path) -> Path:
    fig, axes = plt.subplots(1, len(FACTORS), figsize=(4.2 * len(FACTORS) + 2, 3.6), sharey=True)
    for ax, (f, (_, names)) in zip(axes, FACTORS.items()):
        for series in sorted({(r[0], r[1]) for r in rows}):
            pts = {r[3]: r[5] for r in rows if (r[0], r[1]) == series and r[2] == f}
            xs = [i for i, n in enumerate(names) if n in pts]
            ax.plot(xs, [pts[names[i]] for i in xs], marker="o", label=f"{series[0]} / {series[1]}")
        ax.set_xticks(range(len(names)), names)
        ax.set_xlabel(f)
    axes[0].set_ylabel("mean per-sample score (x100)")
    axes[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle("Scores stratified by overlap, visible speakers and clip length")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
