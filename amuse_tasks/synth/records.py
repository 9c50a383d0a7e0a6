"""Records of the six AMUSE tasks from one synthetic clip, with exact answers.

Time conventions (shared with prompts and metrics):
- ``start``/``end`` of a record, and ``segments``, ``scenes``, ``faces`` in it, are seconds of
  the media FILE.
- Times written in a ``question``, in a ``rationale`` and in an ``stg`` ``answer`` are seconds
  from the start of the sample window (``record.start`` = 0 s), i.e. the clock of what the
  model sees.  ``stg`` windows are a single scene, so their ``start`` is usually not 0.

Options of a choice task are all of one kind (people labels, or seat descriptions in one scene,
or "label, scene k" pairs), every option names someone present, and the correct letters are spread
evenly over the positions across the set, in a seeded random order (``answer_slots``): the
question and options alone leave a model at chance.
"""

from __future__ import annotations

import random

from amuse_tasks.intervals import union
from amuse_tasks.schema import LETTERS, SCHEMA_VERSION
from amuse_tasks.synth.clip import Clip, pre_speech
from amuse_tasks.synth.story import SUMMARY
from amuse_tasks.synth.render import FPS, HEIGHT, WIDTH
from amuse_tasks.synth.timeline import Placed
from amuse_tasks.tasks import TASKS

MAX_OPTIONS = 4


def _t(x: float) -> float:
    return round(x, 3)


def _ts(x: float) -> str:
    return f"{x:.1f} s"


def _q(x: float) -> float:
    """A time as the question states it (``_ts``), for the record's ``query``."""
    return round(x, 1)


def _seat(seat) -> dict:
    """A seat as ``people[].seat`` / ``query.options[].seat``: column from the left (1-based), row or None."""
    return {"column": seat.col + 1, "row": None if seat.rows == 1 else ("top" if seat.row == 0 else "bottom")}


def _choice(rng: random.Random, correct: str, others: list[str], slot: float) -> tuple[list[str], str]:
    """Up to MAX_OPTIONS options holding ``correct`` at the letter ``slot`` (in [0, 1)) falls on."""
    others = [o for o in dict.fromkeys(others) if o != correct]
    opts = rng.sample(others, min(len(others), MAX_OPTIONS - 1))
    rng.shuffle(opts)
    opts.insert(int(slot * (len(opts) + 1)), correct)
    return opts, LETTERS[opts.index(correct)]


def answer_slots(seed: int, task: str, n: int) -> list[float]:
    """Where the correct option goes in each of a dataset's ``n`` records of ``task``: evenly spread
    fractions of the option list in a seeded random order, so every letter is right about equally
    often in the set (no position prior, not even by chance) and no record's letter follows from its
    clip id."""
    slots = [(k + 0.5) / n for k in range(n)]
    random.Random(f"amuse-synth/{seed}/answer-slots/{task}").shuffle(slots)
    return slots


