"""Build an AMUSE-Synth dataset directory: clips/, records.jsonl, stats.json, dataset_card.md.

Every clip serves one record of each of the six tasks, so ``per_task`` is also the clip count.
Everything written except the MP4 bytes is a function of the arguments (no clock, no absolute
path), so the same seed gives a byte-identical ``records.jsonl``.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from amuse_tasks.schema import RECORDS_FILE, SCHEMA_VERSION
from amuse_tasks.synth.clip import MAX_SECONDS, MIN_SECONDS, plan_clip, write_clip
from amuse_tasks.synth.records import ClipRecords, answer_slots
from amuse_tasks.synth.render import FPS, HEIGHT, WIDTH
from amuse_tasks.synth.voices import SAMPLE_RATE, VARIANTS, require_tools
from amuse_tasks.tasks import TASKS

# AMUSE-Synth dataset version: 2.0 removed the drawn next-speaker outline (pre-speech mouth motion
# instead), hashed face letters, added distractor problems, paraphrases and echoed lines; 2.1 added
# the structured ``query`` and ``people[].seat`` fields (media, questions and answers unchanged).
SYNTH_VERSION = "2.1"
MAX_SPEAKERS = 10


def check_config(per_task: int, min_speakers: int, max_speakers: int, overlap: float) -> None:
    if per_task < 1:
        raise ValueError(f"per_task must be >= 1, got {per_task}")
    if not 2 <= min_speakers <= max_speakers <= MAX_SPEAKERS:
        raise ValueError(f"need 2 <= min_speakers <= max_speakers <= {MAX_SPEAKERS}, "
                         f"got {min_speakers}..{max_speakers}")
    if not 0.0 <= overlap < 0.6:
        raise ValueError(f"overlap must be in [0, 0.6), got {overlap}")


def build_dataset(out: str | Path, seed: int = 0, per_task: int = 10, min_speakers: int = 2,
                  max_speakers: int = 5, overlap: float = 0.28, progress: bool = True) -> dict:
    """Write the dataset under ``out`` and return its statistics (plus build time and RTF)."""
    check_config(per_task, min_speakers, max_speakers, overlap)
    require_tools()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    records: list[dict] = []
    clips: list[dict] = []
    slots = {t: answer_slots(seed, t, per_task) for t in TASKS if TASKS[t].is_choice}
    for i in tqdm(range(per_task), desc="amuse-synth clips", unit="clip", disable=not progress):
        rng = random.Random(f"amuse-synth/{seed}/{i}")
        n = rng.randint(min_speakers, max_speakers)
        clip, audio = plan_clip(f"s{seed}c{i:03d}", rng, n, overlap)
        video_rel, audio_rel = write_clip(clip, audio, rng, out)
        records += ClipRecords(clip, video_rel, audio_rel, seed, rng, {t: s[i] for t, s in slots.items()}).all(i)
        clips.append({"clip_id": clip.clip_id, "duration": clip.duration, "speakers": n,
                      "scenes": len(clip.timeline.scenes), "overlap_ratio": clip.overlap,
                      "speech": round(sum(p.end - p.start for p in clip.timeline.placed), 3)})
    with open(out / RECORDS_FILE, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    stats = summarize(clips, records, seed=seed, per_task=per_task, min_speakers=min_speakers,
                      max_speakers=max_speakers, overlap=overlap)
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    (out / "dataset_card.md").write_text(dataset_card(stats), encoding="utf-8")
    seconds = time.perf_counter() - t0
    return {**stats, "build_seconds": round(seconds, 2),
            "real_time_factor": round(seconds / max(stats["clips"]["total_seconds"], 1e-9), 4)}


def _range(xs: list[float]) -> dict:
    return {"min": round(float(min(xs)), 3), "mean": round(float(np.mean(xs)), 3), "max": round(float(max(xs)), 3)}


def summarize(clips: list[dict], records: list[dict], **config) -> dict:
    """Statistics of a build, with the ranges they are meant to fall in."""
    return {
        "schema_version": SCHEMA_VERSION,
        "synth_version": SYNTH_VERSION,
        "config": config,
        "records": len(records),
        "records_per_task": {t: sum(r["task"] == t for r in records) for t in TASKS},
        "clips": {
            "count": len(clips),
            "total_seconds": round(sum(c["duration"] for c in clips), 3),
            "duration_s": _range([c["duration"] for c in clips]),
            "speakers": _range([c["speakers"] for c in clips]),
            "scenes": _range([c["scenes"] for c in clips]),
            "overlap_ratio": _range([c["overlap_ratio"] for c in clips]),
        },
        "expected": {
            "duration_s": [MIN_SECONDS, MAX_SECONDS],
            "speakers": [config["min_speakers"], config["max_speakers"]],
            "overlap_ratio": config["overlap"],
        },
        "media": {"fps": FPS, "width": WIDTH, "height": HEIGHT, "sample_rate": SAMPLE_RATE,
                  "video": "H.264 in MP4 with AAC audio", "audio": "16 kHz mono PCM_16 WAV"},
        "per_clip": clips,
    }


def dataset_card(stats: dict) -> str:
    c, cfg = stats["clips"], stats["config"]
    per_task = "\n".join(f"| `{t}` | {TASKS[t].name} | {n} |" for t, n in stats["records_per_task"].items())
    return f"""# AMUSE-Synth {stats['synth_version']} (seed {cfg['seed']})

