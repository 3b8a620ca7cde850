"""The classes of held-out set 5's declines (issue 23), each generated over its subjects, letters,
numbers, quote kinds and case, with and without lead-ins, tags and how to answer, and checked on the
public keyword list: the phrasal verbs of the edges ("start off with", "kick off with", "finish
with", "wrap up with"; "Would the thing you're thinking of end in the letter R?"), the first or last
N letters ("are the last two letters of it 'ip'": a prefix or suffix of as many letters as said),
"does an L appear (anywhere) in it", "begin with X or an earlier letter" / "or a later letter" (the
letter itself included), a colon before a set ("one of these: K, M, F"), and a range of a length
with "long" before ", inclusive" ("from 9 to 11 letters long, inclusive").

The truth of each phrasing is a plain string expression on the keyword (test_oracle_classes.py),
never the oracle's code; the traps that change a reading stay declined.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest
from oracle_checks import World, answered, make_world, quote, quote_text, variants
from test_oracle_classes import (
    SUBJECTS,
    Truth,
    _agree,
    _counted,
    _neg,
    check_phrasings,
    has_any,
    letter_in,
    letter_is,
    letters,
    on,
)

#: Said after the question: a tag, how to answer, or a sentence of talk.
AFTERS = ("", " (yes/no)", " Yes or no?", ", then?", " Thanks!", "?")
#: The phrasal verbs of the first letter, and of the last.
STARTS = ("start off with", "start out with", "kick off with", "begin with", "start with")
ENDS = ("finish with", "wrap up with", "finish off with", "finish up with", "end in", "end with")


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(13, ["k2", "x-ray", "yoyo", "mount fuji", "Air compressor", "sydney australia", "Power strip",
                           "Shower caddy", "Vitamin C", "peru", "Lottery Ticket", "Punching Bag", "ganges"])


def _said(q: str, rng: random.Random) -> str:
    """``q`` with something said after it (the "?" kept or not)."""
    after = rng.choice(AFTERS)
    return q.rstrip("?") + after if after.startswith(",") else q + after.lstrip("?")


def edge_verbs(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Does the thing you're thinking of start off with an L", "Would it finish with U", "Would the
    thing you're thinking of end in the letter R", "Is it kicking off with B"."""
    for i, (subj, start, end) in enumerate(zip(SUBJECTS, itertools.cycle(STARTS), itertools.cycle(ENDS),
                                               strict=False)):
        c, d = rng.choice("abcdeghklmprstw"), rng.choice("aehlnrsty")
        x, y = quote(c, i), quote(d, i + 3)
        yield _said(f"Does {subj} {start} {x}?", rng), letter_is(0, c)
        yield _said(f"Does {subj} {end} {y}?", rng), letter_is(-1, d)
        yield _said(f"Would {subj} {start} {x}?", rng), letter_is(0, c)
        yield _said(f"Would {subj} {end} {y}?", rng), letter_is(-1, d)
        yield _said(f"Could {subj} {end} {y}?", rng), letter_is(-1, d)
        yield f"Does {subj} not {start} {x}?", _neg(letter_is(0, c))
        yield f"Would {subj} not {end} {y}?", _neg(letter_is(-1, d))
        yield f"Does {subj} {start} a vowel?", on(0, lambda v: None if v == "y" else v in "aeiou")
    for subj in ("the thing you're thinking of", "the place you're thinking of", "the item you have in mind",
                 "the object", "the mystery word", "your secret keyword", "the location"):
        yield f"Would {subj} end in the letter R?", letter_is(-1, "r")
        yield f"Would {subj} finish with U?", letter_is(-1, "u")
        yield f"Would {subj} start off with `C`?", letter_is(0, "c")
        yield f"Is {subj} starting off with an L?", letter_is(0, "l")
        yield f"Is {subj} wrapping up with a T?", letter_is(-1, "t")
    yield "Starts off with C?", letter_is(0, "c")
    yield "Kicks off with a B?", letter_is(0, "b")


