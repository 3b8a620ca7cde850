"""The talk around a question, guesses, the category and alphabetical order, as classes (issue 23,
held-out set 3's declines): tags after a statement (", yeah?", ", I think?", ", aren't we?"), "... or
not?" after a question, names said alone or in other shapes ("Jamaica?", "How about 'tablet'?", "Is X
your word?"), the order said other ways ("compared alphabetically", "when sorted A to Z").

Each class is generated over the statements, subjects, letters, names and tags it may take, in
capitals and lower case, with and without lead-ins, and checked on a sample of the public list (and
on the keywords it names); the truth comes from plain string expressions on the keyword (see
test_oracle_classes.py), never from the oracle's code.  The traps that must stay declined (a tag
after a negated statement, a name that may be a class, a reversed order) are checked too.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import json
import random
from collections.abc import Iterator

import pytest
from factories.agents import TEMPLATE, import_agent_module
from class_truth import kind_guess, kind_of
from oracle_checks import World, make_world
from test_oracle_classes import (
    SUBJECTS,
    Truth,
    _counted,
    _neg,
    _quote,
    _repeats,
    alphabetical,
    and_not,
    category,
    category_described,
    check_phrasings,
    contains_letter,
    first_letter,
    has,
    has_all,
    has_count,
    is_a,
    last_letter,
    letter_count,
    letter_is,
    letter_set,
    on,
    vowel,
    word_after,
    word_before,
    word_count,
)

#: Keywords the guesses below name (each is in the public list).
NAMED = ("Telescope", "Screwdriver", "Hairspray", "Bike path", "Glass table", "jamaica", "sevilla spain",
         "ouagadougou burkina faso", "Name tag", "Reptile", "Furniture")


@pytest.fixture(scope="module")
def world() -> World:
    listed = {c.keyword.lower() for c in import_agent_module(None).load_candidates(str(TEMPLATE))}
    assert [n for n in NAMED if n.lower() not in listed] == []
    return make_world(29, [*NAMED, "Mouse", "Stadium", "Zinc", "Free Weights", "Mobile phone", "Pliers", "Wall Street",
                           "x-ray", "k2", "Luggage", "Suitcase", "Sofa", "china", "turkey"])


def _check(world: World, phrasings: list[tuple[str, Truth]]) -> int:
    return check_phrasings(world.mod, world.keywords, phrasings, world.known)


def _declined(world: World, questions: list[str]) -> list[tuple[str, str]]:
    """(question, keyword) pairs that code answers, of questions that must stay the model's."""
    mod, known, keywords = world
    kept: list[tuple[str, str]] = []
    for q in questions:
        rule = mod.parse(q, known)
        kept.extend((q, k) for k in keywords
                    if rule is not None and mod.oracle.verdict(rule, mod.Subject(k, (), category(k))) is not None)
    return kept


# ------------------------------------------------------------------ tags after a statement

#: Statements of every class, with the auxiliary tag that agrees with each: (statement, tag, truth).
def statements(rng: random.Random) -> Iterator[tuple[str, str, Truth]]:
    for i, subj in enumerate(SUBJECTS):
        c, d, n = rng.choice("abelmnrst"), rng.choice("aeknrst"), rng.choice((4, 6, 8, 10))
        x = _quote(c, i)
        opens = subj[0].upper() + subj[1:]
        yield f"{opens} starts with {x}", "doesn't it", letter_is(0, c)
        yield f"{opens} begins with {x}", "doesn't it", letter_is(0, c)
        yield f"{opens} ends in {_quote(d, i + 1)}", "doesn't it", letter_is(-1, d)
        yield f"{opens} contains {x}", "doesn't it", has(c)
        yield f"The letter {c.upper()} is in {subj}", "isn't it", has(c)
        yield f"{opens} has more than {n} letters", "doesn't it", _counted("letters", lambda v, n: v > n, n)
        yield f"{opens} has at most {n} letters", "doesn't it", _counted("letters", lambda v, n: v <= n, n)
        yield f"The first letter of {subj} is {x}", "isn't it", letter_is(0, c)
        yield f"The first letter of {subj} is a vowel", "isn't it", on(0, vowel)
        yield f"{opens} has a repeated letter", "doesn't it", _repeats(lambda v: v >= 2)
        w = rng.choice(("m", "kiwi", "garden"))
        yield f"{opens} comes before '{w}' alphabetically", "doesn't it", word_before(w)
    for subj in ("It", "The keyword", "This", "The answer"):
        yield f"{subj} is a place", "isn't it", is_a("place")
        yield f"{subj} is a thing", "isn't it", is_a("thing")
        yield f"{subj} is a single word", "isn't it", _counted("words", lambda v, n: v == 1, 1)
        yield f"{subj} is more than one word", "isn't it", _counted("words", lambda v, n: v >= 2, 2)
    yield "We're talking about a place", "aren't we", is_a("place")
    yield "We are talking about a thing", "aren't we", is_a("thing")
    yield "You're thinking of a place", "aren't you", is_a("place")
    yield "It's a place", "isn't it", is_a("place")
    yield "It's a thing", "isn't it", is_a("thing")


