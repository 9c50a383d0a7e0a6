"""amuse-report on real lm-eval result folders; the generic-RTTM dataset through all 18 tasks."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import matplotlib.image
import pytest

from amuse_tasks.cli.report import main
from amuse_tasks.reports.plots import sample_features
from amuse_tasks.reports.runs import Run, find_runs
from amuse_tasks.reports.tables import raft_gains
from amuse_tasks.schema import load_records
from amuse_tasks.tasks import ALL_TASK_NAMES, TASKS


def _results(folder: Path) -> dict:
    [path] = folder.rglob("results_*.json")
    return json.loads(path.read_text())["results"]


def test_generic_rttm_dataset_evaluates_on_all_18_tasks(lm_eval_results):
    results = _results(lm_eval_results["oracle"])
    assert sorted(n for n in results if n.startswith("amuse_")) == sorted(ALL_TASK_NAMES)
    for name in ALL_TASK_NAMES:
        r, task = results[name], name.split("_")[1]
        if TASKS[task].is_choice:
            assert r["acc_strict,none"] == 1.0, name
        elif task == "stg":
            assert r["tiou,none"] == 100.0, name
        else:
            assert r["speaker_f1,none"] == 1.0, name
            assert r.get("bleu4,none", r.get("bleu4_sacrebleu,none")) == pytest.approx(100.0), name


def test_dataset_loads_by_hub_id_in_lm_eval(lm_eval_results):
    """amuse_root = "owner/name": lm-eval read the records from the Hub snapshot (served from the local cache)."""
    [run] = find_runs([lm_eval_results["wrong"]])
    docs = [s["doc"] for s in run.load_samples("avsa", "guided")]
    assert docs and {d["amuse_root"] for d in docs} == {str(lm_eval_results["snapshot"])}
    assert len(docs) == sum(r["task"] == "avsa" for r in load_records(lm_eval_results["dataset"]).records)


def _csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_report_tables_from_two_runs(lm_eval_results, tmp_path):
    out = tmp_path / "report"
    assert main([str(lm_eval_results["oracle"]), str(lm_eval_results["wrong"]), "--out", str(out),
                 "--label", f"{lm_eval_results['oracle']}=oracle", "--label", f"{lm_eval_results['wrong']}=wrong"]) == 0
    assoc = {(r["model"], r["mode"]): r for r in _csv(out / "association.csv")}
    assert float(assoc[("oracle", "guided")]["AVSA"]) == 100.0 and float(assoc[("wrong", "guided")]["AVSA"]) == 0.0
    assert assoc[("wrong", "guided")]["NSP"] == ""  # not run by that model
    # random row: mean of 1 / number of options over the logged docs, by hand from the records
    recs = load_records(lm_eval_results["dataset"]).records
    for task, col in (("avsa", "AVSA"), ("nsp", "NSP"), ("srid", "SRID")):
        expected = 100 * statistics.fmean(1 / len(r["options"]) for r in recs if r["task"] == task)
        assert float(assoc[("Random (expected)", "-")][col]) == pytest.approx(expected, abs=1e-3)
    ground = {(r["model"], r["mode"]): r for r in _csv(out / "grounding.csv")}
    assert float(ground[("oracle", "agentic")]["STG mIoU"]) == 100.0 and float(ground[("wrong", "agentic")]["R@0.5"]) == 0.0
    summ = {(r["model"], r["mode"]): r for r in _csv(out / "summarization.csv")}  # oracle rows only
    assert float(summ[("oracle", "guided")]["Speaker F1"]) == 100.0
    md = (out / "tables.md").read_text()
    assert "| oracle | zeroshot |" in md and "| wrong | guided |" in md and "| wrong | zeroshot |" not in md and "![stratified](stratified.png)" in md
    for png in ("score_by_task_mode.png", "guided_agentic_drop.png", "stratified.png"):
        assert matplotlib.image.imread(out / png).shape[0] > 100
    strat = _csv(out / "stratified.csv")
    assert {float(r["mean score"]) for r in strat if r["model"] == "oracle"} == {100.0}
    assert {float(r["mean score"]) for r in strat if r["model"] == "wrong"} == {0.0}
    n_oracle_guided = sum(int(r["samples"]) for r in strat
                          if (r["model"], r["mode"], r["factor"]) == ("oracle", "guided", "clip length (s)"))
    assert n_oracle_guided == len(recs)  # every logged sample is binned once per factor


def test_raft_gain_is_relative_to_before():
    before = Run("base", Path("b"), "hf", "", scores={("avsa", "guided"): {"acc_strict": 0.5},
                                                         ("stg", "guided"): {"tiou": 40.0},
                                                         ("nsp", "guided"): {"acc_strict": 0.0}})
    after = Run("raft", Path("a"), "hf", "", scores={("avsa", "guided"): {"acc_strict": 0.6},
                                                        ("stg", "guided"): {"tiou": 30.0},
                                                        ("nsp", "guided"): {"acc_strict": 0.2}})
    header, rows = raft_gains(before, after)
    gains = {r[0]: r[-1] for r in rows}
    assert gains["avsa"] == pytest.approx(20.0) and gains["stg"] == pytest.approx(-25.0)
    assert gains["nsp"] is None  # before = 0: no relative gain


def test_sample_features_by_hand():
    doc = {"start": 0.0, "end": 20.0,
           "segments": [{"speaker": "a", "start": 0, "end": 6}, {"speaker": "b", "start": 4, "end": 10},
                        {"speaker": "c", "start": 25, "end": 30}],
           "faces": [{"track": "t1", "person": "a", "boxes": [{"start": 0, "end": 5, "box": [0, 0, 1, 1]}]},
                     {"track": "t2", "person": "b", "boxes": [{"start": 21, "end": 22, "box": [0, 0, 1, 1]}]}]}
    assert sample_features(doc) == {"overlap ratio": 0.2, "visible speakers": 1, "clip length (s)": 20.0}


def test_unreadable_results_and_sample_lines_are_skipped(lm_eval_results, tmp_path, caplog):
    (tmp_path / "results_broken.json").write_text("{not json")
    [good] = find_runs([lm_eval_results["wrong"]])
    copy = tmp_path / "samples.jsonl"
    copy.write_text(good.samples[("avsa", "guided")].read_text() + "{broken line\n")
    good.samples[("avsa", "guided")] = copy
    assert find_runs([tmp_path]) == []
    assert len(good.load_samples("avsa", "guided")) == sum(1 for line in copy.read_text().splitlines()[:-1] if line)
    assert "results_broken.json: not readable" in caplog.text and "malformed sample line" in caplog.text


def test_runs_of_one_model_in_separate_folders_join_under_one_label(lm_eval_results, tmp_path):
    [src] = lm_eval_results["wrong"].rglob("results_*.json")
    data = json.loads(src.read_text())
    for mode in ("guided", "agentic"):  # the same model run once per mode, in two folders
        part = {**data, "results": {k: v for k, v in data["results"].items() if k.endswith(mode)}}
        (tmp_path / mode).mkdir()
        (tmp_path / mode / src.name).write_text(json.dumps(part))
    [run] = find_runs([tmp_path], {str(tmp_path / "guided"): "m", str(tmp_path / "agentic"): "m"})
    assert run.label == "m" and {mode for _, mode in run.scores} == {"guided", "agentic"}
    from amuse_tasks.reports.plots import guided_agentic_drop

    assert sorted(t for _, t, _ in guided_agentic_drop([run])) == ["avsa", "stg"]
    o, w = lm_eval_results["oracle"], lm_eval_results["wrong"]
    labels = [r.label for r in find_runs([o, w], {str(o): "m", str(w): "m"})]
    assert len(labels) == 2 and all(l.startswith("m (") for l in labels)  # overlapping runs stay apart


def test_summary_names_the_results_file_scales_and_chance(lm_eval_results, capsys):
    assert main([str(lm_eval_results["wrong"]), "--summary"]) == 0
    text = capsys.readouterr().out
    [path] = Path(lm_eval_results["wrong"]).rglob("results_*.json")
    assert str(path) in text
    row = next(line for line in text.splitlines() if "amuse_avsa_guided" in line and "acc_lenient" in line)
    docs = [s["doc"] for s in find_runs([lm_eval_results["wrong"]])[0].load_samples("avsa", "guided")]
    chance = statistics.mean(1 / len(d["options"]) for d in docs)
    assert row.split()[2:5] == ["0.000", f"{chance:.2f}", "0-1"]  # value, chance beside it, scale
    assert "tiou" in text and "x100" in text and "Scales:" in text
