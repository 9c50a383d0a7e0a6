"""The AMUSE record: one JSON object per line of ``records.jsonl`` in a dataset root.

Validation names the file, the line and the field, so a broken dataset is fixed in one look.
Media paths are relative to the dataset root; a path that leaves the root is rejected.
One module on purpose (~300 lines): every rule a record must keep is read in one place.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from amuse_tasks.tasks import CUE_KINDS, TASKS, TOOL_NAMES

SCHEMA_VERSION = "1.0"
SUPPORTED_VERSIONS = frozenset({"1.0"})
RECORDS_FILE = "records.jsonl"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

log = logging.getLogger(__name__)

REQUIRED = (
    "schema_version", "id", "task", "clip_id", "video", "audio", "start", "end",
    "question", "options", "answer", "people", "segments", "scenes", "expected_tools", "cues",
)
OPTIONAL = ("faces", "query", "rationale", "reference_trace", "split", "meta")
# ``query``: the facts the question states, machine-readable (for rule baselines and analysis; never
# the answer): the quoted words, the quoted span [a, b] and the scene it points to (window seconds,
# as the question writes them), the person it names, and one fact object per option.
QUERY_KEYS = ("quote", "span", "person", "scene_start", "options")


class RecordError(ValueError):
    """A record that breaks the schema; the message says where and what."""

    def __init__(self, where: str, field_name: str, problem: str):
        self.where, self.field, self.problem = where, field_name, problem
        super().__init__(f"{where}: field '{field_name}': {problem}")


@dataclass
class LoadReport:
    """Records that passed, and one message per record that did not."""

    records: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_span(where: str, name: str, obj: Any) -> None:
    if not isinstance(obj, dict):
        raise RecordError(where, name, f"expected an object, got {type(obj).__name__}")
    for k in ("start", "end"):
        if not _is_num(obj.get(k)):
            raise RecordError(where, f"{name}.{k}", f"expected a number, got {obj.get(k)!r}")
    if obj["end"] < obj["start"]:
        raise RecordError(where, name, f"end {obj['end']} is before start {obj['start']}")


def _check_list(where: str, name: str, value: Any) -> list:
    if not isinstance(value, list):
        raise RecordError(where, name, f"expected a list, got {type(value).__name__}")
    return value


def _check_str(where: str, name: str, value: Any, *, empty_ok: bool = False) -> None:
    if not isinstance(value, str) or (not empty_ok and not value.strip()):
        raise RecordError(where, name, f"expected a non-empty string, got {value!r}")


def resolve_media(root: str | Path, rel: str, *, where: str = "<record>", field_name: str = "video") -> Path:
    """Absolute path of a media file given relative to the dataset root; refuses to leave it."""
    if not isinstance(rel, str) or not rel:
        raise RecordError(where, field_name, f"expected a relative path, got {rel!r}")
    p = Path(rel)
    if p.is_absolute() or rel.startswith(("/", "\\")):
        raise RecordError(where, field_name, f"path {rel!r} must be relative to the dataset root")
    root = Path(root).resolve()
    full = (root / p).resolve()
    if not full.is_relative_to(root):
        raise RecordError(where, field_name, f"path {rel!r} leaves the dataset root")
    return full


def validate_record(rec: Any, where: str = "<record>", root: str | Path | None = None) -> dict:
    """Check one record against the schema and return it; raise RecordError otherwise."""
    if not isinstance(rec, dict):
        raise RecordError(where, "<record>", f"expected a JSON object, got {type(rec).__name__}")
    version = rec.get("schema_version")
    if version not in SUPPORTED_VERSIONS:
        raise RecordError(where, "schema_version",
                          f"unknown schema version {version!r} (supported: {sorted(SUPPORTED_VERSIONS)})")
    for k in REQUIRED:
        if k not in rec:
            raise RecordError(where, k, "missing")
    unknown = sorted(set(rec) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise RecordError(where, unknown[0], f"unknown field (allowed: {', '.join(REQUIRED + OPTIONAL)})")
    where = f"{where} (id={rec['id']!r})" if isinstance(rec["id"], str) else where
    for k in ("id", "clip_id", "question"):
        _check_str(where, k, rec[k])
    if rec["task"] not in TASKS:
        raise RecordError(where, "task", f"unknown task {rec['task']!r} (one of {', '.join(TASKS)})")
    spec = TASKS[rec["task"]]
    for k in ("start", "end"):
        if not _is_num(rec[k]) or rec[k] < 0:
            raise RecordError(where, k, f"expected a non-negative number, got {rec[k]!r}")
    if rec["end"] <= rec["start"]:
        raise RecordError(where, "end", f"end {rec['end']} must be after start {rec['start']}")
    for k in ("video", "audio"):
        if root is not None:
            resolve_media(root, rec[k], where=where, field_name=k)
        else:
            _check_str(where, k, rec[k])

    options = _check_list(where, "options", rec["options"])
    for i, o in enumerate(options):
        _check_str(where, f"options[{i}]", o)
    answer = rec["answer"]
    if spec.is_choice:
        if len(options) < 2:
            raise RecordError(where, "options", f"task {spec.id} needs at least 2 options, got {len(options)}")
        valid = LETTERS[: len(options)]
        if not (isinstance(answer, str) and len(answer) == 1 and answer in valid):
            raise RecordError(where, "answer", f"expected one letter of {valid!r}, got {answer!r}")
    elif spec.is_intervals:
        ivs = _check_list(where, "answer", answer)
        if not ivs:
            raise RecordError(where, "answer", "expected at least one [start, end] interval")
        for i, iv in enumerate(ivs):
            if not (isinstance(iv, list) and len(iv) == 2 and all(_is_num(x) for x in iv) and iv[0] <= iv[1]):
                raise RecordError(where, f"answer[{i}]", f"expected [start, end] seconds with start <= end, got {iv!r}")
    else:
        _check_str(where, "answer", answer)

    for i, p in enumerate(_check_list(where, "people", rec["people"])):
        if not isinstance(p, dict):
            raise RecordError(where, f"people[{i}]", "expected an object")
        _check_str(where, f"people[{i}].label", p.get("label"))
        _check_str(where, f"people[{i}].description", p.get("description"), empty_ok=True)
        if p.get("face_track") is not None:
            _check_str(where, f"people[{i}].face_track", p["face_track"])
        if "seat" in p:
            _check_seat(where, f"people[{i}].seat", p["seat"])
    for i, s in enumerate(_check_list(where, "segments", rec["segments"])):
        _check_span(where, f"segments[{i}]", s)
        _check_str(where, f"segments[{i}].speaker", s.get("speaker"))
        _check_str(where, f"segments[{i}].text", s.get("text"), empty_ok=True)
    for i, s in enumerate(_check_list(where, "scenes", rec["scenes"])):
        _check_span(where, f"scenes[{i}]", s)
    for i, t in enumerate(_check_list(where, "expected_tools", rec["expected_tools"])):
        if t not in TOOL_NAMES:
            raise RecordError(where, f"expected_tools[{i}]", f"unknown tool {t!r} (one of {', '.join(TOOL_NAMES)})")

    cues = rec["cues"]
    if isinstance(cues, str):
        if root is not None:
            resolve_media(root, cues, where=where, field_name="cues")
    elif isinstance(cues, dict):
        validate_cues(cues, where)
    elif cues is not None:
        raise RecordError(where, "cues", f"expected an object, a relative path or null, got {type(cues).__name__}")

    if "query" in rec:
        _check_query(where, rec["query"], len(options))
    for i, tr in enumerate(_check_list(where, "faces", rec.get("faces", []))):
        if not isinstance(tr, dict):
            raise RecordError(where, f"faces[{i}]", "expected an object")
        _check_str(where, f"faces[{i}].track", tr.get("track"))
        for j, b in enumerate(_check_list(where, f"faces[{i}].boxes", tr.get("boxes"))):
            _check_span(where, f"faces[{i}].boxes[{j}]", b)
            box = b.get("box")
            if not (isinstance(box, list) and len(box) == 4 and all(_is_num(x) for x in box)):
                raise RecordError(where, f"faces[{i}].boxes[{j}].box", f"expected [x, y, w, h], got {box!r}")
    return rec


def _check_seat(where: str, name: str, seat: Any) -> None:
    """``{"column": 1-based from the left, "row": "top" | "bottom" | null}``."""
    if not (isinstance(seat, dict) and isinstance(seat.get("column"), int) and seat["column"] >= 1
            and seat.get("row") in (None, "top", "bottom")):
        raise RecordError(where, name, f'expected {{"column": n >= 1, "row": "top"/"bottom"/null}}, got {seat!r}')


def _check_query(where: str, query: Any, n_options: int) -> None:
    if not isinstance(query, dict):
        raise RecordError(where, "query", f"expected an object, got {type(query).__name__}")
    extra = sorted(set(query) - set(QUERY_KEYS))
    if extra:
        raise RecordError(where, f"query.{extra[0]}", f"unknown key (one of {', '.join(QUERY_KEYS)})")
    for k in ("quote", "person"):
        if k in query:
            _check_str(where, f"query.{k}", query[k])
    span = query.get("span")
    if "span" in query and not (isinstance(span, list) and len(span) == 2 and all(_is_num(x) for x in span)
                                and span[0] <= span[1]):
        raise RecordError(where, "query.span", f"expected [start, end] seconds, got {span!r}")
    if "scene_start" in query and not _is_num(query["scene_start"]):
        raise RecordError(where, "query.scene_start", f"expected seconds, got {query['scene_start']!r}")
    if "options" in query:
        facts = _check_list(where, "query.options", query["options"])
        if len(facts) != n_options or not all(isinstance(f, dict) for f in facts):
            raise RecordError(where, "query.options", f"expected one object per option ({n_options}), got {facts!r}")
        for i, f in enumerate(facts):
            if "seat" in f:
                _check_seat(where, f"query.options[{i}].seat", f["seat"])


def validate_cues(cues: dict, where: str = "<cues>") -> dict:
    """Cues: ``{"source": str, "TR": [...], "VS": [...], "FC": [...], "LS": [...]}`` (kinds optional).

    TR items: voice, start, end, text.  VS: voice, start, end.  FC: face, start, end, box [x, y, w, h].
    LS: face, start, end, score (0-1).  Labels are anonymous (VOICE_1, FACE_A) on purpose.
    """
    if not isinstance(cues, dict):
        raise RecordError(where, "cues", f"expected an object, got {type(cues).__name__}")
    _check_str(where, "cues.source", cues.get("source"))
    extra = sorted(set(cues) - set(CUE_KINDS) - {"source", "backends", "errors"})
    if extra:
        raise RecordError(where, f"cues.{extra[0]}", f"unknown cue kind (one of {', '.join(CUE_KINDS)})")
    need = {"TR": ("voice", "text"), "VS": ("voice",), "FC": ("face",), "LS": ("face",)}
    for kind in CUE_KINDS:
        for i, item in enumerate(_check_list(where, f"cues.{kind}", cues.get(kind, []))):
            _check_span(where, f"cues.{kind}[{i}]", item)
            for k in need[kind]:
                _check_str(where, f"cues.{kind}[{i}].{k}", item.get(k), empty_ok=(k == "text"))
            if kind == "LS" and not _is_num(item.get("score")):
                raise RecordError(where, f"cues.LS[{i}].score", f"expected a number, got {item.get('score')!r}")
    return cues


def iter_jsonl(path: Path) -> Iterable[tuple[int, Any]]:
    """(line number, parsed object) per non-empty line; a line of bad JSON gives a RecordError."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as e:
                yield n, RecordError(f"{path}:{n}", "<line>", f"invalid JSON: {e.msg} at column {e.colno}")


