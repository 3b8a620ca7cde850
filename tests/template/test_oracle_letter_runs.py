"""Letter, count, order and category phrasings a probe of the grammar found declined (issue 23),
each widened as a class and generated here over subjects, letters, numbers, quote kinds and case,
long and short forms, with and without lead-ins and tags, on a sample of the public keyword list:

* a prefix or suffix said with its hyphen or its noun ("Starts with un-?", "Does it begin with the
  prefix 're'?", "Ends with the suffix -ing?", "Prefix 're'?"), which was read as a literal string
  when quoted with its hyphen ("Does it start with 'un-'?" -> no for "Unleavened Bread": wrong);
* a letter twice or three times in a row ("Two E's in a row?", "Double L?"), any letter so ("Any
  letter twice in a row?", "Is any letter doubled?", "No double letters?");
* "One E only?" (exactly one), the only vowels ("Is E the only vowel?", "Are all its vowels A's?");
* every letter once ("Does every letter appear only once?", "No repeated letters?");
* letters only, with what is not there said ("Only letters, no digits or spaces?");
* "sorted" as an order ("Sorted before 'mango'?");
* statements with a modal asked as questions ("You can find it on a map?").

The truth of each phrasing is written from the contract (letters are the keyword's letters and
digits in lower case, or its letters alone: both readings must agree; a string is looked for in
the keyword as written and in its letters run together; vowels are a, e, i, o, u, and "y" in the
other reading; words compare in lower case), never from the oracle's code.  The traps, phrasings
with two readings, stay declined.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator

import pytest
from oracle_checks import World, answered, make_world, quote, quote_text, variants
from test_oracle_classes import Truth, _agree, _neg, check_phrasings, is_a, letters

SUBJECTS = ("it", "the keyword", "your word", "the word we are looking for", "the secret word", "the answer",
            "the thing you're thinking of", "your keyword")


def _alpha(k: str) -> str:
    return "".join(c for c in k.lower() if c.isalpha())


def _readings(k: str) -> tuple[str, str]:
    """The keyword's letters: with its digits, and without them."""
    return letters(k), _alpha(k)


def _texts(k: str) -> tuple[str, str]:
    """Where a string is looked for: the keyword as written (lower case), and its letters run together."""
    return k.lower().strip(), letters(k)


def starts(text: str) -> Truth:
    return lambda k: _agree(t.startswith(text) for t in _texts(k))


def ends(text: str) -> Truth:
    return lambda k: _agree(t.endswith(text) for t in _texts(k))


# ------------------------------------------------------------------------ affixes

PREFIXES = ("un", "re", "co", "ba", "st", "ca", "pa", "mo", "bo")
SUFFIXES = ("ing", "er", "on", "ia", "an", "ed", "ry", "es", "le")


