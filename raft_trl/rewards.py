"""RAFT reward functions, one per check, with TRL's signature ``f(prompts, completions, **columns) -> list``.

Label-free: each perceptual function checks the claims a candidate makes against the perception
outputs of its clip, the cue dict in the ``cues`` column (JSON, window seconds; tool cues by
default, oracle cues only when the training run asks for them, see ``raft_trl.data``), and
``consistency`` checks the final answer against what those cues support. No function but the
opt-in ``accuracy`` reads a label.

What counts as a claim (per clause: a line or a sentence, tool responses removed):
- it commits to who and/or when: a face or voice label together with a span, a voice with a face,
  or a quote of three or more words attributed to a voice or a face;
- it is the model's own: a clause that restates the prompt (most of its word trigrams, or the
  whole clause, found in the prompt: an echo of the cues, the transcript or the question, also
  with small changes) is no claim.
Each claim's agreement a in [0, 1] scores 2a - 1, so a wrong claim costs what a right one earns,
and a function's reward is the mean over the candidate's claims; a candidate with no claim of
that kind gets 0 (neutral; TRL sums None as 0 anyway when other functions are set). Blanket
claims ("every face speaks everywhere") average to about 0 or below, never above a correct,
specific claim.
- ``sync``: a face label with a time span ("FACE_B speaks at 3.0-4.5") -> time-weighted lip-sync
  score of that face in the span.
- ``face``: a voice label with a face label ("VOICE_1 is FACE_B") -> 1 when that face has the
  highest lip-sync score during the voice's segments, else 0.
- ``speech``: an attributed quote ('VOICE_1 says "..."') -> 1 - WER against the closest words of
  that voice (or of the voice that face lip-syncs with) in the transcript.
- ``diarization``: a voice label with a span -> IoU of the span with that voice's segments
  overlapping it.
- ``consistency``: the final answer (the evaluation's extraction: ``<answer>``, else the last
  ``Answer:`` line) against the answer the cues support (``amuse_tasks.evidence.CueEvidence``, the
  rule baseline's evidence): choices +1 for the supported letter, -1 for another or none; spans
  2 tIoU - 1 with the named person's speech; summaries 2 F1 - 1 of who-said-what pairs. None when
  the cues support no answer (e.g. ``nsp``: no LS entry covers the silence before the cut).
- ``tool_use`` (agentic rollouts, where TRL's tool environment ran the calls): the share of calls that
  ran and of the task's expected tools called; -1 for a ``<tool_response>`` the model wrote itself.
- ``format``: agentic rows: one closed <answer>, after a <reflect>, and no hand-written <tool_response>
  (the calls themselves go through the chat template and ``tool_use``); other modes: the
  final answer has the task's form (one letter by the strict rule for choices, a span for
  intervals; a list of options, or a letter only inside a tool call, is no answer), in [0, 1].
- ``accuracy`` (opt-in, reads the label): the answer against the record's label (choice: exact
  letter; intervals: tIoU; free text: None).

A reply that ``max_completion_length`` cut before its end (the trainer's ``truncated`` column, TRL's own test:
no EOS at the end) has no final answer for ``format``, ``consistency`` and ``accuracy``: the evaluation reads what it
would go on to say, not the prefix (measured: crediting "A. 1st from the left," taught SmolLM2 to list the options,
a parse failure in lm-eval). Its claims still count for the perceptual functions.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from amuse_tasks.evidence import CueEvidence, lip_sync_mean
from amuse_tasks.intervals import union
from amuse_tasks.metrics.speaker_f1 import speaker_f1
from amuse_tasks.metrics.task_answer import TaskAnswer, read_answer
from amuse_tasks.metrics.temporal import parse_intervals, tiou
from amuse_tasks.metrics.wer import wer
from amuse_tasks.tasks import TASKS
from raft_trl.echo import restates

VOICE = re.compile(r"\bVOICE_\d+\b")
FACE = re.compile(r"\bFACE_(?:[A-Z]|\d+)\b")
QUOTE = re.compile(r"\"([^\"\n]+)\"|“([^”\n]+)”")
_CLAUSE = re.compile(r"\n+|(?<=[.!?;])\s+(?=[A-Z\"“(<])")
_NOT_CLAIMS = re.compile(r"<tool_response>.*?</tool_response>|<tool_call>.*?</tool_call>|<trace>.*?</trace>", re.DOTALL)


def _text(completion) -> str:
    """The model's own text: TRL passes strings (plain prompts) or message lists (conversational prompts; in
    tool rollouts the tool messages between the model's turns are the tools' words, not the model's)."""
    if isinstance(completion, str):
        return completion
    return "".join(_content_text(m.get("content")) for m in completion if isinstance(m, dict) and m.get("role") != "tool")


def _content_text(content) -> str:
    """A message's text: a string, or the text parts of a multimodal content list (audio/video parts have none)."""
    if isinstance(content, list):
        return "".join(c.get("text") or "" for c in content if isinstance(c, dict) and c.get("type") == "text")
    return content or ""


