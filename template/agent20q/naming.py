"""Questions that name the keyword: "is it X", "is it one of ...", the category.

* ``identity``: "Is it X?", "Is the keyword X?", "Is X the keyword?", "Is X your word?", "Is X the
  place you're thinking of?", "Could it be X?", "Are you thinking of X?", "Are we talking about
  X?", "We're talking about X" (with a tag: ", aren't we?"), and X said alone (:func:`bare`:
  "Jamaica?", "How about 'tablet'?", "Maybe X?", "Keyword: X") (X is all the rest of the question;
  a list of names joined by "or" or " / ", "Paris, London or Cairo", is one of them, and "neither
  Paris nor London" none of them; a name has every word capitalised, "Statue of Liberty"; a list with a
  lower-case word, "a brownie or a smartwatch", is yes when an item is the keyword and open
  otherwise, unless negated, or an item is longer than the one that matched: "a paper or plastic
  bag", or it ends "or not"); "not" negates: yes when X
  matches the keyword or one of its alts the game's way (``keyword_guessed``); no when X is
  quoted, or names another keyword of the list specifically (several words, a capitalised
  name: "Is it Japan?", not "Is it a vegetable?"; or any listed name after "Is the keyword
  ...", "Is X your word?" or "My guess is ..."), and is not a part of this one; else open (the
  model); a list may be joined by slashes with or without spaces ("Fog Machine/Icicle"); a listed name
  of kinds (:mod:`.class_members`: "Furniture", "Free Weights", "Piano") read as a guess but not said to
  be the keyword nor quoted ("Is it Furniture?", "Piano?", "Is it Furniture or Piano?") may also ask for
  the kind: "no" only for a keyword of the public list that may be of none of its kinds ("Rabbit"),
  open for a member ("Sofa") and for a keyword off the list;
* ``in_list``: "Is the keyword one of the following: a, b, c?", "Is it any of these: ...",
  "Is it one of Paris, Kyoto or Dhaka?" (no word says it is a list: every item must be a name),
  "Is it not in this list: ...", "Here is an important list of N potential keywords: ....
  Is the keyword one of ...?": yes when an item matches; no when none does (open when an
  item is a description, "a fruit", "european capitals", "Asia's capitals", not a listed
  keyword; then a yes needs an item as long as the last one: "one of Paris, Kyoto in French" is
  no list of names; open, as above, where a name of kinds may hold the keyword, unless the list is said
  to hold the keyword or its words: "Is the keyword one of ...");
* ``category``: "Is it a place / thing / location / person?", "Is the category place?",
  "Is the keyword in the 'things' category?", "Does it belong to the place category?", "Is
  it classified as a thing?", "Is it a thing rather than a place?", "Is it a place (not a
  thing)?": the game's category; and the category described (:func:`described_category`):
  "Is it a place you could find on a map?", "... somewhere you can visit", "... a real
  place", "Can you find it on a map?", "Is it an object or thing, not a place?", "Is it a
  physical thing rather than a location?", "Is it a tangible object?", "... a physical thing rather
  than an idea?" (see there for what each side may say; a physical side is yes for a thing of the public
  list that is surely a physical object, :mod:`.physical_things`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Container, Iterable
from typing import NamedTuple

from .class_members import CHECKED_LIST_SHA256, FITTINGS, MEMBERS, ROOMS
from .class_names import CLASS_NAMES
from .ordinary_names import ORDINARY_NAMES
from .phrases import NAMED_CORE, NAMED_SUBJECT, Subject, Test, contrast, contrasted, negate
from .physical_things import NOT_SURELY_PHYSICAL
from .words import game_normalize, keyword_guessed

#: (kind, test) of a question these shapes read.
Rule_ = tuple[str, Test]


class Names(frozenset[str]):
    """The normalised names (:func:`.words.game_normalize`) of a list's keywords and alts, and
    ``places``: those of its places, which name one place in lower case too ("is it warsaw?")
    unless they are ordinary words as well (:data:`.ordinary_names.ORDINARY_NAMES`); ``things``:
    those of its things that name no class, material, property or site
    (:data:`.class_names.CLASS_NAMES`), which name one thing when said alone ("Telescope?");
    ``all_things``: those of all its things; ``public``: the list is the public list that the data
    modules were checked on (:data:`.class_members.CHECKED_LIST_SHA256`), so what they say of a
    keyword of it holds."""

    places: frozenset[str]
    things: frozenset[str]
    all_things: frozenset[str]
    public: bool

    def __new__(cls, names: Iterable[str], places: Iterable[str] = (), things: Iterable[str] = (),
                fingerprint: str = "") -> Names:
        made = super().__new__(cls, names)
        made.places = frozenset(places) - ORDINARY_NAMES
        made.all_things = frozenset(things)
        made.things = made.all_things - CLASS_NAMES
        made.public = fingerprint == CHECKED_LIST_SHA256
        return made


def _on_public_list(s: Subject, known: Container[str]) -> bool:
    """``s`` is a keyword of the public list the data modules were checked on (else nothing is known of it)."""
    return isinstance(known, Names) and known.public and game_normalize(s.keyword) in known


def _kind_name(name: str) -> str | None:
    """The class name of kinds (:data:`.class_members.MEMBERS`) ``name`` is, or its plural; None: none."""
    return next((f for f in _forms(game_normalize(name)) if f in MEMBERS), None)


def _may_be_of_kind(kind: str, asked: str, s: Subject, known: Container[str], alone: bool = False) -> bool:
    """The keyword may be of the kind ``kind`` (said as ``asked``): a member, words that overlap the name's
    ("Bike path" for "Bike"), or a keyword off the public list; "no" is then no answer of either reading.
    Said alone, a fitting's name may also ask whether a room has one ("Stove?" of an RV)."""
    x_words, kw_words = set(_bare(asked).lower().split()), set(s.lower.split())
    if x_words <= kw_words or kw_words <= x_words or not _on_public_list(s, known):
        return True
    said = {game_normalize(s.keyword), *(game_normalize(a) for a in s.alts)}
    return bool(said & MEMBERS[kind]) or (alone and kind in FITTINGS and bool(said & ROOMS))


