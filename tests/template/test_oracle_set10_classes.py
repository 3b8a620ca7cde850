"""The classes of held-out set 10's declines (issue 23), each generated over its subjects, letters,
quote kinds and case, with and without lead-ins, and checked on the public keyword list: "happen to"
("Does the last letter of your keyword happen to be R?", "Would it happen to start with B?", "The
last letter happens to be R?"), a half of the alphabet said with its letters after a comma ("in the
first half of the alphabet, A to M"), and "both" / "all three" said after an "and" list of letters
("the letters L and H, both of them"); and the class behind one more decline, a statement about a part of
a subject whose "are" is no verb ("The initial letter of the word you are thinking of happens to be S?").
(Set 10's fourth class, a room read as a kind of a fitting
in "Is it one of Microscope, Parachute or Briefcase?", is in test_oracle_class_members.py.)

The truth of each phrasing is a plain string expression on the keyword (test_oracle_classes.py),
never the oracle's code; the traps that change a reading stay declined.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from oracle_checks import World, answered, make_world, quote, variants
from test_oracle_classes import (
    Truth,
    _agree,
    _neg,
    check_phrasings,
    has,
    has_all,
    is_a,
    letter_in,
    letter_is,
    letters,
)

SUBJECTS = ("the keyword", "your keyword", "the secret word", "the mystery word", "the word you are thinking of",
            "it", "your word", "the answer")
#: (how the position is named, its index).
POSITIONS = (("the last letter of {s}", -1), ("the first letter of {s}", 0), ("the final letter of {s}", -1),
             ("the second letter of {s}", 1), ("the initial letter of {s}", 0))


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def happen_to(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Does X happen to be Y?" is "is X Y?"; "does it happen to V" is "does it V"; the statement
    "X happens to be Y?" is "X is Y?"."""
    for i, subj in enumerate(SUBJECTS * 2):
        c = rng.choice("abcdeilmnorstu")
        x = quote(c, i)
        where, at = POSITIONS[i % len(POSITIONS)]
        pos = where.format(s=subj)
        yield f"Does {pos} happen to be {x}?", letter_is(at, c)
        yield f"Would {pos} happen to be {x}?", letter_is(at, c)
        yield f"{_cap(pos)} happens to be {x}?", letter_is(at, c)
        yield f"Does {subj} happen to start with {x}?", letter_is(0, c)
        yield f"Would {subj} happen to end with {x}?", letter_is(-1, c)
        yield f"Does {subj} happen to contain {x}?", has(c)
        yield f"Does {subj} happen to be a place?", is_a("place")
        yield f"Does {subj} not happen to start with {x}?", _neg(letter_is(0, c))
    for c, d in (("a", "e"), ("r", "s"), ("o", "n")):
        yield f"Do the letters {c.upper()} and {d.upper()} happen to be in it?", has_all([c, d])
        yield f"It happens to start with {c.upper()}?", letter_is(0, c)


_FIRST_HALF = list("abcdefghijklm")
_SECOND_HALF = list("nopqrstuvwxyz")
#: The letters of a half, said after it.
SAID = (", A to M", ", A-M", ": A through M", ", i.e. A-M", " (A to M)", ", that is, A to M", ", a-m", "; A to M")


