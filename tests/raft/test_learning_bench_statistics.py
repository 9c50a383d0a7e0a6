"""The learning bench's verdicts (bench/raft_learning.py): Wilson intervals, exact McNemar, the gate, and the
pairing checks that keep arms of different evaluations from being compared. Hand-computed cases."""

import json
import sys

import pytest

import bench.raft_learning as learning


def test_wilson_interval_matches_the_hand_computed_one():
    lo, hi = learning.wilson(5, 10)  # centre 0.5, half-width 1.96 * sqrt(0.025 + 0.009604) / 1.38416
    assert lo == pytest.approx(0.236590, abs=1e-6) and hi == pytest.approx(0.763410, abs=1e-6)
    assert learning.wilson(0, 10)[0] == 0.0 and learning.wilson(10, 10)[1] == pytest.approx(1.0)
    assert learning.wilson(0, 0) == (0.0, 1.0)


def test_mcnemar_counts_only_the_discordant_items_and_gives_the_exact_two_sided_p():
    a = [True] * 9 + [False] + [True] * 5 + [False] * 5  # 9 only-a, 1 only-b, 5 both, 5 neither
    b = [False] * 9 + [True] + [True] * 5 + [False] * 5
    only_a, only_b, p = learning.mcnemar(a, b)
    assert (only_a, only_b) == (9, 1)
    assert p == pytest.approx(2 * (1 + 10) / 2 ** 10)  # 2 * P(X <= 1), X ~ Bin(10, 1/2)
    assert learning.mcnemar(b, a)[2] == pytest.approx(p)
    assert learning.mcnemar([True, False], [True, False]) == (0, 0, 1.0)


def _arm(accuracy: list[float], before: list[float], after: list[float]) -> dict:
    return {"curves": {"reward": accuracy, "accuracy": accuracy}, "letters_before": before, "letters_after": after}


def test_the_gate_needs_both_a_rising_accuracy_and_a_moved_letter_distribution():
    flat = [0.25, 0.25, 0.25, 0.25]
    moved = [0.40, 0.20, 0.20, 0.20]  # total variation 0.15
    rising = [0.1] * 5 + [0.3] * 5
    assert learning.gate(_arm(rising, flat, moved))[0]
    assert not learning.gate(_arm(rising, flat, [0.27, 0.25, 0.24, 0.24]))[0]  # TV 0.02: the policy did not move
    assert not learning.gate(_arm(rising[::-1], flat, moved))[0]  # accuracy fell
    assert "FAILED" in learning.gate(_arm(rising[::-1], flat, moved))[1]


def _scored(ids: list[str], correct: list[bool]) -> dict:
    return {"eval": {"avsa": {"ids": ids, "correct": correct, "parse_fail": [False] * len(ids)}}}


def test_arms_are_paired_only_on_the_same_item_ids():
    a, b = _scored(["x", "y"], [True, False]), _scored(["y", "x"], [True, False])
    with pytest.raises(SystemExit, match="same items"):
        learning.paired(a, b, ["avsa"])
    assert learning.paired(a, _scored(["x", "y"], [False, False]), ["avsa"]).startswith("+1/-0, p=1.000; +0.500 [")


def test_paired_difference_interval_matches_the_published_newcombe_square_and_add_interval():
    # Fagerland, Lydersen & Laake (2017), the paired 2x2 table of Cavo et al. (2012): 59 both, 6 only a, 16 only b,
    # 80 neither; Newcombe's square-and-add interval -0.0621 (-0.1186 to -0.0046)
    a = [True] * 59 + [True] * 6 + [False] * 16 + [False] * 80
    b = [True] * 59 + [False] * 6 + [True] * 16 + [False] * 80
    d, lo, hi = learning.paired_difference(a, b, z=1.959964)
    assert (round(d, 4), round(lo, 4), round(hi, 4)) == (-0.0621, -0.1186, -0.0046)
    d, lo, hi = learning.paired_difference(b, a, z=1.959964)  # swapping the arms mirrors the interval
    assert (round(d, 4), round(lo, 4), round(hi, 4)) == (0.0621, 0.0046, 0.1186)
    same = [True, False] * 10
    d, lo, hi = learning.paired_difference(same, same)
    assert d == 0.0 and lo < 0.0 < hi  # no discordant pair: no difference, but the interval is not a point


