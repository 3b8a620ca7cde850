"""The classes a probe of the grammar from its contract found declined before set 11 was scored (issue 23),
each generated over its subjects, letters, quote kinds and case, with and without lead-ins, and checked
on the public keyword list: fillers of emphasis inside a question ("Does it actually start with B?", "Is
the last letter really A?", "Does it in fact contain an R?") and "at all" after it; "exactly" before the
one letter a position is asked of ("Is the first letter exactly B?"); a statement embedded by "any
chance" ("Any chance it starts with B?", "Is there any chance the keyword starts with B?") or "would you
happen to know if", "any idea whether"; "the thing on your card" and "the spelling" as subjects; a
possessive before "happen to" ("Does the secret word's last letter happen to be A?"); "a letter from
A-M"; and the category said by a map ("Does it appear on a map?", "Would it show up on maps?", "Can be
found on a map?", "something that appears on a map") or by "considered" ("Is it considered a place?");
polite frames that embed a statement ("May I ask if ...", "Would you mind telling me whether ...", "I'm
curious whether ...") and "One more thing - " or "Let's try something different. " before a question; "a
letter among K, L, M"; "Is R one of its letters?"; "a place or location"; "the initial" alone as the first letter.

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
    _counts,
    _neg,
    check_phrasings,
    has,
    is_a,
    letter_between,
    letter_in,
    letter_is,
)

SUBJECTS = ("the keyword", "it", "the mystery word", "the thing on your card", "the word on your card", "the secret word",
            "your word", "the answer", "the word you're thinking of", "the secret place", "the spelling",
            "the keyword written on your card")
FILLERS = ("actually", "really", "in fact", "indeed", "truly")


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _more_letters(n: int) -> Truth:
    def truth(k: str) -> bool | None:
        found = {c > n for c in _counts(k, "letters")}
        return found.pop() if len(found) == 1 else None

    return truth


def fillers(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A filler of emphasis changes nothing: "does it actually start with b" is "does it start with b"."""
    for i, subj in enumerate(SUBJECTS):
        fill = FILLERS[i % len(FILLERS)]
        c, n = rng.choice("abcdeilmnorstu"), rng.choice((4, 5, 6, 7, 8, 10))
        x = quote(c, i)
        yield f"Does {subj} {fill} start with {x}?", letter_is(0, c)
        yield f"Does {subj} {fill} end in {x}?", letter_is(-1, c)
        yield f"Does {subj} {fill} contain {x}?", has(c)
        yield f"Does {subj} {fill} have more than {n} letters?", _more_letters(n)
        yield f"Does {subj} {fill} not start with {x}?", _neg(letter_is(0, c))
        yield f"Is the last letter of {subj} {fill} {x}?", letter_is(-1, c)
        yield f"Is the first letter {fill} {x}?", letter_is(0, c)
    for fill in FILLERS:
        yield f"Is it {fill} a place?", is_a("place")
        yield f"Is the keyword {fill} a thing?", _neg(is_a("place"))