class ClipRecords:
    """Builds the records of one clip; ``rng`` only decides which line/option, never the media."""

    def __init__(self, clip: Clip, video: str, audio: str, seed: int, rng: random.Random, slots: dict[str, float]):
        self.c, self.video, self.audio, self.seed, self.rng = clip, video, audio, seed, rng
        self.slots = slots  # task -> where its correct option goes (answer_slots)
        self.names = clip.plot.names
        self.mains = [p for p in clip.timeline.placed if clip.plot.lines[p.line].intent != "backchannel"]

    # ---- helpers -------------------------------------------------------------------------

    def text(self, p: Placed) -> str:
        return self.c.plot.lines[p.line].text

    def scene_of(self, t: float) -> int:
        return max(i for i, (a, _) in enumerate(self.c.timeline.scenes) if a <= t)

    def unique_quotes(self, scene: int | None = None) -> list[Placed]:
        """Main lines whose text is said once in the clip (so a quote identifies one segment)."""
        texts = [self.text(p) for p in self.c.timeline.placed]
        return [p for p in self.mains if texts.count(self.text(p)) == 1 and len(self.text(p).split()) >= 3
                and (scene is None or self.scene_of(p.start) == scene)]

    def base(self, task: str, start: float, end: float, question: str, options: list[str], answer,
             query: dict | None = None) -> dict:
        c = self.c
        start, end = _t(start), _t(end)
        first = c.looks[self.scene_of(start)]
        people = [{"label": name,
                   "description": f"at {_ts(0.0)}: {first.seats[i].where()}",
                   "seat": _seat(first.seats[i]),
                   "face_track": f"face_{i + 1}"} for i, name in enumerate(self.names)]
        segments = [{"speaker": self.names[p.speaker], "start": p.start, "end": p.end, "text": self.text(p)}
                    for p in c.timeline.placed if p.start < end and p.end > start]
        segments.sort(key=lambda s: (s["start"], s["speaker"]))
        scenes, faces = [], []
        for k, (a, b) in enumerate(c.timeline.scenes):
            if a < end and b > start:
                scenes.append({"start": _t(max(a, start)), "end": _t(min(b, end)), "index": k + 1,
                               "people": list(self.names)})
        for i, name in enumerate(self.names):
            boxes = [{"start": _t(max(a, start)), "end": _t(min(b, end)), "box": list(c.looks[k].seats[i].box)}
                     for k, (a, b) in enumerate(c.timeline.scenes) if a < end and b > start]
            faces.append({"track": f"face_{i + 1}", "person": name, "boxes": boxes})
        return {
            "schema_version": SCHEMA_VERSION,
            "id": f"{c.clip_id}-{task}",
            "task": task,
            "clip_id": c.clip_id,
            "video": self.video,
            "audio": self.audio,
            "start": start,
            "end": end,
            "question": question,
            "options": options,
            "answer": answer,
            "people": people,
            "segments": segments,
            "scenes": scenes,
            "expected_tools": sorted(TASKS[task].expected_tools),
            "cues": None,
            "faces": faces,
            "query": query or {},
            "split": "test",
            "meta": {
                "source": "amuse-synth",
                "seed": self.seed,
                "n_speakers": len(self.names),
                "overlap_ratio": c.overlap,
                "fps": FPS, "width": WIDTH, "height": HEIGHT,
                "voices": {n: v.describe() for n, v in zip(self.names, c.voices)},
                "faces": {n: f"skimage.data.lfw_subset()[{f}]"
                          for n, f in zip(self.names, c.faces)},
                # ground truth of the silent pre-speech mouth opening (file seconds), for oracle tools
                "pre_speech": [{"person": self.names[i], "start": _t(a), "end": _t(b)}
                               for i, a, b in pre_speech(c) if a < end and b > start],
            },
        }

    # ---- the six tasks -------------------------------------------------------------------
    def avds(self) -> dict:
        # the story's key lines, plus each person's first line so everyone who talks is attributed
        lines = [ln for p in self.mains if (ln := self.c.plot.lines[p.line]).gist]
        firsts = {next(i for i, ln in enumerate(lines) if ln.speaker == p) for p in {ln.speaker for ln in lines}}
        gists = [ln.gist for i, ln in enumerate(lines) if ln.intent in SUMMARY or i in firsts]
        q = ("Summarize the dialogue in a few sentences. Attribute what is said to the people by their "
             f"labels ({', '.join(self.names)}).")
        return self.base("avds", 0.0, self.c.duration, q, [], " ".join(g for g in gists if g))

    def avsa(self) -> dict:
        p = self.rng.choice(self.unique_quotes())
        k = self.scene_of(p.start)
        a, b = self.c.timeline.scenes[k]
        q = f'Who says "{self.text(p)}" (from {_ts(p.start - a)} to {_ts(p.end - a)})?'
        opts, ans = _choice(self.rng, self.names[p.speaker], list(self.names), self.slots["avsa"])
        return self.base("avsa", a, b, q, opts, ans, {"quote": self.text(p), "span": [_q(p.start - a), _q(p.end - a)]})

    def nsp(self) -> dict:
        end = self.c.timeline.nsp_end
        nxt = min((p for p in self.mains if p.start >= end), key=lambda p: p.start)
        q = "The clip stops at the end of a turn. Who speaks next?"
        opts, ans = _choice(self.rng, self.names[nxt.speaker], list(self.names), self.slots["nsp"])
        return self.base("nsp", 0.0, end, q, opts, ans)

    def srid(self) -> dict:
        last = len(self.c.timeline.scenes) - 1
        early = [p for p in self.unique_quotes() if self.scene_of(p.start) < last]
        p = self.rng.choice([q for q in early if self.scene_of(q.start) == 0] or early)
        look = self.c.looks[last]
        t_last = self.c.timeline.scenes[last][0]
        q = (f'The person who says "{self.text(p)}" (from {_ts(p.start)} to {_ts(p.end)}) appears again '
             f"in the scene that starts at {_ts(t_last)}. Where does that person sit in that scene?")
        seats = [look.seats[i].where() for i in range(len(self.names))]
        opts, ans = _choice(self.rng, seats[p.speaker], seats, self.slots["srid"])
        query = {"quote": self.text(p), "span": [_q(p.start), _q(p.end)], "scene_start": _q(t_last),
                 "options": [{"seat": _seat(look.seats[seats.index(o)])} for o in opts]}
        return self.base("srid", 0.0, self.c.duration, q, opts, ans, query)

    def echoed(self) -> list[Placed]:
        """The two utterances of an echoed line (same words, two speakers), or [] when none."""
        echo = next((p for p in self.c.timeline.placed if self.c.plot.lines[p.line].intent == "echo"), None)
        if echo is None:
            return []
        same = [p for p in self.mains if self.text(p) == self.text(echo) and self.scene_of(p.start) == self.scene_of(echo.start)]
        return same if len({p.speaker for p in same}) == 2 else []

    def stg(self, by_quote: bool) -> dict:
        # by quote: a line two people say, so the answer needs who, not only the words
        p = self.rng.choice((self.echoed() if by_quote else []) or self.unique_quotes())
        k = self.scene_of(p.start)
        a, b = self.c.timeline.scenes[k]
        name = self.names[p.speaker]
        if by_quote:
            q = f'When does {name} say "{self.text(p)}"? Answer with start-end in seconds.'
            answer = [[_t(p.start - a), _t(p.end - a)]]
            query = {"quote": self.text(p), "person": name}
        else:
            q = f"When does {name} speak in this clip? Answer with every start-end interval in seconds."
            answer = _merge([(s.start - a, s.end - a) for s in self.c.timeline.placed
                             if s.speaker == p.speaker and s.start < b and s.end > a], b - a)
            query = {"person": name}
        return self.base("stg", a, b, q, [], answer, query)

    def csnl(self) -> dict:
        plot, tl = self.c.plot, self.c.timeline
        setup = next(p for p in tl.placed if p.line == plot.setup)
        payoff = next(p for p in tl.placed if p.line == plot.payoff)
        k_setup, k_payoff = self.scene_of(setup.start), self.scene_of(payoff.start)
        a_name, b_name = self.names[setup.speaker], self.names[payoff.speaker]
        q = (f'In scene {k_payoff + 1} (from {_ts(tl.scenes[k_payoff][0])}), {b_name} says "{self.text(payoff)}". '
             "Who raised the issue that this line answers, and in which scene?")
        # every option names one of the same few people and one of the earlier scenes, each
        # equally often, so neither a name nor a scene number stands out
        n_names = min(len(self.names), max(2, MAX_OPTIONS // k_payoff))
        names = [a_name] + self.rng.sample([n for n in self.names if n != a_name], n_names - 1)
        facts = {f"{n}, in scene {k + 1}": {"person": n, "scene": k + 1} for n in names for k in range(k_payoff)}
        correct = f"{a_name}, in scene {k_setup + 1}"
        opts, ans = _choice(self.rng, correct, list(facts), self.slots["csnl"])
        query = {"quote": self.text(payoff), "person": b_name, "scene_start": _q(tl.scenes[k_payoff][0]),
                 "options": [facts[o] for o in opts]}
        rec = self.base("csnl", 0.0, self.c.duration, q, opts, ans, query)
        rec["rationale"] = (f'In scene {k_setup + 1} ({_ts(setup.start)}-{_ts(setup.end)}) {a_name} says '
                            f'"{self.text(setup)}"; {b_name}\'s line in scene {k_payoff + 1} resolves that issue.')
        return rec

    def all(self, index: int) -> list[dict]:
        return [self.avds(), self.avsa(), self.nsp(), self.srid(), self.stg(by_quote=index % 2 == 0), self.csnl()]


def _merge(spans: list[tuple[float, float]], limit: float) -> list[list[float]]:
    """The union of spans clamped to the window [0, limit], rounded like every record time."""
    return [[_t(s), _t(e)] for s, e in union((max(0.0, s), min(limit, e)) for s, e in spans)]
