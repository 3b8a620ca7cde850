"""The classes of held-out set 8's declines (issue 23), each generated over its subjects, letters,
quote kinds and case, with and without lead-ins, and checked on the public keyword list: a
statement whose subject says how the keyword is sought ("the word we are looking for starts with V",
after "Am I right to think" or "Is it true that"), "X or a letter before it in the alphabet" (and
after it), "every vowel (A, E, I, O, U)", and "written without any spaces".

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
    _counted,
    _neg,
    check_phrasings,
    has,
    is_a,
    letter_in,
    letter_is,
    letters,
)

#: Subjects that say how the keyword is sought, with the verb "are" or "is" inside them.
SOUGHT_SUBJECTS = ("the word we are looking for", "the thing you are thinking of", "the word we're trying to guess",
                   "the keyword you are thinking of", "the place we are looking for", "the answer we are looking for",
                   "the word I am trying to guess", "the keyword you were given")
#: What makes a statement a question (its answer is the statement's truth).
FRAMES = ("{S}?", "Am I right to think {s}?", "Is it true that {s}?", "Would I be correct in saying {s}?",
          "I think {s}, right?", "{S}, correct?")


def sought_subjects(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Statements of several classes about a subject that says how it is sought."""
    for i, (subj, frame) in enumerate(zip(SOUGHT_SUBJECTS * 3, FRAMES * 4, strict=False)):
        c, n = rng.choice("abcdelmnrstv"), rng.choice((5, 6, 8, 10))
        x = quote(c, i)
        for said, truth in ((f"{subj} starts with {x}", letter_is(0, c)), (f"{subj} ends in {x}", letter_is(-1, c)),
                            (f"{subj} does not start with {x}", _neg(letter_is(0, c))),
                            (f"{subj} contains {x}", has(c)),
                            (f"{subj} has more than {n} letters", _counted("letters", lambda v, n: v > n, n)),
                            (f"{subj} is a place", is_a("place"))):
            yield frame.format(s=said, S=said[0].upper() + said[1:]), truth


def _from(c: str, up: bool) -> list[str]:
    """``c`` and the letters before it (``up``: after it)."""
    abc = "abcdefghijklmnopqrstuvwxyz"
    i = abc.index(c)
    return list(abc[i:] if up else abc[: i + 1])


BEFORE_IT = ("or a letter before it in the alphabet", "or a letter before it", "or any letter before it",
             "or a letter earlier than it", "or a letter preceding it")
AFTER_IT = ("or a letter after it in the alphabet", "or a letter after it", "or any letter after that one",
            "or a letter later than it", "or a letter following it")


def letter_or_before_it(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Does it start with Y or a letter before it in the alphabet?" (Y included), and after it."""
    subjects = ("it", "the keyword", "the secret word", "your word", "the mystery word", "the name of the place")
    for i, subj in enumerate(subjects * 2):
        c = rng.choice("cdhkmoprstvy")
        x = quote(c, i).replace("the letter ", "")
        before, after = BEFORE_IT[i % len(BEFORE_IT)], AFTER_IT[i % len(AFTER_IT)]
        yield f"Does {subj} start with {x} {before}?", letter_in(0, _from(c, False))
        yield f"Does {subj} end with {x} {after}?", letter_in(-1, _from(c, True))
        yield f"Is the first letter of {subj} {x} {after}?", letter_in(0, _from(c, True))
        yield f"Does {subj} not start with {x} {before}?", _neg(letter_in(0, _from(c, False)))


def _every_vowel(k: str) -> bool | None:
    return all(v in letters(k) for v in "aeiou")


def _every_vowel_with_y(k: str) -> bool | None:
    return _agree(iter((all(v in letters(k) for v in "aeiou"), all(v in letters(k) for v in "aeiouy"))))


def every_vowel(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"every vowel (A, E, I, O, U)": the five; "every vowel" alone: with or without y (where they agree)."""
    for subj in ("the keyword", "it", "the mystery word", "your word"):
        for verb in ("use", "contain", "include", "have"):
            yield f"Does {subj} {verb} every vowel (A, E, I, O, U)?", _every_vowel
            yield f"Does {subj} {verb} every single vowel (a, e, i, o and u)?", _every_vowel
            yield f"Does {subj} {verb} every vowel?", _every_vowel_with_y


def _one_word(k: str) -> bool | None:
    return " " not in k.strip()


def written_without(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Is it written without any spaces?" (one word), "spelled without an E" (no E)."""
    for i, subj in enumerate(("it", "the keyword", "your keyword", "the answer", "the word", "the name of the place")):
        c = rng.choice("abeilnorstu")
        x = quote(c, i)
        article = "an" if c in "aefhilmnorsx" else "a"
        yield f"Is {subj} written without any spaces?", _one_word
        yield f"Is {subj} written without spaces?", _one_word
        yield f"Is {subj} spelled without any spaces?", _one_word
        yield f"Is {subj} spelled without {article} {x.replace('the letter ', '')}?", _neg(has(c))
        yield f"Is {subj} written without hyphens?", lambda k: "-" not in k


CLASSES = {"sought_subjects": sought_subjects, "letter_or_before_it": letter_or_before_it,
           "every_vowel": every_vowel, "written_without": written_without}


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(13, ["k2", "x-ray", "yoyo", "denmark", "Smoke Detector", "argentina", "Journal", "sierra leone",
                           "Seed packet", "Education"])


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_set8_classes_answered_right(world: World, name: str) -> None:
    rng = random.Random(name)
    phrasings = [(v, truth) for q, truth in CLASSES[name](rng) for v in variants(q, rng)]
    assert check_phrasings(world.mod, world.keywords, phrasings, world.known) > 500


@pytest.mark.parametrize(
    "question",
    [
        "Does it start with Y or a letter before Z?",  # another letter named: not read
        "Does it start with Y or a letter before it in French?",
        "Is it not written without spaces?",  # double negatives
        "Is it written without no spaces?",
        "Is it written without a capital letter?",  # case is no spelling the game compares
        "The word we are looking for is in Europe?",  # a statement no template reads
        "The word we are thinking of starts with B, doesn't it not?",
    ],
)
def test_set8_traps_stay_declined(world: World, question: str) -> None:
    assert answered(world.mod, question, world.keywords) == []