Synthetic multi-speaker audio-visual dialogues for the AMUSE tasks, generated by
`amuse-synth build --seed {cfg['seed']} --per-task {cfg['per_task']} --min-speakers {cfg['min_speakers']} \
--max-speakers {cfg['max_speakers']} --overlap {cfg['overlap']}` (AMUSE-Synth {stats['synth_version']},
record schema {stats['schema_version']}). Same arguments, same `records.jsonl`, byte for byte.

## Contents

{c['count']} clips ({c['total_seconds']:.0f} s), {stats['records']} records in `records.jsonl`:

| task | name | records |
|---|---|---|
{per_task}

| statistic | min | mean | max | intended |
|---|---|---|---|---|
| duration (s) | {c['duration_s']['min']} | {c['duration_s']['mean']} | {c['duration_s']['max']} | {MIN_SECONDS:.0f}-{MAX_SECONDS:.0f} |
| speakers per clip | {c['speakers']['min']} | {c['speakers']['mean']} | {c['speakers']['max']} | {cfg['min_speakers']}-{cfg['max_speakers']} |
| scenes per clip | {c['scenes']['min']} | {c['scenes']['mean']} | {c['scenes']['max']} | 2-3 |
| overlap ratio | {c['overlap_ratio']['min']} | {c['overlap_ratio']['mean']} | {c['overlap_ratio']['max']} | about {cfg['overlap']} |

Overlap ratio: fraction of speech time with two or more simultaneous speakers.

## How it is made

- Media: `clips/<clip_id>.mp4` (H.264 {WIDTH}x{HEIGHT} at {FPS} fps + AAC) and `clips/<clip_id>.wav`
  (16 kHz mono); every record of a clip points at the same two files.
- Voices: espeak-ng ({len(VARIANTS)} voice variants, pitch and speed per speaker), resampled by sox.
- Faces: real photos from scikit-image's LFW subset (one per speaker, found by OpenCV's Haar
  detector), skin-toned and scaled; the mouth region opens with the RMS energy of that
  speaker's own speech in each frame.
- Turn-taking: about a second before a new speaker takes the turn, their mouth starts to open
  silently (pre-speech); nothing is drawn around anyone.
- Scene cuts: everyone changes seat, shirt colour, brightness, lighting contrast and head tilt, and
  (sometimes) is mirrored.
- Dialogue: a scripted plot per clip (topic, proposals, questions, a problem raised in an early
  scene and resolved in the last); lines never name a person, so questions and options carry
  no hint of who spoke.

## Conventions

- `start`/`end`, `segments`, `scenes` and `faces` are seconds of the media file.
- Times inside `question`, `rationale` and `stg` answers are seconds from the sample start
  (`start` = 0 s).
- `faces`: one track per person (`face_track` in `people`), one constant box `[x, y, w, h]` per scene.
- `cues` are `null`: guided-mode cues are computed from ground truth (oracle) or by the tools.

## License and provenance

Faces: Labeled Faces in the Wild (University of Massachusetts, Amherst), as redistributed by
scikit-image for research use. Speech: espeak-ng (GPL-3.0 program; generated audio is not
covered). Text and layout: generated.
"""
