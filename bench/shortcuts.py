"""Shortcut audit of AMUSE-Synth: guessers that use no real multi-speaker understanding, beside
chance and beside the rule baseline with oracle (and, with ``--offline``, offline) tools.

Every guesser answers a choice record from one kind of shortcut only, or abstains:
- ``text:first`` / ``text:longest`` / ``text:overlap``: the question and options alone (position,
  length, words shared with the question).
- ``cue:letter-order``: the oracle cues without linking faces to people: the speaking face's
  letter read as a seat rank (FACE_A = 1st from the left), the leak of left-to-right lettering.
- ``artefact:yellow``: drawn marks (AMUSE-Synth 1.0 framed the next speaker in yellow): the person
  whose seat shows the most saturated yellow pixels near the asked time.
- ``template:csnl``: the first transcript line worded like a raised problem, its scene, and "same
  voice as the payoff line -> the payoff speaker".
- ``hedge``: replies that name no single option ("It is not A.", all letters), through the
  metric's own extractor.
An abstention counts 1/len(options) (its expected value under a random pick), so the table has
no sampling noise of its own. Usage: ``python -m bench.shortcuts --seed 101 --per-task 20 --tools "oracle|offline"``.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

import numpy as np

from amuse_tasks.cues import cue_source
from amuse_tasks.metrics.choice import extract_lenient
from amuse_tasks.metrics.task_answer import read_answer
from amuse_tasks.prompts import build_prompt
from amuse_tasks.schema import LETTERS, load_records
from amuse_tasks.tasks import TASKS

CHOICE_TASKS = [t for t in TASKS if TASKS[t].is_choice]
_SPAN = re.compile(r"from (\d+(?:\.\d+)?) s to (\d+(?:\.\d+)?) s")
_QUOTE = re.compile(r'"(.+?)"')
_RANK = re.compile(r"(\d+)(?:st|nd|rd|th) from the left")
_PROBLEM_WORDING = re.compile(r"^(one problem though|before i forget|oh, and|just so you know|there is a snag|i heard that)",
                              re.IGNORECASE)


def _option_of_person(record: dict, person: str | None) -> str | None:
    for i, opt in enumerate(record["options"]):
        if person is not None and (opt == person or opt.startswith(f"{person},")):
            return LETTERS[i]
    return None


def text_first(record, root):
    return "A"


def text_longest(record, root):
    return LETTERS[max(range(len(record["options"])), key=lambda i: len(record["options"][i]))]


def text_overlap(record, root):
    q = set(re.findall(r"[a-z0-9]+", record["question"].lower()))
    return LETTERS[max(range(len(record["options"])),
                       key=lambda i: len(set(re.findall(r"[a-z0-9]+", record["options"][i].lower())) & q))]


def _asked_span(record) -> tuple[float, float]:
    dur = record["end"] - record["start"]
    m = _SPAN.search(record["question"])
    if record["task"] == "nsp" or not m:
        return max(0.0, dur - 1.5), dur
    return float(m.group(1)), float(m.group(2))


def cue_letter_order(record, root):
    """The face with the highest oracle lip-sync score in the asked span, its letter taken as a seat rank."""
    if record["task"] == "csnl":
        return None
    cues = cue_source("oracle").cues(record, root)
    a, b = _asked_span(record)
    scores: dict[str, float] = {}
    for ls in cues["LS"]:
        scores[ls["face"]] = scores.get(ls["face"], 0.0) + ls["score"] * max(0.0, min(b, ls["end"]) - max(a, ls["start"]))
    if not scores or max(scores.values()) <= 0:
        return None
    rank = LETTERS.index(max(scores, key=scores.get).split("_")[1]) + 1
    if record["task"] == "srid":
        for i, opt in enumerate(record["options"]):
            m = _RANK.search(opt)
            if m and int(m.group(1)) == rank:
                return LETTERS[i]
        return None
    person = next((p["label"] for p in record["people"] if (m := _RANK.search(p.get("description", "")))
                   and int(m.group(1)) == rank), None)
    return _option_of_person(record, person)


def artefact_yellow(record, root):
    """The person whose seat region holds the most saturated yellow pixels in the asked span."""
    if record["task"] not in ("avsa", "nsp"):
        return None
    from amuse_tasks.media import read_video

    a, b = _asked_span(record)
    frames, times = read_video(Path(root) / record["video"], record["start"] + a, record["start"] + b, num_frames=6)
    best, who = 0, None
    for track in record.get("faces", []):
        for frame, t in zip(frames, times):
            box = next((x["box"] for x in track["boxes"] if x["start"] <= t < x["end"]), None)
            if box is None:
                continue
            x, y, w, h = box
            region = frame[max(0, y - h // 2): y + 2 * h, max(0, x - w // 2): x + w + w // 2].astype(int)
            yellow = int(((region[..., 0] > 200) & (region[..., 1] > 170) & (region[..., 2] < 90)).sum())
            if yellow > best:
                best, who = yellow, track["person"]
    return _option_of_person(record, who) if best > 20 else None


def template_csnl(record, root):
    if record["task"] != "csnl":
        return None
    cues = cue_source("oracle").cues(record, root)
    raised = [u for u in cues["TR"] if _PROBLEM_WORDING.match(u["text"].strip())]
    quote = _QUOTE.search(record["question"])
    payoff = next((u for u in cues["TR"] if quote and u["text"] == quote.group(1)), None)
    if not raised or payoff is None:
        return None
    first = raised[0]
    scene = 1 + sum(1 for s in record["scenes"][1:] if s["start"] - record["start"] <= first["start"])
    payoff_speaker = next((p["label"] for p in record["people"] if f" {p['label']} says" in record["question"]), None)
    if first["voice"] == payoff["voice"]:
        return _option_of_person(record, payoff_speaker) if f"{payoff_speaker}, in scene {scene}" in record["options"] \
            else None
    others = [i for i, o in enumerate(record["options"]) if o.endswith(f"scene {scene}") and not o.startswith(f"{payoff_speaker},")]
    return LETTERS[others[0]] if len(others) == 1 else None


def hedge(record, root):
    gold = record["answer"]
    return extract_lenient(f"It is not {gold}.", len(record["options"]), record["options"]) or \
        extract_lenient(" ".join(f"({x})" for x in LETTERS[:len(record["options"])]), len(record["options"]))


GUESSERS = {"text:first": text_first, "text:longest": text_longest, "text:overlap": text_overlap,
            "cue:letter-order": cue_letter_order, "artefact:yellow": artefact_yellow, "template:csnl": template_csnl,
            "hedge": hedge}


def baseline(record, root, tools: str, cache) -> str | None:
    """The rule baseline (``amuse-agent policy=baseline``) with the given tools; its extracted letter."""
    from amuse_tasks.schema import ROOT_KEY
    from amuse_tasks.models.baseline_policy import BaselinePolicy
    from amuse_tasks.models.episode import Episode
    from amuse_tasks.tools import Toolbox

    ep = Episode(Toolbox.for_record(record, root, backends=tools, cache=cache))
    BaselinePolicy().run({**record, ROOT_KEY: str(root)}, build_prompt(record, "agentic"), ep)
    return read_answer(record["task"], ep.transcript(), record["options"], mode="agentic").letter


def score(letter: str | None, record: dict) -> float:
    return 1.0 / len(record["options"]) if letter is None else float(letter == record["answer"])


def audit(root: Path, tools: tuple[str, ...] = ("oracle",), cache=None) -> dict:
    """{row name: {task: accuracy}} plus ``chance``, over the choice records of a dataset."""
    records = [r for r in load_records(root).records if r["task"] in CHOICE_TASKS]
    rows: dict[str, dict[str, list[float]]] = {"chance": {}}
    for r in records:
        rows["chance"].setdefault(r["task"], []).append(1.0 / len(r["options"]))
        for name, guess in GUESSERS.items():
            rows.setdefault(name, {}).setdefault(r["task"], []).append(score(guess(r, root), r))
        for t in tools:
            rows.setdefault(f"baseline, {t} tools", {}).setdefault(r["task"], []).append(
                score(baseline(r, root, t, cache), r))
    return {name: {task: float(np.mean(v)) for task, v in per.items()} for name, per in rows.items()}


def main(argv: list[str] | None = None) -> None:
    from bench.measure import md_table, write

    from amuse_tasks.synth.dataset import build_dataset

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=101, help="a seed other than the default set's (0)")
    ap.add_argument("--per-task", type=int, default=20)
    ap.add_argument("--tools", default="oracle",
                    help="tool specs for the baseline rows, separated by '|' (e.g. 'oracle|offline': the offline "
                         "tools take minutes)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "synth"
        build_dataset(root, seed=args.seed, per_task=args.per_task)
        table = audit(root, tuple(args.tools.split("|")), cache=Path(tmp) / "tools")
    rows = [[name] + [table[name].get(t, float("nan")) for t in CHOICE_TASKS] for name in table]
    md = (f"AMUSE-Synth seed {args.seed}, {args.per_task} records per task; accuracy (abstention = 1/options). "
          "Every shortcut should sit near chance; the oracle-tool baseline shows the set is solvable.\n\n"
          + md_table(["guesser"] + CHOICE_TASKS, rows))
    write("shortcuts", "Shortcut audit of AMUSE-Synth", vars(args), table, md)


if __name__ == "__main__":
    main()
