"""The scene-clip tasks (``srid``, ``csnl``): excerpts of one recording joined in one clip file
(rules in ``task_rules``)."""

from __future__ import annotations

import itertools
import random

from amuse_tasks.builders.clip_geometry import clean, excerpt, overlap_ratio, to_clip
from amuse_tasks.builders.clip_plan import BuildConfig, ClipPlan, faces_of, make_record, record_time as _r, rng_for
from amuse_tasks.builders.conversation import FaceTrack, Recording, Turn
from amuse_tasks.schema import LETTERS


def srid_record(turns: list[Turn], faces: list[FaceTrack], target: Turn, scenes: list[tuple[float, float]],
                cfg: BuildConfig, rng: random.Random, clip_id: str, meta: dict) -> dict | None:
    """Re-identification across the scenes of one clip: ``target`` is in scene 1 (clip seconds)."""
    (a1, b1), (a2, b2) = scenes
    firsts: dict[str, Turn] = {}
    for t in turns:
        if a2 <= t.start and t.end <= b2 and t.speaker not in firsts and clean(t, turns, 1.0):
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
    spans = {o: [round(firsts[p].start, 1), round(firsts[p].end, 1)] for p, o in phrase.items()}
    query = {"span": [round(target.start, 1), round(target.end, 1)], "scene_start": round(a2, 1),
             "options": [{"span": spans[o]} for o in options]}
    return make_record("srid", f"{clip_id}-srid", clip_id, b2, q, options, letter, people, turns, sc, meta, {}, query)


def srid_clips(rec: Recording, cfg: BuildConfig, corpus: str) -> list[ClipPlan]:
    turns = sorted(rec.turns, key=lambda t: (t.start, t.end))
    rng = rng_for(cfg, rec.id, "srid")
    plans: list[ClipPlan] = []
    for k in rng.sample(range(len(turns)), len(turns)):
        if len(plans) >= cfg.per_recording:
            break
        u = turns[k]
        if not clean(u, turns, 1.5):
            continue
        len1 = u.end - u.start
        later = [i for i, t in enumerate(turns) if t.start >= u.end + cfg.srid_gap]
        for i in later:
            span = excerpt(turns, i, max(cfg.min_clip - len1, 4.0), min(25.0, cfg.max_clip - len1))
            if span is None:
                continue
            clip_id = f"{corpus}-{rec.id}-r{len(plans):03d}"
            spans = [(u.start, u.end), span]
            cturns, cfaces = to_clip(rec.turns, rec.faces, spans)
            target = next(t for t in cturns if t.speaker == u.speaker and t.start == 0.0)
            meta = {"source": corpus, "recording": rec.id, "source_spans": [list(s) for s in spans],
                    "overlap_ratio": overlap_ratio(cturns)}
            r = srid_record(cturns, cfaces, target, [(0.0, _r(len1)), (_r(len1), _r(len1 + span[1] - span[0]))],
                            cfg, rng_for(cfg, rec.id, clip_id, "srid"), clip_id, meta)
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
    cands = [s for i in range(len(turns)) if (s := excerpt(turns, i, 4.0, 15.0))]
    cands = [c for c in cands if any(t.text.strip() and c[0] <= t.start < c[1] for t in turns)]
    rng = rng_for(cfg, rec.id, "csnl")
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
        crng = rng_for(cfg, rec.id, clip_id, "csnl")
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
        orders = {say(p): list(p) for p in [true_order, *picks]}
        r = make_record("csnl", f"{clip_id}-csnl", clip_id, off, q, options, letter,
                        {t.speaker: "" for t in cturns}, cturns, [{"start": a, "end": b} for a, b in bounds],
                        meta, faces_of(cfaces), {"options": [{"order": orders[o]} for o in options]})
        r["rationale"] = "In the recording, " + ", then ".join(
            f"scene {true_order[c]} (from {chain[c][0]:.1f} s)" for c in range(n)) + " happened in that order."
        plans.append(ClipPlan(clip_id, [(rec.media, s, e) for s, e in spans], [r], cfaces, rec.audio))
    return plans
