"""The letter at a position, phrased the ways held-out set 3 found unread: "letter number 2",
"the very last letter", "spelled with 'r' at the start", "does it have a Z at the end",
"Ending in a B?", "A consonant at the start?", "none of 's', 'C' or 'Q'" at a position, a
letter "outside i-w" and "in the i..r range": every subject, letter, quote kind and number
written both ways, after a lead-in, in capitals, on the public keyword list; the traps (a
double negative, a clause more) declined."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from factories.agents import import_agent_module
from oracle_checks import Phrasings, Truth, answered, check, public_keywords, quote, with_a_clause_more
from test_oracle_classes import (
    _WORDS,
    POSSESSIVES,
    SUBJECTS,
    _consonant,
    _neg,
    letter_between,
    letter_in,
    letters,
    on,
    vowel,
)

_LETTERS = "abcdeghiklmnoprstuwz"


@pytest.fixture(scope="module")
def mod() -> Any:
    return import_agent_module(None)


@pytest.fixture(scope="module")
def keywords(mod: Any) -> list[str]:
    return public_keywords(mod, step=5)


def _is(i: int, c: str) -> Truth:
    return on(i, lambda x: x == c)


def _not_within(i: int, truth: Truth) -> Truth:
    """Not ``truth`` (a test at ``i``), and open where the keyword has no letter at ``i`` (in either
    reading): "is the third letter none of A or B" says nothing of a two-letter keyword."""

    def run(k: str) -> bool | None:
        short = min(len(letters(k)), sum(c.isalpha() for c in k))
        return None if not -short <= i < short else _neg(truth)(k)

    return run


def letter_number(rng: random.Random) -> Phrasings:
    """"Is letter number 2 Q?", "Is letter #3 N?", "Is Q letter number two?"."""
    for n, style in itertools.product(range(1, 11), range(8)):
        c = rng.choice(_LETTERS)
        x, num = quote(c, style), (str(n) if style % 2 else _WORDS[n])
        subj = rng.choice(SUBJECTS)
        yield f"Is letter number {num} {x}?", _is(n - 1, c)
        yield f"Is letter number {num} of {subj} {x}?", _is(n - 1, c)
        yield f"Is letter #{n} in {subj} not {x}?", _neg(_is(n - 1, c))
        yield f"Is {x} letter number {num}?", _is(n - 1, c)
        yield f"Letter number {num} {x}?", _is(n - 1, c)
        yield f"Is letter {num} {x}?", _is(n - 1, c)
        yield f"Letter {num} {x}?", _is(n - 1, c)
        yield f"Is letter {num} of {subj} a vowel?", on(n - 1, vowel)
        yield f"Is position {num} {x}?", _is(n - 1, c)
    for (ordinal, i), style in itertools.product((("second", 1), ("third", 2), ("5th", 4), ("last", -1),
                                                  ("last but one", -2), ("last-but-one", -2)), range(4)):
        c = rng.choice(_LETTERS)
        x = quote(c, style)
        yield f"Is the letter in the {ordinal} position {x}?", _is(i, c)
        yield f"Is the letter at the {ordinal} spot of {rng.choice(SUBJECTS)} {x}?", _is(i, c)
        yield f"Is the {ordinal} letter {x}?", _is(i, c)
        yield f"Is letter number {num} a vowel?", on(n - 1, vowel)
        yield f"Is letter number {num} a consonant?", on(n - 1, _consonant)
        chosen = rng.sample(_LETTERS, 3)
        yield f"Is letter number {num} one of {', '.join(quote(a, style) for a in chosen[:2])} or " \
              f"{quote(chosen[2], style)}?", letter_in(n - 1, chosen)


def very_last(rng: random.Random) -> Phrasings:
    """"Is its very last letter the letter S?", "Does it have 'z' as its very last letter?"."""
    for subj, style in itertools.product(SUBJECTS, range(0, 8, 2)):
        c = rng.choice(_LETTERS)
        x = quote(c, style + rng.randrange(2))
        yield f"Is the very last letter of {subj} {x}?", _is(-1, c)
        yield f"Is the very first letter of {subj} {x}?", _is(0, c)
        yield f"Does {subj} have {x} as its very last letter?", _is(-1, c)
        yield f"Does {subj} have {x} as the very first letter?", _is(0, c)
    for poss in POSSESSIVES:
        for c in "aelnrst":
            yield f"Is {poss} very last letter {quote(c, ord(c))}?", _is(-1, c)
            yield f"Is {poss} very last letter a consonant?", on(-1, _consonant)
        yield f"Is {poss} very last letter a vowel?", on(-1, vowel)
    yield "Very last letter a vowel?", on(-1, vowel)
    yield "very last letter a consonant?", on(-1, _consonant)
    yield "Very first letter S?", _is(0, "s")


def at_an_edge(rng: random.Random) -> Phrasings:
    """"Is the object spelled with `r` at the start?", "Does it have a Z at the end?", "Ending in
    a B?", "Is it starting with R?", "A consonant at the start?", "Is there a vowel at the end of
    the keyword?", "Is 'r' at the start of the word?"."""
    for subj, style in itertools.product(SUBJECTS, range(0, 8, 2)):
        c = rng.choice(_LETTERS)
        x = quote(c, style + rng.randrange(2))
        edge, i = rng.choice((("start", 0), ("beginning", 0), ("front", 0), ("end", -1), ("very end", -1),
                              ("very start", 0)))
        yield f"Is {subj} spelled with {x} at the {edge}?", _is(i, c)
        yield f"Is {subj} written with {x} at the {edge}?", _is(i, c)
        yield f"Does {subj} have {x} at the {edge}?", _is(i, c)
        yield f"Is {x} at the {edge} of {subj}?", _is(i, c)
        yield f"Is there a vowel at the {edge} of {subj}?", on(i, vowel)
        yield f"Is {subj} ending in {x}?", _is(-1, c)
        yield f"Is {subj} starting with {x}?", _is(0, c)
        yield f"Is {subj} not spelled with {x} at the {edge}?", _neg(_is(i, c))
    for c, style in zip("abdegkmnrstw", itertools.count(), strict=False):
        x = quote(c, style)
        yield f"Ending in {x}?", _is(-1, c)
        yield f"Starting with {x}?", _is(0, c)
        yield f"Beginning with {x}?", _is(0, c)
        yield f"{x[0].upper()}{x[1:]} at the start?", _is(0, c)
        yield f"Is there {x} at the end?", _is(-1, c)
    for cls, test in (("a vowel", vowel), ("a consonant", _consonant)):
        for edge, i in (("start", 0), ("end", -1), ("beginning", 0)):
            yield f"{cls.capitalize()} at the {edge}?", on(i, test)
            yield f"Is there {cls} at the {edge}?", on(i, test)
            yield f"Does it have {cls} at the {edge}?", on(i, test)