def _place_name(name: str, known: Container[str]) -> bool:
    """``name`` is a listed place's name that is no ordinary word ("warsaw", not "nice")."""
    return isinstance(known, Names) and game_normalize(name) in known.places


def _thing_name(name: str, known: Container[str]) -> bool:
    """``name`` (or its plural the game's way) is a listed thing's name that names no class, material,
    property or site ("telescope", "pliers"; not "furniture", "zinc", "stadium"), nor a listed place."""
    if not isinstance(known, Names):
        return False
    forms = [f for f in _forms(game_normalize(name)) if f in known]
    return bool(forms) and all(f in known.things and f not in CLASS_NAMES and f not in known.places for f in forms)

_NOUN = r"(?:key\s?-?word|word|answer|thing|object|item|place|location|term|name|solution)"
_NAMED = NAMED_CORE
_SUBJ = r"(?:it|this|that|" + _NAMED + r")"

_CATEGORY_WORDS = {
    "place": "place", "location": "place", "places": "place", "thing": "things", "things": "things",
    "person": "person", "people": "person", "human": "person", "human being": "person", "real person": "person",
    "persons": "person",
}
_CAT = r"(?:an?\s+)?['\"]?(?:" + "|".join(w.replace(" ", r"\s+") for w in sorted(_CATEGORY_WORDS, key=len,
                                                                                      reverse=True)) + r")['\"]?"


#: "the name of a place", "a place name", "a place's name": the category named by its name.
_NAME_OF = re.compile(r"(?:name\s+of\s+(?:an?\s+|the\s+)?(?P<a>[a-z' ]+)|(?P<b>[a-z]+)(?:'s)?\s+name)")


def category_of(x: str) -> str | None:
    x = re.sub(r"^(?:a|an|the)\s+", "", x.strip().strip("\"'").strip())
    named = _NAME_OF.fullmatch(" ".join(x.split()))
    if named:
        x = named.group("a") or named.group("b") or ""
    return _CATEGORY_WORDS.get(" ".join(x.strip("\"'").split()))


def _category_matches(asked: str, category: str) -> bool:
    c = category.lower().strip()
    return asked == c or asked.rstrip("s") == c.rstrip("s")


def _category_test(name: str) -> Test:
    return lambda s: _category_matches(name, s.category) if s.category else None


def _named_category_test(name: str) -> Test:
    """The category that the keyword's name refers to: open for a thing of the game that names a
    site ("Wall Street" refers to a place in everyday words)."""
    test = _category_test(name)
    return lambda s: None if names_a_site(s.keyword) and not _category_matches("place", s.category) else test(s)


