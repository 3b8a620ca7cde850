"""The truth of a class name read as a guess, and of "a physical thing", for the generated tests (issue 23).

A listed name of kinds (``agent20q/class_members.py``: "Furniture", "Free Weights", "Piano") read as a
guess has two readings, a guess of that keyword and "is it (a kind of) furniture?": yes for its own
keyword; for another keyword of the public list "no" only where it may be no member (the data module's
lists, which are the truth here as ``class_names.py``'s list is in test_oracle_thing_names.py) and its
words do not overlap the name's; open for a member and for a keyword that is not on the public list.
"A physical thing / object", "tangible": yes for a listed thing off ``physical_things.py``'s list.
The names are compared here as the game compares them: lower case, no spaces or punctuation, "the"
removed.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from typing import Any

from factories.agents import TEMPLATE


def norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("the", ""))


@functools.cache
def _data() -> tuple[Any, Any, dict[str, dict[str, set[str]]]]:
    members = importlib.import_module("agent20q.class_members")  # on the path: import_agent_module
    physical = importlib.import_module("agent20q.physical_things")
    rows = json.loads((TEMPLATE / "agent20q" / "keywords.json").read_text(encoding="utf-8"))["categories"]
    names: dict[str, dict[str, set[str]]] = {}  # normalised keyword -> category -> its normalised names
    for cat, entries in rows.items():
        for row in entries:
            names.setdefault(norm(row[0]), {}).setdefault(cat, set()).update(norm(n) for n in row)
    return members, physical, names


def _names(k: str, category: str = "") -> set[str] | None:
    """The normalised keyword and alts of ``k`` on the public list, in ``category`` if said (None: not on it)."""
    found = [v for cat, v in _data()[2].get(norm(k), {}).items() if not category or cat == category]
    return set().union(*found) if found else None


def kind_of(name: str) -> str | None:
    """The class name of kinds ``name`` is (its plural too), or None."""
    members = _data()[0].MEMBERS
    n = norm(name)
    return next((f for f in (n, n[:-1] if n.endswith("s") else "", n[:-2] if n.endswith("es") else "")
                 if f and f in members), None)


def kind_guess(name: str, k: str, alone: bool = False) -> bool | None:
    """"Is it <name>?" read as a guess of a name of kinds, for the keyword ``k`` (not ``name`` itself): no
    where ``k`` is on the public list and may be no member and no word overlaps; else open.  Said alone
    ("Stove?"), a fitting's name may ask whether a listed room has one: open for the rooms too."""
    kind = kind_of(name)
    assert kind is not None, name
    said, words = _names(k), set(name.lower().split())
    if said is None or words <= set(k.lower().split()) or set(k.lower().split()) <= words:
        return None
    members = _data()[0]
    housed = alone and kind in members.FITTINGS and bool(said & members.ROOMS)
    return None if said & members.MEMBERS[kind] or housed else False


def physical(k: str) -> bool | None:
    """"Is it a physical thing?" of a listed thing: yes off the data module's list, else open."""
    said = _names(k, "things")
    return None if said is None or said & _data()[1].NOT_SURELY_PHYSICAL else True
