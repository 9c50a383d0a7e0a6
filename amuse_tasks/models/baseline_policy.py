"""``policy=baseline``: a deterministic, non-LLM agent that calls the tools a task needs and answers
by the rules of ``amuse_tasks.evidence.Evidence``. It is a reported baseline row, and the proof that the
tools can solve the tasks (with oracle tools it must be near perfect on AMUSE-Synth's choice tasks).

The rules are the ones RAFT's ``consistency`` reward applies to a cue dict; this module only adds the
tool calls that fetch the facts (``ToolEvidence``) and the answer's wording. What the question states it
reads from the record's structured fields, never from the wording: ``query`` (quote, span, person, scene
start, one fact per option) and ``people[].seat``. A record without them (e.g. from a corpus builder) gets
the whole clip as span and no quote. A choice without supporting evidence is a stated guess (option A).
"""

from __future__ import annotations

from amuse_tasks.evidence import Evidence
from amuse_tasks.models.episode import Episode
from amuse_tasks.tasks import PERCEPTION

PLANS = {
    "avsa": "Find the faces, check which face's lips move during the quoted span, and map that face to a person by seat.",
    "nsp": "Look at who spoke and at the faces just before the cut: someone who opens their mouth without speaking "
           "is about to take the turn.",
    "srid": "Find the face speaking during the quoted span, then where that face sits in the later scene.",
    "stg": "Find the matching speech in the transcript and voice segments, and report its times.",
    "csnl": "Read the transcript, find the earlier line that raises what the quoted line answers, then who said it "
            "and in which scene.",
    "avds": "Transcribe the dialogue, find who speaks when, and name the voices by the face whose lips move with them.",
}


class ToolEvidence(Evidence):
    """The rules' outputs fetched by tool calls in the episode: one round per ``fetch`` (each cue kind's tool
    over the whole clip, or ``within`` a span), one round per batch of lip-sync asks. A failed call reads as
    no output (an empty list, no reading)."""

    def __init__(self, record: dict, ep: Episode):
        super().__init__(record.get("query") or {}, record.get("people", []), record["options"] or [],
                         record["end"] - record["start"])
        self.ep = ep
        self.got: dict[str, list[dict]] = {}

    def call(self, calls: list[tuple[str, dict]]) -> list[dict | None]:
        """One round; each call's result, or None when it failed (or the step limit was hit)."""
        recs = self.ep.round(calls)
        return [r["result"] if r["ok"] else None for r in recs] + [None] * (len(calls) - len(recs))

    def fetch(self, *kinds: str, within: dict[str, tuple[float, float]] | None = None) -> None:
        todo = [k for k in kinds if k not in self.got]
        spans = [(within or {}).get(k, (0.0, self.duration)) for k in todo]
        results = self.call([(PERCEPTION[k].tool, {"start": round(a, 2), "end": round(b, 2)})
                             for k, (a, b) in zip(todo, spans)]) if todo else []
        for k, result in zip(todo, results):
            self.got[k] = (result or {}).get(PERCEPTION[k].result_key, [])

    @property
    def faces(self) -> list[dict]:
        return self.got.get("FC", [])

    @property
    def utterances(self) -> list[dict]:
        return self.got.get("TR", [])

    @property
    def segments(self) -> list[dict]:
        return self.got.get("VS", [])

    def lip_syncs(self, asks: list[tuple[str, float, float]]) -> list[dict | None]:
        return self.call([(PERCEPTION["LS"].tool, {"face_id": f, "start": round(a, 2), "end": round(b, 2)})
                          for f, a, b in asks])


class BaselinePolicy:
    """Writes plan, tool rounds, reflect and answer into an Episode."""

    def run(self, record: dict, prompt: str, ep: Episode, schemas: list[dict] | None = None) -> None:
        """The policy interface (as ``ChatPolicy``); the rules read the record's structured fields, not
        the prompt text, and call only the tools a task needs."""
        task = record["task"]
        ep.write(f"<plan>{PLANS[task]}</plan>")
        ev = ToolEvidence(record, ep)
        answer = self.answer(task, ev.supported(task), ev)
        ep.write(f"<reflect>{' '.join(ev.notes) or 'no evidence found'}</reflect>")
        ep.write(f"<answer>{answer}</answer>")

    @staticmethod
    def answer(task: str, supported, ev: Evidence) -> str:
        """The reply's wording of what the evidence supports."""
        if task == "stg":
            return "Answer: " + (", ".join(f"{a:.2f}-{b:.2f}" for a, b in supported) if supported else "none")
        if task == "avds":
            return supported or "No speech was found."
        if supported is None:
            ev.notes.append("No option matches the evidence; guessing A.")
        letter = supported or "A"
        if task != "csnl":
            return f"Answer: {letter}"
        if ev.story is None:
            return f"{letter}. No evidence."
        person, scene, text = ev.story
        return f'Answer: {letter}. {person} raised it in scene {scene}: "{text}".'
