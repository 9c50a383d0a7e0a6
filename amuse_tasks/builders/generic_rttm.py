"""Your own recordings: any video (or audio) file + RTTM, optionally a transcript and summaries.

- RTTM: one file or a folder of ``*.rttm``; the RTTM file id names the media file
  (``<file id>.<mp4|mkv|mov|avi|webm|wav|flac|m4a|mp3>`` in the media folder, or the one media
  file given).
- Transcript (optional): STM (speaker-attributed, NIST) or SRT; its text is attached to the RTTM
  turns it overlaps (``annotation_files.attach_text``).  Without one, the tasks that need text
  (``avds``, ``csnl``, the quoted forms of ``avsa``/``stg``) are built in their time-span form or
  not at all (see ``task_rules``).
- Summaries (optional): JSON ``{file id: [{"start": s, "end": e, "text": sentence}, ...]}``: the
  sentences whose span lies inside a clip become its ``avds`` reference; otherwise ``avds`` uses
  the extractive template.
"""

from __future__ import annotations

import json
from pathlib import Path

from amuse_tasks.builders.annotation_files import attach_text, read_rttm, read_srt, read_stm
from amuse_tasks.builders.conversation import Recording, SkippedRows, SummaryUnit
from amuse_tasks.builders.dataset_dir import Source

MEDIA_EXTS = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".wav", ".flac", ".m4a", ".mp3")


def source(licence: str) -> Source:
    return Source("user recordings (RTTM)", "-", licence, "supplied by the user")


def find_media(media: Path, file_id: str) -> Path | None:
    if media.is_file():
        return media
    for ext in MEDIA_EXTS:
        p = media / f"{file_id}{ext}"
        if p.is_file():
            return p
    return None


def read_summaries(path: Path, skipped: SkippedRows) -> dict[str, list[SummaryUnit]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        skipped.skip(path, e.lineno, "<file>", f"invalid JSON: {e.msg}")
        return {}
    out: dict[str, list[SummaryUnit]] = {}
    for fid, items in (data.items() if isinstance(data, dict) else []):
        for k, it in enumerate(items if isinstance(items, list) else [items]):
            ok = (isinstance(it, dict) and isinstance(it.get("text"), str) and it["text"].strip()
                  and all(isinstance(it.get(x), (int, float)) for x in ("start", "end"))
                  and it["end"] > it["start"])
            if not ok:
                skipped.skip(path, f"{fid}[{k}]", "start/end/text", f"expected {{start, end, text}} with end > start, got {it!r}")
                continue
            out.setdefault(fid, []).append(SummaryUnit(it["text"], [(float(it["start"]), float(it["end"]))]))
    return out


def load_recordings(rttm: str | Path, media: str | Path, skipped: SkippedRows, *,
                    transcript: str | Path | None = None, summaries: str | Path | None = None) -> list[Recording]:
    rttm, media = Path(rttm), Path(media)
    files = sorted(rttm.glob("*.rttm")) if rttm.is_dir() else [rttm]
    if not files:
        raise FileNotFoundError(f"{rttm}: no .rttm files")
    turns: dict[str, list] = {}
    for f in files:
        for fid, ts in read_rttm(f, skipped).items():
            turns.setdefault(fid, []).extend(ts)
    utterances: dict[str, list] = {}
    if transcript is not None:
        transcript = Path(transcript)
        if transcript.suffix.lower() == ".srt":
            if len(turns) != 1:
                raise ValueError(f"{transcript}: an SRT file has no file ids; give it with a single-recording RTTM")
            utterances[next(iter(turns))] = read_srt(transcript, skipped)
        else:
            utterances = read_stm(transcript, skipped)
    units = read_summaries(Path(summaries), skipped) if summaries is not None else {}
    out = []
    for fid in sorted(turns):
        path = find_media(media, fid)
        if path is None:
            skipped.skip(files[0] if len(files) == 1 else rttm, "-", "file",
                         f"no media file for recording {fid!r} in {media} (looked for {fid}{{{','.join(MEDIA_EXTS)}}})")
            continue
        ts = sorted(turns[fid], key=lambda t: (t.start, t.end))
        if fid in utterances:
            ts = attach_text(ts, utterances[fid], skipped, "transcript utterances")
        out.append(Recording(fid, path, ts, summary=units.get(fid, [])))
    return out