_CATEGORY_SHAPES = (
    re.compile(r"(?:is|does)\s+(?:the|its|your)\s+(?:keyword'?s?\s+)?category\s+(?:of\s+" + _SUBJ + r"\s+)?"
               r"(?P<neg>not\s+)?(?:be\s+)?(?:equal\s+to\s+)?(?:of\s+)?(?P<cat>" + _CAT + r")"),
    re.compile(r"is\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:in|from|of|part\s+of|under)\s+(?:the\s+)?(?:(?P<cat>" + _CAT
               + r")\s+category|category\s+(?:of\s+)?(?P<cat2>" + _CAT + r"))"),
    re.compile(r"(?:does|do)\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:belong|fall|fit)\s+(?:to|in|into|under)\s+"
               r"(?:the\s+)?(?:(?P<cat>" + _CAT + r")\s+category|category\s+(?:of\s+)?(?P<cat2>" + _CAT + r"))"),
    re.compile(r"is\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:(?:classified|categori[sz]ed|considered|listed|counted)\s+"
               r"(?:as|under)|considered(?:\s+to\s+be)?)\s+(?P<cat>" + _CAT + r")"),
    # "would you classify it as a place", "would you call it a thing"
    re.compile(r"(?:would|do|could|will)\s+you\s+(?P<neg>not\s+)?(?:classify|categori[sz]e|consider|call|describe|class"
               r"|count|label)\s+" + _SUBJ + r"\s+(?:as\s+)?(?P<cat>" + _CAT + r")"),
    # "does the keyword refer to a place", "does it name a thing": the category, by what the name means
    re.compile(r"(?:does|do)\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?P<refer>refer\s+to|name|represent|denote|describe"
               r"|designate|stand\s+for|indicate)\s+(?P<cat>" + _CAT + r")"),
    re.compile(r"is\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?P<refer>referring\s+to|naming|describing|representing)\s+"
               r"(?P<cat>" + _CAT + r")"),
    # "is it something other than a place": not the category
    re.compile(r"is\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:something|anything)\s+(?P<other>other\s+than|besides|but|"
               r"except|apart\s+from)\s+(?P<cat>" + _CAT + r")"),
)


def category(q: str, known: Container[str] = frozenset()) -> Rule_ | None:
    for shape in _CATEGORY_SHAPES:
        m = shape.fullmatch(q)
        if m:
            name = category_of(m.group("cat") or m.groupdict().get("cat2") or "")
            if name is None:
                return None
            test = _named_category_test(name) if m.groupdict().get("refer") else _category_test(name)
            flips = bool(m.group("neg")) + bool(m.groupdict().get("other"))
            return "category", negate(test) if flips % 2 else test
    return described_category(q, known)


# ------------------------------------------------------------ the category, described
#
# "a place you could find on a map", "somewhere you can visit", "a real place": a description
# that every place of the game fits (a country, a city, a mountain, a river) is the category
# "place"; "an object or thing", "a thing/object" is the category "things".  A contrast of two
# sides ("a thing rather than a place", "an object or thing, not a place", "a physical thing
# rather than a location") is true when the keyword fits the first side and not the second.
# A side that narrows a category ("a physical thing", "an object": not every thing of the game
# is one, "Gravity", "Analogy") is false for a keyword of the other category and open for one
# of its own, except a physical side ("a physical thing", "a tangible object", "tangible"), yes for
# a thing of the public list surely physical (:mod:`.physical_things`), alone or against a location or
# an idea ("rather than an idea": open for a place).  Described places are open for a thing of the game
# that names a site ("Stadium", "Tennis court", "Wall Street", "Volcano": everyday you can visit it, or
# find it on a map).

