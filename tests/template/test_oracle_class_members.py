"""Names of kinds read as guesses, and "a physical thing" (issue 23), over the public list.

A listed name of kinds ("Furniture", "Free Weights", "Piano": ``class_members.MEMBERS``) read as a guess —
"Is it Furniture?", "Could it be Free Weights?", said alone ("Piano?", "PIANO??", "How about piano?"), in a
list of names ("Is it Furniture or Telescope?", "one of Piano, Telescope") — is yes for its own keyword, and
"no" for a listed keyword only where the kind's reading says no as well: open for a member ("Is it
Furniture?" of Sofa), for a keyword whose words overlap the name's, and for a keyword off the public list.
Said to be the keyword ("Is the keyword Furniture?", "My guess is Furniture") or quoted, it stays a guess.
A name that may be read as a material, a property, a feature or a site ("Zinc?", "GPS?", "Stadium?":
``class_members.NOT_KINDS``) stays open for every other keyword when said alone.

"Is it a physical thing / a physical object / tangible / a tangible object / a material object?" (alone,
or "rather than a location / a place / an idea"): yes for a listed thing off ``physical_things``'s list,
open for one on it and for a keyword off the list; a place keeps what it got: no where a location is the
other side, open otherwise.

The truth is the data modules' lists read plainly (``class_truth.py``), never the oracle's code.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from class_truth import kind_guess, kind_of, norm, physical
from factories.agents import TEMPLATE, import_agent_module

#: Keywords that are on no list: nothing is known of them.
OFF_LIST = ("Armchair", "Grand piano", "Cocoon", "Mountain bike", "Cheesecake slice")


class World(NamedTuple):
    mod: Any
    known: Any
    cands: tuple[Any, ...]
    sample: list[Any]  # every 11th keyword of the public list
    members: Any  # agent20q.class_members
    physical: Any  # agent20q.physical_things


@pytest.fixture(scope="module")
def world() -> World:
    mod = import_agent_module(None)
    cands = mod.load_candidates(str(TEMPLATE))
    return World(mod, mod.oracle.known_names(cands), cands, list(cands[::11]),
                 importlib.import_module("agent20q.class_members"), importlib.import_module("agent20q.physical_things"))


def _own(name: str, cand: Any) -> bool:
    """``name`` is the keyword ``cand``, the game's way (a keyword or an alt, or a plural of one)."""
    said = {norm(n) for n in (cand.keyword, *cand.alts)}
    n = norm(name)
    return n in said or any(n in (s + "s", s + "es") or s in (n + "s", n + "es") for s in said)


def _subject(w: World, cand: Any) -> Any:
    cat = cand.categories[0] if len(cand.categories) == 1 else ""
    return w.mod.Subject(cand.keyword, cand.alts, cat)


class _Off(NamedTuple):
    """A keyword that is on no list (a candidate's shape)."""

    keyword: str
    alts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ("things",)


def _title(name: str) -> str:
    return " ".join(w[0].upper() + w[1:] for w in name.split())


#: Frames that read a name of kinds as a guess ({t}: every word capitalised, {lo}: lower case, {up}: capitals).
KIND_FRAMES = ("Is it {t}?", "Could it be {t}?", "{t}?", "{t}??", "{t}", "{up}?", "{lo}??", "How about {lo}?",
               "Are we talking about {t}?", "Ok, is it {t}?", "Maybe {t}?")
#: The same with a second name, a thing's name that names no class: a list of names.
LIST_FRAMES = ("Is it {t} or {o}?", "Is it one of {t}, {o}?", "{t} or {o}??", "One of {t}, {o}?", "{up} / {o}?",
               "Is it {o} or {t}?")
#: The frames above that say the name alone, with no "is it" / "one of": a fitting's name there may ask
#: whether a room has one ("Stove?" of an RV), so the listed rooms are open for it.
ALONE_FRAMES = frozenset({"{t}?", "{t}??", "{t}", "{up}?", "{lo}??", "How about {lo}?", "Maybe {t}?",
                          "{t} or {o}??", "{up} / {o}?"})
