"""How often a letter occurs, and all of a set, phrased the ways held-out set 3 found unread:
"Two or more A's?", "More than one N?", "Multiple 'u's?", "Both I and C?", "All of "p", 'J',
and "q"?", "Got a B in there?", and every comparison the grammar has for counts said of one
letter ("at most one 'a'", "fewer than two E's", "2+ e's"): every subject, letter, quote kind
and plural, numbers in digits and words, after a lead-in, in capitals, on the public keyword
list.  A bare number ("two e's") is exactly two in one reading and at least two in the other:
open where they differ.  "Several" (two, or more than two?) is not read."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest
from factories.agents import import_agent_module
from oracle_checks import Phrasings, Truth, answered, check, public_keywords, quote, with_a_clause_more
from test_oracle_classes import _WORDS, SUBJECTS, _counted, _neg, has, has_all, letters

_LETTERS = "abeilnorstu"

#: Comparisons of how often a letter occurs: (phrase, its test on the count); {n} a number.
_COMPARED: tuple[tuple[str, Callable[[int, int], bool]], ...] = (
    ("{n} or more", lambda v, n: v >= n), ("more than {n}", lambda v, n: v > n), ("at least {n}", lambda v, n: v >= n),
    ("at most {n}", lambda v, n: v <= n), ("fewer than {n}", lambda v, n: v < n), ("less than {n}", lambda v, n: v < n),
    ("no more than {n}", lambda v, n: v <= n), ("no fewer than {n}", lambda v, n: v >= n),
    ("exactly {n}", lambda v, n: v == n), ("only {n}", lambda v, n: v == n), ("over {n}", lambda v, n: v > n),
    ("{n}+", lambda v, n: v >= n),
)


def plural(c: str, style: int) -> str:
    """A letter's plural: "A's", "'a's", "“A”s", "Es", "'a'" ..."""
    return [f"{c.upper()}'s", f"'{c}'s", f'"{c.upper()}"s', f"\u2018{c}\u2019s", f"{c.upper()}s", f"'{c}'",
            f"`{c}`s", f"\u201c{c}\u201ds"][style % 8]


def single(c: str, style: int) -> str:
    """One letter, bare or quoted (no "the letter": "more than one the letter A" is no English)."""
    return quote(c, style % 6)


def count_is(c: str, check: Callable[[int], bool]) -> Truth:
    return lambda k: check(letters(k).count(c))


def doubled(c: str) -> Truth:
    """``c`` twice in a row, in the keyword as written and in its letters run together (both)."""

    def run(k: str) -> bool | None:
        found = {c * 2 in t for t in (k.lower(), letters(k))}
        return found.pop() if len(found) == 1 else None

    return run


def _bare(c: str, n: int) -> Truth:
    """"two e's": exactly two, or at least two (open where they differ)."""
    return lambda k: None if letters(k).count(c) > n else letters(k).count(c) == n


def how_many(rng: random.Random) -> Phrasings:
    for (shape, test), style in itertools.product(_COMPARED, range(8)):
        c, n = rng.choice(_LETTERS), rng.choice((1, 2, 3))
        num = _WORDS[n] if style % 2 and shape != "{n}+" else str(n)
        said = shape.format(n=num) + " " + (plural(c, style) if n > 1 or "{n} " in shape else single(c, style))
        truth = count_is(c, lambda v, test=test, n=n: test(v, n))  # type: ignore[misc]
        subj = rng.choice(SUBJECTS)
        yield f"Does {subj} have {said}?", truth
        yield f"Does {subj} contain {said}?", truth
        yield f"Is there {said} in {subj}?", truth
        yield f"{said[0].upper()}{said[1:]}?", truth
    for c, style in zip(_LETTERS * 3, itertools.count(), strict=False):
        subj = rng.choice(SUBJECTS)
        yield f"Does {subj} have multiple {plural(c, style)}?", count_is(c, lambda v: v >= 2)
        yield f"Multiple {plural(c, style)}?", count_is(c, lambda v: v >= 2)
        yield f"Two or more {plural(c, style)}?", count_is(c, lambda v: v >= 2)
        yield f"More than one {single(c, style)}?", count_is(c, lambda v: v > 1)
        yield f"At least two {plural(c, style)}?", count_is(c, lambda v: v >= 2)
        yield f"At most one {single(c, style)}?", count_is(c, lambda v: v <= 1)
        yield f"Does {subj} have two {plural(c, style)}?", _bare(c, 2)
        yield f"Two {plural(c, style)}?", _bare(c, 2)
        yield f"{quote(c, style)[0].upper()}{quote(c, style)[1:]} more than once?", count_is(c, lambda v: v > 1)
        yield f"Is {quote(c, style)} used at most once in {subj}?", count_is(c, lambda v: v <= 1)
        yield f"Does {quote(c, style)} appear no more than once in {subj}?", count_is(c, lambda v: v <= 1)
        yield f"Does {subj} contain {quote(c, style)} more than once?", count_is(c, lambda v: v > 1)
        yield f"Is {quote(c, style)} used more than once in {subj}?", count_is(c, lambda v: v > 1)
        yield f"Does {subj} use {quote(c, style)} twice or more?", count_is(c, lambda v: v >= 2)
        yield f"Does {subj} contain {quote(c, style)} once or more?", count_is(c, lambda v: v >= 1)
        yield f"Is there more than one instance of {quote(c, style)} in {subj}?", count_is(c, lambda v: v > 1)
        yield f"Does {subj} have multiple occurrences of {single(c, style)}?", count_is(c, lambda v: v >= 2)
        yield f"Does {subj} have more than one copy of {single(c, style)}?", count_is(c, lambda v: v > 1)
        yield f"Are there multiple {plural(c, style)}?", count_is(c, lambda v: v >= 2)
        yield f"Is there more than one {single(c, style)}?", count_is(c, lambda v: v > 1)
        yield f"Are there at least 2 {plural(c, style)}?", count_is(c, lambda v: v >= 2)
        if c != "u":  # "a double U" is a W
            yield f"Does {subj} have a double {single(c, style)}?", doubled(c)
        yield f"Is {quote(c, style)} doubled in {subj}?", doubled(c)
        yield f"Is {quote(c, style)} not doubled?", _neg(doubled(c))


