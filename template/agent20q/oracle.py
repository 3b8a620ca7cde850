"""Answers decided by code: questions whose truth follows from the keyword's text.

:func:`parse` turns a question into a :class:`Rule` (or None: a question for the model);
``rule.test(subject)`` answers it for one keyword (True/False, or None when this keyword
leaves it open).  The answerer asks it about its keyword; the guesser asks it about every
candidate of its list, to keep only those consistent with the answers.

Shapes (case-insensitive; straight or curly quotes; the letters quoted or bare):

* ``handshake``: "Is it Agent Alpha?" (any question naming Agent Alpha): yes;
* ``alphabetical``: 'Does the keyword (in lowercase) precede "laser" in alphabetical
  order?', "... come before / after / follow ... alphabetically", "... between X and Y
  in alphabetical order": the keyword in lower case compared with the word in lower case
  (Python string order, like the public Agent Alpha agent);
* ``letter``: first / second / third / last letter: "Does the keyword start with the
  letter 'a'?", "... one of the letters A, B or C?", "Is the first letter of the keyword
  between A and M?", "... in the first half of the alphabet?", "... a vowel?", "Does the
  keyword's first letter come before 'n' in the alphabet?", "Does it end with 'ing'?";
* ``contains``: "Does the keyword contain / include the letter 'e'?", "Is the letter 'x'
  in the keyword?", "Is any of the letters ['a','b'] inside the spelling of the keyword?",
  "... the letter 'e' more than once / twice?", "... contain the word 'box'?", "... a space?";
* ``words``: "Is the keyword a single word?", "... two words?", "... more than one word?",
  "Does the keyword have at least 3 words?";
* ``length``: "Does the keyword have more than 6 letters?", "Is it 5 letters long?",
  "Is the keyword longer than 8 characters?";
* ``in_list``: "Is the keyword one of the following: a, b, c?", "Is it any of these: ...",
  "Here is an important list of N potential keywords: .... Is the keyword one of ...?";
* ``identity``: "Is it X?", "Is the keyword X?", "Is X the keyword?", "Could it be X?":
  yes when X matches the keyword or one of its alts the game's way; no when X is quoted, or
  names another keyword of the list specifically (several words, or capitalised: "Is it
  Japan?", not "Is it a vegetable?") and is not a part of this one; else open;
* ``category``: "Is it a place?", "Is it a thing?", "Is it a person?", "Is the category
  place?": the game's category.

A negated question ("not"), two questions in one ("... or does ..."), or letters that are
sounds or syllables are left to the model.  Letters are the keyword's letters and digits in
lower case (spaces and punctuation skipped); words are separated by spaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Sequence
from typing import NamedTuple

from .words import game_normalize, keyword_guessed

#: Kinds whose answers are the public protocol's (the rest are "rules").
PROTOCOL_KINDS = frozenset({"handshake", "alphabetical"})
HANDSHAKE = "Is it Agent Alpha?"
ALPHA_QUESTION = 'Does the keyword (in lowercase) precede "{word}" in alphabetical order?'


class Subject(NamedTuple):
    """The keyword a rule is tested on."""

    keyword: str
    alts: tuple[str, ...] = ()
    category: str = ""

    @property
    def lower(self) -> str:
        return self.keyword.lower().strip()

    @property
    def letters(self) -> str:
        return "".join(ch for ch in self.lower if ch.isalnum())


class Rule(NamedTuple):
    kind: str
    test: Callable[[Subject], bool | None]


_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_NUM = r"(\d+|" + "|".join(_NUMBERS) + r")"
_VOWELS = "aeiou"
_Q = "[\"']?"
_LETTER_CONTEXT = re.compile(r"\b(?:letters?|characters?|vowels?|consonants?|alphabet\w*)\b")
_QUOTED = re.compile(r'"([^"]+)"|(?<![a-z0-9])\'([^\']+)\'(?![a-z0-9])')
_BARE_LETTER = re.compile(r"(?<![a-z0-9'])([a-z0-9])(?![a-z0-9'])")
_ARTICLE_A = re.compile(r"(?<![a-z0-9'])an?\s+(?!or\b|and\b|nor\b)(?=[a-z]{2,})")
_COMPOUND = re.compile(r"[,;]?\s\b(?:or|and)\s+(?:does|is|do|are|did|has|have|was|can|could|would|will)\b")
_NEGATION = re.compile(r"\bnot\b")
_SOUNDS = re.compile(r"\b(?:sound\w*|pronounc\w*|rhym\w*|syllables?|phonetic\w*|language|translat\w*|acronym)\b")
_BEFORE = r"(?:precedes?|preceding|comes? before|coming before|goes? before|appears? before|is before|be before|" \
    r"before|earlier than|prior to|less than|smaller than|lower than)"
_AFTER = r"(?:follows?|comes? after|coming after|goes? after|appears? after|is after|be after|after|" \
    r"later than|greater than|bigger than|higher than)"
_LETTER_BEFORE = r"(?:precedes?|comes? before|before|earlier than|prior to)"
_LETTER_AFTER = r"(?:follows|comes? after|after|later than)"
_SUBJECT = (
    r"(?:the\s+)?(?:secret\s+|hidden\s+|mystery\s+)?(?:key\s*word|word|answer|thing|object|item|place|location|"
    r"term|name|it|this|that)"
)


def _prep(question: str) -> str:
    """Straight quotes, single spaces (the case is kept: :func:`_identity` reads it)."""
    q = question.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(q.split()).strip()


def _quoted(text: str) -> list[str]:
    return [a or b for a, b in _QUOTED.findall(text)]


def _letters_in(text: str) -> list[str]:
    """The single letters a phrase names: quoted ones, else bare one-character tokens."""
    quoted = _quoted(text)
    if quoted:
        singles = [q.strip() for q in quoted if len(q.strip()) == 1]
        return singles if len(singles) == len(quoted) else []
    return _BARE_LETTER.findall(_ARTICLE_A.sub("", text))


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBERS[text]


def _compare(op: str, value: int, n: int) -> bool:
    return {"eq": value == n, "gt": value > n, "ge": value >= n, "lt": value < n, "le": value <= n}[op]


_COMPARATORS = (
    (r"(?:more than|greater than|over|longer than|above)", "gt"),
    (r"(?:at least|no fewer than|no less than|a minimum of)", "ge"),
    (r"(?:fewer than|less than|under|shorter than|below)", "lt"),
    (r"(?:at most|no more than|up to|a maximum of)", "le"),
    (r"(?:exactly|only|just)?", "eq"),
)


def _count_rule(q: str, unit: str, measure: Callable[[Subject], int], kind: str) -> Rule | None:
    for words, op in _COMPARATORS:
        m = re.search(r"\b" + words + r"\s*" + _NUM + r"\s*(?:-\s*)?" + unit + r"\b", q)
        if m:
            return Rule(kind, _counter(op, _number(m.group(1)), measure))
    return None


def _counter(op: str, n: int, measure: Callable[[Subject], int]) -> Callable[[Subject], bool | None]:
    def test(s: Subject) -> bool | None:
        return _compare(op, measure(s), n)

    return test


# ----------------------------------------------------------------------------- shapes


def _handshake(q: str) -> Rule | None:
    if re.search(r"\bagent\s+alpha\b", q):
        return Rule("handshake", lambda s: True)
    if q in ("are we playing 20 questions?", "are we playing twenty questions?"):
        return Rule("handshake", lambda s: True)
    return None


def _target(tail: str) -> str | None:
    """The word right after 'precede' / 'come before' ...: quoted, or one bare token."""
    m = re.match(r"\s*(?:the\s+(?:word|string|term|letter)\s+)?(?:\"([^\"]+)\"|'([^']+)'|([a-z0-9][a-z0-9\-]*))", tail)
    if not m:
        return None
    word = (m.group(1) or m.group(2) or m.group(3) or "").strip()
    if not word or (m.group(3) and word in ("the", "a", "an", "it", "or", "and", "in", "alphabetical")):
        return None
    return word


def _alphabetical(q: str) -> Rule | None:
    if not re.search(r"alphabetic|lexicographic|dictionary|sorted|alphabet order", q):
        return None
    between = re.search(r"\bbetween\s+(.+?)\s+and\s+(.+?)(?:\s+(?:in|when|if|alphabetically)\b|\?|$)", q)
    if between:
        lo, hi = _target(between.group(1)), _target(between.group(2))
        if lo is None or hi is None:
            return None
        lo, hi = min(lo, hi), max(lo, hi)
        return Rule("alphabetical", lambda s: lo < s.lower < hi)
    before = list(re.finditer(r"\b" + _BEFORE + r"\b", q))
    after = list(re.finditer(r"\b" + _AFTER + r"\b", q))
    if bool(before) == bool(after):
        return None  # neither, or "before or after"
    m = (before or after)[0]
    word = _target(q[m.end() :])
    if word is None:
        return None
    if before:
        return Rule("alphabetical", lambda s: s.lower < word)
    return Rule("alphabetical", lambda s: s.lower > word)


def _position(q: str) -> tuple[str, int] | None:
    """Which letter a question is about: ("start"|"end", index) or None."""
    if re.search(r"\b(?:start|starts|starting|begin|begins|beginning)\s+with\b|\b(?:first|initial|starting|"
                 r"opening|beginning)\s+(?:letter|character)\b|\binitial\b", q):
        return ("start", 0)
    if re.search(r"\b(?:end|ends|ending)\s+(?:with|in)\b|\b(?:last|final|ending|closing)\s+(?:letter|character)\b", q):
        return ("end", -1)
    m = re.search(r"\b(second|third|fourth|fifth|2nd|3rd|4th|5th)\s+(?:letter|character)\b", q)
    if m:
        order = {"second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4}
        return ("start", order[m.group(1)])
    return None


def _letter(q: str) -> Rule | None:
    where = _position(q)
    if where is None:
        return None
    side, index = where
    quoted = _quoted(q)
    has_context = bool(_LETTER_CONTEXT.search(q))
    if not has_context:
        # "Does it start with 'air'?" (a prefix), "Does the keyword begin with B?" (bare letter)
        if len(quoted) == 1 and len(quoted[0].strip()) > 1 and side == "start" and index == 0:
            prefix = quoted[0].strip()
            return Rule("letter", lambda s: s.lower.startswith(prefix))
        if len(quoted) == 1 and len(quoted[0].strip()) > 1 and side == "end":
            suffix = quoted[0].strip()
            return Rule("letter", lambda s: s.lower.endswith(suffix))
        bare = re.search(r"\bwith\s+(?:the\s+)?([a-z0-9])\s*\??$", q)
        if not quoted and not bare:
            return None
        if bare and not quoted:
            quoted = [bare.group(1)]

    def pick(s: Subject) -> str:
        letters = s.letters
        if not letters or index >= len(letters):
            return ""
        return letters[index] if side == "start" else letters[-1]

    if re.search(r"\bvowel", q):
        return Rule("letter", lambda s: pick(s) != "" and pick(s) in _VOWELS)
    if re.search(r"\bconsonant", q):
        return Rule("letter", lambda s: pick(s).isalpha() and pick(s) not in _VOWELS)
    half = re.search(r"\b(first|second|last|latter|former)\s+half\s+of\s+the\s+alphabet", q)
    if half:
        lo, hi = ("a", "m") if half.group(1) in ("first", "former") else ("n", "z")
        return Rule("letter", lambda s: pick(s) != "" and lo <= pick(s) <= hi)
    rng = re.search(
        r"\b(?:between|from|in the range(?: of)?|range)\s+" + _Q + r"([a-z])" + _Q + r"\s*(?:and|to|through|thru|-)\s*"
        + _Q + r"([a-z])" + _Q + r"(?![a-z])",
        q,
    ) or re.search(r"(?<![a-z])" + _Q + r"([a-z])" + _Q + r"\s*-\s*" + _Q + r"([a-z])" + _Q + r"(?![a-z])", q)
    if rng:
        lo, hi = sorted((rng.group(1), rng.group(2)))
        return Rule("letter", lambda s: pick(s) != "" and lo <= pick(s) <= hi)
    order = re.search(r"\b(" + _LETTER_BEFORE + "|" + _LETTER_AFTER + r")\s+(?:the\s+letter\s+)?" + _Q + r"([a-z])"
                      + _Q + r"(?![a-z])", q)
    if order:
        pivot = order.group(2)
        if re.fullmatch(_LETTER_BEFORE, order.group(1)):
            return Rule("letter", lambda s: pick(s) != "" and pick(s) < pivot)
        return Rule("letter", lambda s: pick(s) != "" and pick(s) > pivot)
    anchor = re.search(r"\b(?:letters?|characters?|with|following|one of|any of|among)\b", q)
    tail = q[anchor.end() :] if anchor else q
    letters = [x for x in (_letters_in(tail) if not quoted else _letters_in(q)) if x]
    if not letters:
        if quoted and len(quoted) == 1 and len(quoted[0]) > 1:
            text = quoted[0].strip()
            if side == "start" and index == 0:
                return Rule("letter", lambda s: s.lower.startswith(text))
            if side == "end":
                return Rule("letter", lambda s: s.lower.endswith(text))
        return None
    chosen = frozenset(letters)
    return Rule("letter", lambda s: pick(s) in chosen)


def _contains(q: str) -> Rule | None:
    verb = re.search(
        r"\b(?:contains?|containing|includes?|including|has|have|having|inside|within|appears?|present)\b"
        r"|\bin\s+(?:the\s+)?(?:keyword|word|spelling|name|answer)\b|\bis\s+there\b",
        q,
    )
    if not verb:
        return None
    if re.search(r"\bhow many\b|\bthree times\b|\b\d+\s+times\b|\bexactly\b|\bonly once\b", q):
        return None
    twice = bool(re.search(r"\btwice\b|\bmore than once\b|\bat least (?:two|2) times\b|\bdouble\b|\brepeated\b", q))
    if re.search(r"\b(?:a|any)\s+(?:space|spaces|blank)\b", q) and not _LETTER_CONTEXT.search(q):
        return Rule("contains", lambda s: " " in s.lower)
    quoted = _quoted(q)
    word = re.search(r"\b(?:the\s+)?(?:word|term)\s+" + _Q + r"([a-z0-9]+)", q)
    if word and not _LETTER_CONTEXT.search(q):
        w = word.group(1)
        return Rule("contains", lambda s: any(part.strip(",.-") == w for part in s.lower.split()))
    if not _LETTER_CONTEXT.search(q):
        if len(quoted) == 1 and len(quoted[0].strip()) > 1:
            text = quoted[0].strip()
            return Rule("contains", lambda s: text in s.lower)
        if not (len(quoted) == 1 and len(quoted[0].strip()) == 1):
            return None
    anchor = re.search(r"\b(?:letters?|characters?)\b", q)
    letters = _letters_in(q) if quoted else _letters_in(q[anchor.end() :] if anchor else q)
    if not letters:
        return None
    chosen = tuple(dict.fromkeys(letters))
    need_all = bool(re.search(r"\ball\s+(?:of\s+)?(?:the\s+)?(?:following\s+)?(?:letters|characters)\b|\bboth\b", q))
    if twice:
        if len(chosen) != 1:
            return None
        return Rule("contains", lambda s: s.letters.count(chosen[0]) >= 2)
    if need_all:
        return Rule("contains", lambda s: all(c in s.letters for c in chosen))
    return Rule("contains", lambda s: any(c in s.letters for c in chosen))


def _counts(q: str) -> Rule | None:
    if not re.match(r"(?:is|does|has|would|will|are|can|could)\s+" + _SUBJECT + r"\b", q):
        return None
    if re.search(r"\b(?:describe|described|said|called|known|expressed|mean|means|spelled|written)\b", q):
        return None
    if re.search(r"\b(?:letters?|characters?)\b", q):
        if re.search(r"\bcharacters?\b", q):
            return _count_rule(q, r"(?:characters?)(?:\s+long)?", lambda s: len(s.lower.replace(" ", "")), "length")
        return _count_rule(q, r"(?:letters?)(?:\s+long)?", lambda s: sum(c.isalpha() for c in s.lower), "length")
    if not re.search(r"\bwords?\b", q) or re.search(r"\bwords?\s+or\b|\bor\s+(?:two|more|several|multiple)\b", q):
        return None

    def n_words(s: Subject) -> int:
        return len(s.lower.split())

    if re.search(r"\b(?:a\s+single|one|single|1)\s*(?:-\s*)?words?\b", q) and not re.search(
        r"\b(?:more|fewer|less|than|least|most)\b", q
    ):
        return Rule("words", lambda s: n_words(s) == 1)
    if re.search(r"\b(?:multiple|several|many|multi)\s*-?\s*words?\b|\bmultiword\b|\bmore than one word\b", q):
        return Rule("words", lambda s: n_words(s) > 1)
    return _count_rule(q, r"words?", n_words, "words")


_LIST_TRIGGER = re.compile(
    r"\b(?:one of|any of|among|in (?:this|the following|the|these)\s+(?:list|set|options|words|keywords)|"
    r"on (?:this|the following|the)\s+list|potential keywords|following (?:words|keywords|options|list))\b"
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


_LIST_SUBJECT = re.compile(
    r"(?:is|could|would|might)\s+(?:it|this|that|" + _SUBJECT.replace("|it|this|that", "") + r")\s+(?:be\s+)?"
    r"(?:one of|any of|among|amongst|in|on|within|either)\b"
)


def _in_list(q: str, known: Container[str]) -> Rule | None:
    if not _LIST_TRIGGER.search(q):
        return None
    if not (_LIST_SUBJECT.match(q) or q.startswith("here is")):
        return None
    body = q.rstrip("?").rstrip()
    potential = re.search(
        r"list of (?:\d+\s+)?(?:potential\s+)?(?:keywords|words|candidates)\s*:\s*(.+?)\.\s+(?:is|does)\b", q
    )
    if potential:
        text = potential.group(1)
    elif ":" in body:
        text = body.split(":", 1)[1]
    else:
        m = re.search(
            r"\b(?:one of|any of|among)\s+(?:the\s+following|these|this list|the\s+list)?\s*"
            r"(?:words|keywords|options|items|things)?\s*\??\s*(.+)$",
            body,
        )
        if not m:
            return None
        text = m.group(1)
        listed = re.search(r"\b(?:following|these|this list)\b|[\[(]", body) or _quoted(text)
        if not listed or ("," not in text and not re.search(r"\bor\b", text) and not _quoted(text)):
            return None  # "Is it one of the seven wonders?": not a list
    items = _items(text.split("?")[0] if "?" in text and not re.search(r"\?\s*$", text) else text)
    if not items or len(items) > 200:
        return None
    semantic = any(re.match(r"(?:a|an)\s", it) for it in items)

    def test(s: Subject) -> bool | None:
        for it in items:
            for variant in (it, re.sub(r"^(?:a|an)\s+", "", it)):
                if keyword_guessed(variant, s.keyword, s.alts):
                    return True
            if " and " in it and any(keyword_guessed(x, s.keyword, s.alts) for x in it.split(" and ")):
                return True
        if semantic and not all(game_normalize(re.sub(r"^(?:a|an)\s+", "", it)) in known for it in items):
            return None
        return False

    return Rule("in_list", test)


_CATEGORY_WORDS = {
    "place": "place", "location": "place", "geographic location": "place", "geographical location": "place",
    "places": "place", "thing": "things", "things": "things", "person": "person", "people": "person",
    "human": "person", "human being": "person", "real person": "person", "persons": "person",
}


def _category_of(x: str) -> str | None:
    x = re.sub(r"^(?:a|an|the)\s+", "", x.strip())
    return _CATEGORY_WORDS.get(x)


def _category_matches(asked: str, category: str) -> bool:
    c = category.lower().strip()
    return asked == c or asked.rstrip("s") == c.rstrip("s")


def _identity(q: str, raw: str, known: Container[str]) -> Rule | None:
    body = q.rstrip(" ?.!")
    cat = re.match(r"(?:is|does)\s+(?:the|its|your)\s+(?:keyword'?s?\s+)?category\s+(?:be\s+)?(?:of\s+)?(.+)$", body)
    if cat:
        asked = cat.group(1).strip().strip("\"'").strip()
        name = _category_of(asked) or asked
        return Rule("category", lambda s: _category_matches(name, s.category) if s.category else None)
    patterns = (
        r"(?:is|could|would|might)\s+(?:it|this|that)\s+(?:be\s+)?(?:exactly\s+|actually\s+|possibly\s+)?(.+)$",
        r"is\s+" + _SUBJECT.replace("|it|this|that", "") + r"\s+(?:you(?:'re| are) thinking of\s+)?"
        r"(?:exactly\s+|actually\s+|called\s+|named\s+|equal to\s+)?[:=]?\s*(.+)$",
        r"(?:are you thinking of|is your (?:keyword|word|answer))\s+(.+)$",
        r"is\s+(.+?)\s+(?:the\s+)?(?:secret\s+)?(?:keyword|answer|secret word|word you are thinking of)$",
    )
    x = None
    proper = False
    for pat in patterns:
        m = re.match(pat, body)
        if m:
            x = m.group(1).strip()
            original = raw[m.start(1) : m.end(1)] if len(raw) == len(q) else x
            proper = bool(re.match(r"[\"']?[A-Z]", original.strip()))  # "Is it Japan?", not "Is it a Vegetable?"
            break
    if not x or len(x.split()) > 8:
        return None
    quoted = _quoted(x)
    whole_quote = len(quoted) == 1 and x.strip("\"'").strip() == quoted[0].strip()
    bare = re.sub(r"^(?:a|an|the)\s+", "", x.strip("\"'").strip()).strip("\"'").strip()
    if not bare:
        return None
    asked_category = _category_of(bare) if not whole_quote else None
    x_words = set(bare.split())
    # another keyword of the list, named specifically: several words, or a capitalised name
    specific = game_normalize(bare) in known and (len(x_words) > 1 or proper)

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

    return Rule("identity", test)


# ------------------------------------------------------------------------------- API


def parse(question: str, known: Container[str] = frozenset()) -> Rule | None:
    """The rule of ``question``, or None (a question for the model).

    ``known`` holds the normalised names (:func:`game_normalize`) of the list's keywords
    and alts: "Is it X?" about another listed keyword is answered "no" by code.
    """
    raw = _prep(question)
    q = raw.lower()
    if not q:
        return None
    rule = _handshake(q)
    if rule is not None:
        return rule
    if _NEGATION.search(q) or _COMPOUND.search(q) or _SOUNDS.search(q):
        return None
    for shape in (_letter, _alphabetical, _contains, _counts):
        rule = shape(q)
        if rule is not None:
            return rule
    if _LETTER_CONTEXT.search(q) and not re.search(r"\balphabet", q):
        return None  # about letters, but no shape we know: the model
    return _in_list(q, known) or _identity(q, raw, known)


class Decision(NamedTuple):
    answer: str  # "yes" | "no"
    kind: str


def verdict(rule: Rule, subject: Subject) -> str | None:
    """``rule``'s answer for ``subject``, "yes" or "no"; None when the keyword leaves it open
    (or the test fails: a question is never worth an exception in a game)."""
    try:
        truth = rule.test(subject)
    except Exception:
        return None
    return None if truth is None else ("yes" if truth else "no")


def decide(question: str, subject: Subject, known: Container[str] = frozenset()) -> Decision | None:
    """The answer to ``question`` about ``subject`` when code can tell, else None."""
    rule = parse(question, known)
    answer = verdict(rule, subject) if rule is not None else None
    return Decision(answer, rule.kind) if rule is not None and answer is not None else None


def alpha_question(word: str) -> str:
    """The public protocol's bisection question for ``word``."""
    return ALPHA_QUESTION.replace("{word}", word)


def known_names(candidates: Sequence[tuple[str, tuple[str, ...]]]) -> frozenset[str]:
    """Normalised keywords and alts of a list (for :func:`parse`)."""
    names: set[str] = set()
    for keyword, alts in candidates:
        names.add(game_normalize(keyword))
        names.update(game_normalize(a) for a in alts)
    names.discard("")
    return frozenset(names)