_WHO = r"(?:you|one|people|someone|anyone|i|we|a\s+person)"
_MODAL = r"(?:can|could|would|might|may)"
_ON_MAP = r"on\s+(?:(?:a|the)\s+map|maps)"
_FIND = r"(?:find|locate|see|spot|point\s+to|look\s+up)"
#: What follows "a place" / "somewhere" when every place of the game fits it.
#: "you could", "one might", "you'd".
_WHO_MAY = r"(?:" + _WHO + r"\s+" + _MODAL + r"|(?:you|we|i|one)'d)"
_PLACE_CLAUSE = (
    r"(?:(?:that|which|where)\s+)?(?:" + _WHO_MAY + r"\s+(?:" + _FIND + r"(?:\s+it)?\s+" + _ON_MAP
    + r"|visit|go\s+to|travel\s+to|go|travel)|(?:can|could)\s+be\s+(?:visited|(?:found|located|seen|shown)\s+"
    + _ON_MAP + r")|(?:is|are)\s+(?:found|located|shown|marked)\s+" + _ON_MAP + r")"
    r"|(?:found|located|shown|marked)\s+" + _ON_MAP + r"|" + _ON_MAP
)
_PLACE_ADJ = r"(?:real|actual|physical|geographic|geographical|real-world)"
#: What follows "something" when every place of the game fits it: found on a map only ("something that
#: appears on a map"; "something you can go to" may be an event, "a concert").
_MAP_CLAUSE = (
    r"(?:(?:that|which)\s+)?(?:" + _WHO_MAY + r"\s+" + _FIND + r"(?:\s+it)?\s+"
    + _ON_MAP + r"|(?:can|could)\s+be\s+(?:found|located|seen|shown)\s+" + _ON_MAP + r"|(?:is|are)\s+(?:found|located"
    r"|shown|marked)\s+" + _ON_MAP + r"|(?:appears|shows\s+up)\s+" + _ON_MAP + r")|(?:found|located|shown|marked)\s+"
    + _ON_MAP + r"|" + _ON_MAP
)
_DESC_PLACE = (
    r"(?:an?\s+)?(?:" + _PLACE_ADJ + r"\s+)?(?:place|location)\s+(?:" + _PLACE_CLAUSE + r")"
    r"|an?\s+" + _PLACE_ADJ + r"\s+(?:place|location)|somewhere\s+(?:" + _PLACE_CLAUSE + r")"
    r"|(?:an?\s+)?(?:place|location)\s*(?:or|/)\s*(?:an?\s+)?(?:place|location)"
    r"|something\s+(?:" + _MAP_CLAUSE + r")"
)
#: "an object or thing", "a thing or an object", "a thing/object": any thing of the game.
_THING_OR = (
    r"(?:an?\s+)?(?:object|item)\s*(?:or|/)\s*(?:an?\s+)?thing|(?:an?\s+)?thing\s*(?:or|/)\s*(?:an?\s+)?(?:object|item)"
)
#: "a physical thing", "a tangible object", "a material object", "tangible": yes for a listed thing that is
#: surely a physical object (:data:`.physical_things.NOT_SURELY_PHYSICAL`), open for the other things.
_PHYSICAL = r"(?:an?\s+)?(?:physical|tangible|material)\s+(?:thing|object|item)|tangible"
#: "an object", "a solid object": not every thing of the game, and no list says which.
_THING_NARROW = r"(?:an?\s+)?(?:concrete|solid)\s+(?:thing|object|item)|an?\s+(?:object|item)"
#: "an idea", "a concept", "something abstract": only as the other side of a physical one.
_ABSTRACT = r"(?:an?\s+)?(?:abstract\s+)?(?:idea|concept|notion)|(?:something\s+)?(?:abstract|intangible)"
_SIDES = (
    ("described", _DESC_PLACE), ("thing_or", _THING_OR), ("physical", _PHYSICAL), ("narrow", _THING_NARROW),
    ("abstract", _ABSTRACT), ("word", _CAT),
)
_SIDE = r"(?:" + "|".join(p for _, p in _SIDES) + r")"
_SIDE_RES = tuple((name, re.compile(p)) for name, p in _SIDES)
_CONTRAST = contrast(_SIDE)
_DESCRIBED_SHAPES = (
    # "is it a place you could find on a map", "is it an object or thing, not a place"
    re.compile(r"is\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?P<side>" + _SIDE + r")(?:" + _CONTRAST + r")?"),
    # "can you find it on a map", "could it be found on a map", "is it on a map"
    re.compile(r"(?:" + _MODAL + r"|do|does|will)\s+" + _WHO + r"\s+(?P<neg>not\s+)?" + _FIND + r"\s+" + _SUBJ + r"\s+"
               + _ON_MAP + r"(?P<map>)"),
    re.compile(r"(?:" + _MODAL + r"|will)\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?be\s+(?:found|located|seen|shown|"
               r"marked)\s+" + _ON_MAP + r"(?P<map>)"),
    re.compile(r"is\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:(?:found|located|shown|marked)\s+)?" + _ON_MAP
               + r"(?P<map>)"),
    # "does it appear on a map", "would it show up on maps"
    re.compile(r"(?:" + _MODAL + r"|do|does|will)\s+" + _SUBJ + r"\s+(?P<neg>not\s+)?(?:appear|show\s+up|be\s+shown)\s+"
               + _ON_MAP + r"(?P<map>)"),
)


class _Side(NamedTuple):
    category: str
    # "described", "thing_or", "physical" (the things surely physical), "narrow" (not every keyword of the
    # category fits it), "abstract" (no category), "word"
    kind: str


def _side(span: str) -> _Side | None:
    span = span.strip()
    for name, pattern in _SIDE_RES:
        if pattern.fullmatch(span):
            if name == "word":
                found = category_of(span)
                return _Side(found, name) if found is not None else None
            return _Side({"described": "place", "abstract": "abstract"}.get(name, "things"), name)
    return None


#: Nouns that name a site (a building, a room, a venue, a way, a feature of the land): a thing of
#: the game whose name ends in one may be "a place you can visit" in everyday words.
SITE_NOUNS = frozenset(
    "room hall court field stadium arena auditorium aquarium theater theatre cinema museum gallery library school "
    "university college hospital clinic hotel motel restaurant cafe cafeteria pub bakery bank kiosk shop store "
    "market mall office factory warehouse garage shed barn farm ranch house home building tower castle palace church "
    "temple mosque cathedral station airport port harbor harbour pier dock marina bridge tunnel road street avenue "
    "highway interstate path trail track line lane park garden yard playground zoo gym pool sauna spa beach island "
    "lake river sea ocean bay reef mountain mount hill volcano valley canyon cave desert forest jungle glacier "
    "waterfall pyramid monument earth world planet moon city town village country balcony patio porch attic "
    "basement cellar kitchen bathroom bedroom lobby corridor hallway staircase studio lab laboratory camp site "
    "center centre square plaza stage rink course range atmosphere".split()
)


