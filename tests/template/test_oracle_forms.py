"""Every class the oracle answers, in every form a player uses (issue 23): the question ("Does it
start with B?"), the statement with a question mark ("The keyword starts with B?", "It has 6
letters?") or a tag ("It starts with B, right?"), and the short forms ("First letter B?", "Starts
with B?", "B first?", "First letter: B?", "Last two letters 'ge'?"), over every subject (it, the
keyword, your word, the thing, the place, the answer, the name), checked on a sample of the public
list.  Elliptic forms that give no letter ("And the last letter?") and forms with two readings ("B?"
alone) stay with the model.

The truth of each form is a plain string expression on the keyword (the helpers of
test_oracle_classes.py), never the oracle's code; ``None`` where two readings of the keyword
disagree (the oracle must then decline).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pytest
from factories.agents import TEMPLATE, import_agent_module
from oracle_checks import check, public_keywords, quote, variants
from test_oracle_classes import (
    Truth,
    _agree,
    _counted,
    _neg,
    category,
    has,
    has_all,
    has_any,
    letter_between,
    letter_is,
    letters,
    on,
    vowel,
    word_after,
    word_before,
)

#: The subjects a statement is said of.
SUBJECTS = ("it", "the keyword", "your word", "the thing", "the place", "the answer", "the name")
#: Subjects said without their article ("Keyword starts with B?").
BARE_SUBJECTS = ("keyword", "word", "secret word", "answer")
#: How a statement is made a question: a question mark, or a confirmation tag.
ENDINGS = ("?", ", right?", ", correct?", " - am I right?", ", yes?", "?", ", is that right?", " right?", " correct?")


class Shape(NamedTuple):
    """One question of a class in its forms: ``question`` and ``statements`` with ``{s}`` for the
    subject, ``shorts`` said without one."""

    question: str
    statements: tuple[str, ...]
    shorts: tuple[str, ...]
    truth: Truth


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def forms(shape: Shape, rng: random.Random) -> Iterator[str]:
    """The question over every subject, each statement over every subject with an ending, the
    shorts (each also after a lead-in, in capitals or with "??": :func:`oracle_checks.variants`)."""
    for i, subj in enumerate(SUBJECTS):
        yield _cap(shape.question.format(s=subj))
        for j, statement in enumerate(shape.statements):
            yield _cap(statement.format(s=subj)) + ENDINGS[(i + j) % len(ENDINGS)]
    for j, statement in enumerate(shape.statements):  # "Keyword starts with B?": the subject said as in a note
        if statement.startswith("{s}"):
            yield _cap(statement.format(s=BARE_SUBJECTS[j % len(BARE_SUBJECTS)])) + "?"
    for short in shape.shorts:
        yield from variants(short, rng)


def _prefix(n: int, end: bool, t: str) -> Truth:
    """The first (last) ``n`` letters are ``t``: as written and with the letters run together."""
    def truth(k: str) -> bool | None:
        said = (k.lower(), letters(k))
        return _agree(iter(s.endswith(t) if end else s.startswith(t) for s in said))

    return truth


_LETTERS = "bcdeghklmnoprstuw"  # not "a" or "i" (words: "A first?"), not "y" (a vowel or not)


def edge_letters(rng: random.Random) -> Iterator[Shape]:
    for style in range(4):
        c = rng.choice(_LETTERS)
        x = quote(c, style)
        yield Shape("Does {s} start with " + x + "?",
                    ("{s} starts with " + x, "the first letter of {s} is " + x, "{s} begins with " + x),
                    (f"First letter {x}?", f"Starts with {x}?", f"{_cap(x)} first?", f"First letter: {x}?",
                     f"Begins with {x}?", f"Starting with {x}?", f"First letter is {x}?", f"{_cap(x)} as the first "
                     "letter?", f"Is {x} first?", f"The first letter is {x}?"), letter_is(0, c))
        d = rng.choice(_LETTERS)
        y = quote(d, style + 1)
        yield Shape("Does {s} end with " + y + "?",
                    ("{s} ends with " + y, "the last letter of {s} is " + y, "{s} ends in " + y),
                    (f"Last letter {y}?", f"Ends with {y}?", f"Ends in {y}?", f"{_cap(y)} last?", f"Last letter: {y}?",
                     f"Ending in {y}?", f"Last letter is {y}?", f"{_cap(y)} as the last letter?",
                     f"Ends with {y} or not?"), letter_is(-1, d))
        e = rng.choice(_LETTERS)
        z = quote(e, style + 2)
        yield Shape("Is the second letter of {s} " + z + "?", ("the second letter of {s} is " + z,),
                    (f"Second letter {z}?", f"Second letter: {z}?", f"Second letter is {z}?"), letter_is(1, e))


def edge_strings(rng: random.Random, keywords: list[str]) -> Iterator[Shape]:
    words = [w for w in keywords if w.isalpha() and len(w) >= 5]
    for n, number in ((2, "two"), (3, "three"), (2, "2")):
        w = rng.choice(words).lower()
        head, tail = f"'{w[:n]}'", f"'{w[-n:]}'"
        yield Shape("Are the first " + number + " letters of {s} " + head + "?",
                    ("the first " + number + " letters of {s} are " + head, "{s} starts with " + head),
                    (f"First {number} letters {head}?", f"First {number} letters are {head}?",
                     f"First {number} letters: {head}?", f"The first {number} letters are {head}?",
                     f"Its first {number} letters are {head}?", f"Starts with {head}?",
                     f"First {number} letters spell {head}?"), _prefix(n, False, w[:n]))
        yield Shape("Are the last " + number + " letters of {s} " + tail + "?",
                    ("the last " + number + " letters of {s} are " + tail, "{s} ends with " + tail),
                    (f"Last {number} letters {tail}?", f"The last {number} letters are {tail}?",
                     f"Last {number} letters: {tail}?", f"Last {number} letters are {tail}?",
                     f"Its last {number} letters are {tail}?", f"Ends with {tail}?", f"Ends in {tail}?"),
                    _prefix(n, True, w[-n:]))


def suffixes(rng: random.Random, keywords: list[str]) -> Iterator[Shape]:
    """A suffix written with its hyphen ("ends in -ing"), and letters all different."""
    for t in ("ing", "er", rng.choice([w.lower()[-3:] for w in keywords if w.isalpha() and len(w) > 5])):
        yield Shape("Does {s} end in -" + t + "?", ("{s} ends in -" + t, "{s} ends with -" + t),
                    (f"Ends in -{t}?", f"Ending in -{t}?", f"Ends with the suffix -{t}?"), _prefix(len(t), True, t))


def _substring(t: str) -> Truth:
    return lambda k: _agree(iter((t in k.lower(), t in letters(k))))


def strings(rng: random.Random, keywords: list[str]) -> Iterator[Shape]:
    """A string anywhere in the keyword, and a kind of character: said short with its noun."""
    for n in (2, 3):
        w = rng.choice([w.lower() for w in keywords if w.isalpha() and len(w) > 5])
        t = w[1:1 + n]
        yield Shape("Does {s} contain the substring '" + t + "'?",
                    ("{s} contains the substring '" + t + "'", "{s} has the letters '" + t + "' together"),
                    (f"The substring '{t}'?", f"The letters '{t}' together?", f"The letter combination '{t}'?",
                     f"Contains the substring '{t}'?"), _substring(t))
    def special(k: str) -> bool | None:  # a hyphen is one ("x-ray"), a space in one reading
        return True if any(not c.isalnum() and c != " " for c in k) else (None if " " in k else False)

    yield Shape("Does {s} contain special characters?", ("{s} contains special characters",
                                                         "{s} has any special characters"),
                ("Special characters?", "Any special characters?", "Has special characters?"), special)
    yield Shape("Does {s} have no special characters?", ("{s} has no special characters",),
                ("No special characters?", "No special character?"), _neg(special))

    def punct(k: str) -> bool:
        return any(not c.isalnum() and c != " " for c in k)

    yield Shape("Does {s} contain punctuation?", ("{s} contains punctuation", "{s} has punctuation"),
                ("Any punctuation?", "Punctuation?"), punct)
    yield Shape("Does {s} have no punctuation?", ("{s} has no punctuation",), ("No punctuation?",), _neg(punct))


def _distinct(k: str) -> bool | None:
    return _agree(iter(len(set(s)) == len(s) for s in (letters(k), "".join(c for c in k.lower() if c.isalpha()))))


def repeats(rng: random.Random) -> Iterator[Shape]:
    yield Shape("Are all the letters in {s} different?",
                ("all the letters in {s} are different", "{s} has no repeated letters"),
                ("All letters different?", "All letters unique?", "No repeated letters?", "All the letters different?"),
                _distinct)
    yield Shape("Does {s} have a repeated letter?", ("{s} has a repeated letter",),
                ("Any repeated letters?", "Any letter repeated?"), _neg(_distinct))


def contained(rng: random.Random) -> Iterator[Shape]:
    for style in range(4):
        c = rng.choice(_LETTERS)
        x = quote(c, style)  # not "the letter B" ("Any the letter B?")
        yield Shape("Does {s} contain the letter " + c.upper() + "?",
                    ("{s} contains " + x, "{s} has " + x + " in it", "there is " + x + " in {s}"),
                    (f"Contains {x}?", f"Has {x}?", f"Any {x}?", f"{_cap(x)} in it?", f"There's {x} in it?",
                     f"Has {x} in it?", f"Contains {x} or not?"), has(c))
        yield Shape("Does {s} not contain the letter " + c.upper() + "?",
                    ("{s} doesn't contain " + x, "{s} does not have " + x, "there is no " + x + " in {s}"),
                    (f"No {x}?", f"No {x} in it?", f"There's no {x} in it?", f"Without {x}?"), _neg(has(c)))
        c, d, e = rng.sample(_LETTERS, 3)
        x, y, z = (quote(v, style + i) for i, v in enumerate((c, d, e)))
        yield Shape("Does {s} contain both " + x + " and " + y + "?",
                    ("{s} contains both " + x + " and " + y, "{s} has " + x + " and " + y),
                    (f"Both {x} and {y}?", f"Has both {x} and {y}?", f"Contains {x} and {y}?"), has_all([c, d]))
        yield Shape("Does {s} contain any of " + x + ", " + y + " or " + z + "?",
                    ("{s} contains " + x + ", " + y + " or " + z, "{s} has at least one of " + x + ", " + y + " or " + z),
                    (f"Any of {x}, {y} or {z}?", f"Contains {x}, {y} or {z}?", f"Has any of {x}, {y} or {z}?"),
                    has_any([c, d, e]))


def letter_classes(rng: random.Random) -> Iterator[Shape]:
    lo, hi = rng.choice((("a", "m"), ("c", "k"), ("n", "z"), ("b", "l")))
    lo_x, hi_x = lo.upper(), hi.upper()
    yield Shape("Does {s} start with a letter between " + lo_x + " and " + hi_x + "?",
                ("{s} starts with a letter between " + lo_x + " and " + hi_x,
                 "the first letter of {s} is between " + lo_x + " and " + hi_x),
                (f"First letter between {lo_x} and {hi_x}?", f"Starts with a letter from {lo_x} to {hi_x}?",
                 f"First letter in {lo_x}-{hi_x}?", f"Starts with a letter between {lo_x} and {hi_x}?"),
                letter_between(0, lo, hi))
    yield Shape("Does {s} start with a vowel?", ("{s} starts with a vowel", "the first letter of {s} is a vowel"),
                ("Starts with a vowel?", "First letter a vowel?", "First letter is a vowel?", "Begins with a vowel?",
                 "First letter: a vowel?"), on(0, vowel))
    yield Shape("Does {s} end with a vowel?", ("{s} ends with a vowel", "the last letter of {s} is a vowel"),
                ("Ends with a vowel?", "Last letter a vowel?", "Ends in a vowel?", "Last letter: a vowel?"),
                on(-1, vowel))
    yield Shape("Is {s} in the first half of the alphabet?", ("{s} is in the first half of the alphabet",),
                ("In the first half of the alphabet?", "First half of the alphabet?", "The first half of the alphabet?"),
                on(0, lambda x: "a" <= x <= "m"))
    yield Shape("Is {s} in the second half of the alphabet?", ("{s} is in the second half of the alphabet",),
                ("In the second half of the alphabet?", "Second half of the alphabet?"), on(0, lambda x: "n" <= x <= "z"))


_CMP: tuple[tuple[str, str, Callable[[int, int], bool]], ...] = (
    ("{n} {u}", "{n} {u} exactly", lambda v, n: v == n),
    ("more than {n} {u}", "More than {n} {u}", lambda v, n: v > n),
    ("at least {n} {u}", "{n} {u} or more", lambda v, n: v >= n),
    ("fewer than {n} {u}", "Fewer than {n} {u}", lambda v, n: v < n),
    ("at most {n} {u}", "{n} {u} or fewer", lambda v, n: v <= n),
)


def counts(rng: random.Random) -> Iterator[Shape]:
    for said, short, check in _CMP:
        n = rng.choice((4, 5, 6, 7, 8, 9))
        phrase = said.format(n=n, u="letters")
        truth = _counted("letters", check, n)
        yield Shape("Does {s} have " + phrase + "?", ("{s} has " + phrase, "{s} is " + phrase + " long"),
                    (short.format(n=n, u="letters") + "?", _cap(phrase) + "?", "Has " + phrase + "?"), truth)
        v = rng.choice((1, 2, 3))
        vowels = said.format(n=v, u="vowels") if said != "{n} {u}" else f"exactly {v} vowels"
        yield Shape("Does {s} have " + vowels + "?", ("{s} has " + vowels,),
                    (_cap(vowels) + "?", "Has " + vowels + "?"), _counted("vowels", check, v))
    n = rng.choice((5, 6, 7, 8))
    exact = _counted("letters", lambda v, n: v == n, n)
    yield Shape("Is the number of letters in {s} " + str(n) + "?", ("the number of letters in {s} is " + str(n),),
                (f"Number of letters: {n}?", f"Number of letters {n}?", f"Letter count {n}?", f"Letters: {n}?",
                 f"{n} letters long?", f"The number of letters is {n}?"), exact)
    v = rng.choice((2, 3))
    yield Shape("Is the number of vowels in {s} " + str(v) + "?", ("the number of vowels in {s} is " + str(v),),
                (f"Number of vowels: {v}?", f"Vowels: {v}?", f"Vowel count {v}?"),
                _counted("vowels", lambda x, n: x == n, v))
    lo = rng.choice((4, 5, 6))
    between = _counted("letters", lambda v, n: n <= v <= n + 3, lo)
    yield Shape(f"Does {{s}} have between {lo} and {lo + 3} letters?", (f"{{s}} has between {lo} and {lo + 3} letters",),
                (f"Between {lo} and {lo + 3} letters?",), between)
    most, least = rng.choice((5, 6, 7, 8)), rng.choice((5, 6, 7, 8))
    yield Shape(f"Does {{s}} have max {most} letters?", (f"{{s}} has max {most} letters",),
                (f"Max {most} letters?", f"{most} letters max?"), _counted("letters", lambda v, n: v <= n, most))
    yield Shape(f"Does {{s}} have min {least} letters?", (f"{{s}} has min {least} letters",),
                (f"Min {least} letters?", f"{least} letters minimum?"), _counted("letters", lambda v, n: v >= n, least))
    n = rng.choice((5, 6, 7))
    for op, check in ((">", lambda v, n: v > n), ("<", lambda v, n: v < n), (">=", lambda v, n: v >= n),
                      ("\u2264", lambda v, n: v <= n)):
        truth = _counted("letters", check, n)
        yield Shape(f"Does {{s}} have {op} {n} letters?", (f"{{s}} has {op} {n} letters",),
                    (f"{op}{n} letters?", f"{op} {n} letters?", f"Letters {op} {n}?", f"Number of letters {op} {n}?",
                     f"Letters: {op} {n}?"), truth)
    even = _counted("letters", lambda v, n: v % 2 == 0, 0)
    yield Shape("Does {s} have an even number of letters?", ("{s} has an even number of letters",),
                ("Even number of letters?", "An even number of letters?"), even)


def words(rng: random.Random) -> Iterator[Shape]:
    one = _counted("words", lambda v, n: v == 1, 1)
    yield Shape("Is {s} one word?", ("{s} is one word", "{s} is a single word"),
                ("One word?", "A single word?", "Single word?", "Just one word?"), one)
    yield Shape("Is {s} more than one word?", ("{s} is more than one word", "{s} has more than one word"),
                ("More than one word?", "Multiple words?", "Two or more words?"), _neg(one))
    yield Shape("Does {s} have two words?", ("{s} has two words", "{s} is two words"), ("Two words?",),
                _counted("words", lambda v, n: v == 2, 2))


def order(rng: random.Random) -> Iterator[Shape]:
    for w in rng.sample(("m", "laser", "ba", "s", "mountain", "pear"), 3):
        q = f"'{w}'"
        yield Shape("Does {s} come before " + q + " alphabetically?",
                    ("{s} comes before " + q + " alphabetically", "{s} is alphabetically before " + q),
                    (f"Before {q} alphabetically?", f"Alphabetically before {q}?",
                     f"Comes before {q} in alphabetical order?", f"Precedes {q} alphabetically?",
                     f"Alphabetically, before {q}?", f"In alphabetical order, before {q}?"), word_before(w))
        yield Shape("Does {s} come after " + q + " alphabetically?",
                    ("{s} comes after " + q + " alphabetically", "{s} is alphabetically after " + q),
                    (f"After {q} alphabetically?", f"Alphabetically after {q}?", f"In the dictionary, after {q}?"),
                    word_after(w))


def _versus(rel: str, first: str) -> Truth:
    """Vowels (``first``) compared with consonants, or the other way, with "y" a vowel and not."""
    def truth(k: str) -> bool | None:
        low, said = k.lower(), []
        for vowels in ("aeiou", "aeiouy"):
            v = sum(c in vowels for c in low)
            c = sum(ch.isalpha() for ch in low) - v
            x, y = (v, c) if first == "vowels" else (c, v)
            said.append(x > y if rel == "more" else x < y if rel == "fewer" else x == y)
        return _agree(iter(said))

    return truth


def vowels_versus(rng: random.Random) -> Iterator[Shape]:
    for rel, first in (("more", "vowels"), ("more", "consonants"), ("fewer", "vowels")):
        other = "consonants" if first == "vowels" else "vowels"
        said = f"{rel} {first} than {other}"
        yield Shape("Does {s} have " + said + "?", ("{s} has " + said, "{s} contains " + said),
                    (_cap(said) + "?", "Has " + said + "?", f"Are there {said}?"), _versus(rel, first))
    same = "the same number of vowels and consonants"
    yield Shape("Does {s} have " + same + "?", ("{s} has " + same,),
                ("As many vowels as consonants?", _cap(same) + "?"), _versus("same", "vowels"))


def _same_ends(k: str) -> bool | None:
    return _agree(iter(s[0] == s[-1] for s in (letters(k), "".join(c for c in k.lower() if c.isalpha())) if s))


def same_ends(rng: random.Random) -> Iterator[Shape]:
    yield Shape("Does {s} start and end with the same letter?",
                ("{s} starts and ends with the same letter", "the first and last letters of {s} are the same"),
                ("Starts and ends with the same letter?", "Same first and last letter?",
                 "The first and last letters are the same?", "Is the first letter the same as the last?",
                 "Begins and ends with the same letter?"), _same_ends)
    yield Shape("Does {s} start and end with different letters?",
                ("{s} starts and ends with different letters", "the first and last letters of {s} are different"),
                ("Different first and last letters?",), _neg(_same_ends))


def _is(name: str) -> Truth:
    return lambda k: True if k.lower() == name.lower() else (None if set(name.lower().split()) & set(
        k.lower().split()) else False)


def naming(rng: random.Random, keywords: list[str]) -> Iterator[Shape]:
    ordinary = import_agent_module(None).oracle.naming.ORDINARY_NAMES  # "Nice?" is no guess of Nice said alone
    places = [k for k in keywords if category(k) == "place" and k.lower() not in ordinary]
    for name in rng.sample(places, 3):
        x = name.title()
        yield Shape("Is {s} " + x + "?", ("{s} is " + x,), (f"{x}?", f"How about {x}?", f"Maybe {x}?"), _is(name))
    a, b, c = (n.title() for n in rng.sample(places, 3))

    def one_of(k: str) -> bool | None:
        found = [_is(n)(k) for n in (a, b, c)]
        return True if True in found else (False if all(f is False for f in found) else None)

    yield Shape("Is {s} " + f"{a}, {b} or {c}?", ("{s} is " + f"{a}, {b} or {c}", "{s} is one of " + f"{a}, {b} or {c}"),
                (f"One of {a}, {b} or {c}?",), one_of)

    def neither(k: str) -> bool | None:
        found = [_is(n)(k) for n in (a, b)]
        return False if True in found else (True if all(f is False for f in found) else None)

    yield Shape("Is {s} " + f"neither {a} nor {b}?", ("{s} is " + f"neither {a} nor {b}",),
                (f"Neither {a} nor {b}?", f"Neither {a.lower()} nor {b.lower()}?"), neither)


def _category_is(cat: str) -> Truth:
    return lambda k: (category(k) == cat) if category(k) else None


def categories(rng: random.Random) -> Iterator[Shape]:
    yield Shape("Is {s} a place?", ("{s} is a place", "{s} isn't a thing"), ("A place?", "Place?", "Not a thing?"),
                _category_is("place"))
    yield Shape("Is {s} a thing?", ("{s} is a thing", "{s} is not a place"), ("A thing?", "Not a place?"),
                _category_is("things"))


CLASSES = ("edge_letters", "edge_strings", "contained", "letter_classes", "counts", "words", "order", "naming",
           "categories", "vowels_versus", "same_ends", "suffixes", "repeats", "strings")


@pytest.fixture(scope="module")
def world() -> tuple[Any, Any, list[str]]:
    mod = import_agent_module(None)
    known = mod.oracle.known_names(mod.load_candidates(str(TEMPLATE)))
    return mod, known, public_keywords(mod, 29)


def _shapes(name: str, rng: random.Random, keywords: list[str]) -> list[Shape]:
    made = {"edge_letters": edge_letters, "contained": contained, "letter_classes": letter_classes, "counts": counts,
            "words": words, "order": order, "categories": categories, "vowels_versus": vowels_versus,
            "same_ends": same_ends, "repeats": repeats}
    if name in made:
        return list(made[name](rng))
    return list({"edge_strings": edge_strings, "naming": naming, "suffixes": suffixes, "strings": strings}[name](
        rng, keywords))


@pytest.mark.parametrize("name", CLASSES)
def test_every_form_of_every_class_is_answered_right(world: tuple[Any, Any, list[str]], name: str) -> None:
    mod, known, keywords = world
    rng = random.Random(name)
    shapes = _shapes(name, rng, keywords)
    phrasings = [(q, s.truth) for s in shapes for q in forms(s, rng)]
    assert len(phrasings) >= 40
    wrong, declined, right = check(_Known(mod, known), keywords, phrasings)
    assert wrong == [], wrong[:10]
    assert declined == [], sorted({q for q, _ in declined})[:20]
    assert right >= len(phrasings) * len(keywords) // 3


class _Known:
    """The agent module, parsing with the list's names (as the agent's tracker does)."""

    def __init__(self, mod: Any, known: Any) -> None:
        self.mod, self.known, self.oracle, self.Subject = mod, known, mod.oracle, mod.Subject

    def parse(self, question: str) -> Any:
        return self.mod.parse(question, self.known)


#: Forms that stay with the model: no letter given, or two readings.
TRAPS = (
    "And the last letter?", "The first letter?", "What about the last letter?", "B?", "E?", "'e'?", "A first?",
    "I first?", "Last two letters?", "First letter: ?", "Number of letters?", "The last two letters are 'ge' or 'ng'?",
    "Last two letters 'gee'?", "Last two letters: 'g e'?", "Letters: A, E?",
    "One of A, E or I?", "A place or a thing?", "First letter: B or last letter: E?", "Counting spaces: 6 characters?",
    "Ignore spaces: 6 characters?", "Backwards: first letter B?", "In French: first letter B?",
    "First letter: B, in French?", "B first or last?", "Is B leading?", "The keyword starts with B and ends with E?",
    "Doesn't start with B?", "It doesn't start with B, does it?", "Not a place or a thing?",
    "Does it start and end with the same sound?", "Does it start and end with the same letter in each word?",
    "More vowels than vowels?", "More vowels than consonants in the first word?", "Same first and last word?",
    "Does it start with -ing?", "Does it end with un-?", "Ends in -ing or -ed?", "Ends with un-?",
    "~6 letters?", "\u22486 letters?", "=6 letters?", "> 6?", "First letter > M?", "<> 6 letters?",
    "Is it on the right?", "Does it turn right?", "It is right?", "Is it correct?",
    "Alphabetically, before 'm' in French?", "In French, before 'm'?", "Alphabetically, first letter B?",
    "The letters 'th'?", "The digit 2?", "An apostrophe?", "The substring 'an' in French?",
    "Neither a fruit nor a tool?", "Neither Paris nor London in French?", "Neither nice nor china?",
    "First half of the dictionary?", "First half of the alphabet in French?",
)


@pytest.mark.parametrize("question", TRAPS)
def test_forms_without_a_value_or_with_two_readings_stay_with_the_model(world: tuple[Any, Any, list[str]],
                                                                         question: str) -> None:
    mod, known, keywords = world
    rule = mod.parse(question, known)
    answered = [] if rule is None else [k for k in keywords
                                        if mod.oracle.verdict(rule, mod.Subject(k, (), category(k))) is not None]
    assert answered == [], (question, answered[:5])