#: Strings of two and three letters that keywords of the list end or start with, and some they do not.
_SUFFIXES = ("ip", "et", "dy", "er", "ru", "us", "ng", "ia", "ch", "ne", "ll", "on", "ing", "ion", "ter", "ine", "and")
_PREFIXES = ("pr", "ca", "sh", "po", "ba", "st", "ch", "mo", "car", "pho", "sta", "ban", "tr")


def _ends(text: str) -> Truth:
    """``text`` at the end of the keyword as written, and of its letters and digits run together."""
    return lambda k: _agree(iter((k.lower().strip().endswith(text), letters(k).endswith(text))))


def _starts(text: str) -> Truth:
    return lambda k: _agree(iter((k.lower().strip().startswith(text), letters(k).startswith(text))))


_N_WORDS = {2: "two", 3: "three"}


def edge_letters(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Are the last two letters of the answer 'ip'", "are its first three letters 'pho'", "do the
    last two letters of it spell 'er'", "is 'ip' the last two letters of it"."""
    for i, (subj, text) in enumerate(zip(SUBJECTS, itertools.cycle(_SUFFIXES), strict=False)):
        n = _N_WORDS[len(text)] if i % 3 else str(len(text))
        x = quote_text(text, i)
        last = rng.choice(("last", "final", "very last"))
        yield _said(f"Are the {last} {n} letters of {subj} {x}?", rng), _ends(text)
        yield f"Are the {last} {n} letters of {subj} not {x}?", _neg(_ends(text))
        yield f"Do the last {n} letters of {subj} spell {x}?", _ends(text)
        yield f"Is {x} the last {n} letters of {subj}?", _ends(text)
        yield f"Are the last {n} characters of {subj} {x}?", _ends(text)
    for i, (poss, text) in enumerate(itertools.product(("its", "the keyword's", "the secret word's"), _SUFFIXES)):
        yield f"Are {poss} last {_N_WORDS[len(text)]} letters {quote_text(text, i)}?", _ends(text)
    for i, (subj, text) in enumerate(zip(SUBJECTS, itertools.cycle(_PREFIXES), strict=False)):
        x = quote_text(text, i)
        yield _said(f"Are the first {_N_WORDS[len(text)]} letters of {subj} {x}?", rng), _starts(text)
        yield f"Do the first {len(text)} letters of {subj} form {x}?", _starts(text)
    for i, (poss, text) in enumerate(itertools.product(("its", "the keyword's", "your word's"), _PREFIXES)):
        yield f"Are {poss} first {_N_WORDS[len(text)]} letters {quote_text(text, i)}?", _starts(text)


def appears(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Does an L appear in the object", "Does an X appear anywhere in the word", with an article."""
    for i, subj in enumerate(SUBJECTS):
        c = rng.choice("abcdefhilmnorsxz")
        article = "an" if c in "aefhilmnorsx" else "a"
        x = quote(c, i).replace("the letter ", "")
        yield _said(f"Does {article} {x} appear in {subj}?", rng), has_any([c])
        yield _said(f"Does {article} {x} appear anywhere in {subj}?", rng), has_any([c])
        yield f"Does {article} {x} not appear in {subj}?", _neg(has_any([c]))
        yield f"Does {article} {x} occur somewhere in {subj}?", has_any([c])


def _at_or_before(i: int, c: str) -> Truth:
    return on(i, lambda v: v <= c)


def _at_or_after(i: int, c: str) -> Truth:
    return on(i, lambda v: v >= c)


def _within(unit: str, lo: int, hi: int, inclusive: bool = True) -> Truth:
    if inclusive:
        return _counted(unit, lambda v, n: lo <= v <= hi, lo)
    return _counted(unit, lambda v, n: lo < v < hi, lo)


def or_earlier(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Does it begin with X or an earlier letter": the first letter at X or before (and later: at or after)."""
    for i, subj in enumerate(SUBJECTS):
        c = rng.choice("bcdfghkmnpqrstwx")
        x = quote(c, i)
        at_or_before, at_or_after = _at_or_before(0, c), _at_or_after(0, c)
        yield _said(f"Does {subj} begin with {x} or an earlier letter?", rng), at_or_before
        yield _said(f"Does {subj} start with {x} or a later letter?", rng), at_or_after
        yield f"Does {subj} begin with {x} or an earlier letter in the alphabet?", at_or_before
        yield f"Does {subj} begin with {x} or any later letter?", at_or_after
        yield f"Is the first letter of {subj} {x} or a later one?", at_or_after
        yield f"Does {subj} end with {x} or an earlier letter?", _at_or_before(-1, c)
        yield f"Does {subj} not begin with {x} or an earlier letter?", _neg(at_or_before)


def one_of_these(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Is the first letter of the object one of these: K, M, F" (at a position and anywhere)."""
    for i, subj in enumerate(SUBJECTS):
        chosen = rng.sample("abcdefghiklmnoprstuwy", 3)
        items = ", ".join(quote(c, i).replace("the letter ", "") for c in chosen)
        yield _said(f"Is the first letter of {subj} one of these: {items}?", rng), letter_in(0, chosen)
        yield f"Is the last letter of {subj} one of these : {items}?", letter_in(-1, chosen)
        yield f"Does {subj} start with one of these: {items}?", letter_in(0, chosen)
        yield f"Does {subj} contain one of these: {items}?", has_any(chosen)
        yield f"Does {subj} contain any of these: {items}?", has_any(chosen)


def range_long(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Is the answer from 9 to 11 letters long, inclusive" (and between, exclusive, characters)."""
    for subj in SUBJECTS:
        n = rng.choice((4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 21))
        m = n + rng.choice((1, 2, 3))
        inside = _within("letters", n, m)
        yield _said(f"Is {subj} from {n} to {m} letters long, inclusive?", rng), inside
        yield _said(f"Is {subj} between {n} and {m} letters long, inclusive?", rng), inside
        yield f"Is {subj} from {n} to {m} letters long (inclusive)?", inside
        yield f"Is {subj} {n} to {m} letters long, inclusive?", inside
        yield f"Is {subj} between {n} and {m} letters long, exclusive?", _within("letters", n, m, inclusive=False)
        yield f"Is {subj} from {n} to {m} characters long, inclusive?", _within("characters", n, m)
        yield f"Is {subj} not from {n} to {m} letters long, inclusive?", _neg(inside)


CLASSES = {"edge_verbs": edge_verbs, "edge_letters": edge_letters, "appears": appears, "or_earlier": or_earlier,
           "one_of_these": one_of_these, "range_long": range_long}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_set5_classes_answered_right(world: World, name: str) -> None:
    rng = random.Random(name)
    phrasings = [(v, truth) for q, truth in CLASSES[name](rng) for v in variants(q, rng)]
    assert check_phrasings(world.mod, world.keywords, phrasings, world.known) > 1000


@pytest.mark.parametrize(
    "question",
    [
        "Does it start off with A and end with E?",  # two conditions
        "Does it kick off with a vowel sound?",
        "Are the last two letters of it 'ion'?",  # two letters, three said
        "Are the last three letters of it 'er'?",
        "Are the last two letters of it 'e' and 'r'?",
        "Are the last two letters of the first word 'er'?",
        "Are the last two letters of it 'r-'?",  # not letters
        "Does an apple appear in it?",  # a thing, not a letter
        "Does an L appear in the picture?",
        "Does it begin with B or an earlier letter and end with E?",
        "Is the first letter one of these: K, M, F, or the last one?",
        "Is it from 9 to 11 letters long, inclusive, in French?",
        "Would the thing you're thinking of be found under R?",  # under R of what?
    ],
)
def test_set5_traps_stay_declined(world: World, question: str) -> None:
    assert answered(world.mod, question, world.keywords) == []


def test_edge_letters_open_where_the_last_word_is_too_short(world: World) -> None:
    """"Vitamin C": "nc" ends its letters run together but not the name as written: open; "in"
    ends neither: no."""
    rule = world.mod.parse("Are the last two letters of the keyword 'nc'?")
    subject = world.mod.Subject("Vitamin C", (), "things")
    assert world.mod.oracle.verdict(rule, subject) is None
    rule = world.mod.parse("Are the last two letters of the keyword 'in'?")
    assert world.mod.oracle.verdict(rule, subject) == "no"