#: Tags that ask whether the statement before them is true (any statement, negated or not).
CONFIRM_TAGS = (", yeah?", ", I think?", ", true?", ", right?", " - right?", ", correct?", ", am I right?",
                ", is that right?", ", by any chance?", ", yep?", ", I believe?", " - I think?", ", I guess?",
                ", if I'm not mistaken?", ", correct me if I'm wrong?", ", is that correct?", "? Yeah?", ", I'd say?")
#: Tags only after a statement without a negation (after one, "yes" may mean either).
AUX_TAGS = (", no?", ", don't you think?", ", wouldn't you say?")
LEADS = ("", "OK! ", "Alright, ", "Thank you. ", "Based on that, ", "Thanks for answering! ", "Excellent! ",
         "Perfect, thank you. ", "Moving on: ", "I see. ")


def tagged_statements(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for said, aux, truth in statements(rng):
        lead, tag = rng.choice(LEADS), rng.choice(CONFIRM_TAGS)
        body = said if not lead or rng.random() < 0.5 else said[0].lower() + said[1:]
        yield lead + body + tag, truth
        yield (lead + body + rng.choice(CONFIRM_TAGS)).upper(), truth
        yield f"{said}, {aux}?", truth
        yield said + rng.choice(AUX_TAGS), truth
        yield (said + ", " + aux + "?").lower(), truth


def test_tags_after_a_statement(world: World) -> None:
    phrasings = list(tagged_statements(random.Random("tags")))
    assert len(phrasings) > 500
    assert _check(world, phrasings) > 10_000


def test_confirmation_tags_after_a_negated_statement(world: World) -> None:
    """", right?" / ", I think?" after "It doesn't start with A": the statement's truth, as "I think it
    doesn't start with A" (the embedded reading test_oracle_classes checks)."""
    phrasings = []
    for c, tag in zip("abemst", CONFIRM_TAGS, strict=False):
        phrasings += [(f"It doesn't start with {c.upper()}{tag}", _neg(letter_is(0, c))),
                      (f"The keyword does not contain {_quote(c, 2)}{tag}", _neg(has(c)))]
    assert _check(world, phrasings) > 500


# ---------------------------------------------------------------- "... or not?" after a question


def or_not(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Every class's questions with "or not" after them (the question asks the same)."""
    for gen in (first_letter, last_letter, contains_letter, letter_set, letter_count, word_count, alphabetical,
                category_described):
        for q, truth in itertools.islice(gen(rng), 0, None, 13):
            yield q.rstrip("?") + rng.choice((" or not?", ", or not?", " or not??", " or not")), truth
            yield (q.rstrip("?") + " OR NOT?").upper() if "'" not in q else q.rstrip("?") + " or not?", truth
    yield "Is it a mouse or not?", lambda k: True if k.lower() == "mouse" else None


def test_or_not_after_a_question(world: World) -> None:
    phrasings = list(or_not(random.Random("or not")))
    assert len(phrasings) > 100
    assert _check(world, phrasings) > 2000


# ----------------------------------------------------------------------------- guesses


def _words(name: str) -> set[str]:
    return set(name.lower().split())


def guessed(name: str, specific: bool, quoted: bool = False, named: bool = False, alone: bool = False) -> Truth:
    """The keyword is ``name``: yes; another: no when the name is said specifically, else open; open
    too where the words of one are among the other's ("Bike path" and "Bike": a part of a name),
    unless the name is quoted (a literal guess: "'jamaica'" is not "kingston jamaica"); a name of kinds
    ("Furniture") not quoted nor said to be the keyword: no only where the kind says no as well
    (:func:`class_truth.kind_guess`; ``alone``: said alone, where a fitting's name may ask whether a room
    has one)."""
    kind = not (quoted or named) and kind_of(name) is not None

    def truth(k: str) -> bool | None:
        if k.lower() == name.lower():
            return True
        if not quoted and (_words(k) <= _words(name) or _words(name) <= _words(k)):
            return None
        if specific and kind:
            return kind_guess(name, k, alone)
        return False if specific else None

    return truth


def among(items: tuple[str, ...], specific: tuple[bool, ...], named: bool = False) -> Truth:
    """A list of names: yes when one is the keyword, no when every one is another said specifically
    (``named``: the list is said to hold the keyword, "Is your keyword among ...": see :func:`guessed`)."""
    tests = [guessed(item, sure, named=named) for item, sure in zip(items, specific, strict=True)]

    def truth(k: str) -> bool | None:
        found = [t(k) for t in tests]
        return True if True in found else (False if all(f is False for f in found) else None)

    return truth


def _title(name: str) -> str:
    return " ".join(w[0].upper() + w[1:] for w in name.split())


#: (frame, how the name is written: "title" every word capitalised, "lower", "quoted"; what the frame
#: makes of a listed name: "bare" a word said alone, whose capital opens the question (specific when
#: quoted or of several words), "lead" a name after words ("How about X": its capital says it is a
#: name), "named" X said to be the keyword ("My guess is X", "Is X your word": a listed name in any case).
GUESS_FRAMES: tuple[tuple[str, str, str], ...] = (
    ("{x}?", "quoted", "bare"), ("{x}?", "title", "bare"), ("{x}", "title", "bare"), ("{x}??", "lower", "bare"),
    ("How about {x}?", "title", "lead"), ("how about {x}?", "quoted", "lead"), ("What about {x}?", "title", "lead"),
    ("Maybe {x}?", "title", "lead"), ("Perhaps {x}?", "quoted", "lead"), ("Keyword: {x}?", "quoted", "lead"),
    ("Keyword: {x}?", "title", "lead"), ("How about {x}?", "lower", "lead"),
    ("My guess is {x}, yeah?", "lower", "named"), ("my guess is {x}, true?", "lower", "named"),
    ("My guess is {x}, I think?", "title", "named"), ("Is {x} your word?", "quoted", "named"),
    ("Is {x} your word?", "lower", "named"), ("Is {x} the place you're thinking of", "title", "lead"),
    ("Is {x} the thing you have in mind?", "quoted", "lead"), ("Is {x} the keyword we're looking for?", "lower",
                                                                "named"),
    ("Is {x} the answer?", "title", "named"), ("Are we talking about {x}?", "quoted", "lead"),
    ("We're talking about {x}, aren't we?", "title", "lead"), ("You're thinking of {x}, right?", "quoted", "lead"),
    ("It's {x} - right?", "title", "lead"), ("Could it be {x}", "title", "lead"),
    ("OK so is {x} the answer", "title", "named"), ("Thanks for answering! Are we talking about {x}?", "quoted", "lead"),
    ("Perfect, thank you. My guess is {x}, true?", "title", "named"), ("Is {x} what you're thinking of?", "title", "lead"),
    ("Is {x} the one you have in mind?", "quoted", "lead"), ("I'll go with {x}.", "title", "named"),
    ("I'm going to guess {x}", "lower", "named"), ("Final answer: {x}", "lower", "named"),
    # an opinion is no guess said: a lower-case word after it may be a class ("I think furniture")
    ("I think {x}?", "lower", "lead"), ("I'd say {x}", "title", "lead"), ("I bet it's {x}!", "lower", "lead"),
)
_QUOTES = ("'{}'", '"{}"', "\u2018{}\u2019", "\u201c{}\u201d", "`{}`")
#: Frames that say the name alone after a lead ("How about X?"), as "X?" says it alone.
BARE_LEADS = ("How about", "how about", "What about", "Maybe", "Perhaps", "Keyword:")


def _class_names() -> frozenset[str]:
    """The data module's names, lower case without spaces (the list the tests pin on)."""
    mod = importlib.import_module("agent20q.class_names")  # on the path: import_agent_module
    return frozenset(mod.CLASS_NAMES)


@functools.cache
def sure_things() -> frozenset[str]:
    """One-word thing names and alts of the public list that name no class (not in the data module's
    list, nor a place), lower case: said alone, each names that thing."""
    data = json.loads((TEMPLATE / "agent20q" / "keywords.json").read_text(encoding="utf-8"))
    places = {n.lower() for row in data["categories"]["place"] for n in row}
    things = {n.lower() for row in data["categories"]["things"] for n in row if len(n.split()) == 1}
    return frozenset(n for n in things - places if n.replace("-", "") not in _class_names())


def _specific(frame: str, form: str, kind: str, name: str, capitals: bool, places: frozenset[str]) -> bool:
    """Is a listed ``name`` said specifically (a "no" for another keyword)?  In capitals the case
    says nothing; a listed place's name that is no ordinary word ("jamaica", ``places``) names that
    place however it is written; so does a listed thing's name that names no class (``sure_things``)
    said alone ("Telescope?", "How about telescope?"), in any case."""
    if (form == "quoted" and kind != "bare") or " " in name or kind == "named" or name.lower() in places:
        return True
    if (kind == "bare" or frame.startswith(BARE_LEADS)) and (name.lower() in sure_things() or kind_of(name)):
        return True  # a thing's name that names no class, or a name of kinds (no where the kind says no)
    return kind == "lead" and form == "title" and not capitals


def guesses(rng: random.Random, places: frozenset[str]) -> Iterator[tuple[str, Truth]]:
    for (frame, form, kind), name in itertools.product(GUESS_FRAMES, NAMED):
        said = {"title": _title(name), "lower": name.lower(), "quoted": rng.choice(_QUOTES).format(name)}[form]
        # a whole question in quotes is a question ("'Telescope'?" is "Telescope?")
        quoted = form == "quoted" and kind != "bare"
        named = kind == "named"
        alone = kind == "bare" or frame.startswith(BARE_LEADS)
        yield frame.format(x=said), guessed(name, _specific(frame, form, kind, name, False, places), quoted, named,
                                            alone)
        if form != "quoted":
            yield frame.format(x=said).upper(), guessed(name, _specific(frame, form, kind, name, True, places),
                                                        named=named, alone=alone)
    yield "Maybe Ouagadougou, Burkina Faso?", guessed("ouagadougou burkina faso", True)
    yield "Sevilla, Spain?", guessed("sevilla spain", True)


def name_lists() -> Iterator[tuple[str, Truth]]:
    """Lists of names said alone, with slashes (no spaces), or after "are you thinking of" without "?"."""
    for items in itertools.permutations(("Telescope", "Bike path", "Glass table", "Name tag"), 3):
        a, b, c = items
        every = (True, True, True)
        # the first capital opens it: a one-word name is specific when it names no class
        yield f"{a}, {b} or {c}?", among(items, (" " in a or a.lower() in sure_things(), True, True))
        yield f"Is your keyword {a}/{b}/{c}?", among(items, every)
        yield f"Is the answer '{a}'/\"{b}\"/\u201c{c}\u201d", among(items, every)
        yield f"Are you thinking of {a}, {b} or {c}", among(items, every)
        yield f"How about {a} or {b}?", among((a, b), (True, True))
        yield f"IS IT {a}/{b}/{c}?".upper(), among(items, tuple(" " in x for x in items))


def test_guesses(world: World) -> None:
    phrasings = list(guesses(random.Random("guesses"), world.known.places))
    assert len(phrasings) > 300
    assert _check(world, phrasings) > 10_000


def test_lists_of_names(world: World) -> None:
    assert _check(world, list(name_lists())) > 5000


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Reptile?", ["Reptile"]), ("Furniture?", ["Furniture"]), ("Furniture or Vegetable?", ["Furniture", "Vegetable"]),
        ("REPTILE?", ["Reptile"]), ("Free weights?", ["Free Weights"]), ("Mobile phone or furniture?",
                                                                        ["Mobile phone", "Furniture"]),
        ("Telescope or furniture?", ["Telescope", "Furniture"]), ("How about furniture or pliers?", ["Furniture", "Pliers"]),
        ("How about furniture?", ["Furniture"]),  # lower case after "how about": a class or a guess
    ],
)
def test_names_of_kinds_said_alone(world: World, question: str, names: list[str]) -> None:
    """A name of kinds said alone (issue 23): yes for its own keyword, no for a listed keyword that may be
    of none of the kinds (a thing's name that names no class: no for every other keyword), else open."""
    mod, known, keywords = world
    keywords = [*keywords, *names, "Sofa", "Komodo dragon", "Armchair", "Grand piano"]
    tests = [guessed(n, True, alone=True) for n in names]
    rule = mod.parse(question, known)
    assert rule is not None
    wrong = []
    for k in keywords:
        found = [t(k) for t in tests]
        want = True if True in found else (False if all(f is False for f in found) else None)
        got = mod.oracle.verdict(rule, mod.Subject(k, (), category(k)))
        if got != (None if want is None else ("yes" if want else "no")):
            wrong.append((k, want, got))
    assert wrong == [], wrong[:10]