def test_compare_refuses_runs_whose_untrained_scores_differ(tmp_path, monkeypatch):
    monkeypatch.setattr(learning, "RESULTS", tmp_path)
    ids = ["r1", "r2", "r3"]
    for run, untrained in (("run1", [False, False, True]), ("run2", [False, False, True]), ("run3", [True, False, True])):
        (tmp_path / "raft_learning_runs" / run).mkdir(parents=True)
        (tmp_path / "raft_learning_runs" / run / "untrained.json").write_text(json.dumps(_scored(ids, untrained)))
        (tmp_path / "raft_learning_runs" / run / "arm.json").write_text(json.dumps(_scored(ids, [True, True, False])))
    assert learning.compare("run1/arm", "run2/untrained", ["avsa"]).startswith(
        "run1/arm 0.667 vs run2/untrained 0.333: +2/-1, p=1.000; +0.333 [")
    with pytest.raises(SystemExit, match="untrained scores differ"):
        learning.compare("run1/arm", "run3/arm", ["avsa"])


def test_each_model_writes_its_own_results_files():
    assert learning.results_name("smollm2") == "raft_learning"
    assert learning.results_name("qwen0.5b") == "raft_learning_qwen0.5b"


def test_a_kept_run_is_written_again_from_its_kept_json(tmp_path, monkeypatch):
    import bench.measure

    monkeypatch.setattr(learning, "RESULTS", tmp_path)
    monkeypatch.setattr(bench.measure, "RESULTS", tmp_path)
    kept = tmp_path / "raft_learning_runs" / "run1"
    kept.mkdir(parents=True)
    settings = {"model": "qwen0.5b", "train_root": "/d/train-seed11", "eval_root": "/d/eval-seed12", "tasks": "avsa",
                "steps": 2, "prompts_per_step": 1, "k": 2, "tokens": 8, "lr": 1e-5, "temperature": 0.5,
                "sra_budget": 0.05, "rendering": "compact"}  # kept before collapse_floor was a setting
    (kept / "settings.json").write_text(json.dumps(settings))
    ids = [f"r{i}" for i in range(4)]
    (kept / "untrained.json").write_text(json.dumps(_scored(ids, [True, False, False, False])))
    label = {**_arm([0.1, 0.2], [0.25] * 4, [0.4, 0.2, 0.2, 0.2]), "rewards": ["accuracy"], "trainable_fraction": 0.05}
    (kept / "label.json").write_text(json.dumps({**label, **_scored(ids, [True, True, True, False])}))
    raft = {**label, "rewards": ["format"], "curves": {**label["curves"], "clipped": [1.0] * 5 + [0.0]}}
    (kept / "raft.train.json").write_text(json.dumps(raft))  # trained, not scored yet
    monkeypatch.setattr(sys, "argv", ["raft_learning.py", "--report", "run1"])  # the command the files name
    learning.main(sys.argv[1:])
    md = (tmp_path / "raft_learning_qwen0.5b.md").read_text()
    assert "`python -m bench.raft_learning --report run1`" in md and "Run `run1`. Qwen2.5-Coder-0.5B" in md
    assert "| label | 0.750 | 0.750 [" in md and "| +2/-0, p=0.500; +0.500 [" in md
    assert "| raft | format | 0.15 -> 0.15 | 0.15 -> 0.15 | 1.00 -> 0.80 |" in md and "Not scored yet: raft" in md
    assert "| label | accuracy | 0.15 -> 0.15 | 0.15 -> 0.15 | - |" in md  # kept before the cut share was
    assert (tmp_path / "raft_learning_qwen0.5b.png").is_file()
    with pytest.raises(SystemExit, match="no kept run"):
        learning.main(["--report", "run2"])
