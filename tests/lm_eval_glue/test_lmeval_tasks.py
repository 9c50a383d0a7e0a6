"""The 18 AMUSE tasks: indexed, loadable, and passing lm-eval's own per-task checks
(re-implemented from lm-eval's tests/test_tasks.py for tasks outside its tree)."""

from __future__ import annotations

import fnmatch
import json
import logging
from itertools import islice
from pathlib import Path

import pytest
from lm_eval.api.instance import Instance
from lm_eval.tasks import TaskManager

from amuse_tasks.lm_eval_glue.dataset import custom_dataset, data_root
from amuse_tasks.lm_eval_glue.registration import only_amuse_tasks, patch_task_manager, task_dir
from amuse_tasks.tasks import ALL_TASK_NAMES, TASKS

GROUPS = {"amuse", "amuse-zeroshot", "amuse-guided", "amuse-agentic",
          "amuse-zeroshot-choice", "amuse-guided-choice", "amuse-agentic-choice"}
LIMIT = 3


@pytest.fixture(scope="module")
def manager(synth_root) -> TaskManager:
    return TaskManager(include_path=str(task_dir()), include_defaults=False, metadata={"amuse_root": str(synth_root)})


@pytest.fixture(scope="module")
def loaded(manager, offline_cues) -> dict:  # guided docs render the default (offline) cues
    return manager.load(list(ALL_TASK_NAMES))["tasks"]


def test_exactly_our_names_are_indexed():
    tm = TaskManager(include_path=str(task_dir()), include_defaults=False)
    assert set(tm.all_subtasks) == set(ALL_TASK_NAMES)
    assert len(ALL_TASK_NAMES) == 18
    assert set(tm.all_groups) == GROUPS
    # a group matching the users' glob would make `--tasks 'amuse_*'` fail with "Duplicate task"
    assert not fnmatch.filter(tm.all_groups + tm.all_tags, "amuse_*")


def test_all_18_load_with_docs(loaded, synth_root):
    assert sorted(loaded) == sorted(ALL_TASK_NAMES)
    n_records = {t: sum(1 for line in open(synth_root / "records.jsonl") if f'"task": "{t}"' in line) for t in TASKS}
    for name, task in loaded.items():
        tid = name.split("_")[1]
        assert len(task.eval_docs) == n_records[tid] > 0, name
        assert all(d["task"] == tid for d in task.eval_docs)
        assert task.config.metadata["version"] == 2.5


@pytest.mark.parametrize("name", ALL_TASK_NAMES)
def test_lm_eval_per_task_checks(loaded, name):
    task = loaded[name]
    # test_download / test_has_*_docs / test_check_*_docs
    task.download(task.config.dataset_kwargs)
    assert task.dataset is not None
    assert not task.has_training_docs() and not task.has_validation_docs() and task.has_test_docs()
    assert task.config.test_split == "test"
    assert not task.should_decontaminate()
    assert task.OUTPUT_TYPE == "generate_until"
    docs = list(islice(task.test_docs(), LIMIT))
    # test_doc_to_text: strings without a trailing space (lm-eval's space convention)
    texts = [task.doc_to_text(d) for d in docs]
    assert all(isinstance(x, str) and x and x[-1] != " " for x in texts)
    assert all(f"Clip {d['clip_id']} " in x for d, x in zip(docs, texts))  # lm-eval's cache key is the text
    # test_doc_to_target: strings, no leading space (target_delimiter adds it)
    targets = [task.doc_to_target(d) for d in docs]
    assert all(isinstance(t, str) and t and t[0] != " " for t in targets)
    # test_build_all_requests / test_construct_requests
    task.build_all_requests(rank=0, limit=LIMIT, world_size=1)
    assert task.instances and len(task.instances) == LIMIT
    reqs = [task.construct_requests(d, task.doc_to_text(d), metadata=(name, i, 1)) for i, d in enumerate(docs)]
    assert all(isinstance(r, Instance) and r.request_type == "generate_until" for r in reqs)
    # every metric a process_results call returns is declared, with aggregation and direction
    declared = task.aggregation()
    assert task.higher_is_better().keys() >= declared.keys()
    for d in docs:
        out = task.process_results(d, [task.doc_to_target(d)])
        assert out and set(out) <= set(declared), (name, set(out) - set(declared))


@pytest.mark.parametrize("name", ALL_TASK_NAMES)
def test_media_only_outside_guided_mode_and_json_safe(loaded, name):
    task = loaded[name]
    doc = task.eval_docs[0]
    req = task.construct_requests(doc, task.doc_to_text(doc), metadata=(name, 0, 1))
    if name.endswith("_guided"):
        assert task.config.doc_to_image is None and task.config.doc_to_audio is None
        assert len(req.args) == 2  # (context, gen_kwargs): any text model runs it
        return
    media = req.args[2]
    assert set(media) == {"visual", "audio"}
    ref = media["visual"][0]
    assert media["audio"][0] == ref
    assert set(ref) == {"clip_id", "video", "audio", "start", "end"}
    json.dumps(media)  # references, never decoded arrays
    assert Path(ref["video"]).is_absolute() and Path(ref["video"]).is_file()
    assert Path(ref["audio"]).is_file() and ref["audio"].endswith(".wav")
    assert (ref["clip_id"], ref["start"], ref["end"]) == (doc["clip_id"], doc["start"], doc["end"])