def load_records(root: str | Path, *, strict: bool = True, tasks: Iterable[str] | None = None) -> LoadReport:
    """Load and validate ``root/records.jsonl``.

    strict: the first bad record raises.  Otherwise each bad record is logged, counted in
    ``errors`` and skipped, and every good record is kept.
    """
    root = Path(root)
    path = root / RECORDS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no AMUSE records file (build one with `amuse-synth build --out {root}`)")
    wanted = set(tasks) if tasks is not None else None
    report = LoadReport()
    seen: set[str] = set()
    for n, rec in iter_jsonl(path):
        try:
            if isinstance(rec, RecordError):
                raise rec
            validate_record(rec, f"{path}:{n}", root)
            if rec["id"] in seen:
                raise RecordError(f"{path}:{n}", "id", f"duplicate id {rec['id']!r}")
            seen.add(rec["id"])
        except RecordError as e:
            if strict:
                raise
            report.errors.append(str(e))
            log.warning("skipping: %s", e)
            continue
        if wanted is None or rec["task"] in wanted:
            report.records.append(rec)
    return report


def load_cues(root: str | Path, rec: dict) -> dict | None:
    """The record's cues as a dict, reading the JSON file when ``cues`` is a path."""
    cues = rec.get("cues")
    if isinstance(cues, str):
        path = resolve_media(root, cues, where=f"record {rec.get('id')!r}", field_name="cues")
        with open(path, encoding="utf-8") as f:
            return validate_cues(json.load(f), str(path))
    return cues


# The field under which a record handed to lm-eval (and on to a model) carries its dataset root.
ROOT_KEY = "amuse_root"


def media_reference(record: dict, root: str | Path | None = None) -> dict:
    """``{"clip_id", "video", "audio", "start", "end"}`` with absolute paths, start/end in file seconds:
    how a record's media travel through lm-eval requests to a model (small, JSON-safe, decoded lazily).
    ``root`` defaults to the record's ``ROOT_KEY``."""
    where = f"record {record.get('id')!r}"
    root = record[ROOT_KEY] if root is None else root
    return {
        "clip_id": record["clip_id"],
        "video": str(resolve_media(root, record["video"], where=where, field_name="video")),
        "audio": str(resolve_media(root, record["audio"], where=where, field_name="audio")),
        "start": record["start"],
        "end": record["end"],
    }

