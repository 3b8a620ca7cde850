"""The classes of held-out set 4's declines (issue 23), each generated over its subjects, letters,
numbers, quote kinds and case, with and without lead-ins and the sentences after the "?", and checked
on the public keyword list: how to answer said after the question ("Just yes or no, please.", "Only
yes or no."), a marker before any question without a comma ("OK so two words?"), "the spelling of the
name of the item" and "the place name" as the keyword, "would you file it under Y", the same letter
next to each other, "are none of the letters S or F in it", "something other than an I" at a
position, "the number of chars", a list of listed keywords with articles after "among", and
"several" (two or more, or three or more: answered only where both agree).

The truth of each phrasing is a plain string expression on the keyword (test_oracle_classes.py),
never the oracle's code; the traps that change a reading stay declined.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest
from oracle_checks import World, answered, make_world, quote, variants
from test_oracle_classes import (
    LEAD_INS,
    REFERENCES,
    SUBJECTS,
    Truth,
    _agree,
    _counted,
    _neg,
    alphabetical,
    category,
    category_described,
    check_phrasings,
    contains_letter,
    filed_first,
    first_letter,
    has_any,
    last_letter,
    letter_count,
    letter_is,
    letters,
    negation,
    word_before,
    word_count,
)
from test_oracle_talk import among

#: How to answer, said after the question's "?": it asks for a yes or a no, and sets nothing.
ANSWER_AFTER = (" Just yes or no, please.", " Yes or no?", " (yes/no)", " Answer yes or no.", " Only yes or no.",
                " Simply yes or no, please.", " Just 'yes' or 'no'.", " Please just answer yes or no.",
                " Kindly reply yes or no.", " Just true or false.", " Just yes or no")
#: Said after the "?", they set a condition or another answer: the question is the model's.
READING_AFTER = (" Just yes or no, reversed.", " Answer the opposite.", " In French.", " Just answer no.",
                 " Yes or no, but lie.", " Just the opposite, please.", " Answer yes if it is not.")
#: Markers said before any question without a comma.
BARE_MARKERS = ("OK so ", "So ", "Now ", "And ", "Ok ", "Okay so ", "Alright so ", "Hmm so ", "Then ", "Also ")
#: Subjects that name the keyword by its spelling or its name.
NAME_SUBJECTS = ("the spelling of the name of the item", "the spelling of the name of the keyword", "the place name",
                 "the name of the item", "the word in question", "the place you have in mind",
                 "the spelling of the name of it", "the thing name")

GENERATORS = (first_letter, last_letter, contains_letter, negation, letter_count, word_count, alphabetical,
              category_described)


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(13, ["k2", "x-ray", "yoyo", "mount fuji", "Air compressor", "sydney australia", "Mushroom",
                           "Smartwatch", "Whistle", "Refrigerator", "Coffee Grinder", "Bus stop", "Cocoon"])


def _sample(rng: random.Random, step: int) -> Iterator[tuple[str, Truth]]:
    for gen in GENERATORS:
        yield from itertools.islice(gen(rng), 0, None, step)


def answer_format_after(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Every class's question with how to answer said after its "?", after a lead-in or not."""
    for q, truth in _sample(rng, 9):
        said = q + rng.choice(ANSWER_AFTER)
        yield said, truth
        yield rng.choice(LEAD_INS) + said[0].lower() + said[1:], truth
        yield q.rstrip("?") + rng.choice((" ?", "??", "?!")) + rng.choice(ANSWER_AFTER), truth


