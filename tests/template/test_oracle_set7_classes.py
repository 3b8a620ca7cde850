"""The classes of held-out set 7's declines (issue 23), each generated over its subjects, letters,
numbers, quote kinds and case, with and without lead-ins, and checked on the public keyword list:
a statement asked for confirmation ("Can you confirm that it ends with L?", "Would I be correct in
saying it's a thing, not a place?", "Is it correct to say that ..."), a confirmation said as its own
sentence after a statement or a guess ("My guess: Sticky Notes. Correct?", "I think it's Hanoi. Am I
right?"), "no" before a letter's plural ("No A's?"), a letter looked for "in there" ("A P in
there?"), and the word compared with the keyword named before it ("Is the word 'needle'
alphabetically before the secret word?").

The truth of each phrasing is a plain string expression on the keyword (test_oracle_classes.py),
never the oracle's code; the traps that change a reading stay declined.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from oracle_checks import World, answered, make_world, quote, variants
from test_oracle_classes import (
    SUBJECTS,
    Truth,
    _counted,
    _neg,
    check_phrasings,
    has,
    is_a,
    letter_is,
    on,
    vowel,
    word_after,
    word_before,
)
from test_oracle_talk import guessed

#: What asks for a statement to be confirmed: its answer is the statement's truth.
CONFIRM_FRAMES = (
    "Can you confirm that {s}?", "Can you confirm {s}?", "Could you please confirm that {s}?", "Please confirm that {s}.",
    "Confirm: {s}?", "Would I be correct in saying {s}?", "Would I be right in saying that {s}?",
    "Would I be correct in thinking {s}?", "Am I right in saying {s}?", "Am I correct to think {s}?",
    "Am I right that {s}?", "Is it correct to say that {s}?", "Would it be right to say {s}?",
    "Is it true to say {s}?", "Would it be accurate to say that {s}?", "Can you confirm for me that {s}?",
    "Would I be correct in assuming that {s}?",
)
#: A confirmation said as a sentence of its own after the statement's full stop.
CONFIRM_AFTER = (". Right?", ". Correct?", ". Am I right?", ". Is that correct?", ". Is that right?", ". True?",
                 ". Am I correct?", ". Yes?")


def _statements(rng: random.Random, i: int) -> list[tuple[str, Truth]]:
    """Statements of every class about ``SUBJECTS[i]``, with their truths."""
    subj = SUBJECTS[i % len(SUBJECTS)]
    c, d, n, w = rng.choice("abelmnrst"), rng.choice("aeknrst"), rng.choice((5, 7, 9)), rng.choice(("m", "kiwi", "pepper"))
    x, y = quote(c, i), quote(d, i + 1)
    return [
        (f"{subj} starts with {x}", letter_is(0, c)), (f"{subj} ends with {y}", letter_is(-1, d)),
        (f"{subj} contains {x}", has(c)), (f"there's {'an' if c in 'aelmnrs' else 'a'} {x} in {subj}", has(c)),
        (f"{subj} has more than {n} letters", _counted("letters", lambda v, n: v > n, n)),
        (f"{subj} has fewer than {n} letters", _counted("letters", lambda v, n: v < n, n)),
        (f"{subj} has a minimum of {n} letters", _counted("letters", lambda v, n: v >= n, n)),
        ("it is a single word", _counted("words", lambda v, n: v == 1, 1)), ("it's a place", is_a("place")),
        ("it's a thing, not a place", is_a("thing")),
        (f"{subj} comes before '{w}' alphabetically", word_before(w)),
        (f"the first letter of {subj} is a vowel", on(0, vowel)), (f"{subj} doesn't contain {x}", _neg(has(c))),
    ]


def confirmed(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Statements of every class asked for confirmation, before it or as a sentence after it."""
    for i, frame in enumerate(CONFIRM_FRAMES * 2):
        for said, truth in rng.sample(_statements(rng, i), 5):
            yield frame.format(s=said), truth
    for i, after in enumerate(CONFIRM_AFTER * 3):
        for said, truth in rng.sample(_statements(rng, i), 3):
            yield said[0].upper() + said[1:] + after, truth


