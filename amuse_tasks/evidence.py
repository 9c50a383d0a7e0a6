"""Perception evidence: what tool outputs (or a cue dict, which holds the same outputs) support, one
function per fact. Label-free: only the question's structured facts (``query``, ``people[].seat``) and
perception outputs are read, never an answer.

Two readers share it: the rule baseline (``models.baseline_policy``, on tool results it asks for) and
RAFT's ``consistency`` reward (``raft_trl.rewards``, on a row's cue dict through ``CueEvidence``), so
the answer a reward calls supported is the answer the baseline would give from the same evidence.

Times are seconds from the window start. Faces, utterances and segments have the shapes of the
``track_faces`` / ``transcribe`` / ``diarize`` results (= cue kinds FC / TR / VS); lip-sync entries
(LS) are ``{"face", "start", "end", "score"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amuse_tasks.schema import LETTERS

RAISES = re.compile(r"\b(problem|before i forget|worr|concern|trouble|risk|snag|just so you know|i heard)", re.IGNORECASE)  # phrases that raise an issue
_WORD = re.compile(r"[a-z0-9']+")
STOP = frozenset("""a an the and or but so of to in on at for with by from is are was were be been it its this that
these those i we you he she they me us our your my their there here about as not no do does did have has had will
would can could should just also then than too very all any some what who which when where how if after before
again one problem though news good way issue""".split())


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOP}


def overlap_f1(a: list[str], b: list[str]) -> float:
    common = sum(min(a.count(w), b.count(w)) for w in set(a))
    if not common:
        return 0.0
    p, r = common / len(b), common / len(a)
    return 2 * p * r / (p + r)


def seat_of(fact: dict) -> tuple[int, str | None] | None:
    """(column, row) of a ``people[]`` entry or an option fact with a ``seat``."""
    seat = fact.get("seat")
    return (seat["column"], seat["row"]) if seat else None


def seats(faces: list[dict], t: float) -> dict[str, tuple[int, str | None]]:
    """Face id -> (column from the left, 'top'/'bottom' or None) of the faces visible at t."""
    vis = [f for f in faces if f["start"] - 0.01 <= t <= f["end"] + 0.01]
    if not vis:
        return {}
    yc = sorted((f["box"][1] + f["box"][3] / 2, f["face"]) for f in vis)
    h = sorted(f["box"][3] for f in vis)[len(vis) // 2]
    gaps = [(yc[i + 1][0] - yc[i][0], i) for i in range(len(yc) - 1)]
    split = max(gaps)[1] if gaps and max(gaps)[0] > 0.5 * h else None
    row_of = {face: (None if split is None else ("top" if i <= split else "bottom")) for i, (_, face) in enumerate(yc)}
    out = {}
    for row in set(row_of.values()):
        in_row = sorted((f for f in vis if row_of[f["face"]] == row), key=lambda f: f["box"][0])
        for col, f in enumerate(in_row, 1):
            out[f["face"]] = (col, row)
    return out


def best_seat_time(faces: list[dict], t_from: float, t_to: float) -> float:
    """The time in [t_from, t_to] (0.25 s grid) at which the most faces are visible."""
    grid = [t_from + 0.25 * k for k in range(int(max(0.0, t_to - t_from) / 0.25) + 1)]
    return max(grid, key=lambda t: (len(seats(faces, t)), -t)) if grid else t_from


def exclusive(a: float, b: float, others: list[dict], *, fallback: bool = True) -> tuple[float, float] | None:
    """The longest part (> 0.2 s) of [a, b] that no item of ``others`` (spans of other voices)
    overlaps: lip sync is clearest where one voice is heard alone. When every part is overlapped:
    [a, b] itself, or None without ``fallback``."""
    free = [(a, b)]
    for o in others:
        free = [piece for s, e in free for piece in ((s, min(e, o["start"])), (max(s, o["end"]), e)) if piece[1] - piece[0] > 0.2]
    if free:
        return max(free, key=lambda p: p[1] - p[0])
    return (a, b) if fallback else None


def cut_times(faces: list[dict]) -> list[float]:
    """Scene cuts: times where at least half of the visible faces start a new appearance together
    (faces first found in the first second are the clip's first scene, not a cut)."""
    starts = sorted(f["start"] for f in faces if f["start"] > 1.0)
    cuts: list[float] = []
    for s in starts:
        together = [x for x in starts if abs(x - s) <= 0.5]
        if len(together) >= max(1, len(seats(faces, s + 0.6)) / 2) and not any(abs(c - s) <= 1.0 for c in cuts):
            cuts.append(s)
    return cuts


# ---- facts shared by the baseline and the rewards --------------------------------------------------
def person_of_face(faces: list[dict], people: list[dict], duration: float) -> dict[str, str]:
    """Face id -> person label: each person's seat (from their description) matched to the seats of the
    faces visible at the clip start (before the first cut)."""
    first_cut = min(cut_times(faces) + [duration])
    at = seats(faces, best_seat_time(faces, 0.0, min(first_cut - 0.3, 3.0)))
    out = {}
    for p in people:
        seat = seat_of(p)
        for face, s in at.items():
            if seat is not None and s == seat:
                out[face] = p["label"]
    return out


def quote_utterance(utterances: list[dict], quote: str | None) -> dict | None:
    """The utterance whose words best match the quote (None without a quote or a match)."""
    if not quote:
        return None
    best = max(utterances, key=lambda u: overlap_f1(words(quote), words(u["text"])), default=None)
    return best if best is not None and overlap_f1(words(quote), words(best["text"])) > 0 else None


def seat_in_scene(faces: list[dict], face: str | None, scene_start: float, duration: float):
    """Where ``face`` sits in the scene that starts at ``scene_start`` (None when it is not seen there)."""
    if face is None:
        return None
    return seats(faces, best_seat_time(faces, scene_start + 0.3, min(duration, scene_start + 3.0))).get(face)


def quote_runs(utterances: list[dict], quote: str) -> list[tuple[float, float]]:
    """Spans of the runs of up to four consecutive utterances that match the quote about as well as the
    best run (the same words may come from two people), best first, non-overlapping; [] when none matches."""
    target = words(quote)
    found: list[tuple[float, int, int]] = []
    for i in range(len(utterances)):
        for j in range(i, min(len(utterances), i + 4)):
            f1 = overlap_f1(target, words(" ".join(u["text"] for u in utterances[i:j + 1])))
            if f1 > 0:
                found.append((f1, i, j))
    if not found:
        return []
    best = max(f for f, _, _ in found)
    spans: list[tuple[float, float]] = []
    taken: set[int] = set()
    for f1, i, j in sorted(found, key=lambda x: (-x[0], x[2] - x[1])):
        if f1 >= best - 0.1 and not taken & set(range(i, j + 1)):
            taken |= set(range(i, j + 1))
            spans.append((utterances[i]["start"], utterances[j]["end"]))
    return spans


def setup_utterance(utterances: list[dict], quote: str | None, payoff_start: float) -> dict | None:
    """csnl: the earlier run of up to three utterances sharing most content words with the quoted line
    (ties: one that raises a problem), merged into one utterance of its longest member's voice."""
    key = content(quote or "")
    earlier = [u for u in utterances if u["end"] <= payoff_start + 0.5]
    if not earlier or not key:
        return None
    # runs: the transcript may split one line where the voice label flickers
    runs = [earlier[i:j] for i in range(len(earlier)) for j in range(i + 1, min(len(earlier), i + 3) + 1)]
    best = max(runs, key=lambda run: (len(key & content(" ".join(u["text"] for u in run))), -len(run),
                                      bool(RAISES.search(" ".join(u["text"] for u in run))), -run[0]["start"]))
    longest = max(best, key=lambda u: u["end"] - u["start"])
    return {**longest, "start": best[0]["start"], "end": best[-1]["end"], "text": " ".join(u["text"] for u in best)}


def scene_number(faces: list[dict], t: float) -> int:
    """1-based number of the scene playing at t, counting cuts."""
    return 1 + sum(1 for c in cut_times(faces) if c <= t)


def option_letter(options: list[str], facts: list[dict] | None, *, text: str | None = None, match=None) -> str | None:
    """The letter of the option equal to ``text``, or whose fact (``query.options``) satisfies ``match``."""
    facts = facts or [{}] * len(options)
    for i, (opt, fact) in enumerate(zip(options, facts)):
        if (match(fact) if match else (text is not None and opt == text)):
            return LETTERS[i]
    return None



def lip_sync_mean(items: list[dict], face: str, spans: list[tuple[float, float]]) -> float | None:
    """The overlap-weighted mean of ``face``'s lip-sync scores (LS entries ``{face, start, end, score}``) over
    ``spans``; None when no entry of that face overlaps them. The one lip-sync mean of the project: the
    baseline's evidence, the rewards and the compact rendering all read it."""
    num = den = 0.0
    for item in items:
        if item["face"] == face:
            for a, b in spans:
                w = max(0.0, min(b, item["end"]) - max(a, item["start"]))
                num += w * float(item["score"])
                den += w
    return num / den if den > 0 else None

# ---- what a cue dict supports (RAFT's consistency reward) ----------------------------------------
@dataclass
class CueEvidence:
    """The answer one row's cues support, by the baseline's rules with the LS entries of the cue dict in
    place of its lip-sync calls. Each task method returns None when the cues hold no evidence for it."""

    cues: dict
    query: dict
    people: list[dict]
    options: list[str]
    duration: float

    @property
    def faces(self) -> list[dict]:
        return self.cues.get("FC") or []

    @property
    def utterances(self) -> list[dict]:
        return self.cues.get("TR") or []

    def lip_sync(self, face: str, a: float, b: float) -> float | None:
        """Overlap-weighted mean LS score of ``face`` over [a, b]; None when no LS entry of it overlaps."""
        return lip_sync_mean(self.cues.get("LS") or [], face, [(a, b)])

    def speaking_face(self, a: float, b: float) -> str | None:
        """The face with the highest lip-sync score over [a, b] (widened to 0.5 s when shorter)."""
        if b - a < 0.5:
            a, b = max(0.0, (a + b) / 2 - 0.25), min(self.duration, (a + b) / 2 + 0.25)
        scores = {f: s for f in sorted({i["face"] for i in self.cues.get("LS") or []})
                  if (s := self.lip_sync(f, a, b)) is not None}
        return max(scores, key=scores.get) if scores else None

    def voice_span(self, voice: str, a: float, b: float) -> tuple[float, float]:
        """The part of [a, b] where only ``voice`` is heard (lip sync is clearest there)."""
        others = [u for u in (self.cues.get("VS") or self.utterances) if u["voice"] != voice]
        return exclusive(a, b, others)

    def face_of_person(self, person: str | None) -> str | None:
        return {v: k for k, v in person_of_face(self.faces, self.people, self.duration).items()}.get(person)

    def avsa(self) -> str | None:
        a, b = self.query.get("span") or (0.0, self.duration)
        own = quote_utterance([u for u in self.utterances if u["start"] < b and u["end"] > a], self.query.get("quote"))
        if own is not None:
            a, b = self.voice_span(own["voice"], a, b)
        person = person_of_face(self.faces, self.people, self.duration).get(self.speaking_face(a, b))
        return option_letter(self.options, None, text=person) if person else None

    def srid(self) -> str | None:
        a, b = self.query.get("span") or (0.0, self.duration)
        seat = seat_in_scene(self.faces, self.speaking_face(a, b), float(self.query.get("scene_start", 0.0)), self.duration)
        if seat is None:
            return None
        return option_letter(self.options, self.query.get("options"), match=lambda fact: seat_of(fact) == seat)

    def csnl(self) -> str | None:
        setup = setup_utterance(self.utterances, self.query.get("quote"), float(self.query.get("scene_start", self.duration)))
        if setup is None:
            return None
        face = self.speaking_face(*self.voice_span(setup["voice"], setup["start"], setup["end"]))
        person = person_of_face(self.faces, self.people, self.duration).get(face)
        scene = scene_number(self.faces, setup["start"])
        if person is None:
            return None
        return option_letter(self.options, self.query.get("options"),
                             match=lambda fact: fact.get("person") == person and fact.get("scene") == scene)

    def nsp(self) -> str | None:
        """Not in a cue dict: the silent mouth opening before the cut is a lip-sync reading over a span
        no LS entry covers (LS entries follow the voice segments)."""
        return None

    def person_voice(self, person: str | None) -> str | None:
        """The voice whose segments lip-sync best with the person's face."""
        face = self.face_of_person(person)
        if face is None:
            return None
        scores: dict[str, list[float]] = {}
        for seg in self.cues.get("VS") or self.utterances:
            s = self.lip_sync(face, *self.voice_span(seg["voice"], seg["start"], seg["end"]))
            if s is not None:
                scores.setdefault(seg["voice"], []).append(s)
        return max(scores, key=lambda v: sum(scores[v]) / len(scores[v])) if scores else None

    def stg(self) -> list[tuple[float, float]] | None:
        voice = self.person_voice(self.query.get("person"))
        if voice is None:
            return None
        quote = self.query.get("quote")
        if quote:
            runs = quote_runs([u for u in self.utterances if u["voice"] == voice], quote)
            return runs[:1] or None
        return [(s["start"], s["end"]) for s in self.cues.get("VS") or self.utterances if s["voice"] == voice] or None

    def avds(self) -> str | None:
        """A who-said-what reference: "<person> said: <utterance>" per transcript line, voices named by lip sync."""
        names = {}
        for voice in {u["voice"] for u in self.utterances}:
            for p in self.people:
                if self.person_voice(p["label"]) == voice:
                    names[voice] = p["label"]
        lines = [f"{names[u['voice']]} said: {u['text'].rstrip('.')}." for u in self.utterances
                 if u["voice"] in names and len(words(u["text"])) >= 3]
        return " ".join(lines) or None

    def supported(self, task: str):
        """The answer the cues support for ``task`` (letter, intervals or reference text), or None."""
        return getattr(self, task)()
