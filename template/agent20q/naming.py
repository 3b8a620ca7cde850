"""Questions that name the keyword: "is it X", "is it one of ...", the category.

* ``identity``: "Is it X?", "Is the keyword X?", "Is X the keyword?", "Could it be X?",
  "Are you thinking of X?", "Are we talking about X?" (X is all the rest of the question;
  a list of names joined by "or", "Paris, London or Cairo", is one of them); "not" negates: yes when X
  matches the keyword or one of its alts the game's way (``keyword_guessed``); no when X is
  quoted, or names another keyword of the list specifically (several words, a capitalised
  name: "Is it Japan?", not "Is it a vegetable?"; or any listed name after "Is the keyword
  ..."), and is not a part of this one; else open (the model);
* ``in_list``: "Is the keyword one of the following: a, b, c?", "Is it any of these: ...",
  "Is it not in this list: ...", "Here is an important list of N potential keywords: ....
  Is the keyword one of ...?": yes when an item matches; no when none does (open when an
  item is a description, "a fruit", not a listed keyword);
* ``category``: "Is it a place / thing / location / person?", "Is the category place?",
  "Is the keyword in the 'things' category?", "Does it belong to the place category?", "Is
  it classified as a thing?", "Is it a thing rather than a place?", "Is it a place (not a
  thing)?": the game's category.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Container

from .phrases import NAMED_SUBJECT, Subject, Test, negate
from .words import game_normalize, keyword_guessed

#: (kind, test) of a question these shapes read.
Rule_ = tuple[str, Test]

_NOUN = r"(?:key\s?-?word|word|answer|thing|object|item|place|location|term|name|solution)"
_NAMED = r"(?:the|your|this|that|our)\s+(?:(?:secret|hidden|mystery|target|chosen)\s+)?" + _NOUN
_SUBJ = r"(?:it|this|that|" + _NAMED + r")"

_CATEGORY_WORDS = {
    "place": "place", "location": "place", "geographic location": "place", "geographical location": "place",
    "places": "place", "thing": "things", "things": "things", "person": "person", "people": "person",
    "human": "person", "human being": "person", "real person": "person", "persons": "person",
}
_CAT = r"(?:an?\s+)?['\"]?(?:" + "|".join(w.replace(" ", r"\s+") for w in sorted(_CATEGORY_WORDS, key=len,
                                                                                      reverse=True)) + r")['\"]?"


def category_of(x: str) -> str | None:
    x = re.sub(r"^(?:a|an|the)\s+", "", x.strip().strip("\"'").strip())
    return _CATEGORY_WORDS.get(" ".join(x.strip("\"'").split()))


def _category_matches(asked: str, category: str) -> bool:
    c = category.lower().strip()
    return asked == c or asked.rstrip("s") == c.rstrip("s")


def _category_test(name: str) -> Test:
    return lambda s: _category_matches(name, s.category) if s.category else None


_CATEGORY_SHAPES = (
    re.compile(r"(?:is|does)\s+(?:the|its|your)\s+(?:keyword'?s?\s+)?category\s+(?:of\s+" + _SUBJ + r"\s+)?"
               r"(?P<neg>not\s+)?(?:be\s+)?(?:equal\s+to\s+)?(?:of\s+)?(?P<cat>" + _CAT + r")"),
    re.compile(r"is\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:in|from|of|part\s+of|under)\s+(?:the\s+)?(?:(?P<cat>" + _CAT
               + r")\s+category|category\s+(?:of\s+)?(?P<cat2>" + _CAT + r"))"),
    re.compile(r"(?:does|do)\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:belong|fall|fit)\s+(?:to|in|into|under)\s+"
               r"(?:the\s+)?(?:(?P<cat>" + _CAT + r")\s+category|category\s+(?:of\s+)?(?P<cat2>" + _CAT + r"))"),
    re.compile(r"is\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:classified|categori[sz]ed|considered|listed|counted)\s+"
               r"(?:as|under)\s+(?P<cat>" + _CAT + r")"),
    # "a thing rather than a place", "a place (not a thing)", "a place, not a thing"
    re.compile(r"is\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?P<cat>" + _CAT + r")\s*(?:\(\s*(?:and\s+)?not\s+(?P<other>"
               + _CAT + r")\s*\)|,?\s*(?:and\s+)?not\s+(?P<other2>" + _CAT + r")|\s+(?:rather\s+than|instead\s+of|"
               r"as\s+opposed\s+to)\s+(?P<other3>" + _CAT + r"))"),
)


def category(q: str) -> Rule_ | None:
    for shape in _CATEGORY_SHAPES:
        m = shape.fullmatch(q)
        if m:
            name = category_of(m.group("cat") or m.groupdict().get("cat2") or "")
            others = [m.groupdict().get(k) for k in ("other", "other2", "other3")]
            other = next((category_of(o) for o in others if o), None)
            if name is None or (other is not None and other == name):
                return None  # "a place rather than a location": no contrast, no question
            test = _category_test(name)
            return "category", negate(test) if m.group("neg") else test
    return None

# ----------------------------------------------------------------------------- lists

_LIST_TRIGGER = re.compile(
    r"\b(?:one of|any of|among|either|in (?:this|the following|the|these)\s+(?:list|set|options|words|keywords)|"
    r"on (?:this|the following|the)\s+list|potential keywords|following (?:words|keywords|options|list))\b"
)
_LIST_SUBJECT = re.compile(
    r"(?:is|could|would|might)\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:be\s+)?"
    r"(?:one of|any of|among|amongst|in|on|within|either)\b"
)


def _items(text: str) -> list[str]:
    text = text.strip().strip("[](){}").strip()
    parts = re.split(r"\s*(?:,|;|\||\n|\bor\b|/)\s*", text)
    out: list[str] = []
    for part in parts:
        p = re.sub(r"^(?:and\s+|\d+[.)]\s*|-\s*)", "", part.strip()).strip().strip("\"'[](){}.").strip()
        if p and p not in ("etc", "etc.", "and"):
            out.append(p)
    return out


def _list_text(q: str) -> str | None:
    """The part of a list question that holds the items (None: not a list after all)."""
    potential = re.search(
        r"list of (?:\d+\s+)?(?:potential\s+)?(?:keywords|words|candidates)\s*:\s*(.+?)\.\s+(?:is|does)\b", q
    )
    if potential:
        return potential.group(1)
    if ":" in q:
        return q.split(":", 1)[1]
    either = re.fullmatch(r"(?:is|could|would|might)\s+" + _SUBJ + r"\s+(?:not\s+)?(?:be\s+)?either\s+(.+\bor\b.+)", q)
    if either:
        return either.group(1)
    m = re.search(
        r"\b(?:one of|any of|among)\s+(?:the\s+following|these|this list|the\s+list)?\s*"
        r"(?:words|keywords|options|items|things)?\s*\??\s*(.+)$",
        q,
    )
    if not m:
        return None
    text = m.group(1)
    listed = re.search(r"\b(?:following|these|this list)\b|[\[(]", q) or re.search(r"'[^']+'|\"[^\"]+\"", text)
    quoted = listed is not None and listed.group(0).startswith(("'", '"'))
    if not listed or ("," not in text and not re.search(r"\bor\b", text) and not quoted):
        return None  # "Is it one of the seven wonders?": not a list
    return text


def _capitalised(item: str, raw: str) -> bool:
    """``item`` is written with a capital in the question as asked ("Binoculars", a name)."""
    m = re.search(re.escape(item), raw, re.IGNORECASE)
    return m is not None and raw[m.start()].isupper()


def in_list(q: str, known: Container[str], raw: str = "") -> Rule_ | None:
    if not _LIST_TRIGGER.search(q):
        return None
    subject = _LIST_SUBJECT.match(q)
    if not (subject or q.startswith("here is")):
        return None
    text = _list_text(q)
    if text is None:
        return None
    items = _items(text.split("?")[0] if "?" in text else text)
    if not items or len(items) > 200:
        return None
    # An item may describe rather than name: "a fruit" (no match is a "no" only when every
    # item is a listed keyword), or a bare lower-case word that is no listed keyword ("Is it
    # one of these: fruit, tool?" about Hammer: no match is never a "no"), unless the
    # question calls its items words or keywords (Agent Alpha's list).
    semantic = any(re.match(r"(?:a|an)\s", it) for it in items)
    words = re.search(r"\b(?:keywords|words|candidates)\b", q) is not None
    common = not words and any(len(it.split()) == 1 and not _capitalised(it, raw) and game_normalize(it) not in known
                               for it in items)

    def test(s: Subject) -> bool | None:
        for it in items:
            for variant in (it, re.sub(r"^(?:a|an)\s+", "", it)):
                if keyword_guessed(variant, s.keyword, s.alts):
                    return True
            if " and " in it and any(keyword_guessed(x, s.keyword, s.alts) for x in it.split(" and ")):
                return True
        if common or (semantic and not all(game_normalize(re.sub(r"^(?:a|an)\s+", "", it)) in known for it in items)):
            return None
        return False

    return "in_list", negate(test) if subject is not None and subject.group("neg") else test


# -------------------------------------------------------------------------- identity

_IDENTITY = (
    re.compile(r"(?:is|could|would|might)\s+(?:it|this|that)\s+(?P<neg>not\s+)?(?:be\s+)?"
               r"(?:exactly\s+|actually\s+|possibly\s+)?(?P<x>.+)"),
    re.compile(r"(?:is|could|would|might)\s+(?P<subj>" + _NAMED + r")\s+(?P<neg>not\s+)?(?:be\s+)?"
               r"(?:you(?:'re| are) thinking of\s+)?(?:exactly\s+|actually\s+|possibly\s+|called\s+|named\s+|"
               r"equal to\s+)?[:=]?\s*(?P<x>.+)"),
    re.compile(r"(?:are\s+you\s+thinking\s+(?:of|about)|is\s+your\s+(?:secret\s+)?(?:keyword|word|answer)|are\s+we\s+"
               r"(?:talking\s+about|thinking\s+(?:of|about)|looking\s+for|dealing\s+with|after))\s+(?P<x>.+)"),
    re.compile(r"is\s+(?P<x>.+?)\s+(?P<neg>not\s+)?(?:the\s+)?(?:secret\s+)?(?:keyword|answer|secret word|"
               r"word you are thinking of)"),
)


def identity(q: str, raw: str, known: Container[str]) -> Rule_ | None:
    for shape in _IDENTITY:
        m = shape.fullmatch(q)
        if m:
            break
    else:
        return None
    x = m.group("x").strip()
    original = raw[m.start("x") : m.end("x")].strip() if len(raw) == len(q) else x
    named = bool(m.groupdict().get("subj")) and NAMED_SUBJECT.fullmatch(m.group("subj") or "") is not None
    test = _names_test(x, original, named, known) or _identity_test(x, _proper(original), named, known)
    if test is None:
        return None
    kind = "category" if category_of(x) is not None and not _whole_quote(x) else "identity"
    return kind, negate(test) if m.groupdict().get("neg") else test


def _proper(original: str) -> bool:
    """A capitalised name: "Is it Japan?", not "Is it a Vegetable?"."""
    return re.match(r"[\"']?[A-Z]", original.strip()) is not None


def _listed(name: str, known: Container[str]) -> bool:
    """``name`` is a listed keyword or alt, or its plural the game's way ("tennis balls")."""
    n = game_normalize(name)
    plurals = (n[:-1] if n.endswith("s") else "", n[:-2] if n.endswith("es") else "")
    return n in known or (len(n) >= 4 and any(p in known for p in plurals if p))


