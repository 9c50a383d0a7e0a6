"""Task x mode -> prompt text: the one place evaluation (lm-eval) and training (RAFT) both use.

Every prompt names the clip id (lm-eval's cache key is the request text), the people by the
labels answers must use, the question, the options, and the answer format of the task table.
Times are seconds from the start of the sample window (see ``amuse_tasks.cues``).

- ``zeroshot``: the model gets the media itself (video frames + audio) beside this text.
- ``guided``: perception cues rendered as text plus step-by-step instructions; text only.
- ``agentic``: the model gets the media through tools; the tagged protocol is in
  ``agent_system_prompt`` (tool signatures and an example call, nothing about which to use).
"""

from __future__ import annotations

import json

from amuse_tasks.cues import RENDERINGS, render_compact_cues, render_cues
from amuse_tasks.schema import LETTERS
from amuse_tasks.tasks import DROPPED_CUES, MODES, TASKS

ANSWER_FORMATS = {
    "choice": "Reply with the letter of exactly one option, in the form 'Answer: X'.",
    "choice+rationale": ("Reply with the letter of exactly one option, then one sentence of rationale, "
                         "in the form 'Answer: X. <rationale>'."),
    "intervals": ("Reply with the time span(s) in seconds from the clip start, several spans separated by "
                  "commas, in the form 'Answer: START-END'."),
    "text": ("Reply with a summary of the dialogue in 2-4 sentences that names who said what, using the "
             "people labels above."),
}

GUIDED_STEPS = {
    "avds": ("Read the transcript in time order.",
             "Link each voice to a person: a voice that speaks while a face is visible and speaking belongs "
             "to that face; use the people descriptions and face positions.",
             "Summarize the main points of the dialogue, saying which person said each one."),
    "avsa": ("Find the quoted utterance in the transcript and note its voice and time span.",
             "Look at the lip-sync scores of each face during that span; the highest score marks the speaker.",
             "Match that face to a person by position and description, then pick the option naming that person."),
    "nsp": ("Find the last turn before the clip ends and who spoke it.",
            "Use the turn order so far, and who the faces are oriented toward, to judge who takes the next turn.",
            "Pick the option naming the person most likely to speak next."),
    "srid": ("Find the voice segments and faces of the earlier segment the question refers to.",
             "Find the same voice in the later segment, and the face that is speaking (lip sync) while it is heard.",
             "Pick the option naming the person with that face in the later segment."),
    "stg": ("Find the voice that belongs to the person asked about (lip sync links voices to faces).",
            "Find that voice's utterances that match the question in the transcript.",
            "Report their start and end times."),
    "csnl": ("Split the transcript into the scenes the question refers to.",
             "Find what happens in each scene and how the events depend on each other (cause, order).",
             "Pick the option that states the link correctly and justify it in one sentence."),
}


def _header(record: dict) -> list[str]:
    dur = record["end"] - record["start"]
    lines = [f"Clip {record['clip_id']} ({dur:.1f} s; times are seconds from the start of this clip)."]
    people = record.get("people") or []
    if people:
        lines.append("People:")
        lines += [f"- {p['label']}" + (f": {p['description']}" if p.get("description") else "") for p in people]
    return lines


def _question(record: dict) -> list[str]:
    lines = [f"Question: {record['question']}"]
    options = record.get("options") or []
    if options:
        lines.append("Options:")
        lines += [f"{LETTERS[i]}. {o}" for i, o in enumerate(options)]
    return lines


AGENTIC_ANSWER = "When you have the tool results, give your final answer inside <answer>...</answer>."
AGENTIC_LAST = "First, call a tool."


def answer_instruction(task: str, mode: str) -> str:
    """The answer-format line of a task. Agentic answers go inside <answer>...</answer>, after the tool
    results, and the prompt ends by asking for a call: one whose last line is the answer format gets a
    bare answer from small models (Qwen2.5-Coder-0.5B: no call in 3 of 3 such prompts, a call in 2 of 3
    of these; ``bench/agent_models``)."""
    text = ANSWER_FORMATS[TASKS[task].answer_format]
    if mode == "agentic":
        text = f"{AGENTIC_ANSWER} {text}\n{AGENTIC_LAST}"
    return text