def names_a_site(keyword: str) -> bool:
    words = re.findall(r"[a-z]+", keyword.lower())
    return bool(words) and (words[-1] in SITE_NOUNS or words[-1].rstrip("s") in SITE_NOUNS)


def _physical(s: Subject, known: Container[str]) -> bool | None:
    """Yes for a thing of the public list that is surely a physical object; None: nothing said."""
    said = {game_normalize(s.keyword), *(game_normalize(a) for a in s.alts)}
    listed = _on_public_list(s, known) and isinstance(known, Names) and game_normalize(s.keyword) in known.all_things
    return True if listed and not said & NOT_SURELY_PHYSICAL else None


def _fits(side: _Side, s: Subject, known: Container[str]) -> bool | None:
    if not s.category:
        return None
    if not _category_matches(side.category, s.category):
        return None if side.kind == "described" and names_a_site(s.keyword) else False
    if side.kind == "physical":
        return _physical(s, known)
    return None if side.kind == "narrow" else True


def described_category(q: str, known: Container[str] = frozenset()) -> Rule_ | None:
    """The category asked by a description or a contrast (see above); None: no such question."""
    for shape in _DESCRIBED_SHAPES:
        m = shape.fullmatch(q)
        if m is None:
            continue
        groups = m.groupdict()
        first = _Side("place", "described") if groups.get("map") is not None else _side(m.group("side"))
        other_span = contrasted(m)
        second = _side(other_span) if other_span else None
        if first is None or (other_span and (second is None or second.category == first.category)):
            return None  # "a place rather than a location": no contrast, no question
        if first.kind == "abstract" or (second is not None and second.kind == "abstract" and first.kind != "physical"):
            return None  # "is it an idea", "a place rather than an idea": not read
        if second is None and first.kind not in ("described", "thing_or", "physical"):
            return None  # "is it a place": identity reads it; "is it an object": not the category
        if first.kind == "physical" and (second is None or second.kind == "abstract"):
            test = _physical_test(known)  # "a physical thing (rather than an idea)": open for a place
        else:
            test = _contrast(first, second, known)
        return "category", negate(test) if groups.get("neg") else test
    return None


def _physical_test(known: Container[str]) -> Test:
    return lambda s: _physical(s, known) if s.category and _category_matches("things", s.category) else None


def _contrast(first: _Side, second: _Side | None, known: Container[str]) -> Test:
    def test(s: Subject) -> bool | None:
        a = _fits(first, s, known)
        if second is None or a is False:
            return a
        b = _fits(second, s, known)
        if b is True:
            return False
        return a if b is False else None

    return test

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
    if not listed and re.search(r",|\bor\b|\band\b", text):
        return _UNMARKED + text  # "Is it one of Paris, Kyoto or Dhaka?": a list if all are names
    if not listed or ("," not in text and not re.search(r"\bor\b", text) and not quoted):
        return None  # "Is it one of the seven wonders?": not a list
    return text


#: Put before a list's text that no word calls a list ("one of Paris, Kyoto"): its items must
#: all be names.
_UNMARKED = "\x00"


#: Small words a name may hold in lower case ("Statue of Liberty", "Trinidad and Tobago").
_NAME_LINKS = frozenset("of the and de del la le du da von van on upon".split())


def _title(item: str, raw: str) -> bool:
    """Every word of ``item`` is written with a capital in the question ("Dhaka", "Costa Rica",
    "Statue of Liberty") and none is a possessive ("Asia's capitals" is no name)."""
    m = re.search(re.escape(item), raw, re.IGNORECASE)
    return _name_text(raw[m.start() : m.end()] if m else "")


def _name_text(said: str) -> bool:
    """``said`` is written as a name: every word capitalised but small links, no possessive."""
    words = re.sub(r"^the\s+", "", said.strip().strip("\"'")).split()
    return (bool(words) and "'" not in " ".join(words) and words[0][0].isupper()
            and all(w[0].isupper() or w in _NAME_LINKS for w in words))


