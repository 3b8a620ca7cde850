"""The oracle's classes, phrased many ways: every supported phrasing answered right, for every
keyword of a sample of the public list; a phrasing with a clause the grammar does not read
declined (the model's).

The phrasings are generated from a small grammar per class (subjects x letter quotes x
comparators x negation ...), and the truth from plain string expressions on the keyword,
written here without the oracle's code: letters are the keyword's letters and digits in
lower case, words are split at spaces, "y" is no sure vowel, "characters" without saying
whether spaces count leave a keyword with spaces open; the category is the game's (from the
public list's file), and a described place ("a place you can visit") is open for a thing of
the game that is a site in everyday words (:data:`SITES`, labelled by hand).  ``None`` from a
truth function marks such a keyword: the oracle must then decline (never guess).
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import re
import string
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from class_truth import physical
from factories.agents import TEMPLATE, import_agent_module

Truth = Callable[[str], "bool | None"]

SUBJECTS = ("the keyword", "it", "the word", "the secret word", "the answer", "its name", "the name of the keyword",
            "the keyword (in lowercase)", "the hidden word", "the thing", "the place", "this", "your keyword",
            "the name", "the word you're thinking of", "the keyword we're looking for", "the word in question",
            "the thing you have in mind", "the word I'm trying to guess", "the correct answer", "the place you chose",
            "your secret keyword", "the word to guess", "the keyword you were given")
POSSESSIVES = ("the keyword's", "its", "the secret word's")


def _quote(letter: str, style: int) -> str:
    return [letter.upper(), f"'{letter}'", f'"{letter.upper()}"', f"\u2018{letter}\u2019", f"\u201c{letter}\u201d",
            f"the letter {letter.upper()}", f"the letter '{letter}'"][style % 7]


def letters(k: str) -> str:
    return "".join(c for c in k.lower() if c.isalnum())


def vowel(c: str) -> bool | None:
    return None if c == "y" else c in "aeiou"


def on(i: int, pred: Callable[[str], "bool | None"]) -> Truth:
    """``pred`` on the letter at ``i`` ("" past the end) of the keyword's letters and digits,
    and of its letters only; None when the two disagree or one is unsure."""

    def truth(k: str) -> bool | None:
        found = set()
        for seq in (letters(k), "".join(c for c in k.lower() if c.isalpha())):
            x = seq[i] if -len(seq) <= i < len(seq) else ""
            found.add(pred(x) if x else False)
        return found.pop() if len(found) == 1 else None

    return truth


@pytest.fixture(scope="module")
def mod() -> Any:
    return import_agent_module(None)


@pytest.fixture(scope="module")
def keywords(mod: Any) -> list[str]:
    cands = mod.load_candidates(str(TEMPLATE))
    picked = [c.keyword for c in cands[::23]]
    return picked + ["k2", "Air compressor", "sydney australia", "Mouse", "yoyo", "x-ray", "mount fuji", "Stadium",
                     "Telescope", "Wall Street", "Tennis court", "el salvador"]


@functools.cache
def _categories() -> dict[str, frozenset[str]]:
    data = json.loads((TEMPLATE / "agent20q" / "keywords.json").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for name, rows in data["categories"].items():
        for row in rows:
            found.setdefault(row[0].lower(), set()).add(name)
    return {k: frozenset(v) for k, v in found.items()}


def category(k: str) -> str:
    """The keyword's category in the game ("" when it is in none or in both: "Turkey")."""
    cats = _categories().get(k.lower(), frozenset())
    return next(iter(cats)) if len(cats) == 1 else ""


def _neg(truth: Truth) -> Truth:
    return lambda k: None if truth(k) is None else not truth(k)


def _counts(k: str, unit: str) -> tuple[int, ...]:
    """The keyword's count in ``unit``, one per reading: letters with and without digits,
    words split at spaces and also at hyphens, characters with and without spaces."""
    low = k.lower()
    if unit == "letters":
        return (len(letters(k)), sum(c.isalpha() for c in low))
    if unit == "words":
        return (len(low.split()), len(low.replace("-", " ").split()))
    if unit == "length":  # no unit said: letters or characters
        return _counts(k, "letters") + _counts(k, "characters")
    if unit in ("vowels", "consonants"):  # "y" a vowel, or a consonant
        vowels = (sum(c in "aeiou" for c in low), sum(c in "aeiouy" for c in low))
        alpha = sum(c.isalpha() for c in low)
        return vowels if unit == "vowels" else (alpha - vowels[1], alpha - vowels[0])
    return (len(low.replace(" ", "")), len(low))  # characters


def _agree(values: Iterator[bool | None]) -> bool | None:
    found = set(values)
    return found.pop() if len(found) == 1 else None


# ------------------------------------------------------------------- truth factories


def letter_is(i: int, c: str) -> Truth:
    return on(i, lambda x: x == c)


def letter_in(i: int, chosen: str | list[str]) -> Truth:
    return on(i, lambda x: x in chosen)


def letter_between(i: int, lo: str, hi: str) -> Truth:
    return on(i, lambda x: lo <= x <= hi)


def letter_cmp(i: int, op: str, c: str) -> Truth:
    return on(i, lambda x: {"lt": x < c, "gt": x > c, "le": x <= c}[op])


def has(c: str) -> Truth:
    return lambda k: c in letters(k)


def has_count(c: str, check: Callable[[int], bool]) -> Truth:
    return lambda k: check(letters(k).count(c))


def has_any(chosen: list[str]) -> Truth:
    return lambda k: any(c in letters(k) for c in chosen)


def has_all(chosen: list[str]) -> Truth:
    return lambda k: all(c in letters(k) for c in chosen)


def substring(t: str) -> Truth:
    """``t`` in the keyword as written, and in its letters and digits run together (both)."""
    return lambda k: _agree(iter((t in k.lower(), t in letters(k))))


def word_before(w: str) -> Truth:
    return lambda k: k.lower() < w


def word_after(w: str) -> Truth:
    return lambda k: k.lower() > w


def _consonant(x: str) -> bool | None:
    return None if x == "y" else x.isalpha() and x not in "aeiou"


# ------------------------------------------------------------------------ the grammar


