"""The lip-sync score on hand-made series: speaking is a mouth that moves while speech is heard; a
mouth held ajar (about to speak) scores nothing but shows in ``mouth_open``."""

from __future__ import annotations

from amuse_tasks.tools.lipsync_correlation import AJAR, MOVE, CorrelationLipSync

FPS = 12
TIMES = [round(k / FPS, 4) for k in range(48)]  # 4 s
RMS = [[t, 1.0 if t < 2.0 else 0.0] for t in TIMES]  # speech in the first 2 s, silence after


def _series(values):
    return [[[t, v] for t, v in zip(TIMES, values)]]


def test_an_articulating_mouth_scores_and_a_still_one_does_not():
    # range of each series: 20th to 95th percentile of its values over the window, here 0 to 10
    talking = [10.0 if k % 2 else 0.0 for k in range(24)] + [0.0] * 24  # opens and closes every frame, then rests
    speaker = CorrelationLipSync.score(_series(talking), RMS, 0.0, 1.99)
    assert speaker["frames"] == 24 and speaker["score"] == round(23 / 24, 3)  # every frame but the first moves
    assert CorrelationLipSync.score(_series(talking), RMS, 2.1, 3.9)["mouth_open"] == 0.0  # resting mouth

    still = [4.0] * 24 + [0.0] * 12 + [10.0] * 12  # held 40 % open while the speech is heard
    held = CorrelationLipSync.score(_series(still), RMS, 0.0, 1.99)
    assert 0.4 > AJAR and held["score"] == 0.0 and held["mouth_open"] == 1.0  # open, never moving: not speaking

    nudged = [4.0 + (MOVE * 10 * 0.5 if k % 2 else 0.0) for k in range(24)] + [0.0] * 12 + [10.0] * 12
    assert CorrelationLipSync.score(_series(nudged), RMS, 0.0, 1.99)["score"] == 0.0  # steps under MOVE: still
    wider = [4.0 + (MOVE * 10 * 1.5 if k % 2 else 0.0) for k in range(24)] + [0.0] * 12 + [10.0] * 12
    assert CorrelationLipSync.score(_series(wider), RMS, 0.0, 1.99)["score"] == round(23 / 24, 3)


def test_a_mouth_region_that_never_changes_gives_no_evidence():
    flat = CorrelationLipSync.score(_series([5.0 + 0.01 * (k % 3) for k in range(48)]), RMS, 0.0, 2.0)
    assert flat["score"] == 0.0 and flat["mouth_open"] == 0.0