def none_of_at_a_position(rng: random.Random) -> Phrasings:
    """"Is the first letter none of 's', "C" or 'Q'?", "Is the last letter neither A nor H?",
    "Does it start with none of A, B or C?"."""
    for style in range(24):
        chosen = rng.sample(_LETTERS, rng.choice((2, 3, 4)))
        xs = [quote(c, style + j) for j, c in enumerate(chosen)]
        listed = ", ".join(xs[:-1]) + rng.choice((" or ", ", or ")) + xs[-1]
        subj, poss = rng.choice(SUBJECTS), rng.choice(POSSESSIVES)
        for pos, i in ((f"the first letter of {subj}", 0), ("the last letter", -1), (f"{poss} initial letter", 0),
                       ("letter number 2", 1), (f"{poss} final letter", -1), ("the third letter", 2)):
            yield f"Is {pos} none of {listed}?", _not_within(i, letter_in(i, chosen))
            yield f"Is {pos} neither {xs[0]} nor {xs[1]}?", _not_within(i, letter_in(i, chosen[:2]))
        yield f"Is the first letter none of the letters {listed}?", _neg(letter_in(0, chosen))
        yield f"Does {subj} start with none of {listed}?", _neg(letter_in(0, chosen))
        yield f"Does {subj} end with neither {xs[0]} nor {xs[1]}?", _neg(letter_in(-1, chosen[:2]))


