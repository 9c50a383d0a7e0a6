"""``amuse-build``: AMUSE datasets from public corpora or your own recordings, and Hub publishing.

    amuse-build rttm --rttm calls.rttm --media videos/ [--transcript calls.stm] --out data/mine
    amuse-build ami --annotations ami_public_manual_1.6.2 --media amicorpus/ --out data/ami
    amuse-build ava --csv ava_activespeaker_val_v1.0/ --media ava_videos/ --out data/ava
    amuse-build friends --metadata 5_turns/test-metadata.json --media friends_videos/ --out data/friends
    amuse-build voxceleb2 --txt vox2_test_txt/txt --media vox2_test_mp4/mp4 --out data/vox2
    amuse-build push data/ami --repo-id you/amuse-ami [--private]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from amuse_tasks.builders import ami, ava_activespeaker, friends_mmc, generic_rttm, voxceleb2
from amuse_tasks.builders.conversation import SkippedRows
from amuse_tasks.builders.dataset_dir import write_dataset
from amuse_tasks.builders.clip_plan import BuildConfig
from amuse_tasks.builders.task_rules import plan_recording
from amuse_tasks.tasks import TASK_IDS


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="dataset folder to write")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    p.add_argument("--tasks", default=None, help="comma-separated task ids (default: all the corpus supports)")
    p.add_argument("--min-clip", type=float, default=10.0, help="shortest clip in seconds (default 10)")
    p.add_argument("--max-clip", type=float, default=50.0, help="longest clip in seconds (default 50)")
    p.add_argument("--per-recording", type=int, default=4, help="most samples of one task per recording (default 4)")
    p.add_argument("--max-options", type=int, default=4, help="most options of a choice question (default 4)")
    p.add_argument("--max-clips", type=int, default=None, help="stop after this many clips (in plan order)")
    p.add_argument("--height", type=int, default=360, help="frame height of the cut clips (default 360)")
    p.add_argument("--name", default=None, help="dataset name for the card")
    p.add_argument("--max-loss", type=float, default=0.05,
                   help="fail when more than this fraction of any kind of input (segments, words, turns, ...) "
                        "cannot be used (default 0.05; the counts per reason go to stats.json either way)")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="amuse-build", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("rttm", help="any video/audio + RTTM (+ STM/SRT transcript, + summaries JSON)")
    p.add_argument("--rttm", required=True, help="an .rttm file or a folder of them")
    p.add_argument("--media", required=True, help="the media file, or a folder with <file id>.<ext>")
    p.add_argument("--transcript", help="STM (speaker-attributed) or SRT transcript")
    p.add_argument("--summaries", help='JSON {file id: [{"start", "end", "text"}]} avds references')
    p.add_argument("--licence", default="as set by the owner of the recordings", help="licence for the card")
    _common(p)
    p = sub.add_parser("ami", help="AMI Meeting Corpus (NXT annotations, optional RTTM)")
    p.add_argument("--annotations", required=True, help="root of the AMI manual annotations release")
    p.add_argument("--media", required=True,
                   help="the corpus's amicorpus/ folder (<M>/audio/<M>.Mix-Headset.wav, <M>/video/<M>.Corner.avi) "
                        "or a flat folder with <meeting>.* media")
    p.add_argument("--meetings", help="comma-separated meeting ids (default: all with words)")
    p.add_argument("--rttm", help="take speaker turns from these RTTM files instead of the NXT segments")
    _common(p)
    p = sub.add_parser("ava", help="AVA-ActiveSpeaker CSV annotations")
    p.add_argument("--csv", required=True, help="a CSV file or a folder of them")
    p.add_argument("--media", required=True, help="folder with <video_id>.<ext> movie files")
    _common(p)
    p = sub.add_parser("friends", help="Friends-MMC metadata JSON")
    p.add_argument("--metadata", required=True, nargs="+", help="*-metadata.json file(s)")
    p.add_argument("--media", required=True, help="folder with <episode>.<ext>, e.g. s01e01.mkv")
    p.add_argument("--fps", type=float, default=None, help="frame rate of the frame numbers (default: the video's)")
    _common(p)
    p = sub.add_parser("voxceleb2", help="VoxCeleb2 face-track txt files (srid only)")
    p.add_argument("--txt", required=True, help="root of <id>/<video>/<n>.txt")
    p.add_argument("--media", required=True, help="root of <id>/<video>/<n>.mp4")
    _common(p)
    p = sub.add_parser("push", help="upload a dataset folder to the Hugging Face Hub as a dataset repo")
    p.add_argument("root", help="dataset folder (records.jsonl, media/, README.md)")
    p.add_argument("--repo-id", required=True, help="owner/name of the dataset repo")
    p.add_argument("--private", action="store_true")
    p.add_argument("--revision", default=None, help="branch to commit to (default main)")
    p.add_argument("--token", default=None, help="Hub token (default: HF_TOKEN / the saved login)")
    return ap


def _config(a: argparse.Namespace, allowed: tuple[str, ...] = TASK_IDS) -> BuildConfig:
    if a.tasks is None:
        return BuildConfig(seed=a.seed, min_clip=a.min_clip, max_clip=a.max_clip, per_recording=a.per_recording,
                           max_options=a.max_options, tasks=allowed)
    tasks = tuple(t.strip() for t in a.tasks.split(",") if t.strip())
    dropped = [t for t in tasks if t in TASK_IDS and t not in allowed]
    if dropped:
        logging.warning("%s cannot build %s from its annotations; skipping them", a.cmd, ", ".join(dropped))
    return BuildConfig(seed=a.seed, min_clip=a.min_clip, max_clip=a.max_clip, per_recording=a.per_recording,
                       max_options=a.max_options, tasks=tuple(t for t in tasks if t not in dropped))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    a = parser().parse_args(argv)
    try:
        return _run(a)
    except (FileNotFoundError, ValueError) as e:  # unusable inputs: one clear line, no traceback
        print(f"amuse-build {a.cmd}: error: {e}", file=sys.stderr)
        return 2


def _run(a: argparse.Namespace) -> int:
    if a.cmd == "push":
        from amuse_tasks.builders.hub import push_dataset

        url = push_dataset(a.root, a.repo_id, token=a.token, private=a.private, revision=a.revision)
        print(f"pushed {a.root} -> https://huggingface.co/datasets/{a.repo_id} ({url})")
        return 0
    skipped = SkippedRows()
    if a.cmd == "rttm":
        cfg = _config(a)
        recs = generic_rttm.load_recordings(a.rttm, a.media, skipped, transcript=a.transcript, summaries=a.summaries)
        source, corpus = generic_rttm.source(a.licence), "rttm"
    elif a.cmd == "ami":
        cfg = _config(a)
        recs = ami.load_recordings(a.annotations, a.media, skipped, rttm=a.rttm,
                                   meetings=a.meetings.split(",") if a.meetings else None)
        source, corpus = ami.SOURCE, "ami"
    elif a.cmd == "ava":
        cfg = _config(a, ava_activespeaker.TASKS)
        recs = ava_activespeaker.load_recordings(a.csv, a.media, skipped)
        source, corpus = ava_activespeaker.SOURCE, "ava"
    elif a.cmd == "friends":
        cfg = _config(a)
        recs = friends_mmc.load_recordings([Path(p) for p in a.metadata], a.media, skipped, fps=a.fps)
        source, corpus = friends_mmc.SOURCE, "friends"
    else:
        cfg = _config(a, ("srid",))
        recs = None
        plans = voxceleb2.plan_clips(voxceleb2.load_utterances(a.txt, a.media, skipped), cfg) if cfg.tasks else []
        source, corpus = voxceleb2.SOURCE, "voxceleb2"
    lossy = {k: f for k, f in skipped.loss_fractions().items() if f > a.max_loss}
    if lossy:
        detail = "; ".join(f"{k}: {f:.1%} of {skipped.seen[k]} lost ({skipped.lost[k]})" for k, f in lossy.items())
        raise ValueError(f"the input loses more than --max-loss {a.max_loss:.0%}: {detail}. Check the annotation "
                         "files (or raise --max-loss to build anyway)")
    if recs is not None:
        plans = [p for r in recs for p in plan_recording(r, cfg, corpus)]
    if a.max_clips is not None:
        plans = plans[: a.max_clips]
    res = write_dataset(a.out, plans, name=a.name or f"AMUSE from {source.name}", sources=[source], cfg=cfg,
                        skipped=skipped, height=a.height)
    print(f"{res.root}: {res.records} records in {res.clips} clips; skipped {res.skipped_rows} annotation rows, "
          f"{res.skipped_clips} clips, {res.skipped_records} records (details: {res.root / 'build_log.json'})")
    return 0 if res.records else 1


if __name__ == "__main__":
    sys.exit(main())
