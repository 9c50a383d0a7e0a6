"""One synthetic clip: plot -> voices -> timeline -> audio mix and mouth motion -> MP4 + WAV."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from amuse_tasks.synth import encode, render
from amuse_tasks.synth.faces import FACE_POOL, SKIN_TONES
from amuse_tasks.synth.story import Plot, write_plot
from amuse_tasks.synth.timeline import Timeline, overlap_ratio, schedule
from amuse_tasks.synth.voices import SAMPLE_RATE, Voice, pick_voices, speak

MIN_SECONDS, MAX_SECONDS = 10.0, 50.0
# Seconds before a new turn during which the next speaker's mouth opens silently: longer than the
# pause after the next-speaker cut (timeline: at most 0.8 s), so the cue lies inside the nsp clip.
PRE_SPEECH_LEAD = 1.3
PRE_SPEECH_OPENING = 0.35


@dataclass
class Clip:
    clip_id: str
    plot: Plot
    timeline: Timeline
    voices: list[Voice]
    faces: list[int]  # LFW subset index per person
    looks: list[render.SceneLook]
    overlap: float  # achieved overlap ratio

    @property
    def duration(self) -> float:
        return self.timeline.duration


def _speech(plot: Plot, voices: list[Voice], cache: dict) -> list[np.ndarray]:
    out = []
    for ln in plot.lines:
        key = (ln.text, voices[ln.speaker])
        if key not in cache:
            cache[key] = speak(ln.text, voices[ln.speaker])
        out.append(cache[key])
    return out


def plan_clip(clip_id: str, rng: random.Random, n_speakers: int, overlap: float) -> tuple[Clip, list[np.ndarray]]:
    """Plot, voices and timeline of a clip lasting 10-50 s; returns the clip and each line's audio."""
    n_scenes = rng.choice((2, 3))
    voices = pick_voices(rng, n_speakers)
    faces = rng.sample(FACE_POOL, n_speakers)
    target = rng.uniform(12.0, 50.0)
    main_lines = max(3 * n_scenes, round(target / 1.8))
    cache: dict = {}
    for _ in range(12):
        state = rng.getstate()
        plot = write_plot(rng, n_speakers, n_scenes, main_lines)
        audio = _speech(plot, voices, cache)
        timeline = schedule(plot, [len(a) / SAMPLE_RATE for a in audio], rng, overlap)
        if timeline.duration > MAX_SECONDS:
            main_lines -= 2
        elif timeline.duration < MIN_SECONDS:
            main_lines += 2
        else:
            break
        rng.setstate(state)
    else:
        raise RuntimeError(f"{clip_id}: could not fit {n_speakers} speakers into {MIN_SECONDS}-{MAX_SECONDS} s")
    looks = render.dress_scenes(rng, n_speakers, len(timeline.scenes))
    ratio = overlap_ratio([(p.start, p.end) for p in timeline.placed])
    return Clip(clip_id, plot, timeline, voices, faces, looks, round(ratio, 4)), audio


def speaker_tracks(clip: Clip, audio: list[np.ndarray]) -> np.ndarray:
    """(people, samples) float32: each person's own speech on the clip's time axis."""
    n = int(round(clip.duration * SAMPLE_RATE))
    tracks = np.zeros((len(clip.voices), n), np.float32)
    for p, a in zip(clip.timeline.placed, audio):
        i = int(round(p.start * SAMPLE_RATE))
        seg = a[: max(0, n - i)]
        tracks[p.speaker, i:i + len(seg)] += seg
    return tracks


def mouth_openness(tracks: np.ndarray, n_frames: int, fps: int) -> np.ndarray:
    """(people, frames) in [0, 1]: RMS of each person's own track over each frame, normalised.

    The mouth drawn at frame f is this value, so mouth motion is a real function of that
    person's speech energy and of nobody else's.
    """
    hop = SAMPLE_RATE // fps
    out = np.zeros((tracks.shape[0], n_frames), np.float32)
    for f in range(n_frames):
        chunk = tracks[:, f * hop:(f + 1) * hop]
        if chunk.shape[1]:
            out[:, f] = np.sqrt(np.mean(chunk.astype(np.float64) ** 2, axis=1))
    for p in range(out.shape[0]):
        voiced = out[p][out[p] > 1e-3]
        scale = np.percentile(voiced, 90) if voiced.size else 1.0
        out[p] = np.clip(out[p] / scale, 0.0, 1.0)
    return out


def pre_speech(clip: Clip) -> list[tuple[int, float, float]]:
    """(person, from, to): before a new speaker takes the turn, their mouth starts to open with
    no sound yet (the preparatory inhalation of real turn-taking), for PRE_SPEECH_LEAD seconds,
    never before the current turn began nor before the scene. No drawn mark: the cue is the face's
    own motion, so only a model that watches mouths against voices can use it."""
    out = []
    prev = None
    for p in clip.timeline.placed:
        if clip.plot.lines[p.line].intent == "backchannel":
            continue
        if prev is not None and p.speaker != prev.speaker:
            scene_start = max(a for a, _ in clip.timeline.scenes if a <= p.start)
            since = max(scene_start, prev.start + 0.1, p.start - PRE_SPEECH_LEAD)
            if since < p.start:
                out.append((p.speaker, round(since, 3), p.start))
        prev = p
    return out


def add_pre_speech(openness: np.ndarray, spans: list[tuple[int, float, float]], fps: int) -> np.ndarray:
    """Mouths slightly open (rising to PRE_SPEECH_OPENING) during each pre-speech span."""
    out = openness.copy()
    for person, a, b in spans:
        f0, f1 = int(np.ceil(a * fps)), min(out.shape[1], int(np.ceil(b * fps)))
        if f1 <= f0:
            continue
        ramp = PRE_SPEECH_OPENING * np.minimum(1.0, (np.arange(f0, f1) / fps - a) / 0.25 + 0.4)
        out[person, f0:f1] = np.maximum(out[person, f0:f1], ramp.astype(np.float32))
    return out


def write_clip(clip: Clip, audio: list[np.ndarray], rng: random.Random, root: Path) -> tuple[str, str]:
    """Render and encode the clip under ``root/clips``; returns (video, audio) relative paths."""
    tracks = speaker_tracks(clip, audio)
    mix = tracks.sum(axis=0)
    peak = float(np.abs(mix).max()) if mix.size else 0.0
    if peak > 0.95:
        mix *= 0.95 / peak
    n_frames = int(np.ceil(clip.duration * render.FPS))
    openness = add_pre_speech(mouth_openness(tracks, n_frames, render.FPS), pre_speech(clip), render.FPS)
    tones = [rng.randrange(len(SKIN_TONES)) for _ in clip.voices]
    (root / "clips").mkdir(parents=True, exist_ok=True)
    video_rel, audio_rel = f"clips/{clip.clip_id}.mp4", f"clips/{clip.clip_id}.wav"
    encode.write_wav(root / audio_rel, mix, SAMPLE_RATE)
    frames = render.render_frames(clip.looks, clip.timeline.scenes, clip.faces, tones, openness, n_frames)
    encode.write_mp4(root / video_rel, frames, render.FPS, render.WIDTH, render.HEIGHT, mix, SAMPLE_RATE)
    return video_rel, audio_rel