def outside_and_ranges(rng: random.Random) -> Phrasings:
    """A letter "outside i-w" (the ends inside, as "between A and M" has them), "in the i..r
    range"."""
    for (lo, hi), style in itertools.product((("a", "m"), ("i", "w"), ("c", "k"), ("n", "z"), ("e", "s")), range(6)):
        a, b = quote(lo, style), quote(hi, style)
        subj = rng.choice(SUBJECTS)
        for verb, i in (("begin with", 0), ("start with", 0), ("end with", -1), ("end in", -1)):
            yield f"Does {subj} {verb} a letter outside {a}-{b}?", _neg(letter_between(i, lo, hi))
            yield f"Does {subj} {verb} a letter outside {a}\u2013{b}?", _neg(letter_between(i, lo, hi))
            yield f"Does {subj} {verb} a letter in the {lo}..{hi} range?", letter_between(i, lo, hi)
            yield f"Does {subj} {verb} a letter in the {a}-{b} range?", letter_between(i, lo, hi)
        yield f"Is the first letter outside the range {a} to {b}?", _neg(letter_between(0, lo, hi))
        yield f"Is the last letter of {subj} outside {a} through {b}?", _neg(letter_between(-1, lo, hi))
        yield f"Is the first letter outside of {a}-{b}?", _neg(letter_between(0, lo, hi))
        yield f"Is the first letter in the {lo.upper()}-{hi.upper()} range?", letter_between(0, lo, hi)
        yield f"Is the first letter not outside {a}-{b}?", letter_between(0, lo, hi)
        yield f"Does {subj} end with a letter not between {a} and {b}?", _neg(letter_between(-1, lo, hi))
        yield f"Does {subj} start with a letter that is not between {a} and {b}?", _neg(letter_between(0, lo, hi))
        yield f"Is the third letter a letter not between {a} and {b}?", _not_within(2, letter_between(2, lo, hi))
    for half, lo, hi in (("first", "a", "m"), ("second", "n", "z")):
        yield f"Does it start with a letter that is not in the {half} half of the alphabet?", \
            _neg(letter_between(0, lo, hi))
        yield f"Does it end with a letter not in the {half} half of the alphabet?", _neg(letter_between(-1, lo, hi))
    for style in range(6):
        chosen = rng.sample(_LETTERS, 3)
        listed = ", ".join(quote(c, style) if style < 6 else c for c in chosen)
        yield f"Does the first letter belong to {{{listed}}}?", letter_in(0, chosen)
        yield f"Does the last letter belong to [{listed}]?", letter_in(-1, chosen)


CLASSES = {"letter_number": letter_number, "very_last": very_last, "at_an_edge": at_an_edge,
           "none_of_at_a_position": none_of_at_a_position, "outside_and_ranges": outside_and_ranges}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_position_phrasings_answered_right(mod: Any, keywords: list[str], name: str) -> None:
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
        # a double negative, or a negation said twice: which?
        "Is the first letter not none of A, B or C?",
        "Does the keyword not start with none of 's', 'c' or 'q'?",
        "Does it not end with neither A nor B?",
        "Is the last letter not neither E nor S?",
        # "none of" one letter: no set
        "Is the first letter none of A?",
        # two edges, a word inside the keyword, a sound: clauses no template reads
        "Is it spelled with A at the start or the end?",
        "Is there a vowel at the start and at the end?",
        "A consonant at the start and the end?",
        "Is 'a' at the start of the second word?",
        "Is letter number 2 of the second word a vowel?",
        "Ending in a B sound?",
        "Does it have a Z at the end of the first word?",
        "Is the first letter outside A-M, or is it a vowel?",
        "Does it start with a letter outside A?",
    ],
)
def test_position_traps_are_declined(mod: Any, keywords: list[str], question: str) -> None:
    assert answered(mod, question, keywords) == []