def half_said(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"in the first half of the alphabet, A to M": A to M; "the second half, N through Z": N to Z."""
    for i, said in enumerate(SAID):
        subj = SUBJECTS[i % len(SUBJECTS)]
        second = said.replace("A", "N").replace("M", "Z").replace("a-m", "n-z")
        yield f"Is the first letter of {subj} in the first half of the alphabet{said}?", letter_in(0, _FIRST_HALF)
        yield f"Is the last letter of {subj} in the second half of the alphabet{second}?", letter_in(-1, _SECOND_HALF)
        yield f"Does {subj} start with a letter in the first half of the alphabet{said}?", letter_in(0, _FIRST_HALF)
        yield f"Does {subj} end with a letter from the second half of the alphabet{second}?", letter_in(
            -1, _SECOND_HALF)


def _half_or_said(i: int, half: list[str], said: list[str]) -> Truth:
    """A half said with other letters: where the two agree, else open."""
    inside, stated = letter_in(i, half), letter_in(i, said)

    def truth(k: str) -> bool | None:
        a, b = inside(k), stated(k)
        return a if a == b else None

    return truth


def half_said_otherwise(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"the first half of the alphabet (A-N)": the two readings agree on every letter but N."""
    for said, letters in ((", A to N", list("abcdefghijklmn")), (" (A-L)", list("abcdefghijkl")),
                          (": A through K", list("abcdefghijk"))):
        yield f"Is the first letter in the first half of the alphabet{said}?", _half_or_said(0, _FIRST_HALF, letters)


def post_quantifier(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"the letters L and H, both of them", "L, H and A, all three": all of them."""
    for i, subj in enumerate(SUBJECTS):
        a, b, c = rng.sample("abcdehilmnorstu", 3)
        qa, qb, qc = (quote(x, i + j) for j, x in enumerate((a, b, c)))
        for post in (", both of them", ", both", " (both)", ", all of them"):
            yield f"Does {subj} contain the letters {qa} and {qb}{post}?", has_all([a, b])
        yield f"Does {subj} contain {qa} and {qb}, both of them?", has_all([a, b])
        yield f"Does {subj} include {qa}, {qb} and {qc}, all three?", has_all([a, b, c])
        yield f"Does {subj} have the letters {qa}, {qb} and {qc}, all of them?", has_all([a, b, c])


#: Subjects that say how the keyword is sought, with the verb "are" inside them.
SOUGHT = ("the word you are thinking of", "the word we are looking for", "the thing you are thinking of",
          "the place we are trying to guess", "the keyword you are thinking of")


def part_of_sought(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A statement about a part of a subject that says how it is sought: "The initial letter of the word
    you are thinking of is S?" (its "are" is no verb of the statement), "The number of letters in the
    word we are looking for is 7?"."""
    for i, subj in enumerate(SOUGHT * 2):
        c, n = rng.choice("abcdeilmnorstu"), rng.choice((4, 5, 6, 7, 8, 10))
        x = quote(c, i)
        where, at = POSITIONS[i % len(POSITIONS)]
        yield f"{_cap(where.format(s=subj))} is {x}?", letter_is(at, c)
        yield f"{_cap(where.format(s=subj))} is {x}, right?", letter_is(at, c)
        yield f"The number of letters in {subj} is {n}?", _letters_are(n)


def _letters_are(n: int) -> Truth:
    return lambda k: _agree(iter((len(letters(k)) == n, sum(ch.isalpha() for ch in k.lower()) == n)))


CLASSES = {"happen_to": happen_to, "part_of_sought": part_of_sought, "half_said": half_said, "half_said_otherwise": half_said_otherwise,
           "post_quantifier": post_quantifier}


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(13, ["k2", "x-ray", "yoyo", "illinois river", "Glass Table", "guatemala", "Granola",
                           "Ink Cartridge", "sao tome and principe", "Education"])


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_set10_classes_answered_right(world: World, name: str) -> None:
    rng = random.Random(name)
    phrasings = [(v, truth) for q, truth in CLASSES[name](rng) for v in variants(q, rng)]
    assert check_phrasings(world.mod, world.keywords, phrasings, world.known) > 200


@pytest.mark.parametrize(
    "question",
    [
        "Doesn't it happen to start with B?",  # a negative question: yes may confirm either
        "Does 'happen to' appear in it?",  # quoted: letters, no hedge
        "Does it happen to start with A and end with E?",  # two clauses
        "Does it contain the letters L, H and A, all two?",  # the count is not the list's
        "Does it not contain the letters L and H, both of them?",  # neither, or not both?
        "Does it contain L and H, both of them together?",  # next to each other?
        "Is the first letter in the first half of the alphabet, A to M, or Z?",
    ],
)
def test_set10_traps_stay_declined(world: World, question: str) -> None:
    assert answered(world.mod, question, world.keywords) == []
