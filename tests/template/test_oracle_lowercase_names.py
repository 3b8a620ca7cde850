"""Lower-case guesses of listed places (issue 23): "is it warsaw?", "could it be warsaw", "are you
thinking of warsaw", "warsaw?" name that place, and are "no" for every other keyword, when the
oracle knows which listed names are places (:func:`oracle.known_names` of the candidates, as the
agent's tracker builds it); a name that is also an ordinary word ("nice", "china", "turkey",
"cork": ``ordinary_names.ORDINARY_NAMES``, checked by hand) stays with the model in lower case,
and capitalised names keep their rule.

The truth is the game's matching said plainly here (lower case, no spaces or punctuation, the
keyword or an alt), open where the name's words and the keyword's overlap ("athens" and "Athens
Georgia", "poland" and "Warsaw Poland": an ordinary answerer may hesitate).
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any, NamedTuple

import pytest
from factories.agents import TEMPLATE, import_agent_module


class Names(NamedTuple):
    mod: Any
    known: Any  # the oracle's names, with the places
    cands: tuple[Any, ...]
    sample: list[Any]  # candidates every phrasing is checked on
    places: list[str]  # one-word names and alts of the list's places, lower case
    ordinary: frozenset[str]


@pytest.fixture(scope="module")
def names() -> Names:
    mod = import_agent_module(None)
    cands = mod.load_candidates(str(TEMPLATE))
    data = json.loads((TEMPLATE / "agent20q" / "keywords.json").read_text(encoding="utf-8"))
    places = sorted({n.lower() for row in data["categories"]["place"] for n in row if len(n.split()) == 1})
    ordinary_names = importlib.import_module("agent20q.ordinary_names")  # on the path: import_agent_module

    return Names(mod, mod.oracle.known_names(cands), cands, list(cands[::9]), places,
                 ordinary_names.ORDINARY_NAMES)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _truth(name: str, cand: Any) -> bool | None:
    """Is ``name`` the keyword ``cand``?  None where their words overlap but differ."""
    if _norm(name) in {_norm(cand.keyword)} | {_norm(a) for a in cand.alts}:
        return True
    asked, kw = set(name.split()), set(cand.keyword.lower().split())
    return None if asked <= kw or kw <= asked else False


def _answer(names: Names, question: str, cand: Any, rule: Any = False) -> str | None:
    """The oracle's answer (``rule``: the question's, parsed once)."""
    rule = names.mod.parse(question, names.known) if rule is False else rule
    cat = cand.categories[0] if len(cand.categories) == 1 else ""
    return None if rule is None else names.mod.oracle.verdict(rule, names.mod.Subject(cand.keyword, cand.alts, cat))


GUESSES = ("is it {n}?", "could it be {n}?", "are you thinking of {n}?", "{n}?", "so is it {n}?", "is it {n}, then?",
           "my guess is {n}.", "is the place {n}?")


def test_lower_case_place_names_are_guesses_of_that_place(names: Names) -> None:
    """Every one-word place name or alt that is no ordinary word, in every guess frame: yes for its
    own keyword, no for every other one (open where the words overlap)."""
    wrong, declined, right = [], [], 0
    for i, name in enumerate(n for n in names.places if n not in names.ordinary):
        frame = GUESSES[i % len(GUESSES)]
        question = frame.format(n=name)
        own = [c for c in names.cands if _truth(name, c)]
        rule = names.mod.parse(question, names.known)
        for cand in names.sample + own:
            want, got = _truth(name, cand), _answer(names, question, cand, rule)
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
    assert right > 50_000


@pytest.mark.parametrize("frame", GUESSES[:4])
def test_every_frame_reads_a_lower_case_place(names: Names, frame: str) -> None:
    for name, other in (("warsaw", "Agave"), ("ouagadougou", "paris france"), ("kathmandu", "Advertisement"),
                        ("uk", "tokyo japan"), ("new york", "Berlin germany"), ("united states", "mali")):
        question = frame.format(n=name)
        own = next(c for c in names.cands if _truth(name, c))
        assert _answer(names, question, own) == "yes", (question, own.keyword)
        cand = next(c for c in names.cands if c.key == other.lower())
        assert _answer(names, question, cand) == "no", (question, other)


#: The frames that read a lower-case word as a guess only when it is a place's name ("my guess is
#: chad." says a guess, and is read so for any listed name: not in these).
READS = tuple(g for g in GUESSES if not g.startswith("my guess"))


def test_ordinary_words_stay_with_the_model_in_lower_case(names: Names) -> None:
    """"is it nice?", "china?", "could it be turkey": open for every keyword but the name's own."""
    answered = []
    for i, name in enumerate(sorted(names.ordinary)):
        for frame in (READS[i % len(READS)], "is it {n}?"):
            question = frame.format(n=name)
            rule = names.mod.parse(question, names.known)
            for cand in names.sample:
                got = _answer(names, question, cand, rule)
                if got is not None and not _truth(name, cand):
                    answered.append((question, cand.keyword, got))
    assert answered == [], answered[:10]
    for q in ("is it nice?", "is it china?", "is it turkey?", "is it cork?", "nice?", "could it be china?"):
        assert names.mod.parse(q, names.known) is not None  # read: yes for its own keyword only
        assert _answer(names, q, next(c for c in names.cands if c.key == "advertisement")) is None, q


def test_the_ordinary_list_names_listed_places_only(names: Names) -> None:
    """A name in the list that is no one-word place of the list would be a typo: the place it meant
    would be answered in lower case."""
    assert sorted(names.ordinary - set(names.places)) == []
    assert {"nice", "china", "turkey", "cork", "chad", "guinea", "us", "la"} <= names.ordinary


def test_capitalised_names_keep_their_rule(names: Names) -> None:
    bridge = next(c for c in names.cands if c.key == "advertisement")
    assert _answer(names, "Is it Nice?", bridge) == "no"  # a capital says it is a name
    assert _answer(names, "Is it China?", bridge) == "no"
    assert _answer(names, "Is it Warsaw?", bridge) == "no"


def test_without_the_places_a_lower_case_name_is_no_guess(names: Names) -> None:
    """A list of names alone (no categories: the bench's known names) reads lower case as before."""
    plain = names.mod.oracle.known_names([(c.keyword, c.alts) for c in names.cands])
    bridge = next(c for c in names.cands if c.key == "advertisement")
    d = names.mod.decide("is it warsaw?", names.mod.Subject(bridge.keyword, bridge.alts, "things"), plain)
    assert d is None


@pytest.mark.parametrize("question", [
    "is it in warsaw?", "is it near kathmandu?", "is it like warsaw?", "is it warsaw-based?",
    "is it a city like warsaw?", "is it warsaw or a city near it?", "is it warsaw or nice?",
])
def test_a_lower_case_place_inside_another_clause_is_the_models(names: Names, question: str) -> None:
    bridge = next(c for c in names.cands if c.key == "advertisement")
    assert _answer(names, question, bridge) is None