def _quoted(item: str, raw: str) -> bool:
    """``item`` is written in quotes in the question (a literal guess)."""
    return re.search(r"[\"']" + re.escape(item) + r"[\"']", raw, re.IGNORECASE) is not None


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
    unmarked = text.startswith(_UNMARKED)
    items = _items((text.split("?")[0] if "?" in text else text).lstrip(_UNMARKED))
    if not items or len(items) > 200:
        return None
    names = [part for it in items for part in re.split(r"\s+and\s+", it)]
    # "among a refrigerator, whistle and smartwatch": a listed keyword with its article is named too
    all_names = all(_title(n, raw) or game_normalize(_bare(n)) in known or _quoted(n, raw) for n in names)
    if (unmarked and (len(names) < 2 or not all_names)) or "not" in names:
        return None  # "Is it one of the Great Lakes or a river?", "one of Asia's capitals, Paris or Kyoto"
    # Not all names: a yes only from an item as long as the last one, unless that is a name ("one of
    # Paris, Kyoto in French": a clause after the list)
    last = names[-1]
    longest = 0 if all_names or _title(last, raw) or game_normalize(last) in known else len(_bare(last).split())
    # An item may describe rather than name: "a fruit" (no match is a "no" only when every
    # item is a listed keyword), or a bare lower-case word that is no listed keyword ("Is it
    # one of these: fruit, tool?" about Hammer: no match is never a "no"), unless the
    # question calls its items words or keywords (Agent Alpha's list).
    semantic = any(re.match(r"(?:a|an)\s", it) for it in items)
    words = re.search(r"\b(?:keywords|words|candidates)\b", q) is not None
    # ... or a description of several words ("european capitals", "Asia's capitals")
    common = not words and any(not _title(it, raw) and game_normalize(it) not in known and not _quoted(it, raw)
                               and not re.match(r"(?:a|an)\s", it) for it in names)
    # names of kinds ("one of Furniture, Piano"), unless the list is said to be of keywords or words: no
    # "no" for a keyword that may be of one of the kinds (:func:`_may_be_of_kind`)
    explicit = words or subject is None or re.match(r"(?:is|could|would|might)\s+(?:it|this|that)\b", q) is None
    kinds = [] if explicit else [(k, n) for n in names if not _quoted(n, raw) and (k := _kind_name(_bare(n)))]

    def test(s: Subject) -> bool | None:
        for it in items:
            if longest and len(_bare(it).split()) < longest and " and " not in it:
                continue
            for variant in (it, re.sub(r"^(?:a|an)\s+", "", it)):
                if keyword_guessed(variant, s.keyword, s.alts):
                    return True
            if " and " in it and any(keyword_guessed(x, s.keyword, s.alts) for x in it.split(" and ")
                                     if not longest or len(_bare(x).split()) >= longest):
                return True
        if common or (semantic and not all(game_normalize(_bare(it)) in known for it in names)):
            return None
        return None if any(_may_be_of_kind(k, n, s, known) for k, n in kinds) else False

    return "in_list", negate(test) if subject is not None and subject.group("neg") else test


# -------------------------------------------------------------------------- identity

_IDENTITY = (
    re.compile(r"(?:is|could|would|might)\s+(?:it|(?:this|that)(?!\s+" + _NOUN + r"\b))\s+(?P<neg>not\s+)?(?:be\s+)?"
               r"(?:exactly\s+|actually\s+|possibly\s+)?(?P<x>.+)"),
    re.compile(r"(?:is|could|would|might)\s+(?P<subj>" + _NAMED + r")\s+(?P<neg>not\s+)?(?:be\s+)?"
               r"(?:you(?:'re| are) thinking of\s+)?(?:exactly\s+|actually\s+|possibly\s+|called\s+|named\s+|"
               r"equal to\s+)?[:=]?\s*(?P<x>.+)"),
    # "are you thinking of X", "we're talking about X" (a statement with a tag: "..., aren't we?")
    re.compile(r"(?:(?:are\s+you|you(?:'re|\s+are))\s+thinking\s+(?:of|about)|is\s+your\s+(?:secret\s+)?"
               r"(?:keyword|word|answer)|(?:are\s+we|we(?:'re|\s+are))\s+(?:talking\s+about|thinking\s+(?:of|about)"
               r"|looking\s+for|dealing\s+with|after))\s+(?P<x>.+)"),
    # "is X the keyword", "is X your word", "is X the place you're thinking of": X said to be the keyword
    # ("is X what / the one you're thinking of": the tag is taken off first, "what" is left)
    re.compile(r"is\s+(?P<x>.+?)\s+(?P<neg>not\s+)?(?:(?P<subj>" + _NAMED + r")|what|the\s+one)"),
)
#: What may not end the X of "is X the keyword": "is 'ab' in your word" asks about letters.
_NOT_NAME_END = re.compile(
    r"(?:^|\s)(?:in|inside|within|on|of|from|at|for|to|like|about|than|before|after|part|and|or|not|it|this|that"
    r"|there|a|an|the)$"
)


_NEITHER = re.compile(r"neither\s+(.+?)\s+nor\s+(.+)", re.IGNORECASE)