@lru_cache(maxsize=512)
def _cues(cues_json: str | None) -> dict:
    return json.loads(cues_json) if cues_json else {}


def clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(_NOT_CLAIMS.sub(" ", text)) if c.strip()]


def own_clauses(text: str, prompt_text: str) -> list[str]:
    """The candidate's clauses that do not restate its prompt (cues, transcript, question)."""
    return [c for c in clauses(text) if not restates(c, prompt_text)]


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def lip_sync_score(cues: dict, face: str, start: float, end: float) -> float:
    """Time-weighted mean LS score of a face over a span; 0 when no LS entry of that face overlaps it."""
    return lip_sync_mean(cues.get("LS", []), face, [(start, end)]) or 0.0


def voice_face(cues: dict) -> dict[str, str]:
    """Each voice's face: the highest time-weighted LS score over the voice's segments."""
    out = {}
    faces = {i["face"] for i in cues.get("LS", [])}
    voices: dict[str, list[tuple[float, float]]] = {}
    for seg in cues.get("VS", []) or cues.get("TR", []):
        voices.setdefault(seg["voice"], []).append((seg["start"], seg["end"]))
    for voice, spans in voices.items():
        best, best_score = None, 0.0
        for face in sorted(faces):
            score = lip_sync_mean(cues["LS"], face, spans)
            if score is not None and score > best_score:
                best, best_score = face, score
        if best is not None:
            out[voice] = best
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _speech_score(quote: list[str], items: list[dict]) -> float:
    best = 1.0
    n = len(quote)
    for item in items:
        words = _words(item.get("text", ""))
        windows = [words] + [words[i:i + n] for i in range(max(len(words) - n + 1, 0))]
        best = min([best] + [wer(w, quote) for w in windows])
    return max(0.0, 1.0 - best)


def _score_each(prompts, completions, cues_column, scorer) -> list[float]:
    """Mean of 2a - 1 over the candidate's own claims (a = agreement in [0, 1]); 0 without a claim."""
    prompts = prompts if prompts is not None else [""] * len(completions)
    out = []
    for prompt, completion, cues_json in zip(prompts, completions, cues_column):
        agreements = scorer(own_clauses(_text(completion), _text(prompt)), _cues(cues_json))
        out.append(sum(2.0 * a - 1.0 for a in agreements) / len(agreements) if agreements else 0.0)
    return out


def sync(completions, cues, prompts=None, **kwargs) -> list[float]:
    """Lip-sync score of each claimed face in each claimed span."""
    def score(own, c):
        if not c.get("LS"):
            return []
        return [lip_sync_score(c, f, s, e) for cl in own for f in FACE.findall(cl) for s, e in parse_intervals(cl)]
    return _score_each(prompts, completions, cues, score)


def face(completions, cues, prompts=None, **kwargs) -> list[float]:
    """Claimed voice-face pairs against the lip-sync association of the cues."""
    def score(own, c):
        owner = voice_face(c) if c.get("LS") else {}
        return [float(owner[v] == f) for cl in own for v in VOICE.findall(cl) if v in owner for f in FACE.findall(cl)]
    return _score_each(prompts, completions, cues, score)


def speech(completions, cues, prompts=None, **kwargs) -> list[float]:
    """1 - WER of each attributed quote (three words or more) against that speaker's transcript words."""
    def score(own, c):
        if not c.get("TR"):
            return []
        face_of = voice_face(c) if c.get("LS") else {}
        out = []
        for cl in own:
            who = set(VOICE.findall(cl)) | {v for v, f in face_of.items() if f in FACE.findall(cl)}
            for a, b in QUOTE.findall(cl):
                quote = _words(a or b)
                if len(quote) >= 3 and who:
                    out.append(_speech_score(quote, [i for i in c["TR"] if i.get("voice") in who]))
        return out
    return _score_each(prompts, completions, cues, score)


def diarization(completions, cues, prompts=None, **kwargs) -> list[float]:
    """IoU of each claimed (voice, span) with that voice's segments overlapping the span."""
    def score(own, c):
        segs = c.get("VS") or []
        if not segs:
            return []
        out = []
        for cl in own:
            for v in VOICE.findall(cl):
                for s, e in parse_intervals(cl):
                    mine = [(g["start"], g["end"]) for g in segs
                            if g["voice"] == v and _overlap(s, e, g["start"], g["end"]) > 0]
                    out.append(tiou([(s, e)], union(mine)) if mine else 0.0)
        return out
    return _score_each(prompts, completions, cues, score)


def _answer(completion, mode: str, task: str, options, cut: bool = False) -> TaskAnswer:
    """The answer of a completion, as the evaluation reads it; tool blocks are never an answer, and neither is a
    reply that ``max_completion_length`` cut (``cut``): the evaluation, with its own budget and stop sequences,
    reads what such a reply goes on to say ("A. 1st from the left," becomes a list of options), not this prefix."""
    if cut:
        return TaskAnswer(None)
    return read_answer(task, _text(completion), list(options or []), mode=mode)