def affixes(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A prefix or a suffix: with its hyphen (quoted or bare), or named ("the prefix re")."""
    for i, (subj, p, s) in enumerate(zip(itertools.cycle(SUBJECTS), PREFIXES * 2, SUFFIXES * 2, strict=False)):
        qp, qs = quote_text(p + "-", i), quote_text("-" + s, i + 1)
        yield f"Does {subj} start with {qp}?", starts(p)
        yield f"Does {subj} begin with the prefix {quote_text(p, i)}?", starts(p)
        yield f"Does {subj} start with the prefix {p}?", starts(p)
        yield f"Does {subj} begin with the prefix {p}-?", starts(p)
        yield f"Does {subj} end with {qs}?", ends(s)
        yield f"Does {subj} end in -{s}?", ends(s)
        yield f"Does {subj} end with the suffix {quote_text(s, i)}?", ends(s)
        yield f"Does {subj} end with the suffix -{s}?", ends(s)
        yield f"Does {subj} not end with the suffix {s}?", _neg(ends(s))
        yield f"Does {subj} have the prefix {quote_text(p, i)}?", starts(p)
        yield f"Does {subj} have the suffix -{s}?", ends(s)
        yield f"Starts with {p}-?", starts(p)
        yield f"Starts with {qp}?", starts(p)
        yield f"Begins with the prefix {quote_text(p, i)}?", starts(p)
        yield f"Ends with the suffix -{s}?", ends(s)
        yield f"Ends in {qs}?", ends(s)
        yield f"Prefix {quote_text(p, i)}?", starts(p)
        yield f"Suffix -{s}?", ends(s)
        yield f"{subj[0].upper() + subj[1:]} starts with {p}-, right?", starts(p)
        yield f"Is {quote_text(p, i)} a prefix of {subj}?", starts(p)
        yield f"Is -{s} the suffix of {subj}?", ends(s)
        yield f"Is the prefix of {subj} {quote_text(p, i)}?", starts(p)
        yield f"Is its suffix -{s}?", ends(s)
        yield f"Is {quote_text(s, i)} not a suffix of {subj}?", _neg(ends(s))


# ------------------------------------------------------------------- letters in a row


def run_of(c: str, n: int = 2) -> Truth:
    return lambda k: _agree((c * n) in t for t in _texts(k))


def double_any(k: str) -> bool | None:
    return _agree(re.search(r"([a-z0-9])\1", t) is not None for t in _texts(k))


def class_run(cls: str, n: int) -> Truth:
    """``n`` vowels (consonants) next to each other, as written and letters run together; "y" a vowel
    in one reading and a consonant in the other (then every reading must agree)."""

    def truth(k: str) -> bool | None:
        out = []
        for t in _texts(k):
            for vs in ("aeiou", "aeiouy"):
                marks = [(c in vs) if cls == "vowels" else (c.isalpha() and c not in vs) for c in t]
                out.append(any(all(marks[i : i + n]) for i in range(len(marks) - n + 1)))
        return _agree(iter(out))

    return truth


def letter_runs(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A letter twice (three times) in a row, and any letter so."""
    for i, (subj, c) in enumerate(zip(itertools.cycle(SUBJECTS), "eolsfprtnmcg" * 2, strict=False)):
        x = quote(c, i)
        bare = x.replace("the letter ", "")
        plural = f"{bare}'s" if bare.isalpha() else f"{bare}s"
        yield f"Does {subj} have two {plural} in a row?", run_of(c)
        yield f"Does {subj} have {x} twice in a row?", run_of(c)
        yield f"Does {subj} contain two consecutive {plural}?", run_of(c)
        yield f"Does {subj} have three {plural} in a row?", run_of(c, 3)
        yield f"Are there two {plural} next to each other in {subj}?" if subj != "it" else \
            f"Are there two {plural} next to each other?", run_of(c)
        yield f"Does {x} appear twice in a row in {subj}?", run_of(c)
        yield f"Is there a double {bare}?", run_of(c)
        yield f"Two {plural} in a row?", run_of(c)
        yield f"{bare} twice in a row?", run_of(c)
        yield f"Double {bare}?", run_of(c)
        yield f"Does {subj} have a double letter?", double_any
        yield f"Does any letter appear twice in a row in {subj}?", double_any
        yield f"Is any letter doubled in {subj}?", double_any
        yield f"Does {subj} have no double letters?", _neg(double_any)
    for subj, n, cls in zip(SUBJECTS, (2, 3, 2, 3, 2, 4, 3, 2), ("vowels", "consonants") * 4, strict=False):
        said = {2: "two", 3: "three", 4: "4"}[n]
        yield f"Does {subj} have {said} {cls} in a row?", class_run(cls, n)
        yield f"Does {subj} contain {said} consecutive {cls}?", class_run(cls, n)
        yield f"{said.capitalize()} {cls} next to each other?", class_run(cls, n)
    for short, truth in (("Any letter twice in a row?", double_any), ("Double letter?", double_any),
                         ("A double letter?", double_any), ("Is there a letter twice in a row?", double_any),
                         ("Is any letter doubled?", double_any), ("No double letters?", _neg(double_any)),
                         ("Is there no double letter?", _neg(double_any))):
        yield short, truth


# ------------------------------------------------------------ counts and the only vowels


def exactly(c: str, n: int) -> Truth:
    return lambda k: _agree(seq.count(c) == n for seq in _readings(k))


def vowel_count(n: int) -> Truth:
    return lambda k: _agree(sum(c in vs for c in k.lower()) == n for vs in ("aeiou", "aeiouy"))


def vowels_are(chosen: str, every: bool = False) -> Truth:
    """The keyword's vowels are ``chosen`` (``every``: each of them is one; open with none), "y"
    a vowel in one reading."""

    def truth(k: str) -> bool | None:
        out = []
        for vs in ("aeiou", "aeiouy"):
            present = {c for c in letters(k) if c in vs}
            out.append((present <= set(chosen) if present else None) if every else present == set(chosen))
        return _agree(iter(out))

    return truth


def same_vowels(k: str) -> bool | None:
    out = []
    for vs in ("aeiou", "aeiouy"):
        present = {c for c in letters(k) if c in vs}
        out.append(len(present) == 1 if present else None)
    return _agree(iter(out))


def counts_and_vowels(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"One E only?", "Is E the only vowel?", "Are all its vowels A's?"."""
    numbers = ((1, "one"), (2, "two"), (1, "1"), (3, "three"), (2, "2"))
    for i, (subj, c, v) in enumerate(zip(itertools.cycle(SUBJECTS), "eaolrsni" * 2, "aeiouaei" * 2, strict=False)):
        n, said = numbers[i % len(numbers)]
        bare = quote(c, i).replace("the letter ", "")
        plural = bare if n == 1 else (f"{bare}'s" if bare.isalpha() else f"{bare}s")
        yield f"Does {subj} have {said} {plural} only?", exactly(c, n)
        yield f"{said.capitalize()} {plural} only?", exactly(c, n)
        yield f"Does {quote(c, i + 3)} appear {['once', 'twice', 'once', 'three times', 'twice'][i % 5]} only in {subj}?", \
            exactly(c, n)
        yield f"Does {subj} have {said} {'vowel' if n == 1 else 'vowels'} only?", vowel_count(n)
        yield f"Does {subj} have one and only one {quote(c, i).replace('the letter ', '')}?", exactly(c, 1)
        vq = quote(v, i + 1)
        yield f"Is {vq} the only vowel in {subj}?", vowels_are(v)
        yield f"Is {vq} the only vowel?", vowels_are(v)
        yield f"Is the only vowel of {subj} {vq}?", vowels_are(v)
        yield f"{vq} the only vowel?", vowels_are(v)
        yield f"Is {vq} not the only vowel in {subj}?", _neg(vowels_are(v))
        vbare = vq.replace("the letter ", "")
        vplural = f"{vbare}'s" if vbare.isalpha() else f"{vbare}s"
        yield f"Are all the vowels in {subj} {vplural}?", vowels_are(v, every=True)
        yield f"Are all of its vowels {vbare}?", vowels_are(v, every=True)
        yield f"Are its vowels all {vplural}?", vowels_are(v, every=True)
        w = "aeiou"[(i + 2) % 5]
        if w != v:
            yield f"Are {v.upper()} and {w.upper()} the only vowels in {subj}?", vowels_are(v + w)
        yield f"Does {subj} have {vbare} as its only vowel?", vowels_are(v)
        yield f"Is {vq} the sole vowel of {subj}?", vowels_are(v)
        yield f"Is {vq} the one and only vowel {subj} has?" if subj != "it" else f"Is {vq} the only vowel it has?", \
            vowels_are(v)
        yield f"Are all the vowels in {subj} the same?", same_vowels


# ------------------------------------------------------------- every letter once


def all_different(k: str) -> bool | None:
    return _agree(len(set(seq)) == len(seq) for seq in _readings(k))


def every_letter_once(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for subj in SUBJECTS:
        for once in ("only once", "just once", "exactly once"):
            yield f"Does every letter of {subj} appear {once}?", all_different
            yield f"Is each letter in {subj} used {once}?", all_different
        yield f"Do all the letters of {subj} appear only once?", all_different
        yield f"Are all the letters in {subj} used just once?", all_different
        yield f"Are there no repeated letters in {subj}?", all_different
        yield f"Are there repeated letters in {subj}?", _neg(all_different)
        yield f"Is every letter of {subj} different?", all_different
    for short in ("Does every letter appear only once?", "Every letter appears only once?", "Every letter different?",
                  "Is each letter unique?", "No repeated letters?", "Are there no repeated letters?"):
        yield short, all_different
    yield "Is any letter repeated?", _neg(all_different)
    yield "Are any letters repeated?", _neg(all_different)


# -------------------------------------------------------------------- letters only


def letters_only(k: str) -> bool | None:
    """No digit or mark; a space is no letter in one reading."""
    low = k.lower().strip()
    return _agree(iter((all(c.isalpha() for c in low.replace(" ", "")), all(c.isalpha() for c in low))))


def letters_no_space(k: str) -> bool | None:
    return all(c.isalpha() for c in k.lower().strip())


def letters_and_spaces(k: str) -> bool | None:
    return all(c.isalpha() or c == " " for c in k.lower().strip())


def digit_or_special(k: str) -> bool | None:
    """A digit, or a special character (a space is one in one reading)."""
    low = k.lower().strip()
    return _agree(iter((any(c.isdigit() or (not c.isalnum() and c != " ") for c in low),
                        any(c.isdigit() or not c.isalnum() for c in low))))


def only_letters(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for subj in SUBJECTS:
        yield f"Is {subj} letters only?", letters_only
        yield f"Does {subj} consist of letters only?", letters_only
        yield f"Does {subj} contain only letters, no digits or spaces?", letters_no_space
        yield f"Is {subj} made up of only letters (no spaces)?", letters_no_space
        yield f"Does {subj} have letters only, and no spaces or hyphens?", letters_no_space
        yield f"Does {subj} consist of letters only, no digits?", letters_only
        yield f"Does {subj} use only letters and spaces?", letters_and_spaces
        yield f"Does {subj} contain a digit?", lambda k: any(c.isdigit() for c in k)
        yield f"Does {subj} contain a hyphen?", lambda k: "-" in k
        yield f"Does {subj} contain an apostrophe?", lambda k: "'" in k
        yield f"Does {subj} contain any digits or spaces?", lambda k: any(c.isdigit() or c == " " for c in k.strip())
        yield f"Does {subj} have a hyphen, a space or an apostrophe?", lambda k: any(c in "-' " for c in k.strip())
        yield f"Is {subj} entirely letters?", letters_only
        yield f"Does {subj} contain a digit or a special character?", digit_or_special
        yield f"Is {subj} all alphabetic characters?", letters_only
    for short, truth in (("Letters only?", letters_only), ("Only letters?", letters_only),
                         ("Only letters, no digits or spaces?", letters_no_space),
                         ("Only letters and no spaces?", letters_no_space),
                         ("Letters and spaces only?", letters_and_spaces), ("Any digits?", lambda k: any(
                             c.isdigit() for c in k)), ("Is there any digit?", lambda k: any(c.isdigit() for c in k)),
                         ("Are there any apostrophes?", lambda k: "'" in k),
                         ("Are there any spaces or hyphens?", lambda k: any(c in " -" for c in k.strip())),
                         ("Only alphabetic characters?", letters_only)):
        yield short, truth


# ------------------------------------------------------------------------- sorted

WORDS = ("mango", "kettle", "b", "paris", "s", "tower", "door", "apple", "zoo")


def before(w: str) -> Truth:
    return lambda k: k.lower().strip() < w


def after(w: str) -> Truth:
    return lambda k: k.lower().strip() > w


def sorted_order(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for i, (subj, w) in enumerate(zip(itertools.cycle(SUBJECTS), WORDS * 2, strict=False)):
        q = quote_text(w, i)
        yield f"Is {subj} sorted before {q}?", before(w)
        yield f"Is {subj} sorted after {q}?", after(w)
        yield f"Sorted before {q}?", before(w)
        yield f"Sorted after {q}?", after(w)
        yield f"Sorted alphabetically, does {subj} come before {q}?", before(w)
        yield f"Sorted alphabetically, is {subj} after {q}?", after(w)
        yield f"Does {subj} come before {q} when sorted alphabetically?", before(w)
        yield f"Sorted A-Z, before {q}?", before(w)
        yield f"In a dictionary, would {subj} come before {q}?", before(w)
        yield f"Is {subj} earlier in the alphabet than {q}?", before(w)
        yield f"Is {q} sorted after {subj}?", before(w)


# ------------------------------------------------------------- modal statements


def modal_statements(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Statements with a modal asked as questions: the question they state."""
    subjects = ("it", "the keyword", "the place you chose", "your word", "the word we are looking for")
    for subj in subjects:
        for frame in ("You can find {s} on a map?", "You could find {s} on a map?", "One can find {s} on a map?",
                      "You'd find {s} on a map?", "I could find {s} on a map?", "You can find {s} on a map, can't you?",
                      "{S} can be found on a map?", "{S} could be found on a map, right?",
                      "{S} can be found on a map, can't it?", "You could point to {s} on a map?"):
            yield frame.format(s=subj, S=subj[0].upper() + subj[1:]), is_a("described")
        yield f"You would classify {subj} as a place?", is_a("place")
        yield f"You'd call {subj} a thing?", is_a("thing")
        yield f"{subj[0].upper() + subj[1:]} refers to a place?", _named(is_a("place"))
        yield f"{subj[0].upper() + subj[1:]} would start with {quote('b', len(subj))}?", \
            lambda k: _agree(seq[:1] == "b" for seq in _readings(k))


def _named(truth: Truth) -> Truth:
    """"refers to a place": by what the name means; open for a thing that names a site."""
    from test_oracle_classes import ALSO_OPEN, SITES, category
    return lambda k: None if category(k) == "things" and k.lower() in SITES | ALSO_OPEN else truth(k)


CLASSES = {"affixes": affixes, "letter_runs": letter_runs, "counts_and_vowels": counts_and_vowels,
           "every_letter_once": every_letter_once, "only_letters": only_letters, "sorted_order": sorted_order,
           "modal_statements": modal_statements}


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(11, ["k2", "x-ray", "yoyo", "mount fuji", "Unleavened Bread", "Underground River", "Reindeer",
                           "Coffee Grinder", "Mississippi River", "Refrigerator", "Cauliflower", "Bread pudding",
                           "Stadium", "Cash Register", "Relish", "Wall Street", "sydney australia", "Chess",
                           "Reptile", "Bumper sticker"])


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_letter_run_classes_answered_right(world: World, name: str) -> None:
    rng = random.Random(name)
    phrasings = [(v, truth) for q, truth in CLASSES[name](rng) for v in variants(q, rng)]
    assert check_phrasings(world.mod, world.keywords, phrasings, world.known) > 1000


def test_a_quoted_prefix_with_its_hyphen_is_the_prefix(world: World) -> None:
    """"Does it start with 'un-'?" was read as the string "un-" (no for every keyword): now the prefix."""
    got = dict(answered(world.mod, "Does it start with 'un-'?", ["Unleavened Bread", "Underground River", "Relish"]))
    assert got == {"Unleavened Bread": "yes", "Underground River": "yes", "Relish": "no"}
    got = dict(answered(world.mod, "Does it end with '-ing'?", ["Bread pudding", "Relish"]))
    assert got == {"Bread pudding": "yes", "Relish": "no"}


@pytest.mark.parametrize(
    "question",
    [
        "Starts with -ing?",  # a suffix at the start
        "Does it end with the prefix 'un'?",
        "Does it begin with the suffix 'ing'?",
        "Does it start with '-un-'?",
        "Does it contain 'un-'?",  # the prefix, or those characters?
        "Starts with re?",  # a bare word: the letters, or the word?
        "Double U?",  # a W
        "Is Y the only vowel?",  # "y" is a vowel in one reading only
        "Are all its vowels A's or E's?",
        "More than one E only?",
        "A single E?",  # "not a single E": none
        "You can't find it on a map?",  # a negated statement: yes and no may both agree with it
        "It can't be found on a map?",
        "You can not find it on a map?",
        "It could not be found on a map?",
        "It is a place, can't you?",  # the tag does not fit
        "You could visit it?",  # an event too
        "When sorted by length, does it come before 'mango'?",
        "When sorted, does it come before 'mango'?",  # sorted how? (test_oracle_talk.py keeps it a trap)
        "Sorted Z to A, before 'mango'?",
        "Is it listed before 'mango'?",  # listed where?
        "Does it start with 'un-' and end with '-ing'?",
        "Are there digits and spaces?",  # both, or either?
        "Does it have all letters?",  # all of the alphabet?
        "Does it contain all alphabetic characters?",
        "Is it alphabetic?",  # in alphabetical order?
        "Does every letter not appear only once?",  # none, or not all?
        "Do all letters not appear just once?",
        "Does it have a double vowel?",  # the same vowel twice, or two vowels?
        "Is 'ing' a suffix or a prefix of it?",
    ],
)
def test_letter_run_traps_stay_declined(world: World, question: str) -> None:
    assert answered(world.mod, question, world.keywords) == []