def identity(q: str, raw: str, known: Container[str], guess: bool = False, alone: bool = False) -> Rule_ | None:
    """"Is it X?" and its shapes (see the module); with ``guess``, X is said as a guess ("My guess is
    screwdriver", not "I think furniture"): a listed name is then specific in any case, as after "Is the
    keyword ..."; with ``alone``, X was said alone (:func:`bare`): a listed thing's name that names no
    class is then specific in any case ("Telescope?", not "Furniture?")."""
    for shape in _IDENTITY:
        m = shape.fullmatch(q)
        if m:
            break
    else:
        return None
    x = m.group("x").strip()
    if _NOT_NAME_END.search(x) or re.fullmatch(r"(?:it|this|that|there|" + _NAMED + r")", x):
        return None  # "is 'ab' in your word", "is it the answer": not X said to be the keyword
    original = raw[m.start("x") : m.end("x")].strip() if len(raw) == len(q) else x
    named = guess or (bool(m.groupdict().get("subj")) and NAMED_SUBJECT.fullmatch(m.group("subj") or "") is not None)
    negated = bool(m.groupdict().get("neg"))
    neither = _NEITHER.fullmatch(x)
    if neither:  # "is it neither Paris nor Kyoto": not (Paris or Kyoto), a list of names only
        said = _NEITHER.fullmatch(original)
        if negated or said is None:
            return None
        x, original, negated = f"{neither.group(1)} or {neither.group(2)}", f"{said.group(1)} or {said.group(2)}", True
    test = _names_test(x, original, named, known, negated, alone) or (None if neither else _identity_test(
        x, _proper(original), named, known, alone))
    if test is None:
        return None
    kind = "category" if category_of(x) is not None and not _whole_quote(x) else "identity"
    return kind, negate(test) if negated else test


#: Before a name said alone: "How about Paris?", "Maybe Paris?", "Keyword: 'Train Door'?".
_BARE_LEAD = re.compile(
    r"(?:(?:how|what)\s+about|(?:or\s+)?(?:maybe|perhaps|possibly)|(?:the\s+|my\s+|your\s+)?(?:secret\s+)?"
    r"(?:keyword|answer)\s*[:=\-])\s*"
)


def bare(q: str, raw: str, known: Container[str]) -> Rule_ | None:
    """A guess said as the name alone: "Jamaica?", "Maybe Ouagadougou, Burkina Faso?", "How about
    'tablet'?", "Keyword: 'Train Door'?", "Paris or Kyoto?": read as "is it X" when every item is a
    name (quoted, every word capitalised, or a listed keyword or alt).  A word capitalised only
    because it opens the question says nothing ("Reptile?", "Edible?" may ask for a class or a
    property): alone it is a name only when listed, and then only its own keyword gets an answer, unless
    it is a listed place's name that is no ordinary word ("Jamaica?") or a listed thing's name that names
    no class, material, property or site ("Telescope?", "Pliers??", not "Furniture?", "Zinc?":
    :data:`.class_names.CLASS_NAMES`): those are "no" for every other keyword; a name of kinds
    ("Piano?", "Furniture?": :mod:`.class_members`) is "no" for a listed keyword that may be of none of
    its kinds."""
    lead = _BARE_LEAD.match(q)
    cut = lead.end() if lead else 0
    x, said = q[cut:].strip(), raw[cut:].strip() if len(raw) == len(q) else q[cut:].strip()
    items, saids = _NAME_SEP.split(x), _NAME_SEP.split(said)
    if not x or len(items) != len(saids) or len(items) > 20:
        return None
    for i, (item, orig) in enumerate(zip(items, saids, strict=True)):
        name = _bare(item)
        if not name or name != item.strip("\"'").strip() or len(name.split()) > 5 or category_of(name) is not None:
            return None  # "A place?", "The Nile?": an article opens a description, not a name said alone
        informative = i > 0 or lead is not None or len(name.split()) > 1
        if not (_quoted(name, said) or (informative and _name_text(orig)) or _listed(name, known)):
            return None
    if lead is None:  # "Jamaica?", "Furniture or Vegetable?": the first capital opens the question
        said = said[:1].lower() + said[1:]
    return identity("is it " + x, "is it " + said, known, alone=True)


def _proper(original: str) -> bool:
    """A capitalised name: "Is it Japan?", not "Is it a Vegetable?"."""
    return re.match(r"[\"']?[A-Z]", original.strip()) is not None


def _forms(n: str) -> tuple[str, ...]:
    """A normalised name and the singulars it may be a plural of, the game's way ("tennisballs")."""
    plurals = (n[:-1] if n.endswith("s") else "", n[:-2] if n.endswith("es") else "") if len(n) >= 4 else ()
    return (n, *(p for p in plurals if p))


def _listed(name: str, known: Container[str]) -> bool:
    """``name`` is a listed keyword or alt, or its plural the game's way ("tennis balls")."""
    return any(f in known for f in _forms(game_normalize(name)))