#: Listed names a guess may say, and whether each names its keyword only (several words, or a listed
#: place that is no ordinary word): "no" for every other keyword.
GUESSED = ("Sticky Notes", "Wellington New Zealand", "Hanoi", "Nairobi", "Restaurants", "Telescope")
GUESS_THEN_CONFIRM = ("My guess: {x}. Correct?", "I think it's {x}. Am I right?", "My guess is {x}. Right?",
                      "I'm guessing {x}. Is that right?", "My final guess: \"{x}\". Correct?")


def guesses_confirmed(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A guess, then a confirmation said as a sentence of its own."""
    for frame in GUESS_THEN_CONFIRM:
        for name in GUESSED:
            if frame.startswith("I think") and name in ("Restaurants", "Telescope"):
                continue  # an opinion: a listed thing's name in capitals may be a class ("I THINK IT'S FURNITURE")
            # a quoted name is a literal guess ("'Hanoi'" is not "hanoi vietnam"); a bare one not
            # "My guess is X", "I'm guessing X": said to be the keyword ("I think it's X": an opinion, X may be a
            # name of kinds read as a guess: class_truth.kind_guess)
            yield frame.format(x=name), guessed(name, True, quoted='"' in frame, named=not frame.startswith("I think"))


def no_plural(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """"No A's?": "no" before a letter's plural, said alone or after "does it have"."""
    for i, c in enumerate("abeilnoprstu"):
        x = quote(c, i).replace("the letter ", "")
        plural = rng.choice((f"{x}'s", f"{x}s")) if len(x) == 1 else f"{x}s"
        yield f"No {plural}?", _neg(has(c))
        yield f"Does it have no {plural}?", _neg(has(c))
        yield f"Does {SUBJECTS[i % len(SUBJECTS)]} have no {plural}?", _neg(has(c))


def in_there(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """A letter looked for "in there" (in the word)."""
    for i, c in enumerate("abdeilmnoprstu"):
        x = quote(c, i)
        article = "an" if c in "aefhilmnorsx" else "a"
        yield f"{article.capitalize()} {x} in there?", has(c)
        yield f"Is there {article} {x} in there?", has(c)
        yield f"Is there no {x.replace('the letter ', '')} in there?", _neg(has(c))
        yield f"Any {x} in there?", has(c)


def word_named_first(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """The word compared with the keyword named before it: "Is the word 'needle' before the answer?"."""
    for i, subj in enumerate(SUBJECTS):
        w = rng.choice(("needle", "pepper", "mango", "kite", "river", "sun"))
        kind = rng.choice(("word", "term", "string"))
        said = rng.choice((f"'{w}'", f'"{w}"', f"\u201c{w}\u201d"))
        yield f"Is the {kind} {said} alphabetically before {subj}?", word_after(w)
        yield f"Is the {kind} {said} after {subj} in alphabetical order?", word_before(w)
        yield f"Does the {kind} {said} come before {subj} alphabetically?", word_after(w)
        yield f"Is the letter '{w[0]}' alphabetically after {subj}?", word_before(w[0])


CLASSES = {"confirmed": confirmed, "guesses_confirmed": guesses_confirmed, "no_plural": no_plural,
           "in_there": in_there, "word_named_first": word_named_first}


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(13, ["k2", "x-ray", "yoyo", "Sticky notes", "wellington new zealand", "hanoi vietnam",
                           "nairobi kenya", "Restaurants", "Telescope", "Stained glass window", "Paperweights"])


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_set7_classes_answered_right(world: World, name: str) -> None:
    rng = random.Random(name)
    phrasings = [(v, truth) for q, truth in CLASSES[name](rng) for v in variants(q, rng)]
    assert check_phrasings(world.mod, world.keywords, phrasings, world.known) > 1000


@pytest.mark.parametrize(
    "question",
    [
        "Can you confirm it?",  # nothing to confirm
        "Would I be correct?",
        "Can you confirm whether to count spaces?",  # no statement about the keyword
        "I don't think it ends with L. Correct?",  # "yes" may mean either
        "It starts with B. No?",  # an auxiliary "no" after a full stop: either answer
        "It starts with B. Or not?",  # another sentence, unread
        "Is there 'glass' in there?",  # may ask what the thing holds
        "Is there water in there?",
        "No As or Es?",  # a plural list after "no": not read
        "Would I be correct in saying it's in Europe?",  # a statement no template reads
        "Can you confirm that, in French, it starts with B?",  # a reading lead inside
    ],
)
def test_set7_traps_stay_declined(world: World, question: str) -> None:
    assert answered(world.mod, question, world.keywords) == []
