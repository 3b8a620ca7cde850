"""Counts phrased the ways held-out set 3 found unread: "Is the number of vowels in the keyword
greater than 3?", "... exactly 3?", "Is the vowel count even?", "Is the length of the keyword
somewhere between eleven and 15 letters?", "Even number of letters?", "Is there an odd number
of vowels in it?": every subject, comparison, number in digits and words, after a lead-in, in
capitals, on the public keyword list; vowels with and without "y" (open where they differ),
letters with and without digits.  A count of one unit compared in another ("the number of
vowels is more than 3 letters") is no question."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from factories.agents import import_agent_module
from oracle_checks import Phrasings, answered, check, public_keywords, with_a_clause_more
from test_oracle_classes import _COMPARATORS, _WORDS, POSSESSIVES, SUBJECTS, _counted


@pytest.fixture(scope="module")
def mod() -> Any:
    return import_agent_module(None)


@pytest.fixture(scope="module")
def keywords(mod: Any) -> list[str]:
    return public_keywords(mod, step=5)


#: Comparisons with no unit after the number ("greater than 3", "exactly 3", "3 or more").
_BARE = tuple((shape.replace(" {u}", ""), test) for shape, test in _COMPARATORS
              if shape.endswith("{u}") and "but" not in shape and "{m}" not in shape) + (
    ("equal to {n}", lambda v, n: v == n), ("somewhere between {n} and {m}", lambda v, n: n <= v <= n + 3),
    ("anywhere from {n} to {m}", lambda v, n: n <= v <= n + 3), ("between {n} and {m}", lambda v, n: n <= v <= n + 3),
)


def counted_as_a_noun(rng: random.Random) -> Phrasings:
    """"Is the number of vowels in the keyword greater than 3?", "Is its consonant count at most 5?"."""
    for (shape, test), unit in itertools.product(_BARE, ("vowels", "consonants", "letters")):
        n = rng.choice((1, 2, 3, 4) if unit == "vowels" else (3, 5, 7, 9))
        said = shape.format(n=_WORDS[n] if rng.random() < 0.5 else n, m=n + 3)
        subj, poss = rng.choice(SUBJECTS), rng.choice(POSSESSIVES)
        truth = _counted(unit, test, n)
        yield f"Is the number of {unit} in {subj} {said}?", truth
        yield f"Is the number of {unit} {said}?", truth
        yield f"Is the total number of {unit} in {subj} {said}?", truth
        yield f"Is {poss} {unit[:-1]} count {said}?", truth
        yield f"Is the count of {unit} in {subj} {said}?", truth
        yield f"Number of {unit} {said}?", truth
    for unit, n in itertools.product(("vowels", "consonants"), (2, 3, 4, 6)):
        yield f"Does the number of {unit} in the keyword exceed {n}?", _counted(unit, lambda v, n: v > n, n)
        yield f"Is the number of {unit} not {_WORDS[n]}?", _counted(unit, lambda v, n: v != n, n)
        yield f"Are there more than {n} {unit}?", _counted(unit, lambda v, n: v > n, n)
        yield f"Are there at least {_WORDS[n]} {unit} in total?", _counted(unit, lambda v, n: v >= n, n)


def parity(rng: random.Random) -> Phrasings:
    """"Even number of letters?", "Is there an odd number of vowels in it?", "Is the vowel count even?"."""
    for unit, side in itertools.product(("letters", "vowels", "consonants", "words"), ("even", "odd")):
        truth = _counted(unit, lambda v, n, side=side: (v % 2 == 0) == (side == "even"), 0)  # type: ignore[misc]
        subj = rng.choice(SUBJECTS)
        yield f"{side.capitalize()} number of {unit}?", truth
        yield f"Does {subj} have an {side} number of {unit}?", truth
        yield f"Does {subj} have {side} number of {unit}?", truth
        yield f"Is there an {side} number of {unit} in {subj}?", truth
        yield f"Is the number of {unit} in {subj} {side}?", truth
        yield f"Is the {unit[:-1]} count {side}?", truth
        yield f"Is the number of {unit} {rng.choice(('an ', ''))}{side} number?", truth


def somewhere_between(rng: random.Random) -> Phrasings:
    """"Is the length of the keyword somewhere between eleven and 15 letters?"."""
    for n, subj in zip(range(3, 16), itertools.cycle(SUBJECTS), strict=False):
        m = n + rng.choice((2, 3, 4))
        a, b = (_WORDS[n] if n < len(_WORDS) and rng.random() < 0.5 else str(n)), str(m)
        between = _counted("letters", lambda v, n, m=m: n <= v <= m, n)  # type: ignore[misc]
        yield f"Is the length of {subj} somewhere between {a} and {b} letters?", between
        yield f"Does {subj} have somewhere between {a} and {b} letters?", between
        yield f"Does {subj} have anywhere from {a} to {b} letters?", between
        yield f"Is the number of letters in {subj} somewhere between {a} and {b}?", between
        yield f"Somewhere between {a} and {b} letters?", between
        yield f"Is {subj} somewhere between {a} and {b} letters long?", between


#: Whether spaces count, said before the ", inclusive" that closes a range.
_SPACES_SAID = (" (spaces excluded)", " (not counting spaces)", ", not counting spaces", " excluding spaces",
                " (ignoring spaces)", ", spaces not counted")


def inclusive_after_spaces(rng: random.Random) -> Phrasings:
    """"Does the keyword have between 10 and thirteen letters (spaces excluded), inclusive?" (held-out set
    6): ", inclusive" / ", exclusive" after whether spaces count closes the range."""
    for n, subj in zip(range(3, 16), itertools.cycle(SUBJECTS), strict=False):
        m = n + rng.choice((2, 3, 4))
        a, b = str(n), (_WORDS[m] if m < len(_WORDS) and rng.random() < 0.5 else str(m))
        spaces = rng.choice(_SPACES_SAID)
        inclusive = _counted("letters", lambda v, n, m=m: n <= v <= m, n)  # type: ignore[misc]
        exclusive = _counted("letters", lambda v, n, m=m: n < v < m, n)  # type: ignore[misc]

        def chars(k: str, n: int = n, m: int = m) -> bool:
            return n <= len(k.lower().replace(" ", "")) <= m

        yield f"Does {subj} have between {a} and {b} letters{spaces}, inclusive?", inclusive
        yield f"Does {subj} have between {a} and {b} letters{spaces} (inclusive)?", inclusive
        yield f"Does {subj} have between {a} and {b} letters{spaces}, exclusive?", exclusive
        yield f"Is {subj} between {a} and {b} letters long{spaces}, inclusive?", inclusive
        yield f"Are there between {a} and {b} letters in {subj}{spaces}, inclusive?", inclusive
        yield f"Does {subj} have from {a} to {b} characters{spaces}, inclusive?", chars


CLASSES = {"counted_as_a_noun": counted_as_a_noun, "parity": parity, "somewhere_between": somewhere_between,
           "inclusive_after_spaces": inclusive_after_spaces}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_count_phrasings_answered_right(mod: Any, keywords: list[str], name: str) -> None:
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
        "Is the number of vowels more than 3 letters?",  # which count?
        "Is the number of letters greater than 3 words?",
        "Is the number of consonants at least 4 vowels?",
        "Is the number of vowels greater than the number of consonants?",
        "Is the number of vowels in the first word more than 2?",
        "Is the number of vowel sounds more than 2?",
        "Is the number of vowels more than 3 or fewer?",
        "Even number of letters in the first word?",
        "Is the number of syllables even?",
        # ", inclusive" closes a range only, and is said once
        "Does it have more than 6 letters (spaces excluded), inclusive?",
        "Does it have between 6 and 8 letters (inclusive) (spaces excluded), exclusive?",
        "Does it have between 6 and 8 letters (spaces excluded), inclusive, exclusive?",
    ],
)
def test_count_traps_are_declined(mod: Any, keywords: list[str], question: str) -> None:
    assert answered(mod, question, keywords) == []
