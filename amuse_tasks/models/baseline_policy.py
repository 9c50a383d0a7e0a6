"""``policy=baseline``: a deterministic, non-LLM agent that calls the tools a task needs and answers
by fixed rules. It is a reported baseline row, and the proof that the tools can solve the tasks
(with oracle tools it must be near perfect on AMUSE-Synth's choice tasks).

What the question states it reads from the record's structured fields, never from the wording:
``query`` (quote, span, person, scene start, one fact per option) and ``people[].seat``. A record
without them (e.g. from a corpus builder) gets the whole clip as span and no quote.

Rules (times are seconds from the clip start):
- people -> faces: each person's description gives their seat at 0 s ("2nd from the left in the
  top row"); faces visible at the start are ranked into the same seats; face ids then follow the
  person through later scenes (the face tool keeps ids across cuts).
- avsa: the face with the highest lip-sync score over the quoted span said it.
- nsp: in the last NSP_LOOK seconds before the cut, the face whose lips move with the speech is the
  current speaker; of the other faces, the one whose mouth opens most (silently, about to speak)
  speaks next.
- srid: the face speaking (lip sync) during the quoted span; its seat in the later scene.
- stg: by quote, the run of transcript utterances whose words best match the quote (when two people
  say it, the run whose lip sync best matches the named person's face); by person,
  every segment of the voice whose segments best lip-sync with that person's face.
- csnl: the earlier utterance sharing most content words with the quoted line (ties: one that
  raises a problem, "one problem though", "before I forget"); its speaker by lip sync, its scene
  by counting cuts (when the faces all change).
- avds: "<person>: <utterance>" for each utterance, voices named by lip sync.
"""

from __future__ import annotations

from amuse_tasks.evidence import (exclusive, option_letter, person_of_face, quote_runs, quote_utterance, scene_number,
                                  seat_in_scene, seat_of, setup_utterance, words)
from amuse_tasks.models.episode import Episode

NSP_LOOK = 0.5  # seconds before the nsp cut in which the next speaker's silent mouth opening is sought


