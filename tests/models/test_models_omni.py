"""``amuse-omni`` with a tiny random Qwen2.5-Omni thinker: lazy media decoding per batch, the
media log (effective fps, frames, audio flag), modality ablations, and a broken clip."""

from __future__ import annotations

import json

import pytest
from tiny_omni import build_tiny_omni

from amuse_tasks.models.omni import frame_plan


def test_frame_plan():
    assert frame_plan(30.0, 1.0, 32) == (30, 1.0)
    assert frame_plan(40.0, 1.0, 32) == (32, 0.8)
    assert frame_plan(7.0, 1.0, 32) == (6, 6 / 7)  # even: the vision tower pairs frames
    assert frame_plan(0.5, 1.0, 32) == (2, 4.0)


@pytest.fixture(scope="module")
def tiny_omni(tmp_path_factory):
    return build_tiny_omni(tmp_path_factory.mktemp("omni") / "tiny")


def _requests(model_records, n=2):
    from lm_eval.api.instance import Instance

    from amuse_tasks.schema import media_reference as media_ref
    from amuse_tasks.prompts import build_prompt

    docs = [r for r in model_records if r["task"] in ("nsp", "avsa")][:n]
    return [Instance("generate_until", d, (build_prompt(d, "zeroshot"), {"until": ["\n\n"], "max_gen_toks": 3},
                                          {"visual": [media_ref(d)], "audio": [media_ref(d)]}), i)
            for i, d in enumerate(docs)]


@pytest.mark.parametrize("drop, audio, video", [(None, True, True), ("audio", False, True), ("video", True, False)])
def test_generates_and_logs_media_per_sample(tiny_omni, model_records, tmp_path, drop, audio, video):
    from amuse_tasks.models.omni import AmuseOmniLM

    log = tmp_path / "media.jsonl"
    lm = AmuseOmniLM(pretrained=str(tiny_omni), fps=1.0, max_frames=4, video_max_pixels=28 * 28 * 16,
                     batch_size=2, drop=drop, media_log=str(log), device="cuda")  # no GPU here: falls back to CPU
    reqs = _requests(model_records)
    out = lm.generate_until(reqs)
    assert len(out) == len(reqs) and all(isinstance(o, str) for o in out)
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert [x["id"] for x in logged] == [r.doc["id"] for r in reqs]
    for x in logged:
        assert x["audio"] is audio and x["audio_in_video"] is (audio and video)
        assert x["frames"] == (4 if video else 0) and x["fps"] == (pytest.approx(4 / x["duration"], abs=1e-3) if video else 0)


@pytest.mark.parametrize("drop", ["audio", "video"])
def test_the_task_ablation_blanks_or_mutes_the_same_clip(tiny_omni, model_records, drop):
    """--metadata drop: the model still gets both streams, one of them black or silent (not removed)."""
    from amuse_tasks.models.omni import AmuseOmniLM

    lm = AmuseOmniLM(pretrained=str(tiny_omni), fps=1.0, max_frames=4, video_max_pixels=28 * 28 * 16, batch_size=2)
    fed = []
    lm._generate = lambda items, max_new: fed.extend(items) or ["" for _ in items]
    reqs = _requests(model_records)
    for r in reqs:
        for ref in (*r.arguments[2]["visual"], *r.arguments[2]["audio"]):
            ref["drop"] = [drop]
    lm.generate_until(reqs)
    assert len(fed) == len(reqs)
    for item in fed:
        video, audio = item["video"], item["audio"]
        assert len(video) == 4 and len(audio) > 0  # the same frames and samples as without the ablation
        assert bool(abs(video).max() == 0) == (drop == "video") and bool(abs(audio).max() == 0) == (drop == "audio")


def test_a_broken_clip_answers_empty_and_the_batch_goes_on(tiny_omni, model_records, tmp_path):
    from amuse_tasks.models.omni import AmuseOmniLM

    lm = AmuseOmniLM(pretrained=str(tiny_omni), fps=1.0, max_frames=2, video_max_pixels=28 * 28 * 16, batch_size=2)
    reqs = _requests(model_records)
    reqs[0].arguments[2]["visual"][0]["video"] = str(tmp_path / "missing.mp4")
    out = lm.generate_until(reqs)
    assert out[0] == "" and isinstance(out[1], str)


def test_needs_a_model_and_one_modality(tiny_omni):
    from amuse_tasks.models.omni import AmuseOmniLM

    with pytest.raises(ValueError, match="pretrained="):
        AmuseOmniLM()
    with pytest.raises(ValueError, match="not both"):
        AmuseOmniLM(pretrained=str(tiny_omni), drop="audio+video")


def test_lm_eval_runs_every_zeroshot_task(tiny_omni, synth_root):
    import lm_eval.models  # noqa: F401
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from amuse_tasks.lm_eval_glue.registration import task_dir
    from amuse_tasks.models.omni import AmuseOmniLM
    from amuse_tasks.tasks import TASK_IDS, task_name

    lm = AmuseOmniLM(pretrained=str(tiny_omni), fps=0.5, max_frames=4, video_max_pixels=28 * 28 * 16)
    tasks = [task_name(t, "zeroshot") for t in TASK_IDS]
    res = simple_evaluate(model=lm, tasks=tasks, limit=1, log_samples=True,
                          task_manager=TaskManager(include_path=str(task_dir()), include_defaults=False))
    assert sorted(res["results"]) == sorted(tasks)
    for t in tasks:  # random weights answer nonsense: each sample is scored (parse failure), none is lost
        assert len(res["samples"][t]) == 1 and isinstance(res["samples"][t][0]["resps"][0][0], str)
