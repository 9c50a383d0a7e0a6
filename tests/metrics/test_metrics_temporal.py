import pytest

from amuse_tasks.intervals import union
from amuse_tasks.metrics.temporal import off_by_one, parse_intervals, score_intervals, tiou


@pytest.mark.parametrize("text,expected", [
    ("3.2-5", [(3.2, 5.0)]),
    ("Answer: 12.3 - 15 s", [(12.3, 15.0)]),
    ("0:12-0:15", [(12.0, 15.0)]),
    ("1:02.5 – 1:04", [(62.5, 64.0)]),
    ("from 3 to 5 seconds", [(3.0, 5.0)]),
    ("1-2, 4-5.5", [(1.0, 2.0), (4.0, 5.5)]),
    ("5-3", []),
    ("never", []),
    (None, []),
])
def test_parse_intervals(text, expected):
    got = parse_intervals(text)
    assert len(got) == len(expected)
    assert all(g == pytest.approx(e) for g, e in zip(got, expected))


def test_tiou_overlapping():
    # [0,2] vs [1,3]: intersection 1, union 3
    assert tiou([(0, 2)], [(1, 3)]) == pytest.approx(1 / 3)


def test_tiou_disjoint_and_empty():
    assert tiou([(0, 1)], [(2, 3)]) == 0.0
    assert tiou([], [(2, 3)]) == 0.0


def test_tiou_multiple_intervals_uses_unions():
    # pred union [0,1]+[2,3] = 2 s, ref [0,3] = 3 s, intersection 2 -> 2/3
    assert tiou([(0, 1), (2, 3)], [(0, 3)]) == pytest.approx(2 / 3)
    # overlapping predictions are merged first: [0,2]+[1,3] = [0,3]
    assert union([(1, 3), (0, 2)]) == [(0, 3)]
    assert tiou([(0, 2), (1, 3)], [(0, 3)]) == pytest.approx(1.0)
    # pred [1,2]+[4,6], ref [0,2]+[5,7]: inter 1+1=2, union 3+4-2=5
    assert tiou([(1, 2), (4, 6)], [(0, 2), (5, 7)]) == pytest.approx(2 / 5)


def test_off_by_one_needs_both_boundaries_within_one_second():
    assert off_by_one([(3.0, 6.9)], [(2.0, 6.0)])
    assert not off_by_one([(3.1, 6.0)], [(2.0, 6.0)])
    assert not off_by_one([(2.0, 3.0), (4.0, 6.0)], [(2.0, 6.0)])


def test_score_intervals_thresholds():
    s = score_intervals([(0, 2)], [(1, 3)])  # tIoU 1/3
    assert s["tiou"] == pytest.approx(100 / 3)
    assert (s["r@0.3"], s["r@0.5"], s["r@0.7"]) == (1.0, 0.0, 0.0)
    assert s["off_by_one"] == 1.0


def test_stg_scores_the_final_answer_line_not_the_cited_cue_spans():
    from amuse_tasks.lm_eval_glue.results import score_answer

    doc = {"task": "stg", "answer": [[1.5, 5.2]], "options": []}
    reply = "VOICE_2 speaks 0.0-1.0 and 6.0-9.0; FACE_B moves 1.4-5.3.\nAnswer: 1.5-5.2"
    assert score_answer(doc, reply)["tiou"] == pytest.approx(100.0)
    assert score_answer(doc, "VOICE_2 speaks 0.0-1.0 and 1.5-5.2")["tiou"] < 100.0  # no final line: all of it