def bare_markers(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A marker before a question, full or elliptic, without a comma."""
    for q, truth in _sample(rng, 11):
        yield rng.choice(BARE_MARKERS) + q[0].lower() + q[1:], truth
    for i, c in enumerate("bdklmrstw"):
        x = quote(c, i)
        yield f"{rng.choice(BARE_MARKERS)}last letter {x}??", letter_is(-1, c)
        yield f"{rng.choice(BARE_MARKERS)}first letter {x}?", letter_is(0, c)
        yield f"{rng.choice(BARE_MARKERS)}starts with {x}?", letter_is(0, c)
        yield (f"{rng.choice(BARE_MARKERS)}alphabetically, does the thing you have in mind come before '{c}'",
               word_before(c))
    for n, word in ((1, "one word"), (2, "two words"), (3, "three words")):
        yield f"{rng.choice(BARE_MARKERS)}{word}?", _counted("words", lambda v, n: v == n, n)


def named_subjects(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """The keyword named by its spelling or its name, in the spelling classes."""
    for i, subj in enumerate(NAME_SUBJECTS):
        c, d, n = rng.choice("abcdelmnrstw"), rng.choice("aeknrsty"), rng.choice((5, 7, 9, 11))
        yield f"Does {subj} start with {quote(c, i)}?", letter_is(0, c)
        yield f"Does {subj} end with {quote(d, i + 1)}?", letter_is(-1, d)
        yield f"Is the letter {c.upper()} missing from {subj}?", _neg(has_any([c]))
        yield f"Is {subj} shorter than {n} letters?", _counted("letters", lambda v, n: v < n, n)
        yield f"Is {subj} longer than {n} letters?", _counted("letters", lambda v, n: v > n, n)
        yield f"Is the number of letters in {subj} odd?", _counted("letters", lambda v, n: v % 2 == 1, 0)
        yield f"Is '{c}' alphabetically after {subj}?", word_before(c)


def filed_by_you(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Would you file it under Y?": the first letter, as where an index files the keyword."""
    for i, subj in enumerate(SUBJECTS):
        c = rng.choice("abcdefghlmnprstwy")
        x, ref = quote(c, i), rng.choice(REFERENCES)
        yield f"Would you file {subj} under {x}?", filed_first(c)
        yield f"Cool, would you file {subj} under {x}, then?", filed_first(c)
        yield f"Would you list {subj} under {x} in {ref}?", filed_first(c)
        yield f"Would you put {subj} under {x} in {ref}?", filed_first(c)
        yield f"Would you index {subj} under {x}?", filed_first(c)
        yield f"Would you not file {subj} under {x}?", _neg(filed_first(c))


def _adjacent(k: str) -> bool | None:
    """The same letter twice next to each other: in the letters run together, and as written."""
    low = k.lower()
    return _agree(iter((any(a == b for a, b in itertools.pairwise(letters(k))),
                        any(a == b and a.isalnum() for a, b in itertools.pairwise(low)))))


def letters_next_to_each_other(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Double letters said as "two of the same letter next to each other" and its kin."""
    together = ("next to each other", "in a row", "side by side", "back to back", "next to one another")
    for subj, row in zip(SUBJECTS, itertools.cycle(together), strict=False):
        yield f"Are there two of the same letter {row} in {subj}?", _adjacent
        yield f"Does {subj} have two identical letters {row}?", _adjacent
        yield f"Does {subj} have the same letter twice {row}?", _adjacent
        yield f"Does {subj} contain two of the same letters {row}?", _adjacent
        yield f"Does {subj} not have two identical letters {row}?", _neg(_adjacent)
        yield f"Does {subj} have adjacent identical letters?", _adjacent


def none_of_the_letters(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Are none of the letters S or F in your keyword?", "Is neither A nor E found in it?"."""
    for i, subj in enumerate(SUBJECTS):
        a, b = rng.sample("abcdefghiklmnoprstuw", 2)
        none = _neg(has_any([a, b]))
        x, y = quote(a, i), quote(b, i + 3).replace("the letter ", "")
        yield f"Are none of the letters {x.replace('the letter ', '')} or {y} in {subj}?", none
        yield f"Are none of {x} and {y} in {subj}?", none
        yield f"Is neither {x} nor {y} found in {subj}?", none
        yield f"Is none of the letters {x.replace('the letter ', '')}, {y} present in {subj}?", none


def other_than_at_a_position(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Is the first letter of it something other than an I?" (and "anything", "a letter", no article)."""
    for i, subj in enumerate(SUBJECTS):
        c = rng.choice("abcdefghiklmnoprstuw")
        name, at = (("first", 0), ("last", -1))[i % 2]
        article = "an" if c in "aefhilmnorsx" else "a"
        x = quote(c, i).replace("the letter ", "")
        other = _neg(letter_is(at, c))
        yield f"Is the {name} letter of {subj} something other than {article} {x}?", other
        yield f"Is the {name} letter of {subj} anything other than {x}?", other
        yield f"Is the {name} letter of {subj} a letter other than {article} {x}?", other


def _shorter_without_spaces(n: int) -> Truth:
    return lambda k: len(k.lower().replace(" ", "")) < n


def chars_counted(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"chars" as "characters": spaces counted or not, as said (open where it matters and is not said)."""
    for subj in SUBJECTS:
        n = rng.choice((5, 6, 7, 8, 9, 10, 12))
        yield f"Is the number of chars in {subj} odd?", _counted("characters", lambda v, n: v % 2 == 1, 0)
        yield f"Is the char count of {subj} even?", _counted("characters", lambda v, n: v % 2 == 0, 0)
        yield f"Does {subj} have more than {n} chars?", _counted("characters", lambda v, n: v > n, n)
        yield (f"Is {subj} shorter than {n} chars (not counting spaces)?",
               _shorter_without_spaces(n))


def _several_times(c: str) -> Truth:
    return lambda k: _agree(iter((letters(k).count(c) >= 2, letters(k).count(c) >= 3)))


def several(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"several" is two or more, or three or more: answered only where both readings agree."""
    several_words = _counted("words", lambda v, n: _agree(iter((v >= 2, v >= 3))), 0)
    for i, subj in enumerate(SUBJECTS):
        c = rng.choice("aeiorstln")
        yield f"Does {subj} contain {quote(c, i)} several times?", _several_times(c)
        yield f"Does {subj} have {quote(c, i)} several times?", _several_times(c)
        yield f"Does {subj} consist of several words?", several_words
        yield f"Is {subj} several words?", several_words
        yield f"Does {subj} have several words?", several_words
        yield f"Does {subj} consist of many words?", several_words
        yield f"Is {subj} several words rather than a single word?", _counted("words", lambda v, n: v >= 2, 0)


CLASSES = {"answer_format_after": answer_format_after, "bare_markers": bare_markers,
           "named_subjects": named_subjects, "filed_by_you": filed_by_you,
           "letters_next_to_each_other": letters_next_to_each_other, "none_of_the_letters": none_of_the_letters,
           "other_than_at_a_position": other_than_at_a_position, "chars_counted": chars_counted, "several": several}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_set4_classes_answered_right(world: World, name: str) -> None:
    rng = random.Random(name)
    phrasings = [(v, truth) for q, truth in CLASSES[name](rng) for v in variants(q, rng)]
    assert check_phrasings(world.mod, world.keywords, phrasings, world.known) > 1000


def listed_with_articles(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Is your keyword among a refrigerator, whistle and smartwatch?": listed keywords with articles."""
    names = ("Refrigerator", "Whistle", "Smartwatch", "Mushroom", "Toilet", "Piano", "Screwdriver")
    for items in itertools.permutations(names, 3):
        a, b, c = (n.lower() for n in items)
        every = (True, True, True)
        yield f"Is your keyword among a {a}, {b} and {c}?", among(items, every, named=True)
        yield f"Is it one of a {a}, a {b} or a {c}?", among(items, every)  # names of kinds: class_truth
        yield f"Hmm, okay. Is the keyword among an {a}, a {b}, or {c}?", among(items, every, named=True)


def place_named(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Is the place name neither Tuvalu nor Kenya?", "Is the place name Tuvalu?"."""
    places = ("Tuvalu", "Kenya", "Jamaica", "Malta", "Iraq")
    for a, b in itertools.permutations(places, 2):
        yield f"Is the place name neither {a} nor {b}?", _neg(among((a, b), (True, True)))
        yield f"Question 6: Is the place name {a}?", among((a,), (True,))
        yield f"Is the thing name {a} or {b}?", among((a, b), (True, True))


def test_names_and_lists(world: World) -> None:
    rng = random.Random("names")
    keywords = world.keywords + ["Tuvalu", "Kenya", "Jamaica", "Malta", "Iraq", "Toilet", "Piano", "Screwdriver"]
    phrasings = list(listed_with_articles(rng)) + list(place_named(rng))
    assert check_phrasings(world.mod, keywords, phrasings, world.known) > 5000


@pytest.mark.parametrize("after", READING_AFTER)
def test_a_sentence_after_that_sets_a_condition_is_declined(world: World, after: str) -> None:
    rng = random.Random(after)
    kept = [q + after for q, _ in _sample(rng, 13) if answered(world.mod, q + after, world.keywords)]
    assert kept == [], kept[:5]


@pytest.mark.parametrize(
    "question",
    [
        "OK so counting spaces, does it have 8 characters?",  # a reading lead after the marker
        "So in French, does it start with B?",
        "Well over 5 letters?",  # "well" says more than "over"
        "Would you put it under D?",  # under what?
        "Does it have two of the same letter?",  # anywhere, or next to each other? exactly two?
        "Are none of the letters S or F not in it?",  # a double negative
        "Is the first letter something other than a vowel sound?",
        "Is the number of chars in the first word odd?",
    ],
)
def test_set4_traps_stay_declined(world: World, question: str) -> None:
    assert answered(world.mod, question, world.keywords) == []


@pytest.mark.parametrize(
    ("question", "sure"),
    [
        # a class in the list: not a list of names, never a no
        ("Is your keyword among a fruit, whistle and smartwatch?", {}),
        # the first capital opens the question, and a listed noun may name a material ("Zinc or Gravity?"; names
        # of kinds: test_oracle_talk.py's test_names_of_kinds_said_alone)
        ("Zinc or Gravity?", {}),
        # ... unless every item is a listed place's name that is no ordinary word ("Warsaw, Hamburg or
        # Chile?" is read: test_oracle_lowercase_names.py); "Turkey" and "Nice" may be ordinary words
        ("Turkey, Nice or Chile?", {"chile": "yes"}),
        # a lower-case listed name may be a class for some keywords of the list ("china", "turkey"); a
        # listed place's name that is no ordinary word is read ("is it warsaw?": the same file)
        ("is it nice?", {}),
        ("is it turkey?", {}),
        # "an object": not every thing of the game is one ("Analogy"): no for a place, open for a thing
        ("Is it an object, not a place?", {"*place": "no"}),
    ],
)
def test_set4_names_that_may_be_classes_stay_open(world: World, question: str, sure: dict[str, str]) -> None:
    keywords = world.keywords + ["Furniture", "Whistle"]
    rule = world.mod.parse(question, world.known)
    got = [] if rule is None else [
        (k, v) for k in keywords if (v := world.mod.oracle.verdict(rule, world.mod.Subject(k, (), category(k))))]
    want = [(k, sure.get(k.lower(), sure.get("*" + category(k)[:5]))) for k in keywords]
    assert got == [(k, v) for k, v in want if v is not None]