def test_guided_prompts_render_only_the_default_cues(loaded):
    for tid, spec in TASKS.items():
        text = loaded[f"amuse_{tid}_guided"].doc_to_text(loaded[f"amuse_{tid}_guided"].eval_docs[0])
        for kind in ("TR", "VS", "FC", "LS"):
            assert (f"\n{kind} - " in text) == (kind in spec.default_cues), (tid, kind)
        assert "Work step by step:" in text and "source: tools:offline" in text  # the default path


def test_data_root_order(monkeypatch, tmp_path, synth_root):
    import amuse_tasks.default_set as default_set

    monkeypatch.setattr(default_set, "default_root", lambda: synth_root)
    (tmp_path / "records.jsonl").write_text("")
    monkeypatch.setenv("AMUSE_DATA", str(tmp_path))
    assert data_root(str(synth_root)) == synth_root.resolve()  # --metadata amuse_root first
    assert data_root() == tmp_path.resolve()  # then $AMUSE_DATA holding records
    monkeypatch.setenv("AMUSE_DATA", str(tmp_path / "not-built-yet"))
    assert data_root() == synth_root  # else the default set (built there on first use)
    monkeypatch.delenv("AMUSE_DATA")
    assert data_root() == synth_root


def test_bad_record_is_skipped_and_counted(tmp_path, synth_root, caplog):
    lines = (synth_root / "records.jsonl").read_text().splitlines()
    bad = json.loads(lines[1])
    bad["answer"] = "Z"
    (tmp_path / "records.jsonl").write_text("\n".join([lines[0], json.dumps(bad), *lines[2:]]) + "\n")
    with caplog.at_level(logging.WARNING):
        docs = custom_dataset(task=bad["task"], amuse_root=str(tmp_path), version=1.0, pretrained="ignored")["test"]
    assert bad["id"] not in {d["id"] for d in docs} and len(docs) > 0
    assert "skipped 1 bad record" in caplog.text and "field 'answer'" in caplog.text


def test_unknown_task_in_dataset_kwargs_is_a_clear_error(synth_root):
    with pytest.raises(ValueError, match="unknown AMUSE task 'xyz'"):
        custom_dataset(task="xyz", amuse_root=str(synth_root))


def test_task_manager_patch_keeps_user_paths(tmp_path):
    (tmp_path / "mine.yaml").write_text(
        "task: my_own_task\ndataset_path: x\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n")

    class PatchedManager(TaskManager):
        pass

    assert patch_task_manager(PatchedManager) is True
    assert patch_task_manager(PatchedManager) is False  # idempotent
    tm = PatchedManager(include_path=str(tmp_path), include_defaults=False)
    assert "my_own_task" in tm.all_subtasks and set(ALL_TASK_NAMES) <= set(tm.all_subtasks)
    assert set(PatchedManager(include_defaults=False).all_subtasks) == set(ALL_TASK_NAMES)
    # passing our folder explicitly does not index it twice
    assert set(PatchedManager(include_path=[str(task_dir())], include_defaults=False).all_subtasks) == set(ALL_TASK_NAMES)


@pytest.mark.parametrize("argv, only", [
    (["run", "--model", "hf", "--tasks", "amuse_*_guided,amuse_avsa_agentic"], True),
    (["--model", "hf", "-t", "amuse-guided", "amuse", "--limit", "1"], True),
    (["--tasks=amuse_nsp_zeroshot", "--model", "hf"], True),
    (["--tasks", "amuse_avsa_guided,mmlu"], False),      # a built-in task needs lm-eval's index
    (["--tasks", "amuse/mine.yaml"], False),              # a path: left to lm-eval
    (["--config", "run.yaml", "--tasks", "amuse"], False),  # tasks may come from the file
    (["ls", "tasks"], False), ([], False),
])
def test_amuse_eval_skips_the_builtin_index_only_for_amuse_tasks(argv, only):
    assert only_amuse_tasks(argv) is only


def test_an_amuse_only_index_loads_every_amuse_task_and_user_paths(tmp_path, monkeypatch):
    from amuse_tasks.lm_eval_glue import registration

    (tmp_path / "mine.yaml").write_text(
        "task: my_own_task\ndataset_path: x\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n")

    class PatchedManager(TaskManager):
        pass

    patch_task_manager(PatchedManager)
    monkeypatch.setitem(registration._INDEX, "defaults", False)
    tm = PatchedManager(include_path=str(tmp_path))
    assert set(tm.all_subtasks) == set(ALL_TASK_NAMES) | {"my_own_task"}  # no built-in task indexed


def test_register_models_is_lazy_and_skips_missing_modules(monkeypatch):
    from lm_eval.api.registry import get_model, model_registry

    from amuse_tasks.lm_eval_glue import registration

    monkeypatch.setattr(registration, "MODELS", {"amuse-test-lazy": "lm_eval.models.dummy:DummyLM",
                                                 "amuse-test-missing": "amuse_tasks.no_such_module:X"})
    try:
        assert registration.register_models() == ["amuse-test-lazy"]
        assert "amuse-test-missing" not in model_registry
        assert get_model("amuse-test-lazy").__name__ == "DummyLM"
        assert get_model("dummy").__name__ == "DummyLM" and "hf" in model_registry  # built-ins still resolve
    finally:
        model_registry._objs.pop("amuse-test-lazy", None)
