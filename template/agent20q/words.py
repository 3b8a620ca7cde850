"""The game's keyword matching, and the candidate keywords shipped with the template.

:func:`compare_words` and :func:`keyword_guessed` are the game's own (kaggle-environments
1.14.15, ``llm_20_questions.py``): lower-case, remove "the" and spaces, strip punctuation,
and accept a trailing "s"/"es" when both words have at least 3 characters; a guess also
matches any of the keyword's ``alts``.

``keywords.json`` (beside this module; made by ``python -m bench.keywords`` from
kaggle-environments 1.14.15's ``keywords.py``: 579 "things", 563 "place", with alts) is
loaded once per process into :class:`Candidate` objects, one per lower-cased keyword,
sorted by it.  A candidate's ``weight`` is its chance of being drawn by the game (a
category uniformly, then a word of it).
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Sequence
from typing import Any, NamedTuple

KEYWORDS_FILE = os.path.join("agent20q", "keywords.json")
_PUNCT = str.maketrans("", "", string.punctuation)


def game_normalize(text: str) -> str:
    """The game's normalisation: lower-case, "the" and spaces removed, no punctuation."""
    return text.lower().replace("the", "").replace(" ", "").translate(_PUNCT)


def compare_words(a: str, b: str) -> bool:
    """The game's ``compare_words``: equal after normalisation, or a plural of each other."""
    a, b = game_normalize(a), game_normalize(b)
    if a == b:
        return True
    if len(a) < 3 or len(b) < 3:
        return False
    if (a[-1] == "s" and a[:-1] == b) or (b[-1] == "s" and a == b[:-1]):
        return True
    return (a[-2:] == "es" and a[:-2] == b) or (b[-2:] == "es" and a == b[:-2])


def keyword_guessed(guess: str, keyword: str, alts: Sequence[str] = ()) -> bool:
    """The game's ``keyword_guessed``: ``guess`` matches the keyword or one of its alts."""
    return compare_words(guess, keyword) or any(compare_words(alt, guess) for alt in alts)


class Candidate(NamedTuple):
    """One keyword of the list: its text, alts, categories and prior weight."""

    keyword: str
    alts: tuple[str, ...]
    categories: tuple[str, ...]
    weight: float

    @property
    def key(self) -> str:
        """The text the alphabetical protocol compares: the keyword in lower case."""
        return self.keyword.lower().strip()


_CANDIDATES: dict[str, tuple[Candidate, ...]] = {}


def parse_candidates(data: Any) -> tuple[Candidate, ...]:
    """``keywords.json``'s object -> candidates (merged by lower-cased keyword, sorted)."""
    cats = data.get("categories", {}) if isinstance(data, dict) else {}
    merged: dict[str, tuple[str, list[str], list[str], float]] = {}
    for category, entries in cats.items():
        rows = [e for e in entries if isinstance(e, list) and e and all(isinstance(x, str) for x in e)]
        for row in rows:
            word, alts = row[0], row[1:]
            key = word.lower().strip()
            text, old_alts, old_cats, weight = merged.get(key, (word, [], [], 0.0))
            old_alts.extend(a for a in alts if a not in old_alts)
            if category not in old_cats:
                old_cats.append(str(category))
            merged[key] = (text, old_alts, old_cats, weight + 1.0 / (len(cats) * len(rows)))
    return tuple(
        Candidate(text, tuple(alts), tuple(cats_), weight)
        for _key, (text, alts, cats_, weight) in sorted(merged.items())
    )


def candidates_path(agent_dir: str, name: str = KEYWORDS_FILE) -> str:
    return os.path.realpath(name if os.path.isabs(name) else os.path.join(agent_dir, name))


def load_candidates(agent_dir: str, name: str = KEYWORDS_FILE) -> tuple[Candidate, ...]:
    """The candidates of ``agent_dir/name`` (cached per process; missing or bad file: none)."""
    path = candidates_path(agent_dir, name)
    cached = _CANDIDATES.get(path)
    if cached is not None:
        return cached
    try:
        with open(path, encoding="utf-8") as fh:
            found = parse_candidates(json.load(fh))
    except (OSError, ValueError, AttributeError):
        found = ()
    _CANDIDATES[path] = found
    return found
