"""Quoted strings and marks looked for in the keyword, phrased the ways held-out set 3 found
unread: "Can you find 'lu' inside the keyword?", "Does "ST" appear in it?", "Does the string
"WUH" appear in the secret word?", "Is 'ION' absent from the keyword?", "Is there no "SS" in
the word?", "Is there no space in the answer?": strings of two and three letters from the
keywords themselves (so yes and no both occur), every quote kind, in capitals, after a
lead-in, on the public keyword list.  A quoted word of three letters or more said bare about
"it", "the thing" or "the place" ("Is 'water' in it?") may ask what the thing holds: declined."""

from __future__ import annotations

import random
from typing import Any

import pytest
from factories.agents import import_agent_module
from oracle_checks import Phrasings, Truth, answered, check, public_keywords, quote_text, with_a_clause_more
from test_oracle_classes import SUBJECTS, _neg, letters, substring

#: Subjects that name the keyword as a word: any string is read in them.
WORD_SUBJECTS = tuple(s for s in SUBJECTS if any(w in s for w in ("keyword", "word", "answer", "name")))


@pytest.fixture(scope="module")
def mod() -> Any:
    return import_agent_module(None)


@pytest.fixture(scope="module")
def keywords(mod: Any) -> list[str]:
    return public_keywords(mod, step=5)


def _strings(keywords: list[str], rng: random.Random, size: int, n: int) -> list[str]:
    """``n`` strings of ``size`` letters: half cut from the keywords' words, half made up."""
    cut = [w[i : i + size] for k in keywords for w in k.lower().split() for i in range(len(w) - size + 1)
           if w[i : i + size].isalpha()]
    made = ["".join(rng.choice("abcdeilnorstuz") for _ in range(size)) for _ in range(n)]
    return rng.sample(cut, n // 2) + made[: n - n // 2]


def edge(text: str, start: bool) -> Truth:
    """The keyword as written, and its letters and digits run together, start (end) with ``text``
    (open where the two disagree)."""

    def run(k: str) -> bool | None:
        found = {(t.startswith(text) if start else t.endswith(text)) for t in (k.lower().strip(), letters(k))}
        return found.pop() if len(found) == 1 else None

    return run


def strings_found(rng: random.Random, keywords: list[str]) -> Phrasings:
    for style, text in enumerate(_strings(keywords, rng, 2, 40) + _strings(keywords, rng, 3, 40)):
        x = quote_text(text, style)
        subj = rng.choice(SUBJECTS if len(text) == 2 else WORD_SUBJECTS)
        found = substring(text)
        yield f"Can you find {x} inside {subj}?", found
        yield f"Can you find the letters {x} in {subj}?", found
        yield f"Can {x} be found in {subj}?", found
        yield f"Does {x} appear in {subj}?", found
        yield f"Does the string {x} appear in {subj}?", found
        yield f"Does the sequence {x} occur anywhere in {subj}?", found
        yield f"Is {x} in {subj}?", found
        yield f"Is the substring {x} present in {subj}?", found
        yield f"Is there {x} in {subj}?", found
        yield f"Is {x} part of {subj}?", found
        yield f"Is {x} absent from {subj}?", _neg(found)
        yield f"Is {x} missing from {subj}?", _neg(found)
        yield f"Is {x} not absent from {subj}?", found
        yield f"Is there no {x} in {subj}?", _neg(found)
        yield f"Is the string {x} absent from {rng.choice(SUBJECTS)}?", _neg(found)
        yield f"Can you find the substring {x} in {rng.choice(SUBJECTS)}?", found
        yield f"Is the letter pair {x} in {rng.choice(SUBJECTS)}?", found
        yield f"Is {x} a substring of {rng.choice(SUBJECTS)}?", found
        yield f"Is {x} not a part of {subj}?", _neg(found)
        yield f"No {x} in {subj}?", _neg(found)
        yield f"Does {subj} have {x} at the end?", edge(text, start=False)
        yield f"Is there {x} at the start of {subj}?", edge(text, start=True)
        yield f"Is {x} at the very end of {subj}?", edge(text, start=False)
        yield f"Is {subj} spelled with {x} at the beginning?", edge(text, start=True)
        yield f"{x} in {subj}?", found


def marks_absent(rng: random.Random, keywords: list[str]) -> Phrasings:
    """"Is there no space in the answer?", "... no hyphen ...", "... no digits ..."."""
    for subj in SUBJECTS:
        yield f"Is there no space in {subj}?", lambda k: " " not in k.strip()
        yield f"Is there no hyphen in {subj}?", lambda k: "-" not in k
        yield f"Is there no digit in {subj}?", lambda k: not any(c.isdigit() for c in k)
        yield f"Is there any space in {subj}?", lambda k: " " in k.strip()
        yield f"Is there no spaces in {subj}?", lambda k: " " not in k.strip()


CLASSES = {"strings_found": strings_found, "marks_absent": marks_absent}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_string_phrasings_answered_right(mod: Any, keywords: list[str], name: str) -> None:
    rng = random.Random(name)
    wrong, declined, right = check(mod, keywords, CLASSES[name](rng, keywords), rng)
    assert wrong == [], wrong[:10]
    assert declined == [], declined[:10]
    assert right > 2000


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_clause_more_is_declined(mod: Any, keywords: list[str], name: str) -> None:
    rng = random.Random(name)
    kept = [q for q in with_a_clause_more(CLASSES[name](rng, keywords)) if answered(mod, q, keywords)]
    assert kept == [], kept[:10]


@pytest.mark.parametrize("text", ["water", "ice", "salt", "Paris", "oil", "tea", "sand", "gold"])
@pytest.mark.parametrize("frame", [
    "Is {x} in it?", "Is there {x} in the thing?", "Can you find {x} in it?", "Is {x} in this place?",
    "Does {x} appear in it?", "Is there no {x} in it?", "Is {x} absent from the thing you're thinking of?",
    "Can {x} be found in the place?", "Does it have {x} at the end?", "Is there {x} at the start?",
    "Is {x} at the end of the thing?", "Does the object have {x} at the start?",
])
def test_a_quoted_word_about_the_thing_is_declined(mod: Any, keywords: list[str], text: str, frame: str) -> None:
    """"Is 'water' in it?" may ask what the thing holds or where a place lies, not its spelling."""
    for q in (frame.format(x=f"'{text}'"), frame.format(x=f'"{text.upper()}"')):
        assert answered(mod, q, keywords) == [], q


@pytest.mark.parametrize(
    "question",
    [
        "Does 'ss' appear twice in it?",  # how often a string occurs: not read
        "Is 'ab' in the first word of the keyword?",
        "Can you find 'lu' inside the keyword backwards?",
        "Is there no 'ss' or 'tt' in the keyword?",
        "Is 'ion' not absent from the keyword or is it?",
    ],
)
def test_string_traps_are_declined(mod: Any, keywords: list[str], question: str) -> None:
    assert answered(mod, question, keywords) == []