_NAME_SEP = re.compile(r"\s*,\s*(?:or\s+)?|\s+or\s+", re.IGNORECASE)


def _names_test(x: str, original: str, named: bool, known: Container[str]) -> Test | None:
    """"Is it Paris, London, Tokyo or Cairo?": yes when one of the names is the keyword, no
    when each is another keyword named specifically; None (not such a list) when an item is
    no name (a category, a lower-case word not in the list: "hot or cold", "in Japan or
    China"), when no "or" says it is a list, or when two neighbours make one listed name
    ("Lyon, France")."""
    items, originals = _NAME_SEP.split(x), _NAME_SEP.split(original)
    if not 2 <= len(items) <= 20 or len(originals) != len(items) or not re.search(r"\bor\b", x):
        return None  # "Is it Paris, France?": one place, not a list
    if any(game_normalize(f"{a} {b}") in known for a, b in itertools.pairwise(items)):
        return None  # "Is it Lyon, France or Spain?": "Lyon, France" may be one name
    tests: list[Test] = []
    for item, orig in zip(items, originals, strict=True):
        bare = re.sub(r"^(?:a|an|the)\s+", "", item.strip("\"'").strip()).strip("\"'").strip()
        if not bare or category_of(bare) is not None or not (_proper(orig) or _listed(bare, known)):
            return None
        item_test = _identity_test(item, _proper(orig), named, known)
        if item_test is None:
            return None
        tests.append(item_test)

    def test(s: Subject) -> bool | None:
        found = [t(s) for t in tests]
        return True if True in found else (False if all(f is False for f in found) else None)

    return test


