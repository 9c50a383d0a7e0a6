"""Write a built dataset: cut media, validated ``records.jsonl``, ``stats.json``, card, build log.

Layout of the dataset root (what ``amuse_tasks.schema.load_records`` and the lm-eval tasks read)::

    records.jsonl        one validated record per line
    media/<clip>.mp4     H.264 + AAC clip;  media/<clip>.wav  16 kHz mono
    stats.json           counts, clip lengths, speakers, overlap ratio, skipped rows, input lost per reason
    README.md            dataset card (Hugging Face format: YAML header + sources and licences)
    build_log.json       every skipped row / clip / record with its message
"""

from __future__ import annotations

import json
import logging
import statistics
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from amuse_tasks.builders.clip_media import MediaCutError, cut_clip
from amuse_tasks.builders.conversation import SkippedRows
from amuse_tasks.builders.clip_plan import BuildConfig, ClipPlan
from amuse_tasks.schema import RECORDS_FILE, SCHEMA_VERSION, RecordError, validate_record
from amuse_tasks.tasks import TASK_IDS, TASKS

log = logging.getLogger("amuse_tasks.builders")


@dataclass(frozen=True)
class Source:
    """A corpus a dataset draws on, for the dataset card."""

    name: str
    url: str
    annotation_licence: str
    media_note: str


@dataclass
class BuildResult:
    root: Path
    records: int
    clips: int
    skipped_rows: int
    skipped_clips: int
    skipped_records: int


def _faces_in_pixels(plan: ClipPlan, placements) -> list[dict]:
    offsets, off = [], 0.0
    for _, s, e in plan.parts:
        offsets.append((off, off + e - s))
        off += e - s
    out = []
    for f in plan.faces:
        boxes = []
        for s, e, box in f.boxes:
            k = next((i for i, (a, b) in enumerate(offsets) if a - 1e-6 <= s < b), len(offsets) - 1)
            boxes.append({"start": s, "end": e, "box": placements[k].box(box)})
        out.append({"track": f.track, "person": f.person, "boxes": boxes})
    return out


def _stats(records: list[dict], plans: list[ClipPlan]) -> dict:
    by_clip = {p.clip_id: p for p in plans}
    durs = [by_clip[c].duration for c in sorted({r["clip_id"] for r in records})]
    speakers = [len({s["speaker"] for s in r["segments"]}) for r in records]
    overlaps = [r["meta"]["overlap_ratio"] for r in records if "overlap_ratio" in r.get("meta", {})]

    def summary(xs):
        return {"mean": round(statistics.fmean(xs), 3), "min": min(xs), "max": max(xs)} if xs else None

    return {
        "schema_version": SCHEMA_VERSION,
        "records": len(records),
        "per_task": {t: sum(r["task"] == t for r in records) for t in TASK_IDS},
        "clips": len(durs),
        "clip_seconds": summary(durs),
        "speakers_per_sample": summary(speakers),
        "overlap_ratio": summary(overlaps),
        "reference_kinds": {k: sum(r.get("meta", {}).get("reference") == k for r in records)
                            for k in sorted({r["meta"]["reference"] for r in records if "reference" in r.get("meta", {})})},
    }


def _losses(stats: dict) -> str:
    read, lost = stats.get("input_read", {}), stats.get("input_lost", {})
    if not read:
        return "none counted"
    return "; ".join(f"{k}: {sum(lost.get(k, {}).values())} of {n}" + (f" ({json.dumps(lost[k])})" if lost.get(k) else "")
                     for k, n in sorted(read.items()))