class BaselinePolicy:
    """Writes plan, tool rounds, reflect and answer into an Episode."""

    def run(self, record: dict, prompt: str, ep: Episode, schemas: list[dict] | None = None) -> None:
        """The policy interface (as ``ChatPolicy``); the rules read the record's structured fields, not
        the prompt text, and call only the tools a task needs."""
        task = record["task"]
        self.rec, self.ep, self.dur = record, ep, record["end"] - record["start"]
        self.notes: list[str] = []
        answer = getattr(self, task)()
        ep.write(f"<reflect>{' '.join(self.notes) or 'no evidence found'}</reflect>")
        ep.write(f"<answer>{answer}</answer>")

    # -- tool rounds ----------------------------------------------------------------------------
    def call(self, *calls: tuple[str, dict]) -> list[dict | None]:
        """One round; each call's result, or None when it failed (or the step limit was hit)."""
        recs = self.ep.round(list(calls))
        return [r["result"] if r["ok"] else None for r in recs] + [None] * (len(calls) - len(recs))

    def whole(self, *names: str) -> list[dict | None]:
        return self.call(*[(n, {"start": 0.0, "end": round(self.dur, 2)}) for n in names])

    def speaking_faces(self, faces: list[dict], spans: list[tuple[float, float]]) -> list[str | None]:
        """Per span, the face with the highest lip-sync score among the faces visible then (one round).
        Spans under 0.5 s (a word's timestamps) are widened to 0.5 s around their middle."""
        spans = [(a, b) if b - a >= 0.5 else (max(0.0, (a + b) / 2 - 0.25), min(self.dur, (a + b) / 2 + 0.25))
                 for a, b in spans]
        asks = [(k, f) for k, (a, b) in enumerate(spans)
                for f in sorted({f["face"] for f in faces if f["start"] < b and f["end"] > a})]
        if not asks:
            return [None] * len(spans)
        results = self.call(*[("lip_sync", {"face_id": f, "start": round(spans[k][0], 2), "end": round(spans[k][1], 2)})
                              for k, f in asks])
        best: list[tuple[float, str] | None] = [None] * len(spans)
        for (k, f), r in zip(asks, results):
            if r is not None and (best[k] is None or r["score"] > best[k][0]):
                best[k] = (r["score"], f)
        for (a, b), bk in zip(spans, best):
            if bk is not None:
                self.notes.append(f"Lip sync over {a:.1f}-{b:.1f} s is highest for {bk[1]} ({bk[0]:.2f}).")
        return [bk[1] if bk else None for bk in best]

    def speaking_face(self, faces: list[dict], a: float, b: float) -> str | None:
        return self.speaking_faces(faces, [(a, b)])[0]

    def person_of_face(self, faces: list[dict]) -> dict[str, str]:
        """Face id -> person label, matching seats at the clip start to the people descriptions."""
        return person_of_face(faces, self.rec.get("people", []), self.dur)

    @property
    def query(self) -> dict:
        return self.rec.get("query") or {}

    def span(self) -> tuple[float, float]:
        a, b = self.query.get("span") or (0.0, self.dur)
        return float(a), min(float(b), self.dur)

    def letter(self, text: str | None, match=None) -> str:
        """The option equal to ``text`` (or whose fact in ``query.options`` satisfies ``match``); else a
        stated guess (option A)."""
        letter = option_letter(self.rec["options"], self.query.get("options"), text=text, match=match)
        if letter is None:
            self.notes.append("No option matches the evidence; guessing A.")
        return letter or "A"

    # -- tasks ----------------------------------------------------------------------------------
    def avsa(self) -> str:
        self.ep.write("<plan>Find the faces, check which face's lips move during the quoted span, "
                      "and map that face to a person by seat.</plan>")
        a, b = self.span()
        trans, tracked = self.call(("transcribe", {"start": round(a, 2), "end": round(b, 2)}),
                                   ("track_faces", {"start": 0.0, "end": round(self.dur, 2)}))
        faces, utts = (tracked or {}).get("faces", []), (trans or {}).get("utterances", [])
        own = quote_utterance(utts, self.query.get("quote"))
        others = [u for u in utts if own is not None and u["voice"] != own["voice"]]
        face = self.speaking_face(faces, *exclusive(a, b, others))
        person = self.person_of_face(faces).get(face)
        self.notes.append(f"{face} speaks then; by seat that is {person}.")
        return f"Answer: {self.letter(person)}"

    def nsp(self) -> str:
        self.ep.write("<plan>Look at who spoke and at the faces just before the cut: someone who opens "
                      "their mouth without speaking is about to take the turn.</plan>")
        _, tracked = self.whole("diarize", "track_faces")
        faces = (tracked or {}).get("faces", [])
        a, b = max(0.0, self.dur - NSP_LOOK), self.dur
        visible = sorted({f["face"] for f in faces if f["start"] < b and f["end"] > a})
        results = self.call(*[("lip_sync", {"face_id": f, "start": round(a, 2), "end": round(b, 2)}) for f in visible])
        seen = {f: r for f, r in zip(visible, results) if r is not None}
        speaking = max(seen, key=lambda f: seen[f]["score"], default=None)
        ready = {f: r.get("mouth_open", 0.0) for f, r in seen.items() if f != speaking}
        face = max(ready, key=ready.get) if ready and max(ready.values()) > 0 else None
        person = self.person_of_face(faces).get(face)
        self.notes.append(f"{speaking} speaks at the end; {face} ({person}) opens their mouth without speaking."
                          if face else "Nobody but the speaker moves their mouth before the cut.")
        return f"Answer: {self.letter(person)}"

    def srid(self) -> str:
        self.ep.write("<plan>Find the face speaking during the quoted span, then where that face sits in "
                      "the later scene.</plan>")
        _, tracked = self.whole("diarize", "track_faces")
        faces = (tracked or {}).get("faces", [])
        face = self.speaking_face(faces, *self.span())
        t_later = float(self.query.get("scene_start", 0.0))
        seat = seat_in_scene(faces, face, t_later, self.dur)
        self.notes.append(f"{face} speaks the quote; in the scene from {t_later:.1f} s it sits at {seat}.")
        return f"Answer: {self.letter(None, match=lambda fact: seat is not None and seat_of(fact) == seat)}"

    def stg(self) -> str:
        quote, name = self.query.get("quote"), self.query.get("person")
        self.ep.write("<plan>Find the matching speech in the transcript and voice segments, and report "
                      "its times.</plan>")
        diar, trans = self.whole("diarize", "transcribe")
        if quote:
            spans = quote_runs((trans or {}).get("utterances", []), quote)
            if not spans:
                self.notes.append("The quote is not in the transcript.")
                return "Answer: none"
            span = spans[0]
            if len(spans) > 1:
                (tracked,) = self.whole("track_faces")
                face = {v: k for k, v in self.person_of_face((tracked or {}).get("faces", [])).items()}.get(name)
                if face is not None:
                    scores = self.call(*[("lip_sync", {"face_id": face, "start": round(a, 2), "end": round(b, 2)})
                                         for a, b in spans])
                    span = max(zip(spans, scores), key=lambda x: x[1]["score"] if x[1] else -1.0)[0]
                self.notes.append(f"The quote is said {len(spans)} times; {name} ({face}) lip-syncs best at "
                                  f"{span[0]:.1f}-{span[1]:.1f} s.")
            else:
                self.notes.append(f"The quote matches the transcript at {span[0]:.1f}-{span[1]:.1f} s.")
            return f"Answer: {span[0]:.2f}-{span[1]:.2f}"
        # "When does <name> speak": the voice whose segments lip-sync best with that person's face.
        (tracked,) = self.whole("track_faces")
        faces = (tracked or {}).get("faces", [])
        face = {v: k for k, v in self.person_of_face(faces).items()}.get(name)
        segs = (diar or {}).get("segments", [])
        if face is None or not segs:
            self.notes.append(f"Cannot find the face of {name} or any voice segment.")
            return "Answer: none"
        alone = [(s, exclusive(s["start"], s["end"], [o for o in segs if o["voice"] != s["voice"]], fallback=False))
                 for s in segs]
        alone = [(s, span) for s, span in alone if span is not None] or [(s, (s["start"], s["end"])) for s in segs]
        scores = self.call(*[("lip_sync", {"face_id": face, "start": round(a, 2), "end": round(b, 2)}) for _, (a, b) in alone])
        by_voice: dict[str, list[tuple[float, float]]] = {}
        for (s, (a, b)), sc in zip(alone, scores):
            by_voice.setdefault(s["voice"], []).append(((sc["score"] if sc else 0.0) * (b - a), b - a))
        voice = max(by_voice, key=lambda v: sum(x for x, _ in by_voice[v]) / sum(d for _, d in by_voice[v]))
        spans = [(s["start"], s["end"]) for s in segs if s["voice"] == voice]
        self.notes.append(f"{name} is {face}; its lips move with {voice}.")
        return "Answer: " + ", ".join(f"{a:.2f}-{b:.2f}" for a, b in spans)

    def csnl(self) -> str:
        self.ep.write("<plan>Read the transcript, find the earlier line that raises what the quoted line "
                      "answers, then who said it and in which scene.</plan>")
        trans, tracked = self.whole("transcribe", "track_faces")
        utts, faces = (trans or {}).get("utterances", []), (tracked or {}).get("faces", [])
        t_payoff = float(self.query.get("scene_start", self.dur))
        setup = setup_utterance(utts, self.query.get("quote"), t_payoff)
        if setup is None:
            self.notes.append("No earlier speech to link.")
            return f"{self.letter(None, match=lambda fact: False)}. No evidence."
        others = [u for u in utts if u["voice"] != setup["voice"]]
        face = self.speaking_face(faces, *exclusive(setup["start"], setup["end"], others))
        person = self.person_of_face(faces).get(face)
        scene = scene_number(faces, setup["start"])
        self.notes.append(f'The issue is raised at {setup["start"]:.1f} s ("{setup["text"]}") by {face} ({person}), scene {scene}.')
        letter = self.letter(None, match=lambda fact: fact.get("person") == person and fact.get("scene") == scene)
        return f"Answer: {letter}. {person} raised it in scene {scene}: \"{setup['text']}\"."

    def avds(self) -> str:
        self.ep.write("<plan>Transcribe the dialogue, find who speaks when, and name the voices by the face "
                      "whose lips move with them.</plan>")
        trans, diar, tracked = self.whole("transcribe", "diarize", "track_faces")
        utts, faces = (trans or {}).get("utterances", []), (tracked or {}).get("faces", [])
        person_of = self.person_of_face(faces)
        name_of: dict[str, str] = {}
        longest: dict[str, dict] = {}
        segs = (diar or {}).get("segments", [])
        for s in segs:
            a, b = exclusive(s["start"], s["end"], [o for o in segs if o["voice"] != s["voice"]])
            if s["voice"] not in longest or b - a > longest[s["voice"]]["end"] - longest[s["voice"]]["start"]:
                longest[s["voice"]] = {"start": a, "end": b}
        voices = list(longest)
        for voice, face in zip(voices, self.speaking_faces(faces, [(longest[v]["start"], longest[v]["end"]) for v in voices])):
            if face in person_of:
                name_of[voice] = person_of[face]
        lines = [f"{name_of.get(u['voice'], u['voice'])} said: {u['text'].rstrip('.')}." for u in utts
                 if len(words(u["text"])) >= 3]
        self.notes.append(f"Voices named: {name_of}.")
        return " ".join(lines) or "No speech was found."
