"""Rule-based construction of AMUSE samples from speaker segments; deterministic by seed.

The rules (also in the README):

Clips.  A *window clip* is a stretch of one recording that starts at a turn start and ends at a
turn end, 10-50 s long (``min_clip``/``max_clip``), with at least two speakers and no silence
longer than 8 s (``max_gap``); windows are taken greedily from the start of the recording and
do not overlap.  ``srid`` and ``csnl`` cut *scene clips*: two or three excerpts of the recording joined in one file, 10-50 s in all.
Every record starts at 0 of its clip file, so clip seconds = window seconds = file seconds.

People.  A person can be an option only if the clip identifies them: a visible face (described
by its position in the frame), a static description from the corpus (e.g. an AMI role), or,
for a voice only, another utterance of theirs in the clip ("the voice that says ... at a-b s");
the utterance a question is about is never used as its own anchor.

Per window clip, at most one record per task:
- ``avsa``: a turn >= 1 s whose time is at most 50 % overlapped by other speakers (with text
  when the recording has a transcript); options: its speaker and up to 3 other identifiable
  people of the clip.
- ``nsp``: a turn ending >= 5 s into the clip after which another speaker starts within 3 s,
  with nobody speaking across the cut; the record ends at that turn's end; options: the next
  speaker (identifiable before the cut) and up to 3 other people identifiable before the cut.
- ``stg``: with a transcript, a turn of >= 3 words and >= 1 s whose text is unique in the
  clip: "when does P say ...", answer its span; without one, "when does P speak", answer the
  union of P's turns, only for people identified by face or description (a voice anchor would
  give one answer away).
- ``avds``: reference = the corpus's summary sentences linked to the window (AMI), else an
  extractive template (each speaker's longest utterance, marked in ``meta.reference``); needs
  two speakers with text.
Scene clips, at most ``per_recording`` each:
- ``srid``: scene 1 = one clean turn (>= 1.5 s, no overlap) of person X; scene 2 = a later
  window >= 20 s after it in the source, where X and at least one other person each have a
  clean turn >= 1 s; options: "the person speaking at a-b s", one per person of scene 2.
- ``csnl``: three excerpts (4-15 s, >= 5 s apart in the source, with text) shown in a shuffled
  order that is never the true one; options: the true chronological order and up to 3 other
  orders.
Randomness (which candidate, distractors, option order) comes from ``random.Random`` seeded with
the build seed, the recording id, the clip and the task: the same inputs give the same dataset.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path

from amuse_tasks.builders.conversation import FaceTrack, Recording, Turn
from amuse_tasks.intervals import union
from amuse_tasks.schema import LETTERS, SCHEMA_VERSION
from amuse_tasks.tasks import TASK_IDS, TASKS


@dataclass
class BuildConfig:
    seed: int = 0
    min_clip: float = 10.0
    max_clip: float = 50.0
    per_recording: int = 4  # most records of one task from one recording
    max_options: int = 4
    tasks: tuple[str, ...] = TASK_IDS
    srid_gap: float = 20.0
    max_gap: float = 8.0  # a window does not span a silence longer than this
    csnl_scenes: int = 3

    def __post_init__(self):
        if not 0 < self.min_clip < self.max_clip:
            raise ValueError(f"need 0 < min_clip < max_clip, got {self.min_clip}, {self.max_clip}")
        unknown = set(self.tasks) - set(TASK_IDS)
        if unknown:
            raise ValueError(f"unknown task(s) {sorted(unknown)} (one of {', '.join(TASK_IDS)})")
        if self.max_options < 2:
            raise ValueError("max_options must be at least 2")


@dataclass
class ClipPlan:
    """One clip file to cut (parts joined in order) and the records that use it.

    Records are complete except ``video``/``audio`` (set when the clip is written) and
    ``faces`` (set from ``faces`` in pixels of the written frame).
    """

    clip_id: str
    parts: list[tuple[Path, float, float]]
    records: list[dict] = field(default_factory=list)
    faces: list[FaceTrack] = field(default_factory=list)
    audio: Path | None = None  # the sound of every part, when it is a file of its own

    @property
    def duration(self) -> float:
        return round(sum(e - s for _, s, e in self.parts), 3)


def _rng(cfg: BuildConfig, *keys: object) -> random.Random:
    return random.Random("|".join(map(str, (cfg.seed, *keys))))


def _r(x: float) -> float:
    return round(float(x), 3)


def to_clip(turns: list[Turn], faces: list[FaceTrack], spans: list[tuple[float, float]]):
    """Turns and face tracks of the source spans, clipped and shifted into clip seconds.

    A face track becomes one track per span (a track does not continue across a cut).
    """
    out_t, out_f, offset = [], [], 0.0
    for k, (s0, e0) in enumerate(spans):
        for t in turns:
            s, e = max(t.start, s0), min(t.end, e0)
            if e > s:
                out_t.append(Turn(t.speaker, _r(s - s0 + offset), _r(e - s0 + offset), t.text,
                                  t.partial or s > t.start or e < t.end))
        for f in faces:
            boxes = [(_r(max(a, s0) - s0 + offset), _r(min(b, e0) - s0 + offset), box)
                     for a, b, box in f.boxes if min(b, e0) > max(a, s0)]
            if boxes:
                out_f.append(FaceTrack(f"{f.track}@{k}" if len(spans) > 1 else f.track, f.person, boxes))
        offset += e0 - s0
    out_t.sort(key=lambda t: (t.start, t.end, t.speaker))
    return out_t, out_f


def overlap_of(turn: Turn, turns: list[Turn]) -> float:
    """Seconds of ``turn`` during which another speaker is also speaking."""
    ivs = sorted((max(t.start, turn.start), min(t.end, turn.end)) for t in turns
                 if t.speaker != turn.speaker and t.end > turn.start and t.start < turn.end)
    total, cur_s, cur_e = 0.0, None, None
    for s, e in ivs:
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def overlap_ratio(turns: list[Turn]) -> float:
    """Fraction of speech time with two or more speakers at once (the overlap statistic of the AMUSE paper)."""
    edges = sorted({x for t in turns for x in (t.start, t.end)})
    speech = both = 0.0
    for a, b in zip(edges, edges[1:]):
        mid = (a + b) / 2
        n = len({t.speaker for t in turns if t.start <= mid < t.end})
        speech += (b - a) if n else 0.0
        both += (b - a) if n >= 2 else 0.0
    return round(both / speech, 4) if speech else 0.0


def windows(rec: Recording, cfg: BuildConfig) -> list[tuple[float, float]]:
    """Non-overlapping dialogue windows of ``min_clip``-``max_clip`` seconds with >= 2 speakers."""
    turns = sorted(rec.turns, key=lambda t: (t.start, t.end))
    out, i = [], 0
    while i < len(turns):
        w0, w1, inside = turns[i].start, turns[i].start, []
        for t in turns[i:]:
            if t.start - w1 > cfg.max_gap and inside:
                break
            if t.end - w0 <= cfg.max_clip:
                inside.append(t)
                w1 = max(w1, t.end)
        if w1 - w0 >= cfg.min_clip and len({t.speaker for t in inside}) >= 2:
            out.append((_r(w0), _r(w1)))
            while i < len(turns) and turns[i].start < w1:
                i += 1
        else:
            i += 1
    return out


NSP_VISIBLE = 3.0  # seconds before the nsp cut in which every offered face must be visible


def _position(box: list[float]) -> str:
    cx = box[0] + box[2] / 2
    return "left" if cx < 1 / 3 else "centre" if cx < 2 / 3 else "right"


def describe_people(rec: Recording, turns: list[Turn], faces: list[FaceTrack], *,
                    until: float | None = None, avoid: Turn | None = None) -> dict[str, str]:
    """label -> description, for the people this clip identifies (see the module rules).

    until: only evidence before this clip time counts (nsp).  avoid: a turn that must not
    serve as a voice anchor (the one a question quotes).
    """
    end = float("inf") if until is None else until
    out: dict[str, str] = {}
    for f in sorted(faces, key=lambda f: f.boxes[0][0]):
        s, e, box = f.boxes[0]
        if s < end and f.person not in out:
            where = f"face on the {_position(box)} of the frame at {s:.1f}-{min(e, end):.1f} s"
            static = rec.descriptions.get(f.person)
            out[f.person] = f"{static}; {where}" if static else where
    for label, text in rec.descriptions.items():
        if label not in out and any(t.speaker == label and t.start < end for t in turns):
            out[label] = text
    for t in turns:
        if t.speaker in out or t.end > end or t.partial or t is avoid or (avoid is not None and t == avoid):
            continue
        if overlap_of(t, turns) > 0.5 * (t.end - t.start) or t.end - t.start < 0.5:
            continue
        said = f' that says "{t.text.strip()}"' if t.text.strip() else ""
        out[t.speaker] = f"the voice{said} at {t.start:.1f}-{t.end:.1f} s"
    return out


def seen_during(people: dict[str, str], faces: list[FaceTrack], a: float, b: float) -> list[str]:
    """The people a question about [a, b] may offer: everyone known by voice or description, and of
    the people known by a face, only those whose face is visible during [a, b]."""
    faced = {f.person for f in faces}
    visible = {f.person for f in faces if any(s < b and e > a for s, e, _ in f.boxes)}
    return [p for p in people if p not in faced or p in visible]


def _options(rng: random.Random, answer: str, others: list[str], cfg: BuildConfig) -> tuple[list[str], str]:
    distractors = rng.sample(sorted(set(others) - {answer}), min(cfg.max_options - 1, len(set(others) - {answer})))
    options = [answer, *distractors]
    rng.shuffle(options)
    return options, LETTERS[options.index(answer)]


def _record(task: str, rid: str, clip_id: str, end: float, question: str, options: list[str], answer,
            people: dict[str, str], turns: list[Turn], scenes: list[dict], meta: dict, faces_of: dict) -> dict:
    segs = [{"speaker": t.speaker, "start": t.start, "end": min(t.end, end), "text": t.text}
            for t in turns if t.start < end]
    return {
        "schema_version": SCHEMA_VERSION, "id": rid, "task": task, "clip_id": clip_id,
        "video": "", "audio": "", "start": 0.0, "end": _r(end), "question": question,
        "options": options, "answer": answer,
        "people": [{"label": p, "description": d, "face_track": faces_of.get(p)} for p, d in sorted(people.items())],
        "segments": segs, "scenes": scenes, "expected_tools": sorted(TASKS[task].expected_tools),
        "cues": None, "meta": meta,
    }


def _faces_of(faces: list[FaceTrack]) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in faces:
        out.setdefault(f.person, f.track)
    return out


def _clean(t: Turn, turns: list[Turn], min_len: float, max_overlap: float = 0.0) -> bool:
    """Whole (not cut by the clip), long enough, and overlapped by others at most ``max_overlap``."""
    return (not t.partial and t.end - t.start >= min_len
            and overlap_of(t, turns) <= max_overlap * (t.end - t.start))


def avsa_record(rec, turns, faces, cfg, rng, clip_id, dur, meta):
    need_text = rec.has_text
    for u in rng.sample(turns, len(turns)):
        if not _clean(u, turns, 1.0, 0.5) or (need_text and not u.text.strip()):
            continue
        people = describe_people(rec, turns, faces, avoid=u)
        offered = seen_during(people, faces, u.start, u.end)
        if u.speaker not in offered or len(offered) < 2:
            continue
        options, letter = _options(rng, u.speaker, offered, cfg)
        q = (f'Who says "{u.text.strip()}" (from {u.start:.1f} s to {u.end:.1f} s)?' if u.text.strip()
             else f"Who is speaking from {u.start:.1f} s to {u.end:.1f} s?")
        return _record("avsa", f"{clip_id}-avsa", clip_id, dur, q, options, letter, people, turns, [],
                       {**meta, "turn": [u.start, u.end]}, _faces_of(faces))
    return None


def nsp_record(rec, turns, faces, cfg, rng, clip_id, dur, meta):
    for u in rng.sample(turns, len(turns)):
        if u.end < 5.0:
            continue
        after = [t for t in turns if t.start >= u.end - 1e-6]
        if not after:
            continue
        nxt = min(after, key=lambda t: (t.start, t.speaker))
        if nxt.speaker == u.speaker or nxt.start - u.end > 3.0:
            continue
        if any(t is not u and t.start < u.end < t.end for t in turns):
            continue
        people = describe_people(rec, turns, faces, until=u.end)
        # the next speaker (and every option) must be visible before the cut: a face that only
        # appears once that person talks is no fair option
        offered = seen_during(people, faces, max(0.0, u.end - NSP_VISIBLE), u.end)
        if nxt.speaker not in offered or len(offered) < 2:
            continue
        options, letter = _options(rng, nxt.speaker, offered, cfg)
        q = "The clip stops at the end of a turn. Who speaks next?"
        return _record("nsp", f"{clip_id}-nsp", clip_id, u.end, q, options, letter, people, turns, [],
                       {**meta, "next_turn": [nxt.start, nxt.end]}, _faces_of(faces))
    return None


def stg_record(rec, turns, faces, cfg, rng, clip_id, dur, meta):
    texts = [t.text.strip().lower() for t in turns]
    for u in rng.sample(turns, len(turns)):
        text = u.text.strip()
        if u.partial:
            continue
        if rec.has_text:
            if len(text.split()) < 3 or u.end - u.start < 1.0 or texts.count(text.lower()) > 1:
                continue
            people = describe_people(rec, turns, faces, avoid=u)
            if u.speaker not in people:
                continue
            q, answer = f'When does {u.speaker} say "{text}"?', [[u.start, u.end]]
        else:
            people = describe_people(rec, [], faces)  # faces and static descriptions only
            people.update({k: v for k, v in rec.descriptions.items() if any(t.speaker == k for t in turns)})
            if u.speaker not in people:
                continue
            q = f"When does {u.speaker} speak in the clip?"
            answer = [list(iv) for iv in union((t.start, t.end) for t in turns if t.speaker == u.speaker)]
        others = describe_people(rec, turns, faces, avoid=u)
        people = {**others, **people}
        return _record("stg", f"{clip_id}-stg", clip_id, dur, q, [], answer, people, turns, [],
                       dict(meta), _faces_of(faces))
    return None


def avds_record(rec, turns, faces, cfg, rng, clip_id, dur, meta, source_span):
    s0, e0 = source_span
    units = [u for u in rec.summary if any(s >= s0 and e <= e0 for s, e in u.spans)]
    people = describe_people(rec, turns, faces)
    if units:
        reference, kind = " ".join(u.text.strip() for u in units), "corpus summary"
    else:
        longest: dict[str, Turn] = {}
        for t in turns:
            if t.text.strip() and (t.speaker not in longest or len(t.text) > len(longest[t.speaker].text)):
                longest[t.speaker] = t
        if len(longest) < 2:
            return None
        reference = " ".join(f'{p} says "{t.text.strip()}".' for p, t in
                             sorted(longest.items(), key=lambda kv: kv[1].start))
        kind = "extractive template"
    for t in turns:  # summaries name every speaker by label
        people.setdefault(t.speaker, "")
    q = "Summarize the dialogue of the clip, saying which person said what."
    return _record("avds", f"{clip_id}-avds", clip_id, dur, q, [], reference, people, turns, [],
                   {**meta, "reference": kind}, _faces_of(faces))


def window_clips(rec: Recording, cfg: BuildConfig, corpus: str) -> list[ClipPlan]:
    """One clip per window with at most one record per task (avsa, nsp, stg, avds)."""
    plans, counts = [], dict.fromkeys(TASK_IDS, 0)
    makers = {"avsa": avsa_record, "nsp": nsp_record, "stg": stg_record}
    for k, (w0, w1) in enumerate(windows(rec, cfg)):
        clip_id = f"{corpus}-{rec.id}-w{k:03d}"
        turns, faces = to_clip(rec.turns, rec.faces, [(w0, w1)])
        dur = _r(w1 - w0)
        meta = {"source": corpus, "recording": rec.id, "source_spans": [[w0, w1]],
                "overlap_ratio": overlap_ratio(turns)}
        plan = ClipPlan(clip_id, [(rec.media, w0, w1)], faces=faces, audio=rec.audio)
        for task in ("avsa", "nsp", "stg", "avds"):
            if task not in cfg.tasks or counts[task] >= cfg.per_recording:
                continue
            rng = _rng(cfg, rec.id, clip_id, task)
            r = (avds_record(rec, turns, faces, cfg, rng, clip_id, dur, meta, (w0, w1)) if task == "avds"
                 else makers[task](rec, turns, faces, cfg, rng, clip_id, dur, meta))
            if r is not None:
                plan.records.append(r)
                counts[task] += 1
        if plan.records:
            plans.append(plan)
    return plans


def _excerpt(turns: list[Turn], i: int, lo: float, hi: float) -> tuple[float, float] | None:
    """A span starting at turns[i].start and ending at a turn end, lo-hi seconds long."""
    s = turns[i].start
    ends = [t.end for t in turns[i:] if t.start >= s and t.end - s <= hi]
    if not ends or max(ends) - s < lo:
        return None
    return s, max(ends)


def srid_record(turns: list[Turn], faces: list[FaceTrack], target: Turn, scenes: list[tuple[float, float]],
                cfg: BuildConfig, rng: random.Random, clip_id: str, meta: dict) -> dict | None:
    """Re-identification across the scenes of one clip: ``target`` is in scene 1 (clip seconds)."""
    (a1, b1), (a2, b2) = scenes
    firsts: dict[str, Turn] = {}
    for t in turns:
        if a2 <= t.start and t.end <= b2 and t.speaker not in firsts and _clean(t, turns, 1.0):
            firsts[t.speaker] = t
    if target.speaker not in firsts or len(firsts) < 2:
        return None
    phrase = {p: f"the person speaking at {t.start:.1f}-{t.end:.1f} s" for p, t in firsts.items()}
    others = rng.sample(sorted(set(firsts) - {target.speaker}), min(cfg.max_options - 1, len(firsts) - 1))
    options = [phrase[p] for p in [target.speaker, *others]]
    rng.shuffle(options)
    letter = LETTERS[options.index(phrase[target.speaker])]
    q = (f"Scene 1 ({a1:.1f}-{b1:.1f} s) and scene 2 ({a2:.1f}-{b2:.1f} s) come from different, "
         f"non-adjacent parts of the recording. The person speaking in scene 1 at "
         f"{target.start:.1f}-{target.end:.1f} s: which person in scene 2 is the same speaker?")
    people = {t.speaker: "" for t in turns}
    sc = [{"start": _r(a1), "end": _r(b1)}, {"start": _r(a2), "end": _r(b2)}]
    return _record("srid", f"{clip_id}-srid", clip_id, b2, q, options, letter, people, turns, sc, meta, {})


def srid_clips(rec: Recording, cfg: BuildConfig, corpus: str) -> list[ClipPlan]:
    turns = sorted(rec.turns, key=lambda t: (t.start, t.end))
    rng = _rng(cfg, rec.id, "srid")
    plans: list[ClipPlan] = []
    for k in rng.sample(range(len(turns)), len(turns)):
        if len(plans) >= cfg.per_recording:
            break
        u = turns[k]
        if not _clean(u, turns, 1.5):
            continue
        len1 = u.end - u.start
        later = [i for i, t in enumerate(turns) if t.start >= u.end + cfg.srid_gap]
        for i in later:
            span = _excerpt(turns, i, max(cfg.min_clip - len1, 4.0), min(25.0, cfg.max_clip - len1))
            if span is None:
                continue
            clip_id = f"{corpus}-{rec.id}-r{len(plans):03d}"
            spans = [(u.start, u.end), span]
            cturns, cfaces = to_clip(rec.turns, rec.faces, spans)
            target = next(t for t in cturns if t.speaker == u.speaker and t.start == 0.0)
            meta = {"source": corpus, "recording": rec.id, "source_spans": [list(s) for s in spans],
                    "overlap_ratio": overlap_ratio(cturns)}
            r = srid_record(cturns, cfaces, target, [(0.0, _r(len1)), (_r(len1), _r(len1 + span[1] - span[0]))],
                            cfg, _rng(cfg, rec.id, clip_id, "srid"), clip_id, meta)
            if r is not None:
                plans.append(ClipPlan(clip_id, [(rec.media, s, e) for s, e in spans], [r], cfaces, rec.audio))
                break
    return plans


def csnl_clips(rec: Recording, cfg: BuildConfig, corpus: str) -> list[ClipPlan]:
    """Scene-order questions: n excerpts shown shuffled; which order did they happen in?"""
    if not rec.has_text:
        return []
    turns = sorted(rec.turns, key=lambda t: (t.start, t.end))
    n = cfg.csnl_scenes
    cands = [s for i in range(len(turns)) if (s := _excerpt(turns, i, 4.0, 15.0))]
    cands = [c for c in cands if any(t.text.strip() and c[0] <= t.start < c[1] for t in turns)]
    rng = _rng(cfg, rec.id, "csnl")
    plans: list[ClipPlan] = []
    for first in rng.sample(cands, len(cands)):
        if len(plans) >= cfg.per_recording:
            break
        chain = [first]
        while len(chain) < n:
            nxt = [c for c in cands if c[0] >= chain[-1][1] + 5.0]
            if not nxt:
                break
            chain.append(rng.choice(nxt[:10]))
        total = sum(e - s for s, e in chain)
        if len(chain) < n or not cfg.min_clip <= total <= cfg.max_clip:
            continue
        clip_id = f"{corpus}-{rec.id}-n{len(plans):03d}"
        crng = _rng(cfg, rec.id, clip_id, "csnl")
        shown = list(range(n))
        while shown == sorted(shown):
            crng.shuffle(shown)  # shown[j] = chronological index of the j-th scene in the clip
        spans = [chain[c] for c in shown]
        cturns, cfaces = to_clip(rec.turns, rec.faces, spans)
        bounds, off = [], 0.0
        for s, e in spans:
            bounds.append((_r(off), _r(off + e - s)))
            off += e - s
        true_order = tuple(shown.index(c) + 1 for c in range(n))  # scene numbers in chronological order

        def say(order):
            return ", then ".join(f"scene {j}" for j in order).capitalize()

        wrong = [p for p in itertools.permutations(range(1, n + 1)) if p != true_order]
        picks = crng.sample(wrong, min(cfg.max_options - 1, len(wrong)))
        options = [say(p) for p in [true_order, *picks]]
        crng.shuffle(options)
        letter = LETTERS[options.index(say(true_order))]
        listing = "; ".join(f"scene {j + 1}: {a:.1f}-{b:.1f} s" for j, (a, b) in enumerate(bounds))
        q = (f"The clip joins {n} scenes of one conversation, not shown in the order they happened ({listing}). "
             f"In which order did they happen?")
        meta = {"source": corpus, "recording": rec.id, "source_spans": [list(s) for s in spans],
                "overlap_ratio": overlap_ratio(cturns)}
        r = _record("csnl", f"{clip_id}-csnl", clip_id, off, q, options, letter,
                    {t.speaker: "" for t in cturns}, cturns, [{"start": a, "end": b} for a, b in bounds],
                    meta, _faces_of(cfaces))
        r["rationale"] = "In the recording, " + ", then ".join(
            f"scene {true_order[c]} (from {chain[c][0]:.1f} s)" for c in range(n)) + " happened in that order."
        plans.append(ClipPlan(clip_id, [(rec.media, s, e) for s, e in spans], [r], cfaces, rec.audio))
    return plans


def plan_recording(rec: Recording, cfg: BuildConfig, corpus: str) -> list[ClipPlan]:
    """All clips and records the rules derive from one recording."""
    plans = window_clips(rec, cfg, corpus)
    if "srid" in cfg.tasks:
        plans += srid_clips(rec, cfg, corpus)
    if "csnl" in cfg.tasks:
        plans += csnl_clips(rec, cfg, corpus)
    return plans
