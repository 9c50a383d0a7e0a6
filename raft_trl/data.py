"""AMUSE records -> RAFT training rows, with prompts from ``amuse_tasks.prompts.build_prompt``.

Training and evaluation format prompts identically: the user message is exactly the lm-eval
task's prompt text (agentic rows add the agent's system prompt, and the record and its root for the
tool environment that runs the calls). Columns the
reward functions read: ``cues`` (JSON of the cue dict the rewards check against, window seconds),
``question_facts`` (JSON: the question's structured ``query``, the people's labels, descriptions and
seats, the window length; what ``consistency`` needs besides the cues, no answer), ``task``, ``mode``,
``options``, ``answer`` (JSON, read only by the opt-in ``accuracy``; ``stg`` intervals are in window
seconds in the records, like the prompts and the model's answers), and ``reference_trace`` (L_align's
target when present).

Cue sources: any ``amuse_tasks.cues.cue_source`` spelling, as lm-eval's guided tasks take it:
``offline`` (default), another tool backend spec, ``none``, ``record`` (the record's own cues, else
the offline tools); ``oracle`` (every tool answers from the ground truth) and any spec with an oracle part make
the perceptual rewards read the labels: only with an explicit opt-in (``raft_trl.train``), and logged as such.

``overlap_with`` guards the split: a training set that shares clips (ids or media files) with the
evaluation set is refused unless the caller allows it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from amuse_tasks.prompts import agent_system_prompt, build_prompt
from amuse_tasks.schema import RecordError, load_records, resolve_media

log = logging.getLogger(__name__)

TRAIN_MODES = ("guided", "agentic", "zeroshot")


@dataclass
class Rows:
    """Training rows, and one message per record that could not be turned into a row."""

    rows: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _media_hashes(root: Path, records: list[dict]) -> dict[str, str]:
    from amuse_tasks.tools.cache import file_hash

    out = {}
    for r in records:
        for key in ("video", "audio"):
            try:
                out[file_hash(resolve_media(root, r[key], where=f"record {r.get('id')!r}", field_name=key))] = r["clip_id"]
            except (RecordError, OSError):  # a missing file is the rows' problem, reported there
                continue
    return out


def overlap_with(train_root: Path, eval_root: Path) -> list[str]:
    """Clips of the training set that the evaluation set also holds (same clip id or same media bytes)."""
    if Path(train_root).resolve() == Path(eval_root).resolve():
        return ["the training and the evaluation dataset are the same folder"]
    train, ev = load_records(train_root, strict=False).records, load_records(eval_root, strict=False).records
    same_ids = sorted({r["clip_id"] for r in train} & {r["clip_id"] for r in ev})
    th, eh = _media_hashes(Path(train_root), train), _media_hashes(Path(eval_root), ev)
    same_media = sorted({th[h] for h in set(th) & set(eh)} - set(same_ids))
    return [f"clip id {c}" for c in same_ids] + [f"media of clip {c}" for c in same_media]


def window_audio(record: dict, root: Path, cache: Path) -> str:
    """Path of a 16 kHz mono WAV holding just the record's window (written once into ``cache``), decoded
    by ``amuse_tasks.media`` exactly as evaluation decodes it."""
    import soundfile as sf

    from amuse_tasks.media import SAMPLE_RATE, read_audio

    out = cache / f"{record['id']}.wav"
    if not out.is_file():
        src = resolve_media(root, record["audio"], where=f"record {record['id']!r}", field_name="audio")
        out.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(out), read_audio(src, record["start"], record["end"]), SAMPLE_RATE)
    return str(out)


def record_row(record: dict, root: Path, mode: str, cue_source: str, *, audio_cache: Path | None = None,
               rendering: str = "full") -> dict:
    """One training row of one record. Agentic rows carry the record and its root for the tool environment
    (``raft_trl.environment``), which opens the clip when a rollout starts; their system message is the
    agent's protocol for tools rendered by the chat template, as ``amuse-agent`` sends it."""
    from amuse_tasks.cues import cue_source as source_of

    cues = source_of(cue_source).cues(record, root)
    text = build_prompt(record, mode, cues=cues if mode == "guided" else None, rendering=rendering)
    if mode == "zeroshot" and audio_cache is not None:
        content = [{"type": "audio", "path": window_audio(record, root, audio_cache)}, {"type": "text", "text": text}]
        prompt = [{"role": "user", "content": content}]
    else:
        prompt = [{"role": "user", "content": text}]
    extra = {}
    if mode == "agentic":
        prompt = [{"role": "system", "content": agent_system_prompt(list_tools=False)}, *prompt]
        extra = {"record": json.dumps(record), "root": str(Path(root).resolve())}
    # an agentic reference trace would be trained as text, tool results included: a result the model "wrote"
    ref = record.get("reference_trace") if mode != "agentic" else None
    if ref is not None and not isinstance(ref, str):
        ref = json.dumps(ref)
    return {
        "prompt": prompt, "record_id": record["id"], "clip_id": record["clip_id"], "task": record["task"],
        "mode": mode, "options": list(record.get("options") or []), "answer": json.dumps(record["answer"]),
        "cues": json.dumps(cues), "question_facts": json.dumps(question_facts(record)), "reference_trace": ref or None,
        **extra,
    }


def question_facts(record: dict) -> dict:
    """What the question states, in structured form: its ``query``, the people (label, description, seat)
    and the window length. No label: ``people[].face_track`` and ``answer`` stay out."""
    people = [{k: p[k] for k in ("label", "description", "seat") if k in p} for p in record.get("people") or []]
    return {"query": record.get("query") or {}, "people": people,
            "duration": round(record["end"] - record["start"], 3)}


def build_rows(root: str | Path, *, mode: str = "guided", tasks: list[str] | None = None,
               cue_source: str = "offline", split: str | None = None, limit: int | None = None,
               audio: bool = False, rendering: str = "full") -> Rows:
    """Rows of every valid record under ``root``; a bad record is logged, counted and skipped.

    split: keep records whose optional ``split`` field equals it (records without one are kept).
    audio: zeroshot rows carry the window's audio (for audio-language / omni models).
    rendering: guided prompts' cue rendering, ``full`` or ``compact`` (``amuse_tasks.prompts.build_prompt``).
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
            out.rows.append(record_row(record, root, mode, cue_source, audio_cache=cache, rendering=rendering))
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
