"""The window-clip tasks (``avsa``, ``nsp``, ``stg``, ``avds``): at most one record per task from each
dialogue window of a recording (rules in ``task_rules``)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from amuse_tasks.builders.clip_geometry import clean, overlap_ratio, to_clip, windows
from amuse_tasks.builders.clip_plan import (BuildConfig, ClipPlan, draw_options, faces_of, make_record, record_time,
                                            rng_for)
from amuse_tasks.builders.conversation import FaceTrack, Recording, Turn
from amuse_tasks.builders.people import describe_people, seen_during
from amuse_tasks.intervals import union
from amuse_tasks.tasks import TASK_IDS

NSP_VISIBLE = 3.0  # seconds before the nsp cut in which every offered face must be visible


@dataclass
class Window:
    """One dialogue window cut as a clip: its turns and faces in clip seconds."""

    rec: Recording
    clip_id: str
    span: tuple[float, float]  # source seconds
    turns: list[Turn]
    faces: list[FaceTrack]
    meta: dict

    @property
    def duration(self) -> float:
        return record_time(self.span[1] - self.span[0])

    def record(self, task: str, end: float, question: str, options: list[str], answer, people: dict[str, str],
               meta: dict | None = None, query: dict | None = None) -> dict:
        return make_record(task, f"{self.clip_id}-{task}", self.clip_id, end, question, options, answer, people,
                           self.turns, [], {**self.meta, **(meta or {})}, faces_of(self.faces), query)


def avsa_record(w: Window, cfg: BuildConfig, rng: random.Random) -> dict | None:
    turns = w.turns
    for u in rng.sample(turns, len(turns)):
        if not clean(u, turns, 1.0, 0.5) or (w.rec.has_text and not u.text.strip()):
            continue
        people = describe_people(w.rec, turns, w.faces, avoid=u)
        offered = seen_during(people, w.faces, u.start, u.end)
        if u.speaker not in offered or len(offered) < 2:
            continue
        options, letter = draw_options(rng, u.speaker, offered, cfg)
        q = (f'Who says "{u.text.strip()}" (from {u.start:.1f} s to {u.end:.1f} s)?' if u.text.strip()
             else f"Who is speaking from {u.start:.1f} s to {u.end:.1f} s?")
        query = {"span": [round(u.start, 1), round(u.end, 1)]} | ({"quote": u.text.strip()} if u.text.strip() else {})
        return w.record("avsa", w.duration, q, options, letter, people, {"turn": [u.start, u.end]}, query)
    return None


def nsp_record(w: Window, cfg: BuildConfig, rng: random.Random) -> dict | None:
    turns = w.turns
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
        people = describe_people(w.rec, turns, w.faces, until=u.end)
        # the next speaker (and every option) must be visible before the cut: a face that only
        # appears once that person talks is no fair option
        offered = seen_during(people, w.faces, max(0.0, u.end - NSP_VISIBLE), u.end)
        if nxt.speaker not in offered or len(offered) < 2:
            continue
        options, letter = draw_options(rng, nxt.speaker, offered, cfg)
        q = "The clip stops at the end of a turn. Who speaks next?"
        return w.record("nsp", u.end, q, options, letter, people, {"next_turn": [nxt.start, nxt.end]})
    return None


def stg_record(w: Window, cfg: BuildConfig, rng: random.Random) -> dict | None:
    rec, turns, faces = w.rec, w.turns, w.faces
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
            query = {"quote": text, "person": u.speaker}
        else:
            people = describe_people(rec, [], faces)  # faces and static descriptions only
            people.update({k: v for k, v in rec.descriptions.items() if any(t.speaker == k for t in turns)})
            if u.speaker not in people:
                continue
            q = f"When does {u.speaker} speak in the clip?"
            query = {"person": u.speaker}
            answer = [list(iv) for iv in union((t.start, t.end) for t in turns if t.speaker == u.speaker)]
        others = describe_people(rec, turns, faces, avoid=u)
        return w.record("stg", w.duration, q, [], answer, {**others, **people}, query=query)
    return None


def avds_record(w: Window, cfg: BuildConfig, rng: random.Random) -> dict | None:
    s0, e0 = w.span
    units = [u for u in w.rec.summary if any(s >= s0 and e <= e0 for s, e in u.spans)]
    people = describe_people(w.rec, w.turns, w.faces)
    if units:
        reference, kind = " ".join(u.text.strip() for u in units), "corpus summary"
    else:
        longest: dict[str, Turn] = {}
        for t in w.turns:
            if t.text.strip() and (t.speaker not in longest or len(t.text) > len(longest[t.speaker].text)):
                longest[t.speaker] = t
        if len(longest) < 2:
            return None
        reference = " ".join(f'{p} says "{t.text.strip()}".' for p, t in
                             sorted(longest.items(), key=lambda kv: kv[1].start))
        kind = "extractive template"
    for t in w.turns:  # summaries name every speaker by label
        people.setdefault(t.speaker, "")
    q = "Summarize the dialogue of the clip, saying which person said what."
    return w.record("avds", w.duration, q, [], reference, people, {"reference": kind})


MAKERS = {"avsa": avsa_record, "nsp": nsp_record, "stg": stg_record, "avds": avds_record}


def window_clips(rec: Recording, cfg: BuildConfig, corpus: str) -> list[ClipPlan]:
    """One clip per window with at most one record per task (avsa, nsp, stg, avds)."""
    plans, counts = [], dict.fromkeys(TASK_IDS, 0)
    for k, (w0, w1) in enumerate(windows(rec, cfg)):
        clip_id = f"{corpus}-{rec.id}-w{k:03d}"
        turns, faces = to_clip(rec.turns, rec.faces, [(w0, w1)])
        meta = {"source": corpus, "recording": rec.id, "source_spans": [[w0, w1]],
                "overlap_ratio": overlap_ratio(turns)}
        window = Window(rec, clip_id, (w0, w1), turns, faces, meta)
        plan = ClipPlan(clip_id, [(rec.media, w0, w1)], faces=faces, audio=rec.audio)
        for task, make in MAKERS.items():
            if task not in cfg.tasks or counts[task] >= cfg.per_recording:
                continue
            r = make(window, cfg, rng_for(cfg, rec.id, clip_id, task))
            if r is not None:
                plan.records.append(r)
                counts[task] += 1
        if plan.records:
            plans.append(plan)
    return plans