OTHER = "Telescope"


def _names_of_kinds(w: World) -> list[str]:
    """Every listed thing name and alt that is a name of kinds, as written in the list."""
    return sorted({n for c in w.cands if "things" in c.categories for n in (c.keyword, *c.alts) if kind_of(n)
                   and norm(n) in w.members.MEMBERS})


def _check(w: World, question: str, want: Callable[[Any], bool | None], cands: list[Any]) -> list[tuple[Any, ...]]:
    rule = w.mod.parse(question, w.known)
    bad = []
    for cand in cands:
        truth = want(cand)
        got = None if rule is None else w.mod.oracle.verdict(rule, _subject(w, cand))
        if got != (None if truth is None else ("yes" if truth else "no")):
            bad.append((question, cand.keyword, truth, got))
    return bad


def _kind_truth(name: str, alone: bool = False) -> Callable[[Any], bool | None]:
    return lambda cand: True if _own(name, cand) else kind_guess(name, cand.keyword, alone)


def _or(*truths: Callable[[Any], bool | None]) -> Callable[[Any], bool | None]:
    def truth(cand: Any) -> bool | None:
        found = [t(cand) for t in truths]
        return True if True in found else (False if all(f is False for f in found) else None)

    return truth


def _thing_guess(name: str) -> Callable[[Any], bool | None]:
    """A thing's name that names no class, said as a guess: yes for it, no for the others (open where words
    overlap)."""
    def truth(cand: Any) -> bool | None:
        if _own(name, cand):
            return True
        a, b = set(name.lower().split()), set(cand.keyword.lower().split())
        return None if a <= b or b <= a else False

    return truth