def first_letter(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for subj, style in itertools.product(SUBJECTS, range(7)):
        c = rng.choice("abcdefghijklmnoprstuw")
        x = _quote(c, style)
        yield f"Does {subj} start with {x}?", letter_is(0, c)
        yield f"Does {subj} begin with {x}?", letter_is(0, c)
        yield f"Is the first letter of {subj} {x}?", letter_is(0, c)
        yield f"Is {x} the first letter of {subj}?", letter_is(0, c)
    for poss, c in itertools.product(POSSESSIVES, "bmst"):
        yield f"Is {poss} first letter {c.upper()}?", letter_is(0, c)
        yield f"Is {poss} initial letter an {c.upper()}?", letter_is(0, c)
    yield "Does the keyword start with an A?", letter_is(0, "a")
    yield "Does the keyword start with a B?", letter_is(0, "b")
    yield "does the keyword start with the character 's'", letter_is(0, "s")
    yield "Does the keyword have 'c' as its first letter?", letter_is(0, "c")
    for i, c in enumerate("bear"):
        yield f"Is the letter at position {i + 1} of the keyword {_quote(c, i)}?", letter_is(i, c)
        yield f"Is the letter in position {_WORDS[i + 1]} a vowel?", on(i, vowel)
        yield f"Is {c.upper()} the letter at position {i + 1}?", letter_is(i, c)


def last_letter(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for subj, style in itertools.product(SUBJECTS, range(7)):
        c = rng.choice("aehlnrsty")
        x = _quote(c, style)
        yield f"Does {subj} end with {x}?", letter_is(-1, c)
        yield f"Does {subj} end in {x}?", letter_is(-1, c)
        yield f"Is the last letter of {subj} {x}?", letter_is(-1, c)
        yield f"Is the final letter of {subj} {x}?", letter_is(-1, c)
    yield "Is E the last letter of the keyword?", letter_is(-1, "e")
    yield "Does the keyword finish with an 's'?", letter_is(-1, "s")
    yield "Is the second letter of the keyword 'a'?", letter_is(1, "a")
    yield "Is the third letter of the keyword an R?", letter_is(2, "r")
    yield "Is the second to last letter of the keyword 'e'?", letter_is(-2, "e")


def _last_is(c: str) -> Truth:
    """The last of the keyword's letters and digits is ``c`` (a digit: no reading without digits)."""
    return lambda k: letters(k)[-1] == c


def contains_letter(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for subj, style in itertools.product(SUBJECTS, range(7)):
        c = rng.choice("abeiklnoprstuz")
        x = _quote(c, style)
        yield f"Does {subj} contain {x}?", has(c)
        yield f"Does {subj} include {x}?", has(c)
        yield f"Does {subj} have {x} in it?", has(c)
        yield f"Is there {'an' if c in 'aeio' else 'a'} {x} in {subj}?", has(c)
        yield f"Is {x} in {subj}?", has(c)
        yield f"Does {x} appear in {subj}?", has(c)
    yield "Is the letter 'x' present in the keyword?", has("x")
    yield "Does the letter E appear in the keyword more than once?", has_count("e", lambda n: n > 1)
    yield "Does the keyword contain the letter 'o' at least twice?", has_count("o", lambda n: n >= 2)
    yield "Does the keyword contain at least one 'r'?", has("r")
    yield "Does the keyword contain exactly one 'a'?", has_count("a", lambda n: n == 1)
    yield ("Considering every letter in the name of the keyword, does the name of the keyword include the letter "
           "'Z'?", has("z"))
    yield "Does the keyword contain the letter 'e' twice?", \
        lambda k: None if letters(k).count("e") > 2 else letters(k).count("e") == 2
    yield "Is R one of the letters in the keyword?", has("r")
    for d in "259":
        yield f"Does the keyword contain the digit {d}?", has(d)
        yield f"Does the keyword end with the number {d}?", _last_is(d)
    yield "Does the keyword end with a digit?", lambda k: letters(k)[-1].isdigit()
    yield "Does the keyword start with a number?", lambda k: letters(k)[0].isdigit()


def letter_range(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for lo, hi in (("a", "m"), ("c", "k"), ("n", "z"), ("b", "e"), ("m", "s")):
        inside, last_inside = letter_between(0, lo, hi), letter_between(-1, lo, hi)
        u, v = lo.upper(), hi.upper()
        yield f"Does the keyword start with a letter between {u} and {v}?", inside
        yield f"Does the keyword start with a letter between '{lo}' and '{hi}' (inclusive)?", inside
        yield f"Does the keyword begin with a letter from {u} to {v}?", inside
        yield f"Does the keyword start with a letter in the range {u}-{v}?", inside
        yield f"Is the first letter of the keyword between {u} and {v}?", inside
        yield f"Is the first letter of the keyword in the range {lo}-{hi}?", inside
        yield f"Is the keyword's first letter {u} through {v}?", inside
        yield f"Does the first letter of the keyword fall between {u} and {v}?", inside
        yield f"Is the last letter of the keyword between {u} and {v}?", last_inside
        yield f"Does the keyword end with a letter from {u} to {v}?", last_inside
    for half, lo, hi in (("first", "a", "m"), ("second", "n", "z")):
        yield f"Is the first letter of the keyword in the {half} half of the alphabet?", letter_between(0, lo, hi)
        yield f"Does the keyword start with a letter in the {half} half of the alphabet?", letter_between(0, lo, hi)
    for c in "fmnt":
        yield f"Does the keyword's first letter come before '{c}' in the alphabet?", letter_cmp(0, "lt", c)
        yield f"Is the first letter of the keyword alphabetically before {c.upper()}?", letter_cmp(0, "lt", c)
        yield f"Does the keyword start with a letter that comes after {c.upper()}?", letter_cmp(0, "gt", c)
        yield f"Is the first letter of the keyword after {c.upper()} in the alphabet?", letter_cmp(0, "gt", c)
        yield f"Does the keyword start with a letter {c.upper()} or earlier?", letter_cmp(0, "le", c)
        yield f"Is the first letter on or before {c.upper()}?", letter_cmp(0, "le", c)
        yield f"Is the first letter at or after {c.upper()} in the alphabet?", _neg(letter_cmp(0, "lt", c))
    for lo, hi in (("c", "k"), ("n", "t")):
        yield f"Is the opening letter somewhere between {lo.upper()} and {hi.upper()}?", letter_between(0, lo, hi)
        yield f"Is the first letter anywhere from {lo.upper()} to {hi.upper()}?", letter_between(0, lo, hi)
        yield f"Is the first letter alphabetically between {lo.upper()} and {hi.upper()}?", letter_between(0, lo, hi)
        yield f"Does the last letter come somewhere in {lo.upper()} to {hi.upper()}?", letter_between(-1, lo, hi)


def letter_set(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for _ in range(12):
        chosen = rng.sample("abcdefghiklmnoprstuw", rng.choice((2, 3, 4)))
        up = [c.upper() for c in chosen]
        listed = ", ".join(up[:-1]) + " or " + up[-1]
        quoted = ", ".join(f"'{c}'" for c in chosen)
        yield f"Does the keyword start with one of the letters {listed}?", letter_in(0, chosen)
        yield f"Does the keyword start with one of {listed}?", letter_in(0, chosen)
        yield f"Is the first letter of the keyword {listed}?", letter_in(0, chosen)
        yield f"Is the first letter of the keyword one of the following: {quoted}?", letter_in(0, chosen)
        yield f"Does the keyword end with one of the letters {listed}?", letter_in(-1, chosen)
        yield f"Does the keyword contain any of the letters {listed}?", has_any(chosen)
        yield f"Does the keyword contain all of the letters {', '.join(up)}?", has_all(chosen)
        yield f"Is any of the letters [{quoted}] inside the spelling of the keyword?", has_any(chosen)
    yield "Does the keyword start with one of A, E, I, O or U?", letter_in(0, "aeiou")
    yield "Does the keyword start with a vowel?", on(0, vowel)
    yield "Does the keyword end with a vowel?", on(-1, vowel)
    yield "Is the first letter of the keyword a vowel?", on(0, vowel)
    yield "Is the last letter of the keyword a consonant?", on(-1, _consonant)
    yield "Does the keyword end with a vowel (a, e, i, o or u)?", letter_in(-1, "aeiou")
    yield "Does the keyword contain the letters A and E?", has_all(["a", "e"])
    yield "Does the keyword contain both O and R?", has_all(["o", "r"])
    yield "Does the keyword contain the letter A or E?", has_any(["a", "e"])
    for a, b in (("a", "b"), ("e", "n"), ("o", "r"), ("i", "t")):
        yield f"Does the keyword contain both an {a.upper()} and a {b.upper()}?", has_all([a, b])
        yield f"Does the keyword contain a {b.upper()} and an {a.upper()}?", has_all([a, b])
        yield f"Do you see an {a.upper()} in the keyword?", has(a)
        yield f"Does the keyword contain neither an {a.upper()} nor a {b.upper()}?", _neg(has_any([a, b]))
    yield "Does the keyword contain the vowels A and E?", has_all(["a", "e"])
    for chosen in (["q", "x", "z"], ["b", "k", "w"], ["e", "o", "u"]):
        up = [c.upper() for c in chosen]
        yield f"Does the keyword contain a letter from the set {', '.join(up)}?", has_any(chosen)
        yield f"Does the keyword contain any letter from the set {{{', '.join(up)}}}?", has_any(chosen)
        yield f"Is the first letter one of: {', '.join(up)}?", letter_in(0, chosen)
        yield f"Does the first letter belong to the set {', '.join(up)}?", letter_in(0, chosen)
        yield f"Does the keyword contain all three letters {up[0]}, {up[1]} and {up[2]}?", has_all(chosen)
    yield "Does the keyword start with one of the vowels A, E or I?", letter_in(0, "aei")
    all_vowels = lambda k: _agree(all(c in letters(k) for c in v) for v in ("aeiou", "aeiouy"))  # noqa: E731
    yield "Does the keyword contain all the vowels?", all_vowels
    yield "Does the keyword contain every vowel?", all_vowels
    yield "Does the keyword contain all five vowels?", lambda k: all(c in letters(k) for c in "aeiou")
    yield "Does the keyword contain an apostrophe?", lambda k: "'" in k or "\u2019" in k
    yield "Does the keyword contain any punctuation?", lambda k: any(c in string.punctuation for c in k)
    yield "Does the keyword contain a special character?", \
        lambda k: _agree(iter((any(not c.isalnum() and c != " " for c in k), any(not c.isalnum() for c in k))))
    yield "Does the keyword consist of letters only?", \
        lambda k: _agree(iter((k.replace(" ", "").isalpha(), k.isalpha())))
    yield "Is the keyword made up of only letters?", \
        lambda k: _agree(iter((k.replace(" ", "").isalpha(), k.isalpha())))


def negation(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for gen in (first_letter, last_letter, contains_letter, letter_range, letter_set):
        for q, truth in itertools.islice(gen(rng), 0, None, 9):
            if re.match(r"Does the keyword (?:start|begin|end|contain|include|have|finish) ", q) and "(" not in q \
                    and "neither" not in q:
                yield "Does the keyword not " + q[len("Does the keyword "):], _neg(truth)
            elif q.startswith("Is the first letter of the keyword ") and "(" not in q and " you " not in q:
                yield "Is the first letter of the keyword not " + q[len("Is the first letter of the keyword "):], \
                    _neg(truth)
            elif q.startswith("Does the keyword start with"):
                yield "Is it true that the keyword starts with" + q[len("Does the keyword start with"):], truth
    yield "Does the keyword start with a letter other than S?", _neg(letter_is(0, "s"))
    yield "Does the keyword lack the letter 'e'?", _neg(has("e"))
    yield "Does the keyword contain no letter Z?", _neg(has("z"))
    yield "Does the keyword contain none of the letters A, E or I?", _neg(has_any(["a", "e", "i"]))
    yield "Is it true that the keyword does not contain an R?", _neg(has("r"))
    yield "Is it false that the keyword starts with M?", _neg(letter_is(0, "m"))
    yield "Is the keyword not a single word?", _neg(_counted("words", lambda v, n: v == n, 1))
    yield "Does the keyword not have more than 6 letters?", _neg(_counted("letters", lambda v, n: v > n, 6))
    yield "Is the letter 'e' absent from the keyword?", _neg(has("e"))
    for c in "aemst":
        yield f"Is it right to say it starts with {c.upper()}?", letter_is(0, c)
        yield f"Is it false to say that the keyword starts with {c.upper()}?", _neg(letter_is(0, c))
        yield f"Is it true the keyword ends in {c.upper()}?", letter_is(-1, c)
        yield f"Would it be incorrect to say that it contains {c.upper()}?", _neg(has(c))
        yield f"Would it be wrong to say the keyword starts with {c.upper()}?", _neg(letter_is(0, c))
        yield f"Would it be true to say it ends in {c.upper()}?", letter_is(-1, c)
        yield f"Is the keyword missing the letter {c.upper()}?", _neg(has(c))
        yield f"Is {c.upper()} absent in the keyword?", _neg(has(c))


_COMPARATORS: tuple[tuple[str, Callable[[int, int], bool]], ...] = (
    ("more than {n} {u}", lambda v, n: v > n), ("over {n} {u}", lambda v, n: v > n),
    ("at least {n} {u}", lambda v, n: v >= n), ("{n} {u} or more", lambda v, n: v >= n),
    ("{n} or more {u}", lambda v, n: v >= n), ("no fewer than {n} {u}", lambda v, n: v >= n),
    ("fewer than {n} {u}", lambda v, n: v < n), ("less than {n} {u}", lambda v, n: v < n),
    ("under {n} {u}", lambda v, n: v < n), ("at most {n} {u}", lambda v, n: v <= n),
    ("{n} {u} or fewer", lambda v, n: v <= n), ("{n} {u} or less", lambda v, n: v <= n),
    ("no more than {n} {u}", lambda v, n: v <= n), ("exactly {n} {u}", lambda v, n: v == n),
    ("{n} {u}", lambda v, n: v == n), ("between {n} and {m} {u}", lambda v, n: n <= v <= n + 3),
    ("from {n} to {m} {u}", lambda v, n: n <= v <= n + 3), ("{n}-{m} {u}", lambda v, n: n <= v <= n + 3),
    ("more than {n} but fewer than {m} {u}", lambda v, n: n < v < n + 3),
    ("{n} {u} at most", lambda v, n: v <= n), ("{n} {u} at least", lambda v, n: v >= n),
    ("{n} {u} max", lambda v, n: v <= n), ("{n} {u} minimum", lambda v, n: v >= n),
    ("a minimum of {n} {u}", lambda v, n: v >= n), ("a maximum of {n} {u}", lambda v, n: v <= n),
    ("between {n} and {m} {u}, inclusive", lambda v, n: n <= v <= n + 3),
)
_WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()


def _counted(unit: str, check: Callable[[int, int], "bool | None"], n: int) -> Truth:
    return lambda k: _agree(check(v, n) for v in _counts(k, unit))


def letter_count(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for (shape, check), unit in itertools.product(_COMPARATORS, ("letters", "characters")):
        n = rng.choice((4, 5, 6, 7, 8, 9, 10))
        for spelled in (str(n), _WORDS[n]):
            phrase = shape.format(n=spelled, m=n + 3, u=unit)
            truth = _counted("letters", check, n)
            if unit == "characters":
                phrase += rng.choice((" (not counting spaces)", ", excluding spaces", " (ignoring spaces)",
                                      " (spaces excluded)", " (spaces not counted)", " if you don't count spaces",
                                      " when spaces are ignored", ", leaving out the spaces"))
                truth = _nospace(check, n)
            yield f"Does the keyword have {phrase}?", truth
            yield f"Does the keyword contain {phrase}?", truth
            yield f"Is the keyword {phrase} long?", truth
    for n in (5, 6, 8):
        yield f"Is the keyword longer than {n} letters?", _counted("letters", lambda v, n: v > n, n)
        yield f"Is the keyword shorter than {n} letters?", _counted("letters", lambda v, n: v < n, n)
        yield f"Is the length of the keyword greater than {n} letters?", _counted("letters", lambda v, n: v > n, n)
        yield f"Is the number of letters in the keyword at least {n}?", _counted("letters", lambda v, n: v >= n, n)
        yield f"Is the keyword a {n}-letter word?", _counted("letters", lambda v, n: v == n, n)
        yield f"Does the keyword have more than {n} characters (including spaces)?", _with_spaces(n)
        yield f"Does the keyword have more than {n} characters (spaces included)?", _with_spaces(n)
        yield f"Does the keyword have more than {n} characters if you count the spaces?", _with_spaces(n)
        yield f"Does the keyword have more than {n} characters when spaces are counted?", _with_spaces(n)
        yield f"Does the keyword have more than {n} characters (spaces excluded)?", _nospace(lambda v, n: v > n, n)
    yield "Does the keyword have an even number of letters?", _counted("letters", lambda v, n: v % 2 == 0, 0)
    yield "Is the number of letters in the keyword odd?", _counted("letters", lambda v, n: v % 2 == 1, 0)
    yield "Does the keyword have an odd letter count?", _counted("letters", lambda v, n: v % 2 == 1, 0)
    yield "Does the keyword have an even length?", _counted("length", lambda v, n: v % 2 == 0, 0)
    for n in (6, 8, 9):
        yield f"Does the keyword have {n}+ letters?", _counted("letters", lambda v, n: v >= n, n)
        yield f"Is the keyword {n}+ letters long?", _counted("letters", lambda v, n: v >= n, n)
        yield f"Is the number of letters {n}+?", _counted("letters", lambda v, n: v >= n, n)
    for word, n in (("twenty-one", 21), ("twenty two", 22), ("thirty", 30), ("twenty", 20)):
        yield f"Does the keyword have fewer than {word} letters?", _counted("letters", lambda v, n: v < n, n)
        yield f"Is the keyword at most {word} characters long (including spaces)?", _with_spaces_at_most(n)


def _with_spaces_at_most(n: int) -> Truth:
    return lambda k: len(k.lower()) <= n


def _with_spaces(n: int) -> Truth:
    return lambda k: len(k.lower()) > n


def _nospace(check: Callable[[int, int], bool], n: int) -> Truth:
    return lambda k: check(len(k.lower().replace(" ", "")), n)


def word_count(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    one = _counted("words", lambda v, n: v == 1, 1)
    many = _counted("words", lambda v, n: v > 1, 1)
    for subj in ("the keyword", "it", "the answer"):
        yield f"Is {subj} a single word?", one
        yield f"Is {subj} one word?", one
        yield f"Is {subj} more than one word?", many
        yield f"Is {subj} made up of multiple words?", many
        yield f"Does {subj} consist of two words?", _counted("words", lambda v, n: v == 2, 2)
        yield f"Does {subj} have more than one word?", many
        yield f"Does {subj} contain at least two words?", many
        yield f"Is {subj} two words or more?", many
        yield f"Is {subj} a two-word phrase?", _counted("words", lambda v, n: v == 2, 2)
        yield f"Does {subj} have exactly three words?", _counted("words", lambda v, n: v == 3, 3)
        yield f"Does {subj} consist of two separate words?", _counted("words", lambda v, n: v == 2, 2)
        yield f"Is {subj} one word only?", one
        yield f"Does {subj} have 2+ words?", many
        yield f"Is there more than one word in {subj}?", many
        yield f"Is there only one word in {subj}?", one
        yield f"Does {subj} consist of a single word only?", one
        yield f"Is {subj} hyphenated?", lambda k: "-" in k
    yield "Does the keyword contain a space?", lambda k: " " in k
    yield "Is the keyword a multi-word phrase?", many


def alphabetical(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for w in ("m", "laser", "k2", "ba", "s", "mountain"):
        before, after = word_before(w), word_after(w)
        yield f'Does the keyword (in lowercase) precede "{w}" in alphabetical order?', before
        yield f"Does the keyword come before '{w}' in alphabetical order?", before
        yield f"Does the keyword come after '{w}' alphabetically?", after
        yield f"Is the keyword alphabetically before \u201c{w}\u201d?", before
        yield f"Would the keyword appear after '{w}' in a dictionary?", after
        yield f"In alphabetical order, does the keyword come before '{w}'?", before
        yield f"Does the keyword follow '{w}' in alphabetical order?", after
        yield f"Is the keyword lexicographically smaller than '{w}'?", before
        yield f"Does '{w}' come before the keyword alphabetically?", after
        yield f"Is '{w}' alphabetically after the keyword?", before
        yield f"Is \"{w}\" not before the keyword in alphabetical order?", _neg(after)
        yield f"Does the keyword not come before '{w}' in alphabetical order?", _neg(before)
        yield f"Does the keyword come before the word '{w}' alphabetically?", before
        yield f"Would {rng.choice(SUBJECTS)} come after the word {w} in a dictionary?", after
    for c in "dmt":
        yield f"Does the keyword come before the letter {c.upper()} in the alphabet?", word_before(c)
        yield f"Is the word alphabetically after the letter '{c}'?", word_after(c)
    yield "Is the keyword alphabetically between 'c' and 'p'?", lambda k: "c" < k.lower() < "p"


#: Discourse markers a player puts before a question (a closed class: interjections,
#: thanks, "next", "please tell me"), with the punctuation that ends them.
LEAD_INS = ("Ok, ", "Okay. ", "Alright! ", "Great, next: ", "Thanks. ", "Thank you! ", "Hmm... ", "So, ", "Well, ",
            "Now, ", "Next question: ", "Quick question - ", "One more: ", "Let me ask: ", "Please tell me: ",
            "I'd like to know: ", "My next question: ", "Good! ", "Cool. Next: ", "Got it. So, ")


def conversational(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Every class's phrasings with a lead-in, in capitals, with "??" or no question mark."""
    for gen in (first_letter, last_letter, contains_letter, letter_range, letter_set, negation, letter_count,
                word_count, alphabetical, category_described, word_described, filed_under, spelled_description,
                size_compared, model_words):
        for q, truth in itertools.islice(gen(rng), 0, None, 7):
            lead = rng.choice(LEAD_INS)
            body = q[0].lower() + q[1:] if rng.random() < 0.5 else q
            yield lead + body, truth
            yield (lead + q).upper() if "(" not in q and "'" not in q else lead + q, truth
            yield q.rstrip("?") + rng.choice(("??", "", "?!", " ?")), truth


#: What makes a statement the question of its truth, and what says it as a guess.
EMBEDDINGS = ("Can you tell me if {s}?", "Could you tell me whether {s}?", "I'd like to know if {s}.",
              "I wonder whether {s}.", "Would you say {s}?", "Do you think {s}?", "Is it fair to say that {s}?",
              "Am I right in thinking that {s}?", "I think {s}.", "I believe {s} - am I right?",
              "My guess is that {s}.", "{S}? Right?", "{S} - correct?", "Tell me whether or not {s}.",
              "Please let me know if {s}.", "I'm guessing {s}, right?")


def embedded(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Statements of every class asked as embedded questions, opinions and confirmations."""
    for i, frame in enumerate(EMBEDDINGS * 2):
        c, n, w = rng.choice("abelmnrst"), rng.choice((5, 7, 9)), rng.choice(("m", "kiwi", "garden"))
        x = _quote(c, i)
        statements = (
            (f"the keyword starts with {x}", letter_is(0, c)), (f"it ends in {x}", letter_is(-1, c)),
            (f"it contains {x}", has(c)), (f"the keyword has more than {n} letters", _counted("letters", lambda v, n: v > n, n)),
            ("it is a single word", _counted("words", lambda v, n: v == 1, 1)), ("it is a place", is_a("place")),
            (f"the keyword comes before '{w}' alphabetically", word_before(w)),
            ("it has a repeated letter", _repeats(lambda v: v >= 2)), ("the first letter is a vowel", on(0, vowel)),
            ("it's a thing", is_a("thing")), (f"the word doesn't contain {x}", _neg(has(c))),
        )
        for said, truth in rng.sample(statements, 4):
            yield frame.format(s=said, S=said[0].upper() + said[1:]), truth
    for c in "bmst":
        yield f"Has it got {_quote(c, 1)}?", has(c)
        yield f"Has the keyword got more than {ord(c) % 5 + 4} letters?", \
            _counted("letters", lambda v, n: v > n, ord(c) % 5 + 4)


def _named(name: str, quoted: bool) -> Truth:
    """The keyword is ``name`` (the game's matching): yes; another: no when quoted, else open
    (an unlisted capitalised word may be no name at all: "Is it Asian?")."""
    return lambda k: True if k.lower() == name.lower() else (False if quoted else None)


GUESSES = ("My guess is {x}.", "I think it's {x}.", "I'm guessing {x} - am I right?", "My final guess is {x}, "
           "correct?", "I'd guess {x}.", "I think the keyword is {x}?", "My next guess would be {x}!", "Could it be {x}?",
           "Might it be {x}?", "Is the answer {x}?", "Are you thinking of {x}?", "Is the word you're thinking of {x}?",
           "Is it {x}, by any chance?", "I bet it's {x}.", "Let me guess: {x}?", "My guess: {x}.",
           "Final answer: {x}?", "Is it {x}? Final guess.", "My next guess - {x}!")


def _one_of(*names: str) -> Truth:
    """One of ``names`` is the keyword: yes; else open (a lower-case word may name a class)."""
    return lambda k: True if k.lower() in names else None


def common_lists(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Lists of lower-case common nouns: a yes when one of them is the keyword, never a no."""
    sample = [k for k in sorted(_categories())[::23] if k.isalpha()] + ["telescope", "mouse", "stadium"]
    for a in sample:
        b, c = rng.sample(["vase", "kite", "tent", "piano", "sofa", "tomato", "tractor", "cello"], 2)
        yield f"Is it a {a} or a {b}?", _one_of(a, b)
        yield f"Is it {b} or {a}?", _one_of(a, b)
        yield f"Is it a {b}, a {c}, or a {a}?", _one_of(a, b, c)
        yield f"Is the keyword a {a} or an umbrella?", _one_of(a)
        yield f"Are we talking about a {c} or a {a}?", _one_of(a, c)
        yield f"Is it a fruit or a {a}?", _one_of(a)
        yield f"Could it be a {a} or a {b}?", _one_of(a, b)


def _among(*names: str) -> Truth:
    return lambda k: k.lower() in [n.lower() for n in names]


def name_lists(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Lists of capitalised names, marked as lists or not, with slashes, and "neither ... nor"."""
    for a, b, c in (("Telescope", "Mouse", "Stadium"), ("Stadium", "Kite", "Telescope"), ("Mouse", "Vase", "Yoyo")):
        yield f"Is it one of {a}, {b} or {c}?", _among(a, b, c)
        yield f"Is the keyword among {a}, {b} and {c}?", _among(a, b, c)
        # "is it ...": a "no" needs the list of keywords (none given here)
        yield f"Is it {a} / {b} / {c}?", _one_of(a.lower(), b.lower(), c.lower())
        yield f"Is it one of the following: {a}, {b}, {c}?", _among(a, b, c)
        yield f"Is it neither {a} nor {b}?", _neg(_one_of(a.lower(), b.lower()))
        yield f"Is the keyword neither {c} nor {a}?", _neg(_one_of(a.lower(), c.lower()))
        yield f"Could it be one of these: {c}, {b}, {a}?", _among(a, b, c)
        yield f"Is it either {b} or {c}?", _among(b, c)


def guesses(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A guess said as a question, an opinion or a confirmation: the keyword or another."""
    for frame in GUESSES:
        for name in ("Telescope", "Mouse", "Stadium"):
            yield frame.format(x=name), _named(name, False)
            yield frame.format(x=f"'{name}'"), _named(name, True)


#: Lead-in sentences that talk about the conversation only (passed over), and sentences after
#: the question's "?" of the same kind.
LEAD_SENTENCES = ("Good to know. ", "Here's my next question: ", "Let me try a different angle. ", "Noted. ",
                  "Interesting! ", "Great! That helps. ", "Thanks for the answer. ", "That narrows it down. ",
                  "OK, let's switch gears. ", "Hmm, tricky one. ", "We're getting closer! ", "Fair enough. Next: ",
                  "Makes sense. ", "Let me think about this. ", "Based on your answers, ", "I see. Let's try another "
                  "approach: ", "Alright, here goes: ", "Very helpful, thank you! ", "THANKS FOR THAT. ",
                  "Please answer yes or no: ", "Yes or no - ", "Answer with just 'yes' or 'no'. ", "True or false: ",
                  "Q5: ", "Round 3: ", "To narrow things down: ", "Based on the previous answers, ",
                  "Spelling question: ", "Hmm, okay. So far so good. ", "Follow-up question: ")
AFTER_SENTENCES = (" Thanks!", " Just curious.", " Thank you.", " I'm curious!", " Thanks a lot for the help.",
                   " Yes or no?", " Please answer yes or no.", " (yes/no)", " Answer 'yes' or 'no' only.")
#: Lead-ins that change how the question reads (a condition, a count convention, a negation,
#: a hypothesis, another language): never passed over.
READING_LEADS = ("Counting spaces, ", "Ignore the first word. ", "Assuming it is a city, ", "Answer the opposite: ",
                 "In French: ", "Backwards, ", "Think of the plural. ", "Spell it backwards. ",
                 "Without the country name, ", "Pretend it is lowercase. ", "Lie to me: ", "Don't count spaces. ",
                 "Only consider the first word. ", "For the second word: ", "Say the opposite. ",
                 "Reverse your answer. ", "If it's a city, ", "Suppose it's plural. ", "In Spanish, ",
                 "Answer no if you are unsure: ", "Treat it as one word. ", "Not counting the country, ",
                 "Let's say it is a thing. ", "Next, imagine it is spelled in reverse: ", "Great, now the last word: ",
                 "Answer no: ", "Answer yes if it is not: ", "Yes or no, reversed: ", "Since it is a thing, ",
                 "Given it's a place, ", "Let's focus on the first letter. ", "Letters only, no spaces: ",
                 # an instruction about the answer, said in words of talk
                 "Change the answer. ", "Make it yes: ", "Switch your answer. ", "Go with yes. ", "I want a yes: ",
                 "All letters, please: ", "Answer it the other way: ", "Yes means no: ", "Say true: ")
READING_AFTER = (" Answer the opposite.", " In French.", " Backwards.", " Or not.", " Lie.", " Ignore the spaces.",
                 " Only the first word.", " Answer with one word.", " Answer yes or no, reversed.")


def lead_sentences(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Every class's phrasings after a lead-in sentence, or with a sentence after the "?"."""
    for gen in (first_letter, last_letter, contains_letter, letter_range, letter_set, negation, letter_count,
                word_count, alphabetical, category_described, word_described, size_compared, model_words):
        for q, truth in itertools.islice(gen(rng), 0, None, 11):
            yield rng.choice(LEAD_SENTENCES) + q, truth
            yield rng.choice(LEAD_SENTENCES) + rng.choice(LEAD_SENTENCES) + q[0].lower() + q[1:], truth
            yield q + rng.choice(AFTER_SENTENCES), truth
            yield rng.choice(('"{}"', "**{}**", "{} \U0001f914", "-> {}", "\U0001f642 {}")).format(q), truth


def test_leads_that_change_the_reading_are_declined(mod: Any, keywords: list[str]) -> None:
    """A lead-in or a sentence after the question that sets a condition, a convention, a
    negation or a hypothesis leaves the question to the model, whatever the question."""
    rng = random.Random("reading")
    kept: list[str] = []
    for gen in (first_letter, contains_letter, letter_count, word_count, alphabetical, category_described):
        for q, _truth in itertools.islice(gen(rng), 0, None, 17):
            for lead in READING_LEADS:
                kept.extend(lead + q for _ in _answered(mod, lead + q, keywords)[:1])
            for after in READING_AFTER:
                kept.extend(q + after for _ in _answered(mod, q + after, keywords)[:1])
    assert kept == [], kept[:10]


def elliptic(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Questions without their subject and verb: "Starts with B?", "First letter B?", "Fewer
    than 6 letters?", "One word?", "Any Z in it?", and statements with a tag: "..., right?"."""
    for c in "abemrst":
        x = _quote(c, rng.randrange(7))
        yield f"Starts with {x}?", letter_is(0, c)
        yield f"Begins with {x}", letter_is(0, c)
        yield f"Ends with {x}?", letter_is(-1, c)
        yield f"Ends in {x}??", letter_is(-1, c)
        yield f"First letter {x}?", letter_is(0, c)
        yield f"Last letter {x}?", letter_is(-1, c)
        yield f"Contains {x}?", has(c)
        yield f"Any {c.upper()} in the keyword?", has(c)
        yield f"Any {x} in it?", has(c)
        yield f"The keyword starts with {x}, right?", letter_is(0, c)
        yield f"The first letter is {x}, correct?", letter_is(0, c)
        yield f"It contains {x}, right?", has(c)
        yield f"Is {x} the letter the keyword starts with?", letter_is(0, c)
        yield f"Is {x} the letter it ends with?", letter_is(-1, c)
        yield f"Can {x} be found in the keyword?", has(c)
        yield f"Can you find {x} in the keyword?", has(c)
    for n in (4, 6, 9):
        yield f"Fewer than {n} letters?", _counted("letters", lambda v, n: v < n, n)
        yield f"More than {_WORDS[n]} letters?", _counted("letters", lambda v, n: v > n, n)
        yield f"At least {n} letters?", _counted("letters", lambda v, n: v >= n, n)
    yield "One word?", _counted("words", lambda v, n: v == n, 1)
    yield "Single word?", _counted("words", lambda v, n: v == n, 1)
    yield "Two words?", _counted("words", lambda v, n: v == n, 2)
    yield "Is the number of letters even?", _counted("letters", lambda v, n: v % 2 == 0, 0)
    for desc in PLACE_DESCRIPTIONS[:6]:
        yield f"{desc[0].upper()}{desc[1:]}?", is_a("described")
        yield f"It's {desc}, right?", is_a("described")
    for c in "dmst":
        yield f"Listed under {c.upper()} in an index?", filed_first(c)
        yield f"Filed under '{c}'?", filed_first(c)
    yield "A phrase rather than a single word?", _counted("words", lambda v, n: v >= 2, 2)
    yield "More than a single word?", _counted("words", lambda v, n: v >= 2, 2)
    yield "More than 3 vowels?", _counted("vowels", lambda v, n: v > 3, 3)
    yield "A word that starts with S?", letter_is(0, "s")
    for i, c in enumerate("abemrst"):
        x = _quote(c, i)
        yield f"So it starts with {x}?", letter_is(0, c)
        yield f"And the keyword ends in {x}?", letter_is(-1, c)
        yield f"Any {c.upper()}'s?", has(c)
        yield f"No {c.upper()}?", _neg(has(c))
        yield f"Would it start with {x}?", letter_is(0, c)
        yield f"Could the keyword contain {x}?", has(c)
        yield f"Might the word end with {x}?", letter_is(-1, c)
        yield f"Does it maybe start with {x}?", letter_is(0, c)
        yield f"Is the first letter possibly {x}?", letter_is(0, c)
        yield f"Is it possible that it starts with {x}?", letter_is(0, c)
        yield f"Does the keyword perhaps contain {x}?", has(c)
    yield "Any repeated letters?", _repeats(lambda v: v >= 2)
    yield "A place?", is_a("place")
    yield "A thing?", is_a("thing")
    yield "So it's a place?", is_a("place")
    yield "Is it by any chance a place?", is_a("place")


def more_letters(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Sets and ranges written other ways: bare lists at a position, "X through Y", "X..Y",
    plural subjects ("are both ..."), "free of"."""
    for lo, hi in (("b", "l"), ("e", "u"), ("n", "z")):
        yield f"Is the first letter in {lo}..{hi}?", letter_between(0, lo, hi)
        yield f"Is the first letter in \u201c{lo.upper()}\u201d..\u201c{hi.upper()}\u201d?", letter_between(0, lo, hi)
        yield f"Does the keyword start with one of the letters {lo.upper()} through {hi.upper()}?", \
            letter_between(0, lo, hi)
        yield f"Does the keyword start with one of the letters '{lo}' through '{hi}', inclusive?", \
            letter_between(0, lo, hi)
    for chosen in (["a", "j"], ["l", "n", "c", "r"], ["e", "x", "t", "b", "g"]):
        yield "Does the keyword start with " + ", ".join(c.upper() for c in chosen) + "?", letter_in(0, chosen)
        yield "Is the last letter " + ", ".join(f"'{c}'" for c in chosen) + "?", letter_in(-1, chosen)
        yield "Does the keyword end in any of the letters " + "/".join(f"'{c}'" for c in chosen) + "?", \
            letter_in(-1, chosen)
        yield "Are any of the letters " + "/".join(c.upper() for c in chosen) + " in the keyword?", has_any(chosen)
    yield "Are both T and U in the keyword?", has_all(["t", "u"])
    yield "Are the letters A and E both in the keyword?", has_all(["a", "e"])
    yield "Is the keyword free of the letter 'k'?", _neg(has("k"))
    yield "Does the spelling of its name include an 's'?", has("s")
    yield "Does the spelling of the keyword's name contain a T?", has("t")
    yield "Does the keyword come earlier in the alphabet than 'kiwi'?", word_before("kiwi")
    yield "Does the keyword come later in the alphabet than 'castle'?", word_after("castle")
    for n, word in ((13, "13"), (5, "five"), (20, "twenty")):
        yield f"Is the first letter among the first {word} letters of the alphabet?", \
            letter_between(0, "a", chr(ord("a") + n - 1))
        yield f"Does the keyword end with one of the last {word} letters of the alphabet?", \
            letter_between(-1, chr(ord("z") - n + 1), "z")
    for c in "enst":
        yield f"Does the keyword end on {_quote(c, 2)}?", letter_is(-1, c)
        yield f"Is the terminal letter {c.upper()}?", letter_is(-1, c)
        yield f"Does the keyword include at least one letter {c.upper()}?", has(c)
        yield f"Are there at least two letter {c.upper()}s in the keyword?", has_count(c, lambda n: n >= 2)
    yield "Is the first letter something other than a vowel?", on(0, lambda x: None if vowel(x) is None else not vowel(x))
    yield "Does the keyword end with a letter other than a consonant?", \
        on(-1, lambda x: None if _consonant(x) is None else not _consonant(x))
    for t in ("an", "er", "th", "st"):
        yield f"Does the keyword contain the letters '{t}' together?", substring(t)
        yield f"Does the keyword have the letters \"{t}\" next to each other?", substring(t)
    for subj in ("the keyword", "it", "the answer"):
        yield f"Is {subj} in the first half of the alphabet?", letter_between(0, "a", "m")
        yield f"Does {subj} fall in the second half of the alphabet?", letter_between(0, "n", "z")
        yield f"Is {subj} not in the first half of the alphabet?", _neg(letter_between(0, "a", "m"))


# ---------------------------------------------------------- the category, described

#: Things of the public list that are sites in everyday words (you can visit one, or find it on
#: a map): a described place is open for them, whatever the game's category says.
SITES = frozenset({
    "aquarium", "atmosphere", "auditorium", "balcony", "bank", "bike path", "break room", "cooling tower",
    "coral reefs", "earth", "fishing pier", "guard tower", "interstate", "kiosk", "power lines", "pyramid",
    "railroad tracks", "rehearsal room", "restaurants", "sauna", "stadium", "staircase", "steam room",
    "tennis court", "tractor shed", "underground river", "volcano", "wall street",
})
#: Declined though no site: "Battery Bank" (a power bank) ends in "bank", the name of a site.
ALSO_OPEN = frozenset({"battery bank"})

PLACE_WORDS = ("a place", "a location")
PLACE_DESCRIPTIONS = (
    "a place you could find on a map", "a place you can visit", "a location you could find on a map",
    "somewhere on a map", "somewhere you can visit", "a place that can be visited", "a place one can travel to",
    "a real place", "a physical location", "a geographical place", "a place people can go to",
    "a place that is shown on a map", "a place found on a map", "an actual location", "a place on the map",
    "somewhere you could go", "a real-world location you can visit", "a geographic location",
    "something you'd find on a map", "a place you'd find on a map", "something shown on a map",
)
THING_SIDES = ("an object or thing", "a thing or an object", "a thing/object", "an object or a thing", "a thing",
               "an item or thing")
NARROW_SIDES = ("a physical thing", "an object", "a tangible object", "a physical object")
#: Sides that say "physical": yes for a listed thing surely physical (:func:`class_truth.physical`).
PHYSICAL_SIDES = frozenset({"a physical thing", "a tangible object", "a physical object"})
CONTRASTS = (" rather than {}", ", not {}", " and not {}", " (not {})", " instead of {}", " as opposed to {}",
             ", but not {}", " not {}")


def is_a(side: str) -> Truth:
    """Does the keyword fit ``side`` ("place", "described", "thing", "narrow", "physical")?"""

    def truth(k: str) -> bool | None:
        cat = category(k)
        if not cat:
            return None
        if side in ("place", "described"):
            if cat == "place":
                return True
            return None if side == "described" and k.lower() in SITES | ALSO_OPEN else False
        if cat == "place":
            return False
        return physical(k) if side == "physical" else (None if side == "narrow" else True)

    return truth


def and_not(a: Truth, b: Truth) -> Truth:
    """``a`` and not ``b``, unsure where either is and the other does not settle it."""

    def truth(k: str) -> bool | None:
        x, y = a(k), b(k)
        if x is False or y is True:
            return False
        return True if x is True and y is False else None

    return truth


def category_described(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Descriptions of the game's category, and contrasts of one category with the other."""
    subjects = ("it", "the keyword", "this", "the answer", "your keyword", "the thing", "the secret word")
    for i, desc in enumerate(PLACE_DESCRIPTIONS):
        subj = subjects[i % len(subjects)]
        yield f"Is {subj} {desc}?", is_a("described")
        yield f"Is {subj} not {desc}?", _neg(is_a("described"))
        thing = rng.choice(THING_SIDES)
        yield f"Is {subj} {thing}{rng.choice(CONTRASTS).format(desc)}?", and_not(is_a("thing"), is_a("described"))
        yield f"Is {subj} {desc}{rng.choice(CONTRASTS).format(thing)}?", and_not(is_a("described"), is_a("thing"))
    for subj, thing in zip(itertools.cycle(subjects), THING_SIDES, strict=False):
        place = rng.choice(PLACE_WORDS)
        yield f"Is {subj} {thing}?", is_a("thing")
        for shape in rng.sample(CONTRASTS, 3):
            yield f"Is {subj} {thing}{shape.format(place)}?", and_not(is_a("thing"), is_a("place"))
            yield f"Is {subj} {place}{shape.format(thing)}?", and_not(is_a("place"), is_a("thing"))
    for subj, narrow in zip(subjects, NARROW_SIDES, strict=False):
        place = rng.choice(PLACE_WORDS + PLACE_DESCRIPTIONS[:3])
        side = is_a("physical" if narrow in PHYSICAL_SIDES else "narrow")
        yield f"Is {subj} {narrow}{rng.choice(CONTRASTS).format(place)}?", and_not(side, is_a("place"))
    for subj in subjects[:4]:
        yield f"Can you find {subj} on a map?", is_a("described")
        yield f"Could {subj} be found on a map?", is_a("described")
        yield f"Is {subj} on a map?", is_a("described")
        yield f"Would one locate {subj} on the map?", is_a("described")
        yield f"Is {subj} shown on a map?", is_a("described")


def name_of(side: str) -> Truth:
    """"the name of a place / thing": the game's category, but open for a thing of the game
    that is a site in everyday words ("Wall Street" is the name of a place)."""
    base = is_a(side)
    return lambda k: None if category(k) == "things" and k.lower() in SITES | ALSO_OPEN else base(k)


def category_named(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """The category by its name ("the name of a place", "a place name") or by what it is not
    ("something other than a place"), over the subjects that name the keyword as the one sought."""
    for subj in (x for x in SUBJECTS if not any(w in x for w in ("name", "(", "spelling"))):
        side, other = rng.choice((("place", "thing"), ("thing", "place")))
        yield f"Is {subj} the name of a {side}?", name_of(side)
        yield f"Is {subj} a {side} name?", name_of(side)
        yield f"Is {subj} something other than a {side}?", _neg(is_a(side))
        yield f"Is {subj} anything but a {other}?", _neg(is_a(other))
        yield f"Is {subj} not the name of a {side}?", _neg(name_of(side))
        yield f"Is {subj} a {side}?", is_a(side)
        yield f"Would you classify {subj} as a {side}?", is_a(side)
        yield f"Does {subj} refer to a {side}?", name_of(side)
        yield f"Is {subj} referring to a {other}?", name_of(other)
        yield f"Does {subj} not name a {side}?", _neg(name_of(side))
        yield f"Would you call {subj} a {other}?", is_a(other)


def _repeats(check: Callable[[int], bool]) -> Truth:
    """Some letter of the keyword occurs ``check`` times (letters with and without digits agree)."""
    return lambda k: _agree(any(check(seq.count(c)) for c in set(seq))
                            for seq in (letters(k), "".join(c for c in k.lower() if c.isalpha())))


def repeated_letters(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A letter used more than once, twice, repeated (anywhere: "doubled" is another class), and
    any letter of the keyword repeated, or all its letters different."""
    more = lambda n: n >= 2  # noqa: E731
    for i, subj in enumerate(SUBJECTS):
        c = rng.choice("aeilnorst")
        x = _quote(c, i)
        yield f"Is {x} used more than once in {subj}?", has_count(c, more)
        yield f"Is {x} in {subj} more than once?", has_count(c, more)
        yield f"Is {x} repeated in {subj}?", has_count(c, more)
        yield f"Does {x} repeat in {subj}?", has_count(c, more)
        yield f"Does {x} occur more than one time in {subj}?", has_count(c, more)
        yield f"Is {x} not used more than once in {subj}?", _neg(has_count(c, more))
        yield f"Does {subj} contain multiple {c.upper()}'s?", has_count(c, more)
        yield f"Does {subj} have two or more {c.upper()}s?", has_count(c, more)
        yield f"Are there multiple {c.upper()}'s in {subj}?", has_count(c, more)
        yield f"Does {subj} have a repeated letter?", _repeats(more)
        yield f"Are there any repeating letters in {subj}?", _repeats(more)
        yield f"Does any letter appear more than once in {subj}?", _repeats(more)
        yield f"Does {subj} have a letter that appears at least twice?", _repeats(more)
        yield f"Is any letter used more than once in {subj}?", _repeats(more)
        yield f"Does {subj} have no repeated letters?", _neg(_repeats(more))
        yield f"Are all the letters in {subj} different?", _neg(_repeats(more))
        yield f"Does {subj} have all unique letters?", _neg(_repeats(more))
    yield "Is the letter E used twice in the keyword?", \
        lambda k: None if letters(k).count("e") > 2 else letters(k).count("e") == 2
    yield "Does the letter A appear exactly once?", has_count("a", lambda n: n == 1)
    yield "Is E used more than once?", has_count("e", more)
    yield "Is the letter R repeated?", has_count("r", more)
    yield "Does any letter appear exactly twice in the keyword?", _repeats(lambda n: n == 2)


# ---------------------------------------------------------- word counts, described

ONE_WORD = ("a single word", "one word", "just one word", "only one word", "a one-word name", "a single-word term",
            "a lone word")
MANY_WORDS = ("a phrase", "multiple words", "several words", "more than one word", "more than a single word",
              "two or more words", "a multi-word name", "a phrase of two or more words", "a multiword term",
              "a name with multiple words")


def word_described(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """One word or several, said with descriptions, and one contrasted with the other."""
    one = _counted("words", lambda v, n: v == 1, 1)
    many = _counted("words", lambda v, n: v >= 2, 2)
    # "several words": two or more, or three or more (open for two); said against one word, more than one
    several = _counted("words", lambda v, n: _agree(iter((v >= 2, v >= 3))), 2)
    for subj in SUBJECTS:
        a, b = rng.choice(ONE_WORD), rng.choice(MANY_WORDS)
        alone = several if "several" in b else many
        yield f"Is {subj} {b}?", alone
        yield f"Is {subj} {a}?", one
        yield f"Is {subj} {b}{rng.choice(CONTRASTS).format(a)}?", many
        yield f"Is {subj} {a}{rng.choice(CONTRASTS).format(b)}?", one
        yield f"Is {subj} not {b}?", _neg(alone)
    for b in MANY_WORDS:
        yield f"Is the keyword {b}?", several if "several" in b else many


# ---------------------------------------------------------- the first letter, filed

REFERENCES = ("an index", "a dictionary", "the phone book", "an encyclopedia", "an encyclopaedia",
              "a telephone directory", "an alphabetical list", "the index", "a gazetteer", "an atlas", "a glossary")
#: First words an index may put after the rest ("Fuji, Mount"): the first letter is then open.
INVERTED = ("the", "a", "an", "mount", "mt", "mont", "lake", "el")


def filed_first(c: str) -> Truth:
    first = letter_is(0, c)
    return lambda k: None if k.lower().split()[0] in INVERTED else first(k)


def filed_under(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """The first letter as where the keyword is filed: "listed under D in an index"."""
    for i, subj in enumerate(SUBJECTS):
        c = rng.choice("abcdefghlmnprstw")
        x, ref = _quote(c, i), rng.choice(REFERENCES)
        yield f"Would {subj} be listed under {x} in {ref}?", filed_first(c)
        yield f"Is {subj} listed under {x}?", filed_first(c)
        yield f"Would {subj} be filed under {x}?", filed_first(c)
        yield f"Would {subj} appear under {x} in {ref}?", filed_first(c)
        yield f"Would {subj} be alphabetized under {x}?", filed_first(c)
        yield f"Is {subj} indexed under {x}?", filed_first(c)
        yield f"Would you find {subj} under {x} in {ref}?", filed_first(c)
        yield f"In {ref}, would {subj} be listed under {x}?", filed_first(c)
        yield f"Would {subj} be found under {x} in {ref}?", filed_first(c)
        yield f"Would {subj} not be filed under {x}?", _neg(filed_first(c))


# ---------------------------------------------------------- the keyword, described by its spelling


def spelled_description(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Is it a word that starts with D?": a relative clause or a participle about the spelling."""
    nouns = ("a word", "a name", "a term", "something", "a keyword")
    for i, subj in enumerate(SUBJECTS):
        c, d = rng.choice("abcdelmnrst"), rng.choice("aeknrsty")
        x, noun, n = _quote(c, i), nouns[i % len(nouns)], rng.choice((4, 6, 8))
        yield f"Is {subj} {noun} that starts with {x}?", letter_is(0, c)
        yield f"Is {subj} {noun} beginning with {x}?", letter_is(0, c)
        yield f"Is {subj} {noun} which ends in {_quote(d, i + 1)}?", letter_is(-1, d)
        yield f"Is {subj} {noun} ending with {_quote(d, i + 3)}?", letter_is(-1, d)
        yield f"Is {subj} {noun} containing {x}?", has(c)
        yield f"Is {subj} {noun} that has more than {n} letters?", _counted("letters", lambda v, n: v > n, n)
        yield f"Is {subj} {noun} with at least {n} letters?", _counted("letters", lambda v, n: v >= n, n)
        yield f"Is {subj} not {noun} that starts with {x}?", _neg(letter_is(0, c))
        yield f"Is {subj} {noun} that comes before '{c}' alphabetically?", word_before(c)


# ---------------------------------------------------------- sizes, other comparisons

_LENGTH_CMPS: tuple[tuple[str, Callable[[int, int], bool]], ...] = (
    ("greater than or equal to {n}", lambda v, n: v >= n), ("equal to or more than {n}", lambda v, n: v >= n),
    ("less than or equal to {n}", lambda v, n: v <= n), ("no greater than {n}", lambda v, n: v <= n),
    ("not greater than {n}", lambda v, n: v <= n), ("larger than {n}", lambda v, n: v > n),
    ("equal to or fewer than {n}", lambda v, n: v <= n), ("no smaller than {n}", lambda v, n: v >= n),
    ("greater than {n}", lambda v, n: v > n), ("lower than {n}", lambda v, n: v < n),
)


def size_compared(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Lengths and counts with other comparisons, "exceed", and counts of vowels and consonants."""
    for i, (shape, check) in enumerate(_LENGTH_CMPS):
        n = rng.choice((5, 6, 7, 8, 9))
        subj, poss = SUBJECTS[i % len(SUBJECTS)], POSSESSIVES[i % len(POSSESSIVES)]
        yield f"Is the number of letters in {subj} {shape.format(n=n)}?", _counted("letters", check, n)
        yield f"Is {poss} letter count {shape.format(n=n)}?", _counted("letters", check, n)
        yield f"Is the length of {subj} {shape.format(n=n)}?", _counted("length", check, n)
        yield f"Does {subj} have {shape.format(n=n)} letters?", _counted("letters", check, n)
    for n, subj in zip((4, 5, 6, 7, 8, 9), SUBJECTS, strict=False):
        yield f"Does {subj} exceed {n} letters?", _counted("letters", lambda v, n: v > n, n)
        yield f"Does {subj} exceed {_WORDS[n]} letters in length?", _counted("letters", lambda v, n: v > n, n)
        yield f"Is {subj} a word with more than {n} letters?", _counted("letters", lambda v, n: v > n, n)
        yield f"Is {subj} a name of fewer than {n} letters?", _counted("letters", lambda v, n: v < n, n)
    for (shape, check), unit in itertools.product(_COMPARATORS[:15], ("vowels", "consonants")):
        n = rng.choice((1, 2, 3, 4)) if unit == "vowels" else rng.choice((3, 4, 5, 6))
        subj = rng.choice(SUBJECTS)
        phrase = shape.format(n=rng.choice((str(n), _WORDS[n])), m=n + 3, u=unit)
        truth = _counted(unit, check, n)
        if shape == "{n} {u}":
            truth = _counted(unit, lambda v, n: None if v > n else v == n, n)  # exactly n, or at least n
        yield f"Does {subj} have {phrase}?", truth
        yield f"Are there {phrase} in {subj}?", truth


# ---------------------------------------------------------- a guesser model's own words

#: Subjects a guesser model uses (Llama 3, Gemma): the word, the answer, the thing, the place ...
MODEL_SUBJECTS = ("the keyword", "the word", "the answer", "the name", "the thing", "the place", "it", "this",
                  "your keyword", "the place name", "the thing's name", "the keyword's spelling")


def model_words(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Each class as guesser models phrase it, over their subjects."""
    for i, subj in enumerate(MODEL_SUBJECTS):
        c, d, n = rng.choice("abcdemnprst"), rng.choice("eklnrsty"), rng.choice((5, 6, 7, 8))
        x, w = _quote(c, i), rng.choice(("m", "kiwi", "n", "garden", "s"))
        yield f"Does {subj}'s spelling include {x}?" if subj.startswith("the ") and "'" not in subj else \
            f"Does {subj} include {x}?", has(c)
        yield f"Is the initial letter of {subj} a consonant?", on(0, _consonant)
        yield f"Is {subj}'s length greater than {n}?" if subj.startswith("the ") and "'" not in subj else \
            f"Is the length of {subj} greater than {n}?", _counted("length", lambda v, n: v > n, n)
        yield f"Would {subj} come before '{w.upper()}' alphabetically?", word_before(w)
        yield f"Is {subj} a two-word phrase?", _counted("words", lambda v, n: v == 2, 2)
        yield f"Does {subj} end in a vowel?", on(-1, vowel)
        yield f"Does {subj} have the letter {c.upper()} in it?", has(c)
        yield f"Does the letter {c.upper()} appear anywhere in {subj}?", has(c)
        yield f"Is the last letter of {subj} {_quote(d, i + 2)}?", letter_is(-1, d)
        yield f"Does {subj} start with a letter in the first half of the alphabet (A-M)?", letter_between(0, "a", "m")
        yield f"Is the first letter of {subj} among {c.upper()}-{chr(ord(c) + 5).upper()}?", \
            letter_between(0, c, chr(ord(c) + 5))
        yield f"Does {subj} have {n} letters or less?", _counted("letters", lambda v, n: v <= n, n)
        yield f"Is {subj} made up of two words?", _counted("words", lambda v, n: v == 2, 2)
        yield f"Does {subj} contain the substring '{c}{d}'?", substring(c + d)
        yield f"Does {subj} have no spaces?", lambda k: " " not in k
        yield f"Is the total number of letters in {subj} even?", _counted("letters", lambda v, n: v % 2 == 0, 0)
        yield f"Is {subj} written as one word?", _counted("words", lambda v, n: v == 1, 1)
        yield f"Does {subj} contain more than one vowel?", _counted("vowels", lambda v, n: v > 1, 1)


CLASSES = {
    "first_letter": first_letter, "last_letter": last_letter, "contains_letter": contains_letter,
    "letter_range": letter_range, "letter_set": letter_set, "negation": negation, "letter_count": letter_count,
    "word_count": word_count, "alphabetical": alphabetical, "conversational": conversational, "elliptic": elliptic,
    "more_letters": more_letters, "category_described": category_described, "word_described": word_described,
    "filed_under": filed_under, "spelled_description": spelled_description, "size_compared": size_compared,
    "model_words": model_words, "lead_sentences": lead_sentences, "category_named": category_named,
    "repeated_letters": repeated_letters, "embedded": embedded, "guesses": guesses,
    "common_lists": common_lists, "name_lists": name_lists,
}


def check_phrasings(mod: Any, keywords: list[str], phrasings: list[tuple[str, Truth]],
                    known: frozenset[str] = frozenset()) -> int:
    """Every phrasing answered as its truth says for every keyword (None: the oracle must decline);
    the count of answers given."""
    wrong, declined, answered = [], [], 0
    for question, truth in phrasings:
        rule = mod.parse(question, known)
        for k in keywords:
            want = truth(k)
            got = mod.oracle.verdict(rule, mod.Subject(k, (), category(k))) if rule is not None else None
            if want is None:
                if got is not None:
                    wrong.append((question, k, "should be open", got))
                continue
            expected = "yes" if want else "no"
            if got is None:
                declined.append((question, k))
            elif got != expected:
                wrong.append((question, k, expected, got))
            else:
                answered += 1
    assert wrong == [], wrong[:10]
    assert declined == [], declined[:10]
    return answered


#: Classes with "a physical thing" among them: their truth holds for the public list as the agent builds it.
WITH_LIST = frozenset({"category_described", "conversational"})


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_class_phrasings_answered_right(mod: Any, keywords: list[str], name: str) -> None:
    rng = random.Random(name)
    phrasings = list(CLASSES[name](rng))
    assert len(phrasings) >= 20
    known = mod.oracle.known_names(mod.load_candidates(str(TEMPLATE))) if name in WITH_LIST else frozenset()
    assert check_phrasings(mod, keywords, phrasings, known) > 100


# --------------------------------------------------------------- partial parses declined

_EXTRA = (" and end with 'e'", " and is it a place", " or something else", " in French", " when you say it out loud",
          " backwards", " if you ignore the first word", ", or is it in Europe")


def _answered(mod: Any, question: str, keywords: list[str]) -> list[tuple[str, str]]:
    """The keywords code answers ``question`` for (declined: none)."""
    rule = mod.parse(question)
    if rule is None:
        return []
    return [(k, v) for k in keywords if (v := mod.oracle.verdict(rule, mod.Subject(k, (), category(k)))) is not None]


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_clause_more_is_declined(mod: Any, keywords: list[str], name: str) -> None:
    """A supported phrasing with a clause the grammar does not read goes to the model."""
    rng = random.Random(name)
    kept = []
    for question, _truth in itertools.islice(CLASSES[name](rng), 0, None, 5):
        for extra in _EXTRA:
            q = question.rstrip("?") + extra + "?"
            if _answered(mod, q, keywords):
                kept.append(q)
    assert kept == []


@pytest.mark.parametrize(
    "question",
    [
        "Does it start with A and end with E?",
        "Does the keyword start with A and contain B?",
        "Doesn't the keyword start with A?",
        "Isn't the first letter a vowel?",
        "Does the keyword start with a vowel sound?",
        "Does the keyword start with a capital letter?",
        "Does the keyword start with A or end with E?",
        "Does the keyword start with A and B?",
        "Does the keyword have more than 5 syllables?",
        "Does the keyword rhyme with 'cat'?",
        "Does the keyword start with the same letter it ends with?",
        "Does the second word of the keyword start with B?",
        "Does the keyword come before or after 'm' in alphabetical order?",
        "Does the keyword come before 'm'?",  # no word of order: not alphabetical for sure
        # a description is no word to compare with ("telescope" < "words starting with m")
        "Does the keyword come alphabetically before words starting with M?",
        "Does the keyword come before any word that starts with T in the dictionary?",
        "Is the keyword alphabetically after the names beginning with S?",
        "Does the keyword come after a word with two letters alphabetically?",
        "Is the first letter of the keyword a vowel or a consonant?",
        "Does the keyword have more letters than 'apple'?",
        "Does the keyword contain the letter 'e' in its second word?",
        "Is the keyword spelled the same backwards?",
        "Does the keyword have between 5 and 8 letters and start with A?",
        "Does the keyword neither start with A nor end with B?",
        "Does the keyword start with A, or does it start with B?",
        "How many letters does the keyword have?",
        "Does the keyword start with the letter A in Spanish?",
        "Does the keyword start with a letter between A and M or between S and Z?",
        "In French: does the keyword start with A?",  # a lead-in that is not a discourse marker
        "Ignoring the first word, does the keyword start with A?",
        "Backwards, does the keyword start with A?",
        "Spelled backwards: starts with A?",
        "Does the keyword contain A, B, C?",  # any or all of them? not said
        "Starts with A and ends with E?",
        "The keyword starts with A, or does it?",
        # the category, described: only what every place of the game is; a clause more is the model's
        "Is it a place you could find on a map in Europe?",
        "Is it a place you can visit on holiday?",
        "Is it a real place on Earth?",
        "Is it a place you can live in?",
        "Is it a place or a thing?",
        "Is it an object or a place?",
        "Is it an object?",
        "Is it a physical object?",
        "Is it something you can hold?",
        "Is it a building you can visit?",
        "Is it a place rather than a location?",
        "Is it a thing that starts with D?",
        "Can you find it on a map of Europe?",
        # word counts: "compound" is no count ("Toothbrush" is a compound word), a choice is no yes/no
        "Is the keyword a compound word?",
        "Is the keyword a compound name?",
        "Is it a single word or a phrase?",
        "Is the keyword one word or more than one word?",
        "Is it a phrase rather than a phrase?",
        "Is the keyword a single word, like 'apple'?",
        # filed under a letter: which letter, and where
        "Would it be found under D?",
        "Is it under D?",
        "Would it be listed under D or E in an index?",
        "Would it be listed under D in an index of countries?",
        "Would the keyword be found in the first half of a dictionary?",
        # spelling by description, sizes: one clause more
        "Is it a word that starts with D and ends with K?",
        "Is it a word that starts with a vowel sound?",
        "Does the keyword have more vowels than the word 'apple'?",  # vowels against consonants: test_oracle_forms.py
        "Is the number of letters in the keyword a prime number?",
        "Does the keyword have more letters than the word 'apple'?",
        "Does the keyword exceed 8 letters and start with A?",
        "Is it a 5-letter place?",  # the count and the category
        "Is it a place with more than 5 letters?",
        "Is it a one-word thing?",
        # the category by its name or by what it is not: a clause more is the model's
        "Is it the name of a place in Europe?",
        "Is it the name of a famous place?",
        "Is it something other than a place, like a person?",
        "Is it something other than a place or a thing?",
        "Is the keyword we're looking for a place in Asia?",
        "Is the keyword we're looking for in Europe?",
        # embedded statements: a negated opinion, a clause more, a question of what
        "I don't think it's a place.",
        "I don't think it starts with A.",
        "Can you tell me if it starts with A and ends with E?",
        "I wonder if it starts with A in French.",
        "It starts with A, am I wrong?",
        "Can you tell me what it starts with?",
        "Do you think it is a place or a thing?",
        "I think it's bigger than a car.",
        "My guess is a place or a thing.",
        "Would you say it is not a place, or is it?",
        "I doubt it starts with A.",
        # a list with a shared head or tail, or negated: not a list of names
        "Is it a paper or mouse pad?",
        "Is it a kite or telescope lens?",
        "Is it made of wood or mouse?",
        "Is it not a mouse or a vase?",
        "My guess is Mouse. Or not?",
        "Is it a computer mouse or a telescope stand?",
        "Is it bigger than a mouse or a telescope?",
        "Is the keyword in the first half of the dictionary?",
        "Is it something you can visit?",  # an event too ("a concert"): only "something on a map" is a place
        "Is it something you can go to?",
        "Is it something you could find on a map of Europe?",
        "Would you call it a place to eat?",
        "Does the keyword refer to a place in Europe?",
        "Does the keyword refer to a place or a thing?",
        "Does the keyword contain the letters 'th' in that order?",
        "Is the first letter something other than a vowel or a consonant?",
        "Is it true or false that it starts with A?",
        "Is the keyword missing the letters E and A?",  # neither, or not both?
        "Is it true that it can start with A?",
        "Does the keyword contain all the vowels in order?",
        "Does the keyword contain all three letters A and E?",  # three, but two named
        "Does the keyword contain all four letters A, B and E?",
        '"Mouse" or "Telescope"?',  # two quoted words, not one quoted question
        "Does the keyword contain both an A and a B in a row?",
        "Does the keyword contain a symbol like @?",
        "Does the keyword consist of letters only in lowercase?",
        "Does the keyword not contain neither an A nor a B?",  # a double negative, or one?
        "Does the keyword not have no spaces?",
        "Is the keyword not free of no E?",
        "Does the keyword lack none of the letters A, B or C?",
        "Is the letter at position 0 an R?",
        "Is the letter at position 2 of the second word an R?",
        # lists whose items describe rather than name: no "no"
        "Is it one of these: european capitals, asian cities?",
        "Is it one of Asia's capitals, Telescope or Mouse?",
        "Is it one of the Great Lakes or a river?",
        "Is it neither a kite nor a vase?",
        "Is it not neither Telescope nor Mouse?",
        "Is it one of the seven wonders?",
        "Is the first letter among the first 30 letters of the alphabet?",
        "Is the first letter among the first 13 letters of the Greek alphabet?",
        # hedges and modals: only what changes nothing
        "Is it likely that it starts with A?",
        "Would it start with A if spelled backwards?",
        "Could it contain an E in French?",
        "Perhaps it starts with A and ends with E?",
        "Maybe?",
        "So it's a place or a thing?",
        "Any?",
        # two comparisons that disagree
        "Does the keyword have more than 5 letters or fewer?",
        "Does the keyword have exactly 5 letters or more?",
        "Is the keyword at most 6 letters or longer?",
        # letters repeated: how often, and where
        "Does the keyword have a letter that appears?",
        "Is the letter E used more than once in the second word?",
        "Does the letter E appear more than once in a row?",
        "Does the keyword have a repeated vowel?",
        "Is the letter E used more than once or twice?",
        "Are the letters A and E used more than once?",
        "Does the keyword have repeated letters and start with A?",
        "Are all the letters in the keyword vowels?",
    ],
)
def test_partial_or_unknown_shapes_are_declined(mod: Any, keywords: list[str], question: str) -> None:
    assert _answered(mod, question, keywords) == []


def test_described_places_over_the_public_list(mod: Any) -> None:
    """Every keyword of the public list: a described place is the category "place", except for
    a thing that is a site in everyday words (open); a thing-or-object side is the category
    "things"; a narrowed thing ("a physical thing") is no for a place and yes for a thing surely physical
    (agent20q/physical_things.py; issue 23)."""
    questions = {
        "Is it a place you could find on a map?": is_a("described"),
        "Is it somewhere you can visit?": is_a("described"),
        "Is it an object or thing, not a place?": and_not(is_a("thing"), is_a("place")),
        "Is it a physical thing rather than a location?": and_not(is_a("physical"), is_a("place")),
        "Is it a thing and not a place you can visit?": and_not(is_a("thing"), is_a("described")),
    }
    wrong = []
    known = mod.oracle.known_names(mod.load_candidates(str(TEMPLATE)))  # as the agent builds it
    for c in mod.load_candidates(str(TEMPLATE)):
        for cat in c.categories:
            subject = mod.Subject(c.keyword, c.alts, cat)
            for question, truth in questions.items():
                want = truth(c.keyword) if len(c.categories) == 1 else None
                if len(c.categories) > 1:  # "Turkey": its category is the one the game drew
                    want = is_a_in(question, cat, c.keyword)
                got = mod.oracle.verdict(mod.parse(question, known), subject)
                if got != (None if want is None else ("yes" if want else "no")):
                    wrong.append((question, c.keyword, cat, want, got))
    assert wrong == [], wrong[:10]


def is_a_in(question: str, cat: str, k: str) -> bool | None:
    """The truth of the questions above for a keyword of both categories, drawn as ``cat``."""
    place = cat == "place"
    return {
        "Is it a place you could find on a map?": place, "Is it somewhere you can visit?": place,
        "Is it an object or thing, not a place?": not place,
        "Is it a physical thing rather than a location?": False if place else physical(k),
        "Is it a thing and not a place you can visit?": not place,
    }[question]


def test_filed_under_over_the_public_list(mod: Any) -> None:
    """Every keyword of the public list: "listed under X in an index" is its first letter, and
    open where an index may file it under another word ("Fuji, Mount")."""
    wrong = []
    for c in mod.load_candidates(str(TEMPLATE)):
        first = letters(c.keyword)[0]
        for x in (first, "q" if first != "q" else "z"):
            q = f"Would the keyword be listed under the letter {x.upper()} in an index?"
            want = filed_first(x)(c.keyword)
            got = mod.oracle.verdict(mod.parse(q), mod.Subject(c.keyword, c.alts))
            if got != (None if want is None else ("yes" if want else "no")):
                wrong.append((q, c.keyword, want, got))
    assert wrong == [], wrong[:10]


def test_hostile_questions_parse_fast(mod: Any) -> None:
    """Long and repetitive questions (a model's output can be 750 characters) cost little."""
    hostile = [
        "Does the keyword start with " + ", ".join("abcdefghijklmnopqrstuvwxy" * 4) + " or z?",
        "Does the keyword contain the letter " + "a, " * 240 + "?",
        "Is the keyword " + "more than " * 70 + "5 letters long?",
        "Does the keyword come before " + "'a' " * 180 + "alphabetically?",
        "Is it " + "a " * 370 + "?",
        "Is the first letter of the keyword " + "between a and " * 50 + "m?",
        "Good to know. " * 60 + "Does it start with A?",
        "Is it true that " * 45 + "it starts with a?",
        "Does it maybe " * 60 + "start with a?",
        "I think " * 90 + "it is a place",
        "Has " + "it " * 240 + "got an e?",
        "Is it one of " + ", ".join(["Paris"] * 100) + "?",
        "Does it start with B? " + "Thanks! " * 90,
    ]
    for q in hostile:
        t = time.perf_counter()
        mod.parse(q[:750])
        assert time.perf_counter() - t < 0.05, q[:60]
