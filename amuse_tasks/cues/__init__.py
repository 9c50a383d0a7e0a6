"""Guided-mode perception cues (TR / VS / FC / LS): built from a record, and rendered as text.

Time base (decided once, here): every time in a cue dict and in prompt text is in seconds from
the start of the sample window, i.e. ``record["start"]`` is 0.  Ground truth in a record
(``segments``, ``faces``) is in file seconds; the tools (the ``oracle`` ones too) shift and clip it to the window.

Labels are anonymous on purpose (VOICE_1.., FACE_A..): voices numbered by first appearance in the
window, face letters in a salted hash order (``tools.labels``), so a model must still link voices
to faces to people, and no letter tells a seat.

One module per job: ``source`` (which cues: the spellings, their label use, computing and caching),
``from_tools`` (the perception tools; ground truth is their ``oracle`` backends), ``cache`` (cue files on disk),
``render`` (cues as prompt text).
"""

from amuse_tasks.cues.cache import CUES_DIR, read_tool_cues, tool_cues_path
from amuse_tasks.cues.from_tools import tool_cues
from amuse_tasks.cues.render import CUE_TITLES, RENDERINGS, question_ranges, render_compact_cues, render_cues
from amuse_tasks.cues.source import CUES_ENV, DEFAULT_CUES, NAMED_SOURCES, CueSource, cue_source, labelled

__all__ = ["CUES_DIR", "CUES_ENV", "CUE_TITLES", "CueSource", "DEFAULT_CUES", "NAMED_SOURCES", "RENDERINGS",
           "cue_source", "labelled", "question_ranges", "read_tool_cues", "render_compact_cues",
           "render_cues", "tool_cues", "tool_cues_path"]