def dataset_card(name: str, sources: list[Source], stats: dict, cfg: BuildConfig, skipped: dict) -> str:
    """Hugging Face dataset card: YAML header, sources with licences, statistics, schema version."""
    rows = "\n".join(f"| {s.name} | {s.url} | {s.annotation_licence} | {s.media_note} |" for s in sources)
    tasks = "\n".join(f"| `{t}` | {TASKS[t].name} | {n} |" for t, n in stats["per_task"].items())
    clip = stats["clip_seconds"] or {}
    ov = stats["overlap_ratio"] or {}
    sp = stats["speakers_per_sample"] or {}
    return f"""---
license: other
pretty_name: {name}
tags:
- audio-visual
- multi-speaker
- amuse
task_categories:
- video-text-to-text
---

# {name}

AMUSE samples (multi-speaker audio-visual dialogue understanding) built with `amuse-build`
from the sources below. AMUSE record schema version **{SCHEMA_VERSION}**; one record per line of
`records.jsonl`, media under `media/` (H.264/AAC mp4 + 16 kHz mono wav per clip), paths relative to
this folder. Evaluate with the AMUSE lm-eval tasks:
`lm_eval --tasks 'amuse_*_guided' --metadata '{{"amuse_root": "<this repo id or folder>"}}' ...`

## Sources and licences

| source | url | annotation licence | media |
|---|---|---|---|
{rows}

Each source's licence applies to the samples derived from it; check the media rights before
sharing the `media/` folder.

## Statistics

| task | name | samples |
|---|---|---|
{tasks}

- clips: {stats['clips']}; clip length (s): mean {clip.get('mean')}, min {clip.get('min')}, max {clip.get('max')}
- speakers per sample: mean {sp.get('mean')}; overlap ratio (speech time with 2+ speakers): mean {ov.get('mean')}
- avds references: {json.dumps(stats['reference_kinds'])}
- skipped while building: {skipped['rows']} annotation rows, {skipped['clips']} clips, {skipped['records']} records (see `build_log.json`)
- input that no record could use, per kind and reason (read / lost): {_losses(stats)}

## Construction

Rule-based and deterministic (seed {cfg.seed}; clips {cfg.min_clip:g}-{cfg.max_clip:g} s; at most
{cfg.per_recording} samples per task and recording; up to {cfg.max_options} options). The rules are
documented in `amuse_tasks/builders/task_rules.py`.
"""


def write_dataset(out: str | Path, plans: list[ClipPlan], *, name: str, sources: list[Source],
                  cfg: BuildConfig, skipped: SkippedRows, height: int = 360) -> BuildResult:
    """Cut every clip, validate every record, and write the dataset folder.

    A clip whose media cannot be cut, or a record that fails validation, is logged, counted in
    ``build_log.json`` and left out; everything else is written.
    """
    root = Path(out)
    (root / "media").mkdir(parents=True, exist_ok=True)
    records: list[dict] = []
    kept: list[ClipPlan] = []
    clip_errors: list[str] = []
    record_errors: list[str] = []
    for plan in tqdm(plans, desc="cutting clips", unit="clip"):
        mp4, wav = root / "media" / f"{plan.clip_id}.mp4", root / "media" / f"{plan.clip_id}.wav"
        try:
            placements = cut_clip(plan.parts, mp4, wav, height=height, clip_id=plan.clip_id, audio=plan.audio)
        except MediaCutError as e:
            clip_errors.append(str(e))
            log.warning("skipping clip: %s", e)
            continue
        faces = _faces_in_pixels(plan, placements)
        for rec in plan.records:
            rec = {**rec, "video": f"media/{plan.clip_id}.mp4", "audio": f"media/{plan.clip_id}.wav"}
            if faces:
                rec["faces"] = faces
            try:
                validate_record(rec, f"{root / RECORDS_FILE} (record {rec['id']})", root)
            except RecordError as e:
                record_errors.append(str(e))
                log.warning("skipping record: %s", e)
                continue
            records.append(rec)
        kept.append(plan)
    records.sort(key=lambda r: r["id"])
    with open(root / RECORDS_FILE, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    stats = _stats(records, kept)
    counts = {"rows": len(skipped), "clips": len(clip_errors), "records": len(record_errors)}
    stats["skipped"] = counts
    stats["input_read"] = skipped.seen
    stats["input_lost"] = skipped.lost
    stats["input_lost_fraction"] = skipped.loss_fractions()
    stats["sources"] = [s.name for s in sources]
    (root / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    (root / "README.md").write_text(dataset_card(name, sources, stats, cfg, counts))
    (root / "build_log.json").write_text(json.dumps(
        {"skipped_rows": skipped.messages, "skipped_clips": clip_errors, "skipped_records": record_errors,
         "input_read": skipped.seen, "input_lost": skipped.lost},
        indent=2) + "\n")
    return BuildResult(root, len(records), len(kept), *counts.values())
