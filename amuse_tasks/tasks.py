"""The one table of AMUSE task facts.

Task YAMLs, prompts, metrics, tools and docs read these values; nothing else restates them.
"""

from __future__ import annotations

from dataclasses import dataclass

MODES = ("zeroshot", "guided", "agentic")
TOOL_NAMES = ("transcribe", "diarize", "track_faces", "lip_sync", "vad", "face_crop")  # every tool an agent can call


@dataclass(frozen=True)
class PerceptionOutput:
    """One perception output under each name it has: the cue kind of guided prompts and cue files, the
    agent's tool, the backend kind of a tools spec (``asr=faster-whisper``) and the list in the tool's result."""

    cue: str
    tool: str
    backend_kind: str
    result_key: str | None  # lip_sync answers one reading per call, no list


PERCEPTION = {p.cue: p for p in (
    PerceptionOutput("TR", "transcribe", "asr", "utterances"),
    PerceptionOutput("VS", "diarize", "diarize", "segments"),
    PerceptionOutput("FC", "track_faces", "faces", "faces"),
    PerceptionOutput("LS", "lip_sync", "lipsync", None),
)}
CUE_KINDS = tuple(PERCEPTION)

# The modality ablation, the same in every mode: what removing a modality takes away. Lip sync needs both.
DROPPABLE = ("audio", "video")
DROPPED_TOOLS = {"audio": ("transcribe", "diarize", "lip_sync", "vad"), "video": ("track_faces", "lip_sync", "face_crop")}
DROPPED_CUES = {"audio": ("TR", "VS", "LS"), "video": ("FC", "LS")}


def parse_drop(drop: str | list | tuple | None) -> tuple[str, ...]:
    """``"audio"``, ``"video"``, ``"audio+video"`` (or a list) -> the removed modalities, in canonical order."""
    parts = set(drop) if isinstance(drop, (list, tuple)) else {p for p in (drop or "").replace(",", "+").split("+") if p}
    unknown = parts - set(DROPPABLE)
    if unknown:
        raise ValueError(f"drop={drop!r}: unknown modality {sorted(unknown)} (one of {', '.join(DROPPABLE)})")
    return tuple(m for m in DROPPABLE if m in parts)


@dataclass(frozen=True)
class TaskSpec:
    id: str
    name: str
    answer_format: str  # "choice" | "intervals" | "text" | "choice+rationale"
    default_cues: tuple[str, ...]
    expected_tools: frozenset[str]
    question: str  # what the question asks, one line, for docs
    judge_metric: str | None = None  # the optional LLM-judge score (0-10) of this task, if it has one

    @property
    def is_choice(self) -> bool:
        return self.answer_format.startswith("choice")

    @property
    def is_intervals(self) -> bool:
        return self.answer_format == "intervals"

    @property
    def is_text(self) -> bool:
        """A free-text answer (a summary): scored on everything after the answer marker."""
        return self.answer_format == "text"


TASKS: dict[str, TaskSpec] = {
    t.id: t
    for t in (
        TaskSpec(
            "avds", "Audio-Visual Dialogue Summarization", "text",
            ("TR", "VS", "FC"), frozenset({"transcribe", "diarize"}),
            "summarize the dialogue, attributing content to speakers", judge_metric="judge_score",
        ),
        TaskSpec(
            "avsa", "Audio-Visual Speaker Association", "choice",
            ("TR", "VS", "FC", "LS"), frozenset({"transcribe", "track_faces", "lip_sync"}),
            "which visible person said a quoted utterance",
        ),
        TaskSpec(
            "nsp", "Next Speaker Prediction", "choice",
            ("TR", "VS", "FC"), frozenset({"diarize", "track_faces"}),
            "the clip stops at the end of a turn; who speaks next",
        ),
        TaskSpec(
            "srid", "Speaker Re-Identification", "choice",
            ("VS", "FC", "LS"), frozenset({"diarize", "track_faces"}),
            "which person in a later segment is the same speaker",
        ),
        TaskSpec(
            "stg", "Speaker Temporal Grounding", "intervals",
            ("TR", "VS", "LS"), frozenset({"diarize", "transcribe"}),
            "when does a given person say a given thing",
        ),
        TaskSpec(
            "csnl", "Cross-Scene Narrative Linking", "choice+rationale",
            ("TR", "FC"), frozenset({"transcribe"}),
            "a causal or temporal link between scenes of the same story", judge_metric="judge_coherence",
        ),
    )
}

TASK_IDS = tuple(TASKS)


def task_name(task: str, mode: str) -> str:
    """lm-eval task name, e.g. ``amuse_avsa_guided``."""
    if task not in TASKS or mode not in MODES:
        raise KeyError(f"unknown AMUSE task/mode: {task!r}/{mode!r}")
    return f"amuse_{task}_{mode}"


ALL_TASK_NAMES = tuple(task_name(t, m) for t in TASK_IDS for m in MODES)