def _whole_quote(x: str) -> bool:
    quoted = re.findall(r"\"([^\"]+)\"|'([^']+)'", x)
    return len(quoted) == 1 and x.strip("\"'").strip() == (quoted[0][0] or quoted[0][1]).strip()


def _identity_test(x: str, proper: bool, named: bool, known: Container[str]) -> Test | None:
    if not x or len(x.split()) > 8:
        return None
    whole_quote = _whole_quote(x)
    has_article = re.match(r"(?:a|an|the)\s", x.strip("\"'")) is not None
    bare = re.sub(r"^(?:a|an|the)\s+", "", x.strip("\"'").strip()).strip("\"'").strip()
    if not bare:
        return None
    asked_category = category_of(bare) if not whole_quote else None
    x_words = set(bare.split())
    # another keyword of the list, named specifically: several words, a capitalised name, or
    # any listed name after "the keyword is ..." with no article
    specific = game_normalize(bare) in known and (len(x_words) > 1 or proper or (named and not has_article))

    def test(s: Subject) -> bool | None:
        if keyword_guessed(bare, s.keyword, s.alts) or keyword_guessed(x.strip("\"'"), s.keyword, s.alts):
            return True
        if asked_category is not None:
            return _category_matches(asked_category, s.category) if s.category else None
        if whole_quote:
            return False
        if specific:
            kw_words = set(s.lower.split())
            if x_words <= kw_words or kw_words <= x_words:
                return None  # "bike" of "mountain bike": leave it to the model
            return False
        return None

    return test