def _cuts(truncated, n: int) -> list[bool]:
    """The trainer's per-row ``truncated`` flags (``trl_compat.GRPOHooks``); none cut when called without them."""
    return [bool(t) for t in truncated] if truncated is not None else [False] * n


def format(completions, mode, task, options, truncated=None, **kwargs) -> list[float]:  # noqa: A001 - the reward's name
    """Agentic: share of the structure checks that pass; other modes: 1 when the final answer has the task's form."""
    out = []
    for completion, m, t, opts, cut in zip(completions, mode, task, options, _cuts(truncated, len(completions))):
        text = _text(completion)
        if cut:
            out.append(0.0)
            continue
        if m == "agentic":  # tool rollouts: the calls are the chat template's; the text reflects, then answers
            reflect, answer = text.find("<reflect>"), text.find("<answer>")
            checks = [text.count("<answer>") == 1 and "</answer>" in text,
                      0 <= reflect < answer and "</reflect>" in text,
                      "<tool_response>" not in text]  # a tool result the model wrote itself
            out.append(sum(checks) / len(checks))
            continue
        answer = _answer(completion, m, t, opts)
        spec = TASKS[t]
        if spec.is_choice:
            ok = answer.strict is not None
        elif spec.is_intervals:
            ok = bool(answer.intervals)
        else:
            ok = len(_words(answer.text or "")) >= 5
        out.append(float(ok))
    return out


def consistency(completions, mode, task, options, cues, question_facts, truncated=None, **kwargs) -> list[float | None]:
    """The final answer against the answer the row's cues support (never the label); None without evidence."""
    out = []
    for completion, m, t, opts, cues_json, facts_json, cut in zip(completions, mode, task, options, cues, question_facts,
                                                                   _cuts(truncated, len(completions))):
        facts = json.loads(facts_json) if facts_json else {}
        evidence = CueEvidence(_cues(cues_json), facts.get("query") or {}, facts.get("people") or [], list(opts or []),
                               float(facts.get("duration") or 0.0))
        supported = evidence.supported(t)
        if supported is None:
            out.append(None)
            continue
        answer = _answer(completion, m, t, opts, cut)
        spec = TASKS[t]
        if spec.is_choice:
            agree = float(answer.letter == supported)
        elif spec.is_intervals:
            agree = tiou(list(answer.intervals), supported)
        else:
            agree = speaker_f1(answer.text, supported, [p["label"] for p in facts.get("people") or []])
        out.append(2.0 * agree - 1.0)
    return out


def tool_use(completions, mode, task, environments=None, **kwargs) -> list[float | None]:
    """Agentic rollouts (TRL's tool environments): how the calls went, in [-1, 1]. The mean of the share of
    calls that ran (no error) and the share of the task's expected tools called, mapped to 2x - 1; -1 when the
    model wrote a ``<tool_response>`` itself. None for rows without an environment (other modes)."""
    out = []
    envs = environments or [None] * len(completions)
    for completion, m, t, env in zip(completions, mode, task, envs):
        calls = getattr(env, "calls", None)
        if m != "agentic" or calls is None:
            out.append(None)
            continue
        if "<tool_response>" in _text(completion):
            out.append(-1.0)
            continue
        valid = sum(c["ok"] for c in calls) / len(calls) if calls else 0.0
        expected = TASKS[t].expected_tools
        covered = len({c["name"] for c in calls if c["ok"]} & expected) / len(expected)
        out.append(valid + covered - 1.0)
    return out


def accuracy(completions, mode, task, options, answer, truncated=None, **kwargs) -> list[float | None]:
    """Task accuracy from the label: choice letter (lenient extraction), tIoU for intervals, None for text."""
    out = []
    for completion, m, t, opts, ans, cut in zip(completions, mode, task, options, answer, _cuts(truncated, len(completions))):
        answer, label = _answer(completion, m, t, opts, cut), json.loads(ans)
        spec = TASKS[t]
        if spec.is_choice:
            out.append(float(answer.letter == label))
        elif spec.is_intervals:
            out.append(tiou(list(answer.intervals), [tuple(iv) for iv in label]))
        else:
            out.append(None)
    return out


REWARDS = {"format": format, "consistency": consistency, "sync": sync, "face": face, "speech": speech,
           "diarization": diarization, "tool_use": tool_use, "accuracy": accuracy}
DEFAULT_REWARDS = ["format", "consistency", "sync", "face", "speech", "diarization"]


def reward_functions(names: list[str]) -> list:
    unknown = [n for n in names if n not in REWARDS]
    if unknown:
        raise ValueError(f"unknown reward function(s) {unknown} (one of {', '.join(REWARDS)})")
    return [REWARDS[n] for n in names]
