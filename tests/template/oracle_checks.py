"""Shared by the generated tests of the oracle's letter, position and count classes
(test_oracle_positions.py, test_oracle_substrings.py, test_oracle_letter_frequency.py,
test_oracle_counted.py): the keywords they run on, how a phrasing is varied, and the check.

The truth of a phrasing is a plain string expression on the keyword (the helpers of
test_oracle_classes.py: letters are the keyword's letters and digits in lower case, and the
letters alone, both readings; ``None`` where the readings disagree or "y" is asked about as a
vowel); the oracle must answer it right for every keyword, and decline where the truth is None.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from factories.agents import TEMPLATE, import_agent_module
from test_oracle_classes import LEAD_INS, category

Truth = Callable[[str], "bool | None"]
Phrasings = Iterator[tuple[str, Truth]]

#: Clauses no template reads: a phrasing with one of them is the model's.  (" or not" is left
#: out: it is a tag of the discourse grammar, which reads "... or not?" as the question.)
EXTRA_CLAUSES = (" and end with 'e'", " and is it a place", " in French", " when you say it out loud", " backwards",
                 " if you ignore the first word", ", or is it in Europe", " in the second word")


class World(NamedTuple):
    """The agent module, the public list's names (for "no" to another keyword) and the keywords
    every phrasing is checked on."""

    mod: Any
    known: Any  # agent20q.naming.Names: the names, and ``places`` (those read in lower case too)
    keywords: list[str]


def make_world(step: int, extra: Iterable[str]) -> World:
    """Every ``step``-th keyword of the public list, then ``extra`` (edge cases, listed or not)."""
    mod = import_agent_module(None)
    cands = mod.load_candidates(str(TEMPLATE))
    known = mod.oracle.known_names(cands)  # as the agent builds it
    return World(mod, known, [c.keyword for c in cands[::step]] + list(extra))


def quote(letter: str, style: int) -> str:
    """One letter written one of eight ways: bare (capital), quoted ' " ‘’ “” `, "the letter X"."""
    return [letter.upper(), f"'{letter}'", f'"{letter.upper()}"', f"\u2018{letter}\u2019", f"\u201c{letter}\u201d",
            f"`{letter}`", f"the letter {letter.upper()}", f"the letter '{letter}'"][style % 8]


def quote_text(text: str, style: int) -> str:
    """A string in one of six quote kinds (capitals or not)."""
    up = text.upper() if style % 2 else text
    return [f"'{up}'", f'"{up}"', f"\u2018{up}\u2019", f"\u201c{up}\u201d", f"`{up}`", f"'{up}'"][style % 6]


@functools.cache
def _public(mod: Any) -> tuple[str, ...]:
    return tuple(c.keyword for c in mod.load_candidates(str(TEMPLATE)))


def public_keywords(mod: Any, step: int = 1) -> list[str]:
    """Every ``step``-th keyword of the public list, and keywords whose readings differ (a digit,
    a hyphen, "y", an index's inverted name)."""
    return list(_public(mod)[::step]) + ["k2", "x-ray", "yoyo", "mount fuji", "Air compressor", "sydney australia"]


def variants(question: str, rng: random.Random) -> Iterator[str]:
    """``question`` as written, and one of: after a lead-in, in capitals, with "??" or no "?"."""
    yield question
    yield rng.choice((rng.choice(LEAD_INS) + question[0].lower() + question[1:], question.upper(),
                      question.rstrip("?") + rng.choice(("??", "", " ?"))))


def check(mod: Any, keywords: list[str], phrasings: Iterable[tuple[str, Truth]],
          rng: random.Random | None = None) -> tuple[list[tuple[str, str, str, str | None]], list[tuple[str, str]], int]:
    """(wrong, declined, right) over ``keywords`` for every phrasing (and its :func:`variants`
    when ``rng`` is given): wrong holds (question, keyword, expected, got), "open" expected
    where the truth is None and the oracle answered."""
    wrong: list[tuple[str, str, str, str | None]] = []
    declined: list[tuple[str, str]] = []
    right = 0
    for base, truth in phrasings:
        for question in variants(base, rng) if rng is not None else (base,):
            rule = mod.parse(question)
            for k in keywords:
                want = truth(k)
                got = mod.oracle.verdict(rule, mod.Subject(k, (), category(k))) if rule is not None else None
                if want is None:
                    if got is not None:
                        wrong.append((question, k, "open", got))
                elif got is None:
                    declined.append((question, k))
                elif got != ("yes" if want else "no"):
                    wrong.append((question, k, "yes" if want else "no", got))
                else:
                    right += 1
    return wrong, declined, right


def answered(mod: Any, question: str, keywords: list[str]) -> list[tuple[str, str]]:
    """The keywords code answers ``question`` for (none: declined)."""
    rule = mod.parse(question)
    if rule is None:
        return []
    return [(k, v) for k in keywords if (v := mod.oracle.verdict(rule, mod.Subject(k, (), category(k)))) is not None]


def with_a_clause_more(phrasings: Iterable[tuple[str, Truth]], step: int = 5) -> Iterator[str]:
    """Every ``step``-th phrasing with each of :data:`EXTRA_CLAUSES` added before its "?"."""
    for i, (question, _truth) in enumerate(phrasings):
        if i % step == 0:
            for extra in EXTRA_CLAUSES:
                yield question.rstrip("?") + extra + "?"
