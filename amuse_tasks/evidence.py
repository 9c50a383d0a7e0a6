"""Perception evidence: what tool outputs (or a cue dict, which holds the same outputs) support, one
function per fact and one ``Evidence`` method per task. Label-free: only the question's structured facts
(``query``, ``people[].seat``) and perception outputs are read, never an answer.

Two readers share the rules: the rule baseline (``models.baseline_policy.ToolEvidence``, fetching the
outputs with tool calls) and RAFT's ``consistency`` reward (``CueEvidence``, on a row's cue dict), so the
answer a reward calls supported is the answer the baseline gives from the same evidence.

Times are seconds from the window start. Faces, utterances and segments have the shapes of the
``track_faces`` / ``transcribe`` / ``diarize`` results (= cue kinds FC / TR / VS, ``tasks.PERCEPTION``);
lip-sync entries (LS) are ``{"face", "start", "end", "score"}``.
"""

from __future__ import annotations

import re

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

# ---- the rules: what perception supports, one method per task ----------------------------------------
NSP_LOOK = 0.5  # seconds before the nsp cut in which the next speaker's silent mouth opening is sought


class Evidence:
    """The rule book: the answer the perception outputs support for each task, written once.

    Two readers supply the outputs: ``CueEvidence`` (a row's cue dict; RAFT's ``consistency`` reward) and the
    rule baseline's ``ToolEvidence`` (tool calls in an agent episode). A reader provides ``fetch`` (make cue
    kinds available; the baseline calls the tools there), ``faces`` / ``utterances`` / ``segments`` and
    ``lip_syncs`` (scores of (face, start, end) asks); the rules never see where the numbers came from.
    Task methods return a letter, a list of spans or a reference text, or None when the evidence holds none;
    ``notes`` says what was found (the baseline's reflection) and ``story`` the csnl setup it linked.
    """

    def __init__(self, query: dict, people: list[dict], options: list[str], duration: float):
        self.query, self.people, self.options, self.duration = query or {}, people or [], list(options or []), duration
        self.notes: list[str] = []
        self.story: tuple[str | None, int, str] | None = None

    # -- what a reader provides ---------------------------------------------------------------------
    def fetch(self, *kinds: str, within: dict[str, tuple[float, float]] | None = None) -> None:
        """Make the outputs of these cue kinds available (``within``: a narrower span for a kind)."""

    faces: list[dict]
    utterances: list[dict]
    segments: list[dict]

    def lip_syncs(self, asks: list[tuple[str, float, float]]) -> list[dict | None]:
        """Per (face, start, end): a lip-sync reading ``{"score", ...}``, or None when there is none."""
        raise NotImplementedError

    # -- facts over the outputs ---------------------------------------------------------------------
    def span(self) -> tuple[float, float]:
        a, b = self.query.get("span") or (0.0, self.duration)
        return float(a), min(float(b), self.duration)

    def person_of_face(self) -> dict[str, str]:
        return person_of_face(self.faces, self.people, self.duration)

    def face_of_person(self, person: str | None) -> str | None:
        return {v: k for k, v in self.person_of_face().items()}.get(person)

    def option(self, text: str | None = None, match=None) -> str | None:
        return option_letter(self.options, self.query.get("options"), text=text, match=match)

    def speaking_faces(self, spans: list[tuple[float, float]]) -> list[str | None]:
        """Per span, the face with the highest lip-sync score among the faces visible then. Spans under 0.5 s
        (a word's timestamps) are widened to 0.5 s around their middle."""
        spans = [(a, b) if b - a >= 0.5 else (max(0.0, (a + b) / 2 - 0.25), min(self.duration, (a + b) / 2 + 0.25))
                 for a, b in spans]
        asks = [(k, f) for k, (a, b) in enumerate(spans)
                for f in sorted({f["face"] for f in self.faces if f["start"] < b and f["end"] > a})]
        readings = self.lip_syncs([(f, *spans[k]) for k, f in asks]) if asks else []
        best: list[tuple[float, str] | None] = [None] * len(spans)
        for (k, f), r in zip(asks, readings):
            if r is not None and (best[k] is None or r["score"] > best[k][0]):
                best[k] = (r["score"], f)
        for (a, b), bk in zip(spans, best):
            if bk is not None:
                self.notes.append(f"Lip sync over {a:.1f}-{b:.1f} s is highest for {bk[1]} ({bk[0]:.2f}).")
        return [bk[1] if bk else None for bk in best]

    def speaking_face(self, a: float, b: float) -> str | None:
        return self.speaking_faces([(a, b)])[0]

    def voice_of_face(self, face: str) -> str | None:
        """The voice whose segments lip-sync best with ``face``: the duration-weighted mean score over the
        parts of its segments where no other voice is heard (whole segments when every part overlaps)."""
        segs = self.segments
        alone = [(s, exclusive(s["start"], s["end"], [o for o in segs if o["voice"] != s["voice"]], fallback=False))
                 for s in segs]
        alone = [(s, span) for s, span in alone if span is not None] or [(s, (s["start"], s["end"])) for s in segs]
        readings = self.lip_syncs([(face, a, b) for _, (a, b) in alone]) if alone else []
        by_voice: dict[str, list[tuple[float, float]]] = {}
        for (s, (a, b)), r in zip(alone, readings):
            by_voice.setdefault(s["voice"], []).append(((r["score"] if r else 0.0) * (b - a), b - a))
        return max(by_voice, key=lambda v: sum(x for x, _ in by_voice[v]) / max(1e-9, sum(d for _, d in by_voice[v])),
                   default=None)

    # -- the tasks ----------------------------------------------------------------------------------
    def avsa(self) -> str | None:
        """The face with the highest lip-sync score where the quoted voice is heard alone; its person by seat."""
        a, b = self.span()
        self.fetch("TR", "FC", within={"TR": (a, b)})
        utts = [u for u in self.utterances if u["start"] < b and u["end"] > a]
        own = quote_utterance(utts, self.query.get("quote"))
        others = [u for u in utts if own is not None and u["voice"] != own["voice"]]
        face = self.speaking_face(*exclusive(a, b, others))
        person = self.person_of_face().get(face)
        self.notes.append(f"{face} speaks then; by seat that is {person}.")
        return self.option(text=person) if person else None

    def nsp(self) -> str | None:
        """In the last NSP_LOOK s the face whose lips move with the speech is speaking; of the others, the one
        whose mouth opens most (silently) speaks next. A cue dict has no mouth-open readings: None there."""
        self.fetch("VS", "FC")
        a, b = max(0.0, self.duration - NSP_LOOK), self.duration
        visible = sorted({f["face"] for f in self.faces if f["start"] < b and f["end"] > a})
        seen = {f: r for f, r in zip(visible, self.lip_syncs([(f, a, b) for f in visible]) if visible else [])
                if r is not None}
        speaking = max(seen, key=lambda f: seen[f]["score"], default=None)
        ready = {f: r.get("mouth_open", 0.0) for f, r in seen.items() if f != speaking}
        face = max(ready, key=ready.get) if ready and max(ready.values()) > 0 else None
        person = self.person_of_face().get(face)
        self.notes.append(f"{speaking} speaks at the end; {face} ({person}) opens their mouth without speaking."
                          if face else "Nobody but the speaker moves their mouth before the cut.")
        return self.option(text=person) if person else None

    def srid(self) -> str | None:
        """The face speaking during the quoted span; its seat in the later scene."""
        self.fetch("VS", "FC")
        face = self.speaking_face(*self.span())
        t_later = float(self.query.get("scene_start", 0.0))
        seat = seat_in_scene(self.faces, face, t_later, self.duration)
        self.notes.append(f"{face} speaks the quote; in the scene from {t_later:.1f} s it sits at {seat}.")
        return self.option(match=lambda fact: seat_of(fact) == seat) if seat is not None else None

    def stg(self) -> list[tuple[float, float]] | None:
        """By quote: the best-matching run of utterances (said twice: the run whose lip sync best matches the
        named person's face). By person: every segment of the voice that lip-syncs best with their face."""
        quote, name = self.query.get("quote"), self.query.get("person")
        self.fetch("VS", "TR")
        if quote:
            spans = quote_runs(self.utterances, quote)
            if not spans:
                self.notes.append("The quote is not in the transcript.")
                return None
            span = spans[0]
            if len(spans) > 1:
                self.fetch("FC")
                face = self.face_of_person(name)
                if face is not None:
                    readings = self.lip_syncs([(face, a, b) for a, b in spans])
                    span = max(zip(spans, readings), key=lambda x: x[1]["score"] if x[1] else -1.0)[0]
                self.notes.append(f"The quote is said {len(spans)} times; {name} ({face}) lip-syncs best at "
                                  f"{span[0]:.1f}-{span[1]:.1f} s.")
            else:
                self.notes.append(f"The quote matches the transcript at {span[0]:.1f}-{span[1]:.1f} s.")
            return [span]
        self.fetch("FC")
        face = self.face_of_person(name)
        voice = self.voice_of_face(face) if face is not None else None
        if voice is None:
            self.notes.append(f"Cannot find the face of {name} or any voice segment.")
            return None
        self.notes.append(f"{name} is {face}; its lips move with {voice}.")
        return [(s["start"], s["end"]) for s in self.segments if s["voice"] == voice]

    def csnl(self) -> str | None:
        """The earlier utterance sharing most content words with the quoted line (ties: one raising a problem);
        its speaker by lip sync, its scene by counting cuts."""
        self.fetch("TR", "FC")
        setup = setup_utterance(self.utterances, self.query.get("quote"),
                                float(self.query.get("scene_start", self.duration)))
        if setup is None:
            self.notes.append("No earlier speech to link.")
            return None
        others = [u for u in self.utterances if u["voice"] != setup["voice"]]
        face = self.speaking_face(*exclusive(setup["start"], setup["end"], others))
        person = self.person_of_face().get(face)
        scene = scene_number(self.faces, setup["start"])
        self.story = (person, scene, setup["text"])
        self.notes.append(f'The issue is raised at {setup["start"]:.1f} s ("{setup["text"]}") by {face} ({person}), '
                          f"scene {scene}.")
        return self.option(match=lambda fact: fact.get("person") == person and fact.get("scene") == scene)

    def avds(self) -> str | None:
        """A who-said-what reference, "<person> said: <utterance>." per transcript line of three words or more;
        each voice named by the face that lip-syncs best over its longest solo stretch."""
        self.fetch("TR", "VS", "FC")
        person_of = self.person_of_face()
        longest: dict[str, tuple[float, float]] = {}
        for s in self.segments:
            a, b = exclusive(s["start"], s["end"], [o for o in self.segments if o["voice"] != s["voice"]])
            if s["voice"] not in longest or b - a > longest[s["voice"]][1] - longest[s["voice"]][0]:
                longest[s["voice"]] = (a, b)
        name_of = {voice: person_of[face] for voice, face in zip(longest, self.speaking_faces(list(longest.values())))
                   if face in person_of}
        self.notes.append(f"Voices named: {name_of}.")
        lines = [f"{name_of.get(u['voice'], u['voice'])} said: {u['text'].rstrip('.')}." for u in self.utterances
                 if len(words(u["text"])) >= 3]
        return " ".join(lines) or None

    def supported(self, task: str):
        """The answer the evidence supports for ``task`` (letter, spans or reference text), or None."""
        return getattr(self, task)()


class CueEvidence(Evidence):
    """The rules over one row's cue dict: LS entries (overlap-weighted, ``lip_sync_mean``) stand in for
    lip-sync calls; VS falls back to the transcript's voices."""

    def __init__(self, cues: dict, query: dict, people: list[dict], options: list[str], duration: float):
        super().__init__(query, people, options, duration)
        self.cues = cues

    @property
    def faces(self) -> list[dict]:
        return self.cues.get("FC") or []

    @property
    def utterances(self) -> list[dict]:
        return self.cues.get("TR") or []

    @property
    def segments(self) -> list[dict]:
        return self.cues.get("VS") or self.utterances

    def lip_syncs(self, asks: list[tuple[str, float, float]]) -> list[dict | None]:
        items = self.cues.get("LS") or []
        return [None if (s := lip_sync_mean(items, face, [(a, b)])) is None else {"score": s} for face, a, b in asks]