def build_prompt(record: dict, mode: str, *, cues: dict | None = None, rendering: str = "full",
                 drop: tuple[str, ...] = ()) -> str:
    """Prompt text of one record in one mode.

    cues: guided mode only, and required there: the cue dict to render (its task's default kinds),
    whose ``source`` is named in the prompt. Ground-truth cues are never a default: a caller who wants
    them asks for the ``oracle`` tools by name (``amuse_tasks.cues.cue_source('oracle').cues(record, root)``, source
    ``tools:oracle``).
    rendering: guided mode: ``full`` (default: every cue of the task's kinds, then the step-by-step
    instructions) or ``compact`` (``render_compact_cues``: only the ranges the question names, lip sync
    averaged per face; no step list).
    drop: guided mode: the modality ablation (``amuse_tasks.tasks.DROPPED_CUES``): the cue kinds of a removed
    modality are left out and the header says so. Zero-shot and agentic prompts are the same text under a drop
    (the media or the tools change, not the words).
    """
    if rendering not in RENDERINGS:
        raise ValueError(f"unknown rendering {rendering!r} (one of {', '.join(RENDERINGS)})")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of {', '.join(MODES)})")
    task = record.get("task")
    if task not in TASKS:
        raise ValueError(f"record {record.get('id')!r}: unknown task {task!r} (one of {', '.join(TASKS)})")
    lines = _header(record)
    if mode == "zeroshot":
        lines.append("Watch the video and listen to the audio of the clip, then answer.")
    elif mode == "guided":
        if cues is None:
            raise ValueError(f"record {record.get('id')!r}: a guided prompt needs its cues (e.g. "
                             "amuse_tasks.cues.cue_source('offline').cues(record, root), or cue_source('oracle') for the "
                             "labelled ground-truth ablation); there is no default")
        source = cues.get("source", "unknown")
        kinds = [k for k in TASKS[task].default_cues if not any(k in DROPPED_CUES[m] for m in drop)]
        removed = "".join(f"; {m} removed (ablation)" for m in drop)
        if rendering == "compact":
            lines += ["", f"Perception cues (source: {source}; only the times the question names{removed}):",
                      render_compact_cues(cues, record, kinds) if kinds else "(none)"]
        else:
            lines += ["", f"Perception cues (source: {source}{removed}):",
                      render_cues(cues, kinds) if kinds else "(none)", ""]
            lines.append("Work step by step:")
            lines += [f"{i}. {s}" for i, s in enumerate(GUIDED_STEPS[task], 1)]
    else:
        lines.append("You cannot see or hear the clip directly: use the tools to perceive it, then answer.")
    lines += ["", *_question(record), "", answer_instruction(task, mode)]
    return "\n".join(lines)


AGENT_PROTOCOL = """You answer questions about a multi-speaker video clip by calling perception tools.
Answer in tagged sections, in this order:
<plan>what you need to find out</plan>
then one or more tool calls, one per block, each as JSON:
<tool_call>{"name": "<tool name>", "arguments": {...}}</tool_call>
after each call you receive <tool_response>...</tool_response>;
then <reflect>what the results show</reflect>
and finally <answer>your answer</answer>.
Times are seconds from the start of the clip. Only the <answer> is scored."""

AGENT_PROTOCOL_NATIVE = """You answer questions about a multi-speaker video clip. You cannot see or hear it: call the \
perception tools to get transcripts, speaker turns, faces and lip sync.
Call tools first. After the results, write <reflect>what the results show</reflect> and finally <answer>your answer</answer>.
Times are seconds from the start of the clip. Only the <answer> is scored."""


def agent_system_prompt(tools: list[dict] | None = None, *, list_tools: bool = True) -> str:
    """System prompt of agentic mode: the tagged protocol and the tools offered, as signatures with
    their argument descriptions and one example call (``example_call``).

    list_tools=False: the backbone's chat template already lists the tools in its own format (``tools=``),
    so the prompt names neither the tools nor a call syntax that could contradict the template's."""
    if not list_tools:
        return AGENT_PROTOCOL_NATIVE
    from amuse_tasks.tools.schemas import TOOL_SCHEMAS  # the tools package is heavy; only agents need it

    tools = TOOL_SCHEMAS if tools is None else tools
    fns = [t["function"] for t in tools]
    lines = [f"- {f['name']}({', '.join(_signature(f['parameters']))}): {f['description']}" for f in fns]
    args = {n: p["description"] for f in fns for n, p in f["parameters"]["properties"].items() if "description" in p}
    listing = "\n".join(["Available tools:", *lines, "Arguments:", *(f"- {n}: {d}" for n, d in args.items())])
    return f"{AGENT_PROTOCOL}\n\n{listing}\nExample call: {example_call(fns[0]) if fns else '(no tools)'}"


def _signature(parameters: dict) -> list[str]:
    """``name: type`` of a schema's arguments, required first, optional ones marked."""
    props, required = parameters["properties"], parameters.get("required", [])
    names = [n for n in required if n in props] + [n for n in props if n not in required]
    return [f"{n}: {props[n].get('type', 'any')}" + ("" if n in required else " (optional)") for n in names]


def example_call(fn: dict) -> str:
    """One well-formed call of ``fn`` in the protocol's syntax, with placeholder values by type.

    The tools are listed as signatures, not as JSON schemas: given a schema, small models copy it as
    the call's arguments (Qwen2.5-Coder-0.5B wrote ``{"type": "object", "properties": ...}`` in its
    calls; bench/results/agent_models.md)."""
    props, numbers = fn["parameters"]["properties"], iter((0.0, 10.0, 20.0, 30.0))
    values = {n: next(numbers, 0.0) if p.get("type") == "number" else "..." for n, p in props.items()
              if n in fn["parameters"].get("required", props)}
    return f'<tool_call>{json.dumps({"name": fn["name"], "arguments": values})}</tool_call>'