def test_names_of_kinds_read_as_guesses(world: World) -> None:
    """Every name of kinds, in every guess frame, against every 11th keyword, its own keyword, its members
    (up to five) and keywords off the list: members and off-list keywords open, the others no."""
    names = _names_of_kinds(world)
    assert len(names) > 150
    by_key = {norm(c.keyword): c for c in world.cands}
    bad, noes, opens = [], 0, 0
    for i, name in enumerate(names):
        kind = kind_of(name)
        assert kind is not None
        members = sorted(world.members.MEMBERS[kind])[:: max(1, len(world.members.MEMBERS[kind]) // 5)]
        members += sorted(world.members.ROOMS)[i % 3 :: 5] if kind in world.members.FITTINGS else []
        cands = [*world.sample, *(by_key[m] for m in members if m in by_key),
                 *(c for c in world.cands if _own(name, c)), *(_Off(k) for k in OFF_LIST)]
        said = {"t": _title(name), "lo": name.lower(), "up": name.upper(), "o": OTHER}
        for frame in (*KIND_FRAMES, LIST_FRAMES[i % len(LIST_FRAMES)]):
            question = frame.format(**said)
            kind_truth = _kind_truth(name, frame in ALONE_FRAMES)
            want = kind_truth if "{o}" not in frame else _or(kind_truth, _thing_guess(OTHER))
            bad += _check(world, question, want, cands)
            found = [want(c) for c in cands]
            noes, opens = noes + found.count(False), opens + found.count(None)
    assert bad == [], bad[:10]
    assert noes > 100_000 and opens > 5_000, (noes, opens)


def test_the_examples_of_the_issue(world: World) -> None:
    by_key = {c.key: c for c in world.cands}

    def answer(question: str, keyword: str) -> str | None:
        cand = by_key.get(keyword.lower()) or _Off(keyword)
        rule = world.mod.parse(question, world.known)
        return None if rule is None else world.mod.oracle.verdict(rule, _subject(world, cand))

    for question, keyword, want in (
        ("Is it Furniture?", "Sofa", None), ("Is it Furniture?", "Rabbit", "no"), ("Is it Furniture?", "Furniture", "yes"),
        ("Is it Personal protective equipment?", "Hard hat", None), ("Could it be Free Weights?", "Dumbbells", None),
        ("Is it Rabbit?", "Suitcase", "no"), ("Could it be Suitcase?", "Tool Belt", None),
        ("Could it be Suitcase?", "Screwdriver", "no"), ("Piano?", "DVD", "no"), ("Flashlight?", "DVD", "no"),
        ("Parachute?", "DVD", "no"), ("Piano?", "Grand piano", None), ("Bike?", "Stationary Bike", None),
        ("Bike?", "Bike path", None), ("Is it Furniture or Piano?", "Sofa", None),
        ("Is it Furniture or Piano?", "paris france", "no"), ("Is it one of Piano, Sofa?", "Sofa", "yes"),
        ("One of Piano, Sofa?", "Beanbag", None), ("One of Piano, Sofa?", "Telescope", "no"),
        ("Is it Vegetable?", "Potato", None), ("Vegetable?", "Veggie Burger", None), ("Snacks?", "Popcorn", None),
        ("Gadget?", "Smartphone", None), ("Gadget?", "Sofa", "no"), ("Is it Furniture?", "Armchair", None),
        # a fitting's name said alone may ask whether a room has one; in "is it" / "one of" it may not
        ("Stove?", "RV", None), ("Is it Stove?", "RV", "no"), ("Briefcase?", "Press Box", None),
        ("Is it one of Microscope, Parachute or Briefcase?", "Press Box", "no"),
        # said to be the keyword, or quoted: a guess
        ("Is the keyword Furniture?", "Sofa", "no"), ("My guess is Furniture", "Sofa", "no"),
        ("Is it 'Furniture'?", "Sofa", "no"), ("Is the keyword one of Furniture, Piano?", "Sofa", "no"),
        # materials, properties, features, sites: as before
        ("Zinc?", "Sofa", None), ("Glass Table?", "Sofa", "no"), ("Stadium?", "Sofa", None), ("GPS?", "Sofa", None),
        ("Touchscreen?", "Sofa", None), ("Pop?", "Sofa", None), ("Zinc?", "Zinc", "yes"), ("Is it Zinc?", "Sofa", "no"),
        # a lower-case name after "is it" is no guess: the model's (a class question)
        ("Is it furniture?", "Rabbit", None), ("Is it a piano?", "Sofa", None),
    ):
        assert answer(question, keyword) == want, (question, keyword)


def _own_only(names: list[str]) -> Callable[[Any], bool | None]:
    return lambda cand: True if any(_own(n, cand) for n in names) else None


def test_names_that_are_no_kinds_stay_open(world: World) -> None:
    """A name that may be a material, a property, a feature or a site said alone: yes for its own keyword,
    open for every other one, as before."""
    names = sorted({n for c in world.cands if "things" in c.categories for n in (c.keyword, *c.alts)
                    if norm(n) in world.members.NOT_KINDS})
    assert len(names) > 70
    bad = []
    for i, name in enumerate(names):
        for frame in ("{t}?", "{up}??", "{lo}?")[i % 3:] + ("{t} or {o}?",):
            question = frame.format(t=_title(name), up=name.upper(), lo=name.lower(), o=OTHER)
            said = [name, OTHER] if "{o}" in frame else [name]
            bad += _check(world, question, _own_only(said), world.sample)
    assert bad == [], bad[:10]


def test_the_data(world: World) -> None:
    """The class names split whole into names of kinds and the rest; every member, every thing not surely
    physical is a listed keyword (a typo would answer the thing it meant); the fingerprint is the list's."""
    mem, phys = world.members, world.physical
    classes = importlib.import_module("agent20q.class_names").CLASS_NAMES
    assert set(mem.MEMBERS) | mem.NOT_KINDS == set(classes) and not set(mem.MEMBERS) & mem.NOT_KINDS
    data = json.loads((TEMPLATE / "agent20q" / "keywords.json").read_text(encoding="utf-8"))["categories"]
    keywords = {norm(row[0]) for rows in data.values() for row in rows}
    things = {norm(row[0]) for row in data["things"]}
    assert {m for ms in mem.MEMBERS.values() for m in ms} <= keywords
    assert phys.NOT_SURELY_PHYSICAL <= things
    assert mem.CHECKED_LIST_SHA256 == mem.list_fingerprint(c.keyword for c in world.cands)
    assert world.known.public
    assert mem.list_fingerprint(c.keyword for c in world.cands[1:]) != mem.CHECKED_LIST_SHA256
    for kind, member in (("furniture", "sofa"), ("piano", None), ("personalprotectiveequipment", "hardhat"),
                         ("freeweights", "dumbbells"), ("bike", "stationarybike"), ("snacks", "popcorn"),
                         ("vegetable", "potato"), ("mobilephone", "smartphone"), ("smartphone", "mobilephone"),
                         ("card", "greetingcard"), ("tablet", "medication")):
        assert member is None or member in mem.MEMBERS[kind], (kind, member)
    assert {"analogy", "gravity", "atmosphere", "advertisement", "stadium", "wallstreet"} <= phys.NOT_SURELY_PHYSICAL


def test_another_list_answers_none_of_it(world: World) -> None:
    """The members hold for the public list only: a reader given another list says no "no" from them."""
    other = world.mod.oracle.known_names(world.cands[1:])
    assert not other.public
    sofa = next(c for c in world.cands if c.key == "rabbit")
    for question in ("Is it Furniture?", "Piano?", "Is it one of Piano, Sofa?", "Is it a physical thing?"):
        rule = world.mod.parse(question, other)
        assert rule is None or world.mod.oracle.verdict(rule, _subject(world, sofa)) is None, question


# ------------------------------------------------------------------------- a physical thing

PHYSICAL = ("a physical thing", "a physical object", "tangible", "a tangible object", "a material object",
            "a tangible thing", "a physical item")
#: The other side: a location (a place: no), an idea (a place: open), or none.
OTHER_SIDES = ("", " rather than a location", " rather than a place", " rather than an idea", ", not a place",
               " (not a location)", " as opposed to a concept", " rather than something abstract")


def _physical_truth(other: str, negated: bool) -> Callable[[Any], bool | None]:
    def truth(cand: Any) -> bool | None:
        cats = cand.categories
        if len(cats) != 1:
            return None
        if cats[0] == "place":
            found = False if ("location" in other or "place" in other) else None
        else:
            found = physical(cand.keyword) if not isinstance(cand, _Off) else None
        return None if found is None else found != negated

    return truth


def test_a_physical_thing_over_the_public_list(world: World) -> None:
    """Every listed keyword (places too), and keywords off the list, in every frame of "a physical thing"."""
    cands = [*world.cands, *(_Off(k) for k in OFF_LIST)]
    bad, yeses = [], 0
    for i, side in enumerate(PHYSICAL):
        for j, other in enumerate(OTHER_SIDES):
            if (i + j) % 2:
                continue
            question = f"Is it {side}{other}?"
            for q in (question, question.upper(), f"Ok, {question[0].lower()}{question[1:]}",
                      f"{side[0].upper()}{side[1:]}{other}?"):
                bad += _check(world, q, _physical_truth(other, False), cands)
            bad += _check(world, f"Is it not {side}{other}?", _physical_truth(other, True), cands)
            yeses += sum(_physical_truth(other, False)(c) is True for c in cands)
    assert bad == [], bad[:10]
    assert yeses > 10_000


@pytest.mark.parametrize("question", [
    "Is it an object?", "Is it a solid object?", "Is it an idea?", "Is it abstract?", "Is it a place rather than an idea?",
    "Is it a physical thing rather than a place or an idea?", "Is it a physical thing you can hold?",
    "Is it physical?", "Is it a concrete object?",
])
def test_other_sides_stay_open(world: World, question: str) -> None:
    """No list says which things are objects, solid, ideas or can be held: the model's."""
    rule = world.mod.parse(question, world.known)
    assert rule is None or all(world.mod.oracle.verdict(rule, _subject(world, c)) is None
                               for c in world.sample if "things" in c.categories), question