def at_all(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"at all" after a question or a statement asked as one changes nothing."""
    for i, subj in enumerate(SUBJECTS):
        c = rng.choice("abcdeilmnorstuz")
        x = quote(c, i)
        tail = (" at all?", ", at all?", " at all, by any chance?")[i % 3]
        yield f"Does {subj} contain {x}{tail}", has(c)
        yield f"Does {subj} start with {x}{tail}", letter_is(0, c)
        yield f"Is there {x} in {subj}{tail}", has(c)
        yield f"Does {subj} not contain {x}{tail}", _neg(has(c))


def exactly_letter(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"exactly" before the one letter a position is asked of: "is the first letter exactly b"."""
    for i, subj in enumerate(SUBJECTS):
        c = rng.choice("abcdeilmnorstu")
        x = quote(c, i)
        yield f"Is the first letter of {subj} exactly {x}?", letter_is(0, c)
        yield f"Is the last letter of {subj} precisely {x}?", letter_is(-1, c)
        yield f"The first letter of {subj} is exactly {x}?", letter_is(0, c)


#: Frames that embed a statement and ask whether it is true.
CHANCES = ("Any chance", "Any chance that", "Is there any chance", "Is there any chance that", "Is there a chance that",
           "Would you happen to know if", "Would you happen to know whether", "Do you happen to know if",
           "Any idea whether", "Do you have any idea if")


def any_chance(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Any chance it starts with B?" is "does it start with B?"."""
    for i, frame in enumerate(CHANCES):
        subj = SUBJECTS[i % len(SUBJECTS)]
        c, lo = rng.choice("abcdeilmnorstu"), rng.choice("abcdefgh")
        x = quote(c, i)
        yield f"{frame} {subj} starts with {x}?", letter_is(0, c)
        yield f"{frame} {subj} ends in {x}?", letter_is(-1, c)
        yield f"{frame} {subj} contains {x}?", has(c)
        yield f"{frame} {subj} doesn't contain {x}?", _neg(has(c))
        yield f"{frame} {subj} starts with a letter between {lo.upper()} and M?", letter_between(0, lo, "m")
        yield f"{frame} it's a place?", is_a("place")


def happen_possessive(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A possessive before "happen to": "Does the secret word's last letter happen to be A?"."""
    for i, subj in enumerate(("the keyword", "the secret word", "the mystery word", "your word", "the answer")):
        c = rng.choice("abcdeilmnorstu")
        x = quote(c, i)
        yield f"Does {subj}'s last letter happen to be {x}?", letter_is(-1, c)
        yield f"Does {subj}'s first letter happen to be {x}?", letter_is(0, c)


def letter_from_range(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"a letter from A-M" is "a letter between A and M"."""
    for i, subj in enumerate(SUBJECTS):
        lo, hi = sorted(rng.sample("abcdefghijklmnopqrstuvwxyz", 2))
        a, b = (lo.upper(), hi.upper()) if i % 2 else (f"'{lo}'", f"'{hi}'")
        yield f"Does {subj} begin with a letter from {a}-{b}?", letter_between(0, lo, hi)
        yield f"Is the first letter of {subj} from {a}-{b}?", letter_between(0, lo, hi)
        yield f"Does {subj} end with a letter from {a} to {b}?", letter_between(-1, lo, hi)


def on_a_map(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """The category said by a map ("Does it appear on a map?": every place of the game is, a site of
    the things may be: the described side) or by "considered" (the category word).  "the spelling" is
    a subject of letters only."""
    for subj in (s for s in SUBJECTS if s != "the spelling"):
        for verb in ("Does {s} appear on", "Would {s} show up on", "Does {s} show up on", "Would {s} appear on",
                     "Could {s} be shown on"):
            for where in ("a map", "maps", "the map"):
                yield f"{verb.format(s=subj)} {where}?", is_a("described")
        yield f"Does {subj} not appear on a map?", _neg(is_a("described"))
        yield f"Is {subj} marked on maps?", is_a("described")
        yield f"Is {subj} found on maps?", is_a("described")
        yield f"Is {subj} considered a place?", is_a("place")
        yield f"Is {subj} considered to be a thing?", _neg(is_a("place"))
    for modal in ("Can", "Could", "Would", "Might"):
        yield f"{modal} be found on a map?", is_a("described")
        yield f"{modal} be located on maps?", is_a("described")


#: Polite frames that embed a statement: "May I ask if it starts with B?".
POLITE = ("May I ask if", "Can I ask whether", "Mind telling me if", "Would you mind telling me whether",
          "Do you mind telling me if", "I'd love to know if", "I would love to know whether", "I'm curious whether",
          "I am curious if", "Just wondering if", "Wondering whether")


def polite(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"May I ask if it starts with B?" is "does it start with B?"; "One more thing - " is a marker."""
    for i, frame in enumerate(POLITE):
        subj = SUBJECTS[i % len(SUBJECTS)]
        c = rng.choice("abcdeilmnorstu")
        x = quote(c, i)
        yield f"{frame} {subj} starts with {x}?", letter_is(0, c)
        yield f"{frame} {subj} doesn't end in {x}?", _neg(letter_is(-1, c))
        yield f"{frame} {subj} contains {x}?", has(c)
        yield f"{frame} it's a place?", is_a("place")
        yield f"One more thing - does {subj} contain {x}?", has(c)
        yield f"One more thing: is the first letter {x}?", letter_is(0, c)


#: Lead-in sentences of talk with "something" / "else": they change nothing.
SOMETHING = ("Let's try something different. ", "Let me try something else: ", "Something else - ",
             "OK, let's try something new. ", "Let me ask something else. ")


def talk_something(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Let's try something different. Does it start with B?" is "does it start with B?"."""
    for i, lead in enumerate(SOMETHING * 2):
        subj = SUBJECTS[i % len(SUBJECTS)]
        c = rng.choice("abcdeilmnorstu")
        x = quote(c, i)
        yield f"{lead}Does {subj} start with {x}?", letter_is(0, c)
        yield f"{lead}Is it a place?", is_a("place")
        yield f"{lead}Does {subj} contain {x}?", has(c)


def letter_among(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"a letter among K, L, M" is one of them."""
    for i, subj in enumerate(SUBJECTS):
        chosen = rng.sample("abcdeghiklmnoprstu", 3)
        said = ", ".join(quote(c, i) for c in chosen)
        yield f"Does {subj} start with a letter among {said}?", letter_in(0, chosen)
        yield f"Does {subj} end with any letter among the letters {said}?", letter_in(-1, chosen)


def among_its_letters(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"Is R one of its letters?", "Is the letter R among the keyword's letters?": it contains R."""
    for i, poss in enumerate(("its", "the keyword's", "the secret word's", "your word's", "the mystery word's") * 2):
        c = rng.choice("abcdeilmnorstuz")
        x = quote(c, i)
        yield f"Is {x} one of {poss} letters?", has(c)
        yield f"Is {x} among {poss} characters?", has(c)
        yield f"Is {x} not one of {poss} letters?", _neg(has(c))


def the_initial(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"the initial" alone is the first letter: "Is the initial T?", "The initial is T?"."""
    for i in range(16):
        c, lo = rng.choice("abcdeilmnorstu"), rng.choice("abcdefgh")
        x = quote(c, i)
        yield f"Is the initial {x}?", letter_is(0, c)
        yield f"The initial is {x}, right?", letter_is(0, c)
        yield f"Is the initial between {lo.upper()} and M?", letter_between(0, lo, "m")
        yield "Is the initial a vowel?", lambda k: _vowel_first(k)


def _vowel_first(k: str) -> bool | None:
    firsts = {k.lower()[0], next(c for c in k.lower() if c.isalpha())}
    return None if len(firsts) > 1 or "y" in firsts else firsts.pop() in "aeiou"


def place_or_location(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"a place or location" names one side: the described place (open for a site of the things)."""
    for subj in (s for s in SUBJECTS if s != "the spelling"):
        for said in ("a place or location", "a place or a location", "a location or place", "a location/place"):
            yield f"Is {subj} {said}?", is_a("described")


def something_on_a_map(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"something that appears on a map": the described side."""
    for subj in (s for s in SUBJECTS if s != "the spelling"):
        for clause in ("that appears on a map", "which shows up on maps", "that appears on the map"):
            yield f"Is {subj} something {clause}?", is_a("described")


CLASSES = {"fillers": fillers, "at_all": at_all, "exactly_letter": exactly_letter, "any_chance": any_chance,
           "happen_possessive": happen_possessive, "letter_from_range": letter_from_range, "on_a_map": on_a_map,
           "polite": polite, "talk_something": talk_something, "letter_among": letter_among,
           "something_on_a_map": something_on_a_map, "among_its_letters": among_its_letters,
           "place_or_location": place_or_location, "the_initial": the_initial}


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(13, ["k2", "x-ray", "yoyo", "Stadium", "Wall Street", "guatemala", "Granola", "Telescope",
                           "sao tome and principe", "Gravity"])


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_filler_classes_answered_right(world: World, name: str) -> None:
    rng = random.Random(name)
    phrasings = [(v, truth) for q, truth in CLASSES[name](rng) for v in variants(q, rng)]
    assert check_phrasings(world.mod, world.keywords, phrasings, world.known) > 200


@pytest.mark.parametrize(
    "question",
    [
        "Does it contain exactly A?",  # exactly one A?
        "Is the first letter exactly B or C?",  # a list, not one letter
        "Does it actually sound like it starts with B?",  # sound
        "Any chance it starts with a vowel sound?",
        "Does it really start with B and end with E?",  # two clauses
        "Is it considered a vowel?",
        "Can be eaten?",
        "Does it appear in movies?",
        "Would it show up in a dictionary?",
        "Does it appear on a map of Africa?",  # which map
        "Is it found in maps of Europe?",
        "Any chance of it being bigger than a car?",
        "Would you happen to know its capital?",
        "Does the card have a picture?",
        "Is the thing on your card big?",
        "Does the spelling change in British English?",
        "Isn't there any chance it starts with B?",  # a negative question
        "May I ask if it is big?",
        "Sorry if I asked already, but does it start with B?",  # "if": a condition
        "Is it something that appears on a map of Asia?",
        "Does it start with a letter among the vowels or K?",
        "Something with an E. Does it start with B?",  # a word that may set a condition
        "Is it a place or a thing?",  # which one: no yes/no
        "Is E one of its letters twice?",
        "Are E and R among its letters?",  # both, or either?
        "Are the initials AC?",  # of each word
        "Let's try something: count the spaces. How many letters?",
    ],
)
def test_filler_traps_stay_declined(world: World, question: str) -> None:
    assert answered(world.mod, question, world.keywords) == []
