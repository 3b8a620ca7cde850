"""Listed thing names said alone (issue 23, held-out set 7's declines: "Telescope?", "Pliers??",
"Hazelnut?", "Marshmallow??"): a one-word thing name or alt of the public list said alone, in any
case, with "??" or after "How about", or a list of them ("Telescope or Pliers?"), is a guess of that
thing: yes for its own keyword, no for every other one (open where the words overlap: "Bike?" and
"Bike path").  A name that may name a class, a material, a property or a site
(``class_names.CLASS_NAMES``: "Furniture?", "Zinc?", "Stadium?") stays open for every other keyword,
and so does a word that is no listed name ("Metal?", "Edible?") and a name inside another clause.

The truth is the public list said plainly here (the game's matching: lower case, no spaces or
punctuation, the keyword or an alt), never the oracle's code; the names that stay open are the data
module's list.
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any, NamedTuple

import pytest
from class_truth import kind_guess, kind_of
from factories.agents import TEMPLATE, import_agent_module


class Things(NamedTuple):
    mod: Any
    known: Any  # the oracle's names, as the agent builds them
    cands: tuple[Any, ...]
    sample: list[Any]  # the keywords every question is checked on
    sure: list[str]  # one-word thing names and alts that name no class, as written in the list
    classes: frozenset[str]  # the data module's names (normalised)
    class_one_word: list[str]  # one-word thing names and alts in that list, as written


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("the", ""))


@pytest.fixture(scope="module")
def things() -> Things:
    mod = import_agent_module(None)
    cands = mod.load_candidates(str(TEMPLATE))
    data = json.loads((TEMPLATE / "agent20q" / "keywords.json").read_text(encoding="utf-8"))
    places = {_norm(n) for row in data["categories"]["place"] for n in row}
    one_word = sorted({n for row in data["categories"]["things"] for n in row if len(n.split()) == 1})
    classes = frozenset(importlib.import_module("agent20q.class_names").CLASS_NAMES)  # on the path
    sure = [n for n in one_word if _norm(n) not in classes and _norm(n) not in places]
    class_one_word = [n for n in one_word if _norm(n) in classes]
    return Things(mod, mod.oracle.known_names(cands), cands, list(cands[::7]), sure, classes, class_one_word)


def _truth(name: str, cand: Any) -> bool | None:
    """Is ``name`` the keyword ``cand``?  None where their words overlap but differ ("bike", "Bike path")."""
    if _norm(name) in {_norm(cand.keyword)} | {_norm(a) for a in cand.alts}:
        return True
    asked, kw = set(name.lower().split()), set(cand.keyword.lower().split())
    return None if asked <= kw or kw <= asked else False


def _answer(things: Things, question: str, cand: Any, rule: Any = False) -> str | None:
    rule = things.mod.parse(question, things.known) if rule is False else rule
    cat = cand.categories[0] if len(cand.categories) == 1 else ""
    return None if rule is None else things.mod.oracle.verdict(rule, things.mod.Subject(cand.keyword, cand.alts, cat))


def _own(things: Things, names: list[str]) -> list[Any]:
    return [c for c in things.cands if any(_truth(n, c) for n in names)]


#: How a name is said alone: capitalised as it opens the question, in capitals, in lower case, after a lead.
ALONE = ("{t}??", "{t}?", "{u}?", "{lo}??", "How about {lo}?", "Maybe {t}?", "{t}")


#: ... those whose case says nothing ("Maybe Furniture?": a capital after a lead says it is a name).
UNINFORMATIVE = tuple(f for f in ALONE if not f.startswith("Maybe"))


def _said(frame: str, name: str) -> str:
    return frame.format(t=name[0].upper() + name[1:], u=name.upper(), lo=name.lower())


def test_the_held_out_declines_are_answered(things: Things) -> None:
    by_key = {c.key: c for c in things.cands}
    for question, keyword in (("Hazelnut?", "komodo dragon"), ("Pliers??", "hamstring curl machine"),
                              ("Marshmallow??", "reindeer"), ("Telescope?", "fuse")):
        assert _answer(things, question, by_key[keyword]) == "no", question


def test_thing_names_said_alone_are_guesses_of_that_thing(things: Things) -> None:
    """Every one-word thing name or alt that names no class, said alone in every way: yes for its own
    keyword, no for every other one (open where the words overlap)."""
    assert len(things.sure) > 100
    wrong, declined, right = [], [], 0
    for i, name in enumerate(things.sure):
        for frame in (ALONE[0], ALONE[1 + i % (len(ALONE) - 1)]):
            question = _said(frame, name)
            rule = things.mod.parse(question, things.known)
            for cand in things.sample + _own(things, [name]):
                want, got = _truth(name, cand), _answer(things, question, cand, rule)
                if want is None:
                    if got is not None:
                        wrong.append((question, cand.keyword, "open", got))
                elif got is None:
                    declined.append((question, cand.keyword))
                elif got != ("yes" if want else "no"):
                    wrong.append((question, cand.keyword, "yes" if want else "no", got))
                else:
                    right += 1
    assert wrong == [], wrong[:10]
    assert declined == [], declined[:10]
    assert right > 30_000


def test_lists_of_thing_names_said_alone(things: Things) -> None:
    """"Telescope or Pliers?", "Telescope, Pliers or Hazelnut??", "Telescope / Pliers": one of them."""
    wrong, right = [], 0
    sure = things.sure
    for i in range(0, len(sure) - 2, 3):
        names = [sure[i], sure[i + 1], sure[i + 2]]
        for question in (f"{_said('{t}', names[0])} or {names[1].lower()}?",
                         f"{_said('{t}', names[0])}, {_said('{t}', names[1])} or {names[2].lower()}??",
                         f"{names[0].upper()} / {names[1].upper()}"):
            asked = names[:2] if question.count(",") == 0 else names
            rule = things.mod.parse(question, things.known)
            for cand in things.sample + _own(things, asked):
                found = [_truth(n, cand) for n in asked]
                want = True if True in found else (False if all(f is False for f in found) else None)
                got = _answer(things, question, cand, rule)
                if got != (None if want is None else ("yes" if want else "no")):
                    wrong.append((question, cand.keyword, want, got))
                else:
                    right += 1
    assert wrong == [], wrong[:10]
    assert right > 10_000


def test_names_that_may_name_a_class_stay_open(things: Things) -> None:
    """Every name of the data module's list said alone (one word or several, alone or first in a list):
    yes for its own keyword; open for every other one where the name may be read as a material, a property,
    a feature or a site (``class_members.NOT_KINDS``); a name of kinds is "no" where the kind says no too
    (issue 23: ``class_truth.kind_guess``, tested in test_oracle_class_members.py), never where it may say yes."""
    several = sorted({n for c in things.cands if "things" in c.categories for n in (c.keyword, *c.alts)
                      if len(n.split()) > 1 and _norm(n) in things.classes})
    assert len(things.class_one_word) > 100
    assert len(several) > 50
    answered, kinds = [], 0
    for i, name in enumerate(things.class_one_word + several):
        other = things.sure[i % len(things.sure)]
        questions = [(_said(UNINFORMATIVE[i % len(UNINFORMATIVE)], name), [name]), (f"{_said('{t}', name)}??", [name]),
                     (f"{_said('{t}', name)} or {other.lower()}?", [name, other])]
        kind = kind_of(name) is not None
        kinds += kind
        for question, asked in questions:
            rule = things.mod.parse(question, things.known)
            for cand in things.sample:
                got = _answer(things, question, cand, rule)
                if got is None or any(_truth(n, cand) for n in asked):
                    continue
                if not kind or got != "no" or kind_guess(name, cand.keyword, alone=True) is not False:
                    answered.append((question, cand.keyword, got))
    assert answered == [], answered[:10]
    assert kinds > 100


def test_the_class_list_names_listed_things_only(things: Things) -> None:
    """A name in the list that is no thing of the list would be a typo: the thing it meant would be
    answered; and the every-day class, material, property and site words of the list are in it."""
    listed = {_norm(n) for c in things.cands if "things" in c.categories for n in (c.keyword, *c.alts)}
    assert sorted(things.classes - listed) == []
    assert {"furniture", "vegetable", "reptile", "zinc", "iron", "water", "stadium", "pop", "bike", "freeweights",
            "personalprotectiveequipment", "turkey"} <= things.classes
    assert not {"telescope", "pliers", "hazelnut", "marshmallow", "screwdriver"} & things.classes


@pytest.mark.parametrize("question", [
    # materials and properties that are no listed name: what it is made of or like
    "Metal?", "Wood?", "Glass?", "Plastic?", "Edible?", "Electronic?", "Wooden??", "Paper?", "Fabric?",
    # a listed name inside another clause
    "Telescope in the sky?", "Bigger than a telescope?", "Telescope-shaped?", "Like a telescope?", "Used with pliers?",
    "Part of a telescope?", "Pliers or similar?", "Telescope lens?", "A telescope?",
    "Pliers for cutting wire?", "Found with a telescope?", "Telescope or something like it?", "Not a telescope?",
    "Telescope parts?", "Smaller than pliers?", "Made of hazelnut?", "Hazelnut flavoured?",
])
def test_other_clauses_and_property_words_stay_open(things: Things, question: str) -> None:
    for cand in things.sample:
        if not (_truth("telescope", cand) or _truth("pliers", cand) or _truth("hazelnut", cand)):
            assert _answer(things, question, cand) is None, (question, cand.keyword)