@pytest.mark.parametrize(
    ("question", "sure_for"),
    [
        # a word capitalised only because it opens the question may ask for a material, a property, a
        # feature or a site (names of kinds: test_names_of_kinds_said_alone)
        ("Zinc?", "zinc"), ("STADIUM??", "stadium"), ("GPS?", "gps"), ("Gravity or zinc?", "gravity zinc"),
        # a listed place's name that may be an ordinary word ("Jamaica?" is read: test_guesses)
        ("China?", "china"), ("Turkey?", "turkey"), ("is it nice?", "nice"),
        ("Edible?", ""), ("Electronic?", ""), ("Bigger than a car?", ""), ("Made of metal?", ""),
        ("A screwdriver?", ""), ("The Nile?", ""), ("Accra?", ""), ("Table Mountain?", ""), ("Asian?", ""),
        ("Could it be Accra", ""),  # a capitalised word that is no listed keyword: open (it may be no name)
        ("IT'S AMMAN - RIGHT?", ""),
        ("Are you thinking of Telescope, Mouse or Table Mountain", "telescope mouse"),
        ("Is the place nice?", ""),
        ("based on that, is the place china/turkey ?", "china turkey"),  # lower-case words: names or not?
        ("I think furniture?", "furniture"), ("I'd say luggage", "luggage"), ("I bet it's furniture", "furniture"),
        ("My guess is a tool", ""), ("Is it your word?", ""),
        ("Is this the answer?", ""),
    ],
)
def test_names_that_may_be_no_names(world: World, question: str, sure_for: str) -> None:
    """A guess answers only its own keyword where the name may be a class, a property or no name:
    every other keyword is the model's."""
    mod, known, keywords = world
    rule = mod.parse(question, known)
    answered = [] if rule is None else [
        (k, v) for k in keywords if (v := mod.oracle.verdict(rule, mod.Subject(k, (), category(k)))) is not None]
    assert answered == [(k, "yes") for k in keywords if k.lower().replace(" ", "_") in sure_for.split()], answered