_NAME_SEP = re.compile(r"\s*,\s*(?:or\s+)?|\s+or\s+|\s*/\s*", re.IGNORECASE)


def _bare(item: str) -> str:
    return re.sub(r"^(?:a|an|the)\s+", "", item.strip("\"'").strip()).strip("\"'").strip()


def _match_only(items: list[str]) -> Test:
    """"Is it a brownie or a smartwatch?": yes when an item is the keyword, else open (a
    lower-case word may name a class: "a fruit or a tool").  Not when another item is longer: the
    words may share a head or a tail ("a paper or plastic bag", "made of wood or metal")."""
    bares = [_bare(it) for it in items]
    longest = max(len(b.split()) for b in bares)

    def test(s: Subject) -> bool | None:
        hit = any(len(b.split()) == longest and keyword_guessed(b, s.keyword, s.alts) for b in bares)
        return True if hit else None

    return test


def _names_test(x: str, original: str, named: bool, known: Container[str], negated: bool = False,
                alone: bool = False) -> Test | None:
    """"Is it Paris, London, Tokyo or Cairo?": yes when one of the names is the keyword, no
    when each is another keyword named specifically; None (not such a list) when an item is
    no name (a category, a lower-case word not in the list: "hot or cold", "in Japan or
    China"), when no "or" says it is a list, or when two neighbours make one listed name
    ("Lyon, France")."""
    items, originals = _NAME_SEP.split(x), _NAME_SEP.split(original)
    if not 2 <= len(items) <= 20 or len(originals) != len(items) or not re.search(r"\bor\b|/", x):
        return None  # "Is it Paris, France?": one place, not a list
    if any(game_normalize(f"{a} {b}") in known for a, b in itertools.pairwise(items)):
        return None  # "Is it Lyon, France or Spain?": "Lyon, France" may be one name
    if any(not _bare(item) or len(item.split()) > 5 or _bare(item) == "not" for item in items):
        return None  # "Is it Paris or not?": the question asked twice
    tests: list[Test] = []
    for item, orig in zip(items, originals, strict=True):
        bare = _bare(item)
        if category_of(bare) is not None or not (_name_text(orig) or _listed(bare, known)):
            # no list of names: a yes when one is the keyword ("not (a or b)": "(not a) or b"?)
            return None if negated else _match_only(items)
        item_test = _identity_test(item, _proper(orig), named, known, alone)
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


def _identity_test(x: str, proper: bool, named: bool, known: Container[str], alone: bool = False) -> Test | None:
    if not x or len(x.split()) > 8:
        return None
    whole_quote = _whole_quote(x)
    has_article = re.match(r"(?:a|an|the)\s", x.strip("\"'")) is not None
    bare = re.sub(r"^(?:a|an|the)\s+", "", x.strip("\"'").strip()).strip("\"'").strip()
    if not bare:
        return None
    asked_category = category_of(bare) if not whole_quote else None
    by_name = _NAME_OF.fullmatch(" ".join(bare.split())) is not None  # "the name of a place", "a place name"
    x_words = set(bare.split())
    # another keyword of the list, named specifically: several words, a capitalised name, a
    # listed place's name that is no ordinary word ("warsaw", not "nice"), or any listed name
    # after "the keyword is ..." with no article; said alone, a listed thing's name that names no class
    # ("Telescope?"), and not a listed name that may, unless its capital says it is a name ("Free Weights?":
    # a class, not "How about Free Weights?")
    specific = game_normalize(bare) in known and (len(x_words) > 1 or proper or (named and not has_article)
                                                  or _place_name(bare, known))
    # a name of kinds ("Furniture", "Free Weights") read as a guess, not said to be the keyword: "no" only
    # where the kind's reading says no as well (:func:`_may_be_of_kind`)
    kind = None if named else _kind_name(bare)
    if alone and not has_article:
        specific = (_thing_name(bare, known) or kind is not None
                    or (specific and (proper or game_normalize(bare) not in CLASS_NAMES)))

    def test(s: Subject) -> bool | None:
        if keyword_guessed(bare, s.keyword, s.alts) or keyword_guessed(x.strip("\"'"), s.keyword, s.alts):
            return True
        if asked_category is not None:
            if by_name:  # "Wall Street", a thing of the game, is the name of a place in everyday words
                return _named_category_test(asked_category)(s)
            return _category_matches(asked_category, s.category) if s.category else None
        if whole_quote:
            return False
        if specific:
            if kind is not None:
                return None if _may_be_of_kind(kind, bare, s, known, alone) else False
            kw_words = set(s.lower.split())
            if x_words <= kw_words or kw_words <= x_words:
                return None  # "bike" of "mountain bike": leave it to the model
            return False
        return None

    return test