def all_of_said_alone(rng: random.Random) -> Phrasings:
    """"Both I and C?", "Both 'T' and L?", "All of "p", 'J', and "q"?", "Got a B in there?"."""
    for style in range(24):
        chosen = rng.sample(_LETTERS + "cdgkmpw", rng.choice((2, 3)))
        xs = [quote(c, style + j) if j else quote(c, style + j).capitalize() for j, c in enumerate(chosen)]
        if len(chosen) == 2:
            yield f"Both {xs[0]} and {xs[1]}?", has_all(chosen)
            yield f"Both the letters {chosen[0].upper()} and {chosen[1].upper()}?", has_all(chosen)
        listed = ", ".join(xs[:-1]) + rng.choice((", and ", " and ")) + xs[-1]
        yield f"All of {listed}?", has_all(chosen)
        yield f"Each of {listed}?", has_all(chosen)
        yield f"Does {rng.choice(SUBJECTS)} contain {xs[0]} as well as {xs[1]}?", has_all(chosen[:2])
        c = chosen[0]
        yield f"Got {'an' if c in 'aeiou' else 'a'} {single(c, style)} in there?", has(c)
        yield f"Got {quote(c, style)}?", has(c)
        yield f"Got more than one {single(c, style)}?", count_is(c, lambda v: v > 1)
        yield f"Does {rng.choice(SUBJECTS)} have {quote(c, style)} in there?", has(c)
    for n in (4, 6, 9):
        yield f"Got more than {n} letters in there?", _counted("letters", lambda v, n: v > n, n)
        yield f"Got fewer than {_WORDS[n]} letters?", _counted("letters", lambda v, n: v < n, n)


CLASSES = {"how_many": how_many, "all_of_said_alone": all_of_said_alone}


@pytest.fixture(scope="module")
def mod() -> Any:
    return import_agent_module(None)


@pytest.fixture(scope="module")
def keywords(mod: Any) -> list[str]:
    return public_keywords(mod, step=5)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_frequency_phrasings_answered_right(mod: Any, keywords: list[str], name: str) -> None:
    rng = random.Random(name)
    wrong, declined, right = check(mod, keywords, CLASSES[name](rng), rng)
    assert wrong == [], wrong[:10]
    assert declined == [], declined[:10]
    assert right > 2000


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_clause_more_is_declined(mod: Any, keywords: list[str], name: str) -> None:
    kept = [q for q in with_a_clause_more(CLASSES[name](random.Random(name))) if answered(mod, q, keywords)]
    assert kept == [], kept[:10]


@pytest.mark.parametrize(
    "question",
    [
        "Two or more?",  # of what?
        "More than one?",
        "Both?",
        "Several A's?",  # two, or more than two?
        "Does the keyword have several E's?",
        "Two or more A's or B's?",
        "Both I and C at the start?",
        "Both A and B, or neither?",
        "Two or more A's in the first word?",
        "Got a place?",
        "Got it. So?",
        "Multiple words or letters?",
        "More than one N or M?",
        "Does it have a double U?",  # a W?
        "Is there a double 'u' in the keyword?",
        "Is the letter O doubled in the first word?",
    ],
)
def test_frequency_traps_are_declined(mod: Any, keywords: list[str], question: str) -> None:
    assert answered(mod, question, keywords) == []
