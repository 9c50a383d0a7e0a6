"""AMUSE records -> RAFT training rows, with prompts from ``amuse_tasks.prompts.build_prompt``.

Training and evaluation format prompts identically: the user message is exactly the lm-eval
task's prompt text (agentic rows add the agent system prompt as a system message). Columns the
reward functions read: ``cues`` (JSON of the cue dict the rewards check against, window seconds),
``task``, ``mode``, ``options``, ``answer`` (JSON; ``stg`` intervals are in window seconds in the
records, like the prompts and the model's answers), and ``reference_trace`` (L_align's target when present).

Cue sources: ``record`` (the record's own cues, oracle cues when it has none) or any source of
``amuse_tasks.cues.guided_cues`` (``oracle``, ``offline`` or another tool backend spec, ``none``),
so training sees the cues the evaluation shows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from amuse_tasks.cues import oracle_cues
from amuse_tasks.prompts import agent_system_prompt, build_prompt
from amuse_tasks.schema import load_cues, load_records, resolve_media
from amuse_tasks.tools.schemas import schemas_for

log = logging.getLogger(__name__)

TRAIN_MODES = ("guided", "agentic", "zeroshot")


@dataclass
class Rows:
    """Training rows, and one message per record that could not be turned into a row."""

    rows: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def record_cues(record: dict, root: Path, source: str) -> dict:
    """The cue dict of a record (window seconds): ``record`` = the record's own cues (oracle cues when it
    has none); any other source goes to ``amuse_tasks.cues.guided_cues`` like the lm-eval guided tasks
    (``oracle``, ``none``, or a tool backend spec such as ``offline``, read from ``cues/<tag>/`` or
    computed with the perception cache)."""
    if source == "record":
        return load_cues(root, record) or oracle_cues(record)
    from amuse_tasks.cues import guided_cues

    return guided_cues(record, root, source)


def window_audio(record: dict, root: Path, cache: Path) -> str:
    """Path of a 16 kHz WAV holding just the record's window (written once into ``cache``)."""
    import soundfile as sf

    out = cache / f"{record['id']}.wav"
    if not out.is_file():
        src = resolve_media(root, record["audio"], where=f"record {record['id']!r}", field_name="audio")
        info = sf.info(str(src))
        audio, sr = sf.read(str(src), start=int(record["start"] * info.samplerate),
                            stop=int(record["end"] * info.samplerate), dtype="float32", always_2d=False)
        out.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(out), audio, sr)
    return str(out)


def record_row(record: dict, root: Path, mode: str, cue_source: str, *, audio_cache: Path | None = None,
               agent_tools: tuple[str, ...] = ("transcribe", "diarize", "track_faces", "lip_sync")) -> dict:
    """One training row of one record."""
    cues = record_cues(record, root, cue_source)
    text = build_prompt(record, mode, cues=cues if mode == "guided" else None)
    if mode == "zeroshot" and audio_cache is not None:
        content = [{"type": "audio", "path": window_audio(record, root, audio_cache)}, {"type": "text", "text": text}]
        prompt = [{"role": "user", "content": content}]
    else:
        prompt = [{"role": "user", "content": text}]
    if mode == "agentic":
        prompt = [{"role": "system", "content": agent_system_prompt(schemas_for(list(agent_tools)))}, *prompt]
    ref = record.get("reference_trace")
    if ref is not None and not isinstance(ref, str):
        ref = json.dumps(ref)
    return {
        "prompt": prompt, "record_id": record["id"], "clip_id": record["clip_id"], "task": record["task"],
        "mode": mode, "options": list(record.get("options") or []), "answer": json.dumps(record["answer"]),
        "cues": json.dumps(cues), "reference_trace": ref or None,
    }


def build_rows(root: str | Path, *, mode: str = "guided", tasks: list[str] | None = None,
               cue_source: str = "record", split: str | None = None, limit: int | None = None,
               audio: bool = False) -> Rows:
    """Rows of every valid record under ``root``; a bad record is logged, counted and skipped.

    split: keep records whose optional ``split`` field equals it (records without one are kept).
    audio: zeroshot rows carry the window's audio (for audio-language / omni models).
    """
    if mode not in TRAIN_MODES:
        raise ValueError(f"unknown mode {mode!r} (one of {', '.join(TRAIN_MODES)})")
    root = Path(root)
    loaded = load_records(root, strict=False, tasks=tasks)
    out = Rows(errors=list(loaded.errors))
    records = [r for r in loaded.records if split is None or r.get("split") in (None, split)]
    if limit is not None:
        records = records[:limit]
    cache = root / ".raft_cache" / "audio" if audio else None
    for record in tqdm(records, desc=f"RAFT rows ({mode})", unit="record"):
        try:
            out.rows.append(record_row(record, root, mode, cue_source, audio_cache=cache))
        except Exception as e:  # one bad record never kills the run
            msg = f"{root}: record {record.get('id')!r}: {type(e).__name__}: {e}"
            log.warning("skipping %s", msg)
            out.errors.append(msg)
    if not out.rows:
        raise ValueError(f"{root}: no usable records for mode {mode!r}"
                         + (f" (tasks {tasks})" if tasks else "") + f"; {len(out.errors)} errors")
    return out


def to_dataset(rows: Rows):
    from datasets import Dataset

    return Dataset.from_list(rows.rows)
