"""Scripted plots: who says what in which scene, with a summary clause per line.

A plot is written before any audio exists, so every answer (reference summary, who raised the
issue that a later line resolves, which quote belongs to whom) is known exactly.  Lines never
name or address a person, so the text of a question and its options says nothing about who
spoke: a model has to hear and see the clip.  The wording comes from a phrase bank with several
paraphrases per intent and slot, so no line identifies its role by a fixed template.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

NAMES = (
    "Maya", "Omar", "Lena", "Ivo", "Rosa", "Tariq", "Nina", "Felix", "Aiko", "Bruno",
    "Clara", "Dev", "Elsa", "Hugo", "Ines", "Jonas",
)

BACKCHANNELS = ("Yeah.", "Right.", "Okay.", "Mm hm.", "Sure.", "True.")

# Each topic: an event, slot values, and (problem, resolution) pairs that link scenes causally; a
# resolution refers back to its problem by a shared key word ("the permit"), as people do, and
# shares none with the topic's other problems (which a plot raises as unresolved distractors).
TOPICS = (
    {
        "event": "the street festival",
        "place": ("the town square", "the riverside park", "the old market hall"),
        "day": ("Friday", "Saturday", "next Sunday"),
        "item": ("the banners", "the sound system", "the food stalls", "the volunteer list", "the first aid tent", "the parking plan"),
        "links": (
            ("the permit has not arrived yet", "the city office approved the permit this morning"),
            ("two of the bands cancelled", "a jazz trio will replace the bands that cancelled"),
            ("the rain forecast looks bad", "we can borrow tents from the sports club in case of rain"),
        ),
    },
    {
        "event": "the website launch",
        "place": ("the staging server", "the new cloud account", "the office machine"),
        "day": ("Monday", "Wednesday", "the end of the month"),
        "item": ("the landing page", "the payment form", "the user manual", "the press note", "the search box", "the newsletter"),
        "links": (
            ("the login page crashes on phones", "the login crash came from an old script and the page is fixed"),
            ("the domain name expires soon", "the domain is renewed for three more years"),
            ("our designer is on leave", "a freelancer will cover for the designer and finish the icons"),
        ),
    },
    {
        "event": "the school trip",
        "place": ("the science centre", "the botanical garden", "the coastal fort"),
        "day": ("Thursday", "the first week of May", "the last Friday of term"),
        "item": ("the bus booking", "the lunch boxes", "the consent forms", "the first aid kit", "the worksheets", "the group photo"),
        "links": (
            ("the bus company raised its price", "the parents association will pay the higher bus price"),
            ("the museum is closed for repairs", "the museum reopens two days before our visit"),
            ("three students have food allergies", "the kitchen will pack separate lunches for the students with allergies"),
        ),
    },
    {
        "event": "the office move",
        "place": ("the third floor", "the building across the street", "the new east wing"),
        "day": ("the weekend", "the twelfth", "the start of next quarter"),
        "item": ("the packing boxes", "the network cables", "the seating plan", "the moving van", "the new desks", "the coffee machine"),
        "links": (
            ("the elevator is out of service", "the repair crew fixed the elevator yesterday"),
            ("nobody has the keys to the storage room", "the landlord sent a spare set of keys"),
            ("the movers only have one truck", "a second truck is free on Saturday after all"),
        ),
    },
    {
        "event": "the charity concert",
        "place": ("the church hall", "the university auditorium", "the harbour stage"),
        "day": ("the fourth of June", "a Saturday evening", "the holiday weekend"),
        "item": ("the ticket sales", "the posters", "the lighting", "the stage crew", "the programme booklet", "the sound check"),
        "links": (
            ("the piano is badly out of tune", "a tuner will fix the piano the morning of the concert"),
            ("the sponsor pulled out last week", "a local bakery offered to sponsor us instead"),
            ("the printer ruined the posters", "the copy shop reprinted the ruined posters for free"),
        ),
    },
    {
        "event": "the community garden",
        "place": ("the empty lot on Main Street", "the school yard", "the roof of the library"),
        "day": ("early spring", "the first dry weekend", "the end of March"),
        "item": ("the seeds", "the tool shed", "the watering schedule", "the compost bins", "the fence", "the sign at the gate"),
        "links": (
            ("the soil tested high for lead", "raised beds with clean soil solve the lead problem"),
            ("the water tap is broken", "the plumber replaced the tap on Monday"),
            ("someone took the wheelbarrow", "a neighbour borrowed the wheelbarrow and brought it back"),
        ),
    },
)

NUMBERS = ("forty", "sixty", "about eighty", "a hundred", "one hundred and fifty", "two hundred")

# (intent, text templates, summary clause with {S} for the speaker's label)
INTENTS = {
    "open": (("We need to settle the plans for {event}.", "So, the agenda today is {event}.",
              "Let us get started on {event}."), "{S} opened the discussion about {event}."),
    "propose": (("I suggest {place}, with the date set for {day}.", "What about {place}, and {day} for the date?",
                 "My idea is {place}, and {day} for the date."), "{S} suggested {place} and {day} as the date."),
    "counter": (("I would rather pick {place2}, it is easier to reach.",
                 "Honestly {place2} seems better to me.",), "{S} preferred {place2}."),
    "question": (("Who is going to handle {item}?", "Has anyone looked at {item} yet?",
                  "What is the plan for {item}?"), "{S} asked about {item}."),
    "offer": (("I can take care of {item}.", "Leave {item} to me, I have done it before.",
               "I will sort out {item} this week."), "{S} offered to handle {item}."),
    "concern": (("I am worried about the cost of {item}.", "Are we sure we can afford {item}?"),
                "{S} worried about the cost of {item}."),
    "reassure": (("The budget still covers that.", "We set money aside for exactly that."),
                 "{S} said the budget covers it."),
    "status": (("{Item} is almost ready.", "{Item} is done, by the way."),
               "{S} said {item} was nearly done."),
    "number": (("We should plan for {number} people.", "Last time we had {number} people."),
               "{S} said to plan for {number} people."),
    "agree": (("That works for me.", "Fine, let us do it that way.", "Good, I am on board."),
              "{S} agreed."),
    "setup": (("One problem though, {problem}.", "Before I forget, {problem}.", "Oh, and {problem}.",
               "Just so you know, {problem}.", "There is a snag, {problem}.", "I heard that {problem}."),
              "{S} warned that {problem}."),
    # a problem raised like the setup but never resolved: the setup's wording does not single it out
    "distractor": (("One problem though, {problem2}.", "Before I forget, {problem2}.", "Oh, and {problem2}.",
                    "Just so you know, {problem2}.", "There is a snag, {problem2}.", "I heard that {problem2}."),
                   "{S} warned that {problem2}."),
    "payoff": (("Good news about that issue, {resolution}.", "By the way, {resolution}.", "Quick update, {resolution}.",
                "You will be glad to hear {resolution}.", "Remember the trouble earlier? {Resolution}.",
                "It is sorted now, {resolution}."),
               "{S} reported that {resolution}."),

    "deadline": (("We have to confirm everything by {day}.", "The deadline for all of this is {day}."),
                 "{S} set {day} as the deadline."),
    "budget_q": (("How much money is left in the budget?", "Do we know what the budget is?"),
                 "{S} asked about the budget."),
    "budget_a": (("A bit over two thousand, last time I checked.", "Around fifteen hundred after the deposit."),
                 "{S} said what was left in the budget."),
    "close": (("Then I think we are done for today.", "Great, let us meet again next week."),
              "{S} wrapped up the meeting."),
}

# Exchanges of the middle of a story: intents said in a row, about one item where {item} occurs.
EXCHANGES = (("question", "offer"), ("question", "offer", "agree"), ("concern", "reassure"), ("status",),
             ("counter", "agree"), ("number",), ("deadline", "agree"), ("budget_q", "budget_a"))
ONCE = ("counter", "number", "deadline", "budget_q")  # exchanges starting with these happen once per plot
# Intents whose clause goes into the reference summary (the rest is small talk).
SUMMARY = ("open", "propose", "counter", "setup", "distractor", "number", "offer", "concern", "status", "deadline",
           "budget_a", "payoff", "close")
# Intents whose line another person may echo (never the lines a csnl answer hangs on).
ECHOED = ("propose", "counter", "offer", "concern", "status", "number", "deadline")


@dataclass
class Line:
    speaker: int  # index into Plot.names
    text: str
    scene: int  # 0-based
    intent: str  # one of INTENTS or "backchannel"
    gist: str | None  # summary clause with the speaker's name filled in; None for backchannels


@dataclass
class Plot:
    names: list[str]
    event: str
    lines: list[Line] = field(default_factory=list)
    setup: int = -1  # index of the line that raises the cross-scene problem
    payoff: int = -1  # index of the later line that resolves it
    nsp_turn: int = -1  # index of a main line after which the next speaker waits a pause


def write_plot(rng: random.Random, n_speakers: int, n_scenes: int, main_lines: int) -> Plot:
    """A story of ``main_lines`` spoken lines (plus backchannels) over ``n_scenes`` scenes."""
    topic = rng.choice(TOPICS)
    names = rng.sample(NAMES, n_speakers)
    (problem, resolution), (problem2, _) = rng.sample(topic["links"], 2)
    place, place2 = rng.sample(topic["place"], 2)
    items = list(topic["item"])
    rng.shuffle(items)
    slots = {
        "event": topic["event"], "place": place, "place2": place2, "day": rng.choice(topic["day"]),
        "number": rng.choice(NUMBERS), "problem": problem, "resolution": resolution, "problem2": problem2,
        "Resolution": resolution[:1].upper() + resolution[1:],
    }
    main_lines = max(main_lines, n_speakers + 2, 3 * n_scenes)
    # Intents scene by scene: the first scene opens, an early one raises the problem, the last resolves it.
    per_scene = [main_lines // n_scenes + (1 if i < main_lines % n_scenes else 0) for i in range(n_scenes)]
    intents: list[list[tuple[str, str]]] = []
    used_once: set[str] = set()
    # the problem comes up in any scene before the last, so "scene 1" is no safe guess
    setup_scene = rng.randrange(n_scenes - 1)
    distractor_scene = rng.randrange(n_scenes - 1)
    for s, k in enumerate(per_scene):
        issues = [i for i, here in (("setup", s == setup_scene), ("distractor", s == distractor_scene)) if here]
        rng.shuffle(issues)
        fixed = (["open", "propose"] if s == 0 else []) + issues + (["payoff"] if s == n_scenes - 1 else [])
        tail = ["close"] if s == n_scenes - 1 else []
        scene = [(i, "") for i in fixed]
        while len(scene) < k - len(tail):
            allowed = [e for e in EXCHANGES if e[0] not in used_once and ("{item}" not in _templates(e).lower() or items)]
            if not allowed:
                break
            ex = rng.choice(allowed)
            if ex[0] in ONCE:
                used_once.add(ex[0])
            item = items.pop() if "{item}" in _templates(ex).lower() else ""
            scene += [(i, item) for i in ex]
        intents.append(scene + [(i, "") for i in tail])

    # Speakers: everyone speaks at least once and no one follows themselves.  The resolution
    # (which opens the last scene) comes from anyone, the problem's raiser included, so the
    # name in a csnl question is neither a hint for nor against an option.
    flat = [i for scene in intents for i, _ in scene]
    pending = list(range(n_speakers))
    rng.shuffle(pending)
    speakers: list[int] = []
    for intent in flat:
        banned = {speakers[-1]} if speakers else set()
        fresh = [p for p in pending if p not in banned]
        if intent == "payoff":
            pick = rng.randrange(n_speakers)
        else:
            pick = fresh[0] if fresh else rng.choice([p for p in range(n_speakers) if p not in banned])
        if pick in pending:
            pending.remove(pick)
        speakers.append(pick)

    # the unresolved problem comes from someone other than the raiser of the real one, so "which
    # problem line has the payoff's voice" is no shortcut either
    i_setup, i_distractor = flat.index("setup"), flat.index("distractor")
    if speakers[i_distractor] == speakers[i_setup]:
        near = {speakers[j] for j in (i_distractor - 1, i_distractor + 1) if 0 <= j < len(speakers)}
        others = [p for p in range(n_speakers) if p != speakers[i_setup] and p not in near]
        if others:
            speakers[i_distractor] = rng.choice(others)

    plot = Plot(names=names, event=topic["event"])
    used_texts: set[str] = set()
    j = 0
    for s, scene in enumerate(intents):
        for intent, item in scene:
            spk = speakers[j]
            j += 1
            fill = {**slots, "item": item, "Item": item[:1].upper() + item[1:]}
            templates, gist = INTENTS[intent]
            options = [t.format(**fill) for t in templates]
            fresh = [t for t in options if t not in used_texts] or options
            text = rng.choice(fresh)
            used_texts.add(text)
            if intent == "setup":
                plot.setup = len(plot.lines)
            if intent == "payoff":
                plot.payoff = len(plot.lines)
            plot.lines.append(Line(spk, text, s, intent, gist.format(S=names[spk], **fill)))
            if intent not in ("setup", "payoff", "close") and rng.random() < 0.3:
                others = [p for p in range(n_speakers) if p != spk]
                plot.lines.append(Line(rng.choice(others), rng.choice(BACKCHANNELS), s, "backchannel", None))
    _add_echo(plot, rng, n_speakers)
    # A turn in the second half, followed by a different speaker in the same scene, ends in a
    # clean pause: the next-speaker sample stops there.
    mains = [i for i, ln in enumerate(plot.lines) if ln.intent != "backchannel"]
    cands = [a for a, b in zip(mains, mains[1:])
             if plot.lines[a].scene == plot.lines[b].scene and plot.lines[a].speaker != plot.lines[b].speaker
             and a >= len(plot.lines) // 3]
    plot.nsp_turn = rng.choice(cands) if cands else mains[-2]
    # nobody else murmurs during that turn: near the cut only the next speaker's mouth may move
    nxt = plot.nsp_turn + 1
    if nxt < len(plot.lines) and plot.lines[nxt].intent == "backchannel":
        del plot.lines[nxt]
        plot.setup -= plot.setup > nxt
        plot.payoff -= plot.payoff > nxt
    return plot


def _add_echo(plot: Plot, rng: random.Random, n_speakers: int) -> None:
    """Someone repeats another person's line right after it, to check it ("... closed for repairs?"
    "... closed for repairs."): the same words from two voices, so a quote alone does not say who
    spoke (``stg`` by quote then needs the speaker's identity)."""
    sources = [i for i, ln in enumerate(plot.lines) if ln.intent in ECHOED and len(ln.text.split()) >= 3]
    if not sources:
        return
    i = rng.choice(sources)
    src = plot.lines[i]
    nxt = next((ln.speaker for ln in plot.lines[i + 1:] if ln.intent != "backchannel" and ln.scene == src.scene), None)
    others = [p for p in range(n_speakers) if p != src.speaker]
    who = rng.choice([p for p in others if p != nxt] or others)
    at = i + 1
    plot.lines.insert(at, Line(who, src.text, src.scene, "echo", None))
    plot.setup += plot.setup >= at
    plot.payoff += plot.payoff >= at


def _templates(exchange: tuple[str, ...]) -> str:
    return " ".join(t for intent in exchange for t in INTENTS[intent][0])
