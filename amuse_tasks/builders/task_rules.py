"""Rule-based construction of AMUSE samples from speaker segments; deterministic by seed.

The rules (also in the README):

Clips.  A *window clip* is a stretch of one recording that starts at a turn start and ends at a
turn end, 10-50 s long (``min_clip``/``max_clip``), with at least two speakers and no silence
longer than 8 s (``max_gap``); windows are taken greedily from the start of the recording and
do not overlap.  ``srid`` and ``csnl`` cut *scene clips*: two or three excerpts of the recording joined in one file, 10-50 s in all.
Every record starts at 0 of its clip file, so clip seconds = window seconds = file seconds.

People.  A person can be an option only if the clip identifies them: a visible face (described
by its position in the frame), a static description from the corpus (e.g. an AMI role), or,
for a voice only, another utterance of theirs in the clip ("the voice that says ... at a-b s");
the utterance a question is about is never used as its own anchor.

Per window clip, at most one record per task:
- ``avsa``: a turn >= 1 s whose time is at most 50 % overlapped by other speakers (with text
  when the recording has a transcript); options: its speaker and up to 3 other identifiable
  people of the clip.
- ``nsp``: a turn ending >= 5 s into the clip after which another speaker starts within 3 s,
  with nobody speaking across the cut; the record ends at that turn's end; options: the next
  speaker (identifiable before the cut) and up to 3 other people identifiable before the cut.
- ``stg``: with a transcript, a turn of >= 3 words and >= 1 s whose text is unique in the
  clip: "when does P say ...", answer its span; without one, "when does P speak", answer the
  union of P's turns, only for people identified by face or description (a voice anchor would
  give one answer away).
- ``avds``: reference = the corpus's summary sentences linked to the window (AMI), else an
  extractive template (each speaker's longest utterance, marked in ``meta.reference``); needs
  two speakers with text.
Scene clips, at most ``per_recording`` each:
- ``srid``: scene 1 = one clean turn (>= 1.5 s, no overlap) of person X; scene 2 = a later
  window >= 20 s after it in the source, where X and at least one other person each have a
  clean turn >= 1 s; options: "the person speaking at a-b s", one per person of scene 2.
- ``csnl``: three excerpts (4-15 s, >= 5 s apart in the source, with text) shown in a shuffled
  order that is never the true one; options: the true chronological order and up to 3 other
  orders.
Randomness (which candidate, distractors, option order) comes from ``random.Random`` seeded with
the build seed, the recording id, the clip and the task: the same inputs give the same dataset.

Code: ``clip_plan`` (config, clip plans, the record skeleton), ``clip_geometry`` (cutting spans,
overlap, windows), ``people`` (who a clip identifies), ``window_tasks`` and ``scene_tasks`` (the
record makers); this module joins them.
"""

from __future__ import annotations

from amuse_tasks.builders.clip_plan import BuildConfig, ClipPlan
from amuse_tasks.builders.conversation import Recording
from amuse_tasks.builders.scene_tasks import csnl_clips, srid_clips
from amuse_tasks.builders.window_tasks import window_clips


def plan_recording(rec: Recording, cfg: BuildConfig, corpus: str) -> list[ClipPlan]:
    """All clips and records the rules derive from one recording."""
    plans = window_clips(rec, cfg, corpus)
    if "srid" in cfg.tasks:
        plans += srid_clips(rec, cfg, corpus)
    if "csnl" in cfg.tasks:
        plans += csnl_clips(rec, cfg, corpus)
    return plans