# ------------------------------------------------------ ellipsis: letters anywhere, participles


def elliptic_more(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    """Questions without subject and verb that ask about letters anywhere ("Two or more A's?", "Both I
    and C?"), open with a participle ("Ending in a B?") or "got", or ask for an even count."""
    for i, c in enumerate("abeilnorstu"):
        x, d = _quote(c, i), rng.choice([y for y in "aeilnorst" if y != c])
        lead = rng.choice(LEADS)
        yield f"{lead}Two or more {c.upper()}'s?", has_count(c, lambda n: n >= 2)
        yield f"{lead}more than one {c.upper()}??", has_count(c, lambda n: n > 1)
        yield f"Multiple '{c}'s?", has_count(c, lambda n: n >= 2)
        yield f"At least two {c.upper()}s?", has_count(c, lambda n: n >= 2)
        yield f"Exactly one {_quote(c, i % 5)}?", has_count(c, lambda n: n == 1)
        yield f"{lead}Both {c.upper()} and {_quote(d, i + 1)}?", has_all([c, d])
        yield f"All of {x}, {_quote(d, i + 2)} and 'z'?", has_all([c, d, "z"])
        yield f"{lead}Ending in {x}?", letter_is(-1, c)
        yield f"Starting with {x}?", letter_is(0, c)
        yield f"Beginning with {x}??", letter_is(0, c)
        yield f"Containing {x}?", has(c)
        yield f"Got {'an' if c in 'aeiou' else 'a'} {c.upper()} in it?", has(c)
    for lead in LEADS:
        yield f"{lead}Even number of letters??", _counted("letters", lambda v, n: v % 2 == 0, 0)
        yield f"{lead}odd number of letters?", _counted("letters", lambda v, n: v % 2 == 1, 0)


def test_elliptic_questions_about_letters_anywhere(world: World) -> None:
    assert _check(world, list(elliptic_more(random.Random("ellipsis")))) > 5000


# --------------------------------------------------------------------- the category


def category_said(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    place, thing, narrow = is_a("place"), is_a("thing"), is_a("physical")
    for lead, subj in itertools.product(LEADS, ("it", "the word", "the keyword", "your keyword", "the answer")):
        tag = rng.choice(CONFIRM_TAGS)
        yield f"{lead}Is {subj} a location rather than a thing?", and_not(place, thing)
        yield f"{lead}is {subj} a physical thing rather than a location?", and_not(narrow, place)
        yield f"{lead}{subj[0].upper()}{subj[1:]} is a thing{tag}", thing
        yield f"{lead}We're talking about a place{tag}", place
        yield f"{lead}we're talking about a thing, aren't we?", thing


def test_the_category_said_other_ways(world: World) -> None:
    assert _check(world, list(category_said(random.Random("category")))) > 5000


# ------------------------------------------------------------------- alphabetical order

ORDER_LEADS = ("Compared alphabetically, ", "When sorted A to Z, ", "when sorted a to z, ", "When sorted from A to Z, ",
               "If you sorted words alphabetically, ", "If you sorted the words alphabetically, ",
               "If we put them in alphabetical order, ", "In A-Z order, ", "When compared alphabetically, ",
               "If the words are sorted alphabetically, ", "Alphabetically, ", "In a dictionary, ")
ORDER_AFTER = (" when sorted A to Z", " when compared alphabetically", " in the dictionary", " in A-Z order",
               " if you sorted the words alphabetically", " going from A to Z", " when sorted alphabetically",
               " if the words were sorted alphabetically")


def order_said(rng: random.Random) -> Iterator[tuple[str, Truth]]:
    for i, subj in enumerate(SUBJECTS + ("the mystery place", "the thing you're thinking of")):
        w = rng.choice(("m", "kiwi", "sun", "orange", "quilt", "p", "key"))
        x = rng.choice(("'{}'", '"{}"', "\u201c{}\u201d", "{}")).format(w if i % 2 else w.upper())
        lead, after = ORDER_LEADS[i % len(ORDER_LEADS)], ORDER_AFTER[i % len(ORDER_AFTER)]
        verb = rng.choice(("does", "would"))
        yield f"{lead}{verb} {subj} come before {x}?", word_before(w)
        yield f"{lead}{verb} {subj} come after {x}{rng.choice(CONFIRM_TAGS[8:9] + ('?', ' or not?'))}", word_after(w)
        yield f"Does {subj} come before {x}{after}?", word_before(w)
        yield f"Is {subj} after {x}{after}?", word_after(w)
        yield (f"{lead}does {subj} come before {x}?").upper(), word_before(w)
    yield 'IS IT BEFORE "KEY" IN THE DICTIONARY OR NOT?', word_before("key")


def test_the_order_said_other_ways(world: World) -> None:
    assert _check(world, list(order_said(random.Random("order")))) > 3000


# ---------------------------------------------------------------------------- traps


@pytest.mark.parametrize(
    "question",
    [
        # a tag after a negated statement whose "yes" may mean either
        "It doesn't start with A, does it?", "It doesn't start with A, doesn't it?", "It isn't a place, is it?",
        "It isn't a place, isn't it?", "The keyword has no E, no?", "It doesn't contain an E, no?",
        "It's not a place, don't you think?", "It starts with A, isn't it not?", "It doesn't end in E, wouldn't you say?",
        # a tag after a question with its auxiliary, or a tag that says something else
        "Is it a place, isn't it?", "Does it start with A, doesn't it?", "Is it a place, no?",
        "It starts with A, I don't think?", "It starts with A, I think not?", "It starts with A, am I wrong?",
        "It starts with A, or is it?", "It starts with A, or does it?",
        # "or not" as its own sentence, or not at the end
        "Does it start with A. Or not?", "Is it a place? Or not?", "Is it a place or not a thing?",
        "Does it start with A or not B?",
        # orders that are not A to Z, or not said
        "When sorted Z to A, does the keyword come before 'm'?", "Does the keyword come before 'm' when sorted by length?",
        "Does the keyword come before 'm' when sorted in reverse?", "Does the keyword come before 'm' when sorted?",
        "Compared by length, does the keyword come before 'm'?", "If you reversed the words, would it come before 'm'?",
        "Compared alphabetically backwards, does the keyword come before 'm'?",
        # one letter alone may ask where it is ("A vowel?" after "Starts with B?"), an unread place
        "A vowel?", "Ending?", "Got it?", "Two or more A's at the start?",
        # a lead-in that is no talk
        "Based on the first word, does it start with A?", "Thanks for answering! In French, does it start with A?",
    ],
)
def test_traps_stay_declined(world: World, question: str) -> None:
    assert _declined(world, [question]) == []


@pytest.mark.parametrize(
    ("question", "verdicts"),
    [
        # "one E": at least one, or exactly one? Both readings agree on none and on one: the rest is open
        ("One E?", {"Pen": "yes", "Cat": "no", "Telescope": None}),
        ("Is there one E?", {"Pen": "yes", "Cat": "no", "Telescope": None}),
        # a quoted string in "your word" is spelling: the subject names the word
        ("Is 'ab' in your word?", {"Crab": "yes", "Cat": "no", "Abacus": "yes"}),
    ],
)
def test_readings_that_agree_are_answered_and_the_rest_is_open(
    world: World, question: str, verdicts: dict[str, str | None]
) -> None:
    mod, known, _ = world
    rule = mod.parse(question, known)
    assert rule is not None, question
    got = {k: mod.oracle.verdict(rule, mod.Subject(k, (), "things")) for k in verdicts}
    assert got == verdicts


def test_or_not_is_read_on_every_keyword_where_the_question_is(world: World) -> None:
    """"... or not?" changes no answer: every public keyword gets the same answer with and without it."""
    mod, known, _ = world
    cands = mod.load_candidates(str(TEMPLATE))
    questions = ("Does the keyword start with a vowel?", "Is it a place?", "Does it have more than 7 letters?",
                 "Is it more than one word?", "Does the keyword come before 'm' alphabetically?",
                 "Is the item written as one word?", "Does it contain both R and 't'?")
    differ = []
    for q in questions:
        plain, tagged = mod.parse(q, known), mod.parse(q.rstrip("?") + " or not?", known)
        assert plain is not None and tagged is not None, q
        for c in cands:
            s = mod.Subject(c.keyword, c.alts, c.categories[0])
            if mod.oracle.verdict(plain, s) != mod.oracle.verdict(tagged, s):
                differ.append((q, c.keyword))
    assert differ == []
