"""The phrases the oracle's grammar is made of, and the readings of a keyword it tests.

A question is answered by code only when one template of :mod:`.spelling` or :mod:`.naming`
matches it *whole* (``re.fullmatch`` on the normalised text, see :func:`normalise`); the
templates are written with the building blocks below (non-capturing regex strings), and
the spans a template captures are read back by the extractors here, which only see spans
the template's grammar has already accepted.

Building blocks: ``SUBJ`` (the keyword: "the keyword", "it", "its name", "the secret word",
"the name of the keyword", "the spelling of its name", "the keyword (in lowercase)" ...),
``POSS`` ("the keyword's", "its"), ``Q1`` (one letter or digit, bare or quoted),
``LETTER1`` ("the letter 'a'", "an e", "B"), letter lists (``LIST_OR`` / ``LIST_AND`` /
``LIST_BARE`` / ``LIST_BRACKET``), numbers (``N``: digits or "one" ... "twenty") and
comparisons of a count (``cmp_count``: "more than 5", "5 or more", "at most 5", "between 5 and 8", "exactly 5" ...).

Readings: where an everyday phrase admits two readings of the keyword (a letter count with
or without its digits, "characters" with or without the spaces, words split at hyphens or
not, "y" as a vowel or not), a test computes every reading and :func:`agree` answers only
when they all give the same answer (else None: the question goes to the model).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple


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


#: A rule's test on one keyword: True / False, or None when this keyword leaves it open.
Test = Callable[[Subject], "bool | None"]
#: A test on one character of the keyword (True / False / None: this reading cannot tell).
CharTest = Callable[[str], "bool | None"]
#: What a template makes of its match (None: the spans do not make a question after all).
Build = Callable[["re.Match[str]"], "Test | None"]


class Template(NamedTuple):
    """A question shape: a regex that must match the whole question, and its test."""

    kind: str
    pattern: re.Pattern[str]
    build: Build


def template(kind: str, regex: str, build: Build) -> Template:
    return Template(kind, re.compile(regex), build)


#: Groups of a template that negate the question when they matched ("not", "lack", "no").
_NEGATIONS = ("neg", "neg2")


def negate(test: Test) -> Test:
    def run(s: Subject) -> bool | None:
        truth = test(s)
        return None if truth is None else not truth

    return run


def match_templates(templates: Sequence[Template], q: str) -> tuple[str, Test] | None:
    """(kind, test) of the first template that matches all of ``q`` and makes a test."""
    for t in templates:
        m = t.pattern.fullmatch(q)
        if m is None:
            continue
        test = t.build(m)
        if test is None:
            continue
        flips = sum(1 for name in _NEGATIONS if m.groupdict().get(name))
        return t.kind, negate(test) if flips % 2 else test
    return None

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ",
})


def normalise(question: str) -> tuple[str, str]:
    """(raw, lowered): straight quotes and dashes, single spaces, no trailing "?" / "." / "!",
    no spaces just inside quotes.  ``raw`` keeps the case (the identity shape reads it)."""
    q = " ".join(question.translate(_QUOTES).split())
    q = q.rstrip(" ?.!").strip()
    whole = re.fullmatch(r"\"(.+?)[?.!\s]*\"|'([^']+?)[?.!\s]*'", q)
    if whole:  # the whole question in quotes
        q = (whole.group(1) or whole.group(2)).rstrip(" ?.!").strip()
    # symbols around the question ("🤔", "**", "->"): nothing a template reads; but a comparison
    # before a number says one (">6 letters?", "~6 letters?": kept, and a template reads it or none)
    lead = re.match(r"[^\w\"'(\[{#]+", q)
    if lead and not (re.search(r"[<>=~\u2248\u2264\u2265]\s*$", lead.group(0)) and q[lead.end():][:1].isdigit()):
        q = q[lead.end():]
    # a prefix said with its hyphen at the end ("Starts with un-?") keeps it: the hyphen says which end
    affix = re.search(r"\b(?:with|in|on|prefix|letters)\s+[a-z0-9]{1,20}-$", q, flags=re.IGNORECASE)
    q = re.sub(r"[^\w\"')\]}+]+$", "", q).strip() + ("-" if affix else "")
    q = re.sub(r"\s*(?<![<>=])([<>]=?|[\u2264\u2265])\s*(?=\d)", r" \1 ", q).strip()  # "> 6": as "more than 6"
    q = re.sub(r"([\"'])\s+([a-z0-9])\s*\1", r"\1\2\1", q, flags=re.IGNORECASE)
    return q, q.lower()


def agree(values: Iterable[bool | None]) -> bool | None:
    """The answer every reading gives; None when one cannot tell or two disagree."""
    found = set(values)
    return found.pop() if len(found) == 1 else None


def alt(words: Iterable[str]) -> str:
    """A regex alternation of phrases (longest first; spaces match any whitespace)."""
    return "(?:" + "|".join(w.replace(" ", r"\s+") for w in sorted(words, key=len, reverse=True)) + ")"


# ------------------------------------------------------------------------------ subject

_NOUN = (
    r"(?:(?:place|thing|item|object)\s+name|key\s?-?word|word|answer|term|name|thing|object|item|place|location|phrase"
    r"|solution)"
)
#: What names the keyword as the one sought, after its noun: "the keyword we're looking for",
#: "the word you have in mind", "the thing you chose", "the word in question", "the word to guess",
#: "the thing on your card".
SOUGHT = (
    r"(?:(?:that|which)\s+)?(?:(?:you(?:'re|\s+are)|you've\s+been|you\s+were|we(?:'re|\s+are)|i(?:'m|\s+am))\s+"
    r"(?:thinking\s+(?:of|about)|looking\s+for|after|trying\s+to\s+(?:guess|find)|searching\s+for|hiding|guessing"
    r"|describing|playing\s+with)|(?:you|we|i)\s+(?:have\s+in\s+mind|chose|picked|selected|(?:have|'ve)\s+(?:chosen"
    r"|picked|selected|got\s+in\s+mind)|(?:need|have|want|must)\s+to\s+guess|(?:am|are)\s+(?:trying\s+to|supposed"
    r"\s+to)\s+guess)|you\s+want\s+(?:me|us)\s+to\s+guess|in\s+question|(?:of|in|for)\s+(?:this|the)\s+(?:game|round)"
    r"|(?:that\s+|which\s+)?(?:you\s+were|you(?:'ve|\s+have)\s+been|i\s+gave\s+you|was)\s+(?:given|assigned|chosen)"
    r"|to\s+(?:be\s+)?guess(?:ed)?|(?:(?:written|printed)\s+)?on\s+(?:your|the)\s+card)"
)
#: Adjectives of the keyword's noun: "the secret word", "the mystery keyword", "the correct answer".
_ADJ = r"(?:(?:secret|hidden|mystery|target|chosen|selected|current|correct|right|actual|unknown)\s+)?"
#: The keyword named by a noun: "the keyword", "your secret word", "the thing you're thinking of".
NAMED_CORE = r"(?:(?:the|your|this|that|our)\s+" + _ADJ + _NOUN + r"(?:\s+" + SOUGHT + r")?)"
_CORE = r"(?:it|this|that|" + NAMED_CORE + r")"
_CASE = (
    r"(?:\s*\(\s*(?:in\s+)?(?:lower\s*-?\s*case|lower|all\s+lower\s*-?\s*case)\s*\)"
    r"|\s*\(\s*case[- ]insensitive\s*\)|\s*,\s*(?:in\s+)?lower\s*-?\s*case\s*,)"
)
#: The keyword as the subject of a question about its spelling ("its spelling", "the spelling").
_NAMED_CORE = r"(?:" + _CORE + r"'s\s+(?:name|spelling)|its\s+(?:name|spelling)|the\s+spelling)"
SUBJ = (
    r"(?:(?:the\s+)?(?:name|spelling(?:\s+of\s+(?:the\s+)?name)?)\s+of\s+(?:" + _NAMED_CORE + r"|" + _CORE + r")|"
    + _NAMED_CORE + r"|" + _CORE
    + r")" + _CASE + r"?"
)
#: The keyword as a possessive: "the keyword's", "its".
POSS = r"(?:" + _CORE + r"'s|its)"
#: Subjects that name the keyword itself, not a pronoun (the identity shape reads them).
NAMED_SUBJECT = re.compile(r"(?:the|your|this|that|our)\s+" + _ADJ + r"(?:key\s?-?word|word|answer|solution)\b.*")

# ------------------------------------------------------------------------------ letters

#: One letter or digit: quoted or bare.
Q1 = r"(?:'[a-z0-9]'|\"[a-z0-9]\"|[a-z0-9])"
_Q1_CAP = re.compile(r"'([a-z0-9])'|\"([a-z0-9])\"|(?<![a-z0-9'])([a-z0-9])(?![a-z0-9'])")
#: Before one letter of a list: "the letter", "an" ("both an A and a B").
_ARTICLE = r"an?\s+(?=(?:'[a-z0-9]'|\"[a-z0-9]\"|[a-z0-9](?![a-z0-9'])))"
_ITEM = r"(?:(?:the\s+)?(?:letter|character)\s+|" + _ARTICLE + r")?" + Q1
#: One letter: "the letter 'a'", "letter a", "an 'e'", "a B", "'c'", "d".
LETTER1 = (
    r"(?:(?:the\s+|an?\s+)?(?:letter|character)\s+" + Q1 + r"|an?\s+" + Q1 + r"|" + Q1
    + r"|(?:the\s+)?(?:digit|number|numeral)\s+['\"]?[0-9]['\"]?)"
)
LIST_OR = _ITEM + r"(?:\s*,\s*" + _ITEM + r")*\s*,?\s+or\s+" + _ITEM
LIST_AND = _ITEM + r"(?:\s*,\s*" + _ITEM + r")*\s*,?\s+(?:and|as\s+well\s+as)\s+" + _ITEM
LIST_BARE = _ITEM + r"(?:\s*,\s*" + _ITEM + r")+|" + Q1 + r"(?:\s*/\s*" + Q1 + r")+"
LIST_BRACKET = r"[\[({]\s*" + Q1 + r"(?:\s*,\s*" + Q1 + r")*\s*[\])}]"
#: "the letters", "the following:", "these: K, M, F" (a colon may follow "these" at once).
_OF_SET = (
    r"(?:the\s+|(?:these|those)(?:\s+|\s*(?=:)))?(?:following\s*)?(?:(?:letters|characters|vowels|consonants)\s*)?"
    r":?\s*"
)
#: "one of the letters", "any of the following letters:", "either", "in the set".
_THE_SET = r"(?:the\s+)?(?:set|group|list)(?:\s+of\s+(?:letters|characters))?\s*:?\s*"
ONE_OF = (
    r"(?:(?:any|one|either|at\s+least\s+one)(?:\s+one)?\s+of(?:\s+|\s*(?=:))" + _OF_SET
    + r"|(?:the\s+)?(?:letters|characters)\s*:?\s*|either\s+"
    r"|(?:in|among|within|to)\s+" + _THE_SET + r"|(?:any|a|one)\s+(?:letter|character)\s+(?:from|in|of)\s+" + _THE_SET
    + r"|(?:(?:any|a|one)\s+(?:letter|character)\s+)?among\s+(?:the\s+letters\s+)?)"
)
#: "all three letters": the number must be the list's (see :func:`letters_counted`).
_HOW_MANY = r"(?:(?:two|three|four|five|six|2|3|4|5|6)\s+)?"
ALL_OF = (
    r"(?:(?:all|each|every\s+one)\s+(?:of\s+)?(?:(?:the|these|those)\s+)?" + _HOW_MANY + _OF_SET
    + r"|both\s+(?:of\s+)?(?:the\s+(?:letters\s+)?)?)"
)
#: A set of letters of which one is meant: "one of the letters a, b or c", "a, e or i", "[a, b]".
ANY_LIST = r"(?:" + ONE_OF + r"?(?:" + LIST_OR + r"|" + LIST_BRACKET + r")|" + ONE_OF + r"(?:" + LIST_BARE + r"|"
ANY_LIST += LIST_AND + r")|(?:any|one)(?:\s+one)?\s+of\s+(?:the\s+)?(?:letters|characters)\s+" + LIST_BARE + r")"
#: A set of letters that are all meant: "the letters a and e", "both a and e", "all of the letters a, b, c".
_SET_NOUN = r"(?:letters|characters|vowels|consonants)"
#: "both" or "all" said after an "and" list: "the letters L and H, both of them", "L, H and A (all three)".
_POST_ALL = (r"\s*,?\s*\(?\s*(?:both|all(?:\s+(?:two|three|four|five|six|[2-6]))?)(?:\s+of\s+them)?"
             r"\s*\)?")
ALL_LIST = r"(?:(?:(?:the\s+)?" + _SET_NOUN + r"\s+)?" + LIST_AND + _POST_ALL + r"|(?:the\s+)?" + _SET_NOUN
ALL_LIST += r"\s+" + LIST_AND + r"|" + ALL_OF + r"(?:" + LIST_AND + r"|" + LIST_BARE + r"|" + LIST_BRACKET + r")|"
ALL_LIST += LIST_AND + r")"


def letters_of(span: str, article: bool = False) -> tuple[str, ...]:
    """The letters a letter or a list span names, in order, without repeats.

    Words of two or more letters ("one", "of", "the", "letters", "or") are skipped; with
    ``article`` (a ``LETTER1`` or a list span), "a"/"an" before one letter is its article ("an
    'e'", "both an A and a B"); "a" before a word ("a and e", "a, b") stays a letter."""
    span = span.strip()
    one = r"(?:(?:the\s+|an?\s+)?(?:letter|character)\s+|an?\s+)(" + Q1 + r")"
    single = re.fullmatch(one, span) if article else None
    if single:
        span = single.group(1)
    elif article:
        span = re.sub(r"(?<![a-z0-9'])" + _ARTICLE, " ", span)
    # "a letter from the set q, x", "any letter": an article, never the letter a
    span = re.sub(r"(?<![a-z0-9'])an?\s+(?=(?:letter|character|vowel|consonant)s?\b)", " ", span)
    found = [a or b or c for a, b, c in _Q1_CAP.findall(span)]
    return tuple(dict.fromkeys(found))


class Unparsed(ValueError):
    """A span the grammar matched names no letter where it must name one (a quote left open,
    "'a's" read wrong): the question was not parsed completely, and :func:`.oracle.parse`
    leaves it to the model instead of testing an empty set of letters."""


def named_letters(span: str, article: bool = False, count: int | None = None) -> tuple[str, ...]:
    """:func:`letters_of` where the grammar needs letters: at least one (or exactly ``count``),
    else :class:`Unparsed`."""
    found = letters_of(span, article=article)
    if not found or (count is not None and len(found) != count):
        raise Unparsed(span)
    return found


def letters_counted(span: str) -> bool:
    """Does a number in a list span ("all three letters a, b and e", "a, b and e, all three", "a and b,
    both of them") count its letters?"""
    post = re.search(_POST_ALL + r"$", span)
    if post is not None and post.group().strip(" ,()"):
        said = re.search(r"\b(both|two|three|four|five|six|[2-6])\b", post.group())
        return said is None or number("two" if said.group(1) == "both" else said.group(1)) == len(
            letters_of(span[: post.start()], article=True))
    said = re.search(r"\b(two|three|four|five|six|[2-6])\s+(?:letters|characters|vowels|consonants)\b", span)
    return said is None or number(said.group(1)) == len(letters_of(span[said.end():], article=True))


VOWELS = "aeiou"


def vowel(c: str) -> bool | None:
    """"y" is a vowel in some readings and not in others: None."""
    return None if c == "y" else c in VOWELS


def consonant(c: str) -> bool | None:
    return None if c == "y" else c.isalpha() and c not in VOWELS


def in_range(lo: str, hi: str, inclusive: bool = True) -> CharTest:
    """Letters compare as Python compares them (a digit, in the reading that counts it as a
    letter, falls before "a")."""
    lo, hi = min(lo, hi), max(lo, hi)
    return (lambda c: lo <= c <= hi) if inclusive else (lambda c: lo < c < hi)


# ------------------------------------------------------------------------------ numbers

NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
NUMBERS.update({f"twenty{sep}{w}": 20 + NUMBERS[w] for sep in ("-", " ") for w in "one two three four five six seven "
                "eight nine".split()})
NUMBERS["thirty"] = 30
N = r"(?:\d{1,3}|" + alt(NUMBERS) + r")"
N_CAP = re.compile(r"(?<![a-z0-9])(\d{1,3}|" + alt(NUMBERS) + r")(?![a-z0-9])")

#: Comparisons before the number ("more than 5") and after it ("5 or more").
_GT = (">", "more than", "greater than", "over", "above", "in excess of", "upwards of", "longer than", "bigger than",
       "larger than")
_GE = (">=", "\u2265", "at least", "no fewer than", "no less than", "not fewer than", "not less than", "a minimum of",
       "minimum", "min",
       "greater than or equal to", "more than or equal to", "equal to or greater than", "equal to or more than",
       "no shorter than", "not shorter than", "no smaller than", "not smaller than")
_LT = ("<", "fewer than", "less than", "under", "below", "shorter than", "smaller than", "lower than")
_LE = ("<=", "\u2264", "at most", "no more than", "not more than", "a maximum of", "maximum", "max", "up to",
       "no longer than",
       "not longer than", "less than or equal to", "fewer than or equal to", "equal to or less than",
       "equal to or fewer than", "no greater than", "not greater than", "no bigger than", "no larger than")
_EQ = ("exactly", "only", "just", "precisely")
_GE_AFTER = ("or more", "or greater", "or longer", "or above", "or over", "or higher", "and up", "and above", "plus",
             "at least", "minimum", "at a minimum")
_LE_AFTER = ("or fewer", "or less", "or shorter", "or below", "or under", "or lower", "at most", "max", "maximum",
             "at the most", "at a maximum", "tops")
_PREFIX_OPS = {**{w: "gt" for w in _GT}, **{w: "ge" for w in _GE}, **{w: "lt" for w in _LT},
               **{w: "le" for w in _LE}, **{w: "eq" for w in _EQ}}
_SUFFIX_OPS = {**{w: "ge" for w in _GE_AFTER}, **{w: "le" for w in _LE_AFTER}, "exactly": "eq", "precisely": "eq",
               "only": "eq"}
_PREFIX = alt(_PREFIX_OPS)
_SUFFIX = alt(_SUFFIX_OPS)
#: ", inclusive", "(exclusive)" after a range.
INCL = r"(?:\s*,?\s*\(?\s*(?:inclusive|inclusively|both\s+included|exclusive|exclusively|not\s+inclusive)\s*\)?)"
_RANGE = (
    r"(?:(?:(?:somewhere|anywhere)\s+)?(?:between\s+" + N + r"\s+and\s+" + N + r"|from\s+" + N + r"\s+to\s+" + N
    + r")|" + N + r"\s*(?:-|to|through)\s*" + N + r")"
)


_BOTH = _PREFIX + r"\s+" + N + r"(?:\s+(?:letters|characters|words))?\s+(?:but|and)\s+" + _PREFIX + r"\s+" + N


def cmp_count(unit: str) -> str:
    """A comparison of a count in ``unit`` (a regex): "more than 5 letters", "5 letters or more",
    "5 or more letters", "between 5 and 8 letters (inclusive)", "exactly 5 letters", "5 letters",
    "more than 5 but fewer than 9 letters"."""
    u = r"\s+" + unit
    return (
        r"(?:(?:" + _PREFIX + r"\s+)?" + N + u + r"(?:\s+" + _SUFFIX + r")?|" + N + r"\s+" + _SUFFIX + u + r"|" + N
        + r"\s*\+" + u
        + r"|" + _RANGE + u + INCL + r"?|" + _RANGE + INCL + r"?" + u + r"|" + _BOTH + u
        + r"|" + _RANGE + u + r"\s+(?:long|in\s+length)" + INCL + r")"
    )


#: A comparison with no unit ("greater than 5", "5 or more", "between 5 and 8", "equal to 5").
CMP_BARE = (
    r"(?:(?:" + _PREFIX + r"\s+|equal\s+to\s+|exactly\s+equal\s+to\s+)?" + N + r"(?:\s+" + _SUFFIX + r"|\s*\+)?|"
    + _RANGE + INCL + r"?|" + _BOTH + r")"
)


#: A number with a comparison and no unit, the comparison said ("more than one", "two or more",
#: "at most 1", "2+"; not a bare "two"): how often a letter occurs ("more than one N").
CMP_SAID = r"(?:" + _PREFIX + r"\s+" + N + r"|" + N + r"\s+" + _SUFFIX + r"|" + N + r"\s*\+)"


def contrast(side: str) -> str:
    """A contrast with another ``side`` (a regex) after a first one: " rather than X", ", not X",
    " and not X", " (not X)", " instead of X", " as opposed to X"; X in the group ``other``,
    ``other2`` or ``other3``."""
    return (
        r"(?:\s*\(\s*(?:and\s+|but\s+)?not\s+(?P<other>" + side + r")\s*\)|\s*,?\s*(?:and\s+|but\s+)?not\s+"
        r"(?P<other2>" + side + r")|\s*,?\s+(?:rather\s+than|instead\s+of|as\s+opposed\s+to)\s+(?P<other3>" + side
        + r"))"
    )


def contrasted(m: re.Match[str]) -> str | None:
    """The other side a :func:`contrast` matched, if any."""
    groups = m.groupdict()
    return groups.get("other") or groups.get("other2") or groups.get("other3")


def number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBERS[" ".join(text.split())]


def count_test(span: str) -> Callable[[int], bool | None]:
    """The test on a count that a ``cmp_count`` / ``CMP_BARE`` span means ("more than 5 but
    fewer than 9": both; "at least 5 letters or fewer", two comparisons that disagree: none)."""
    both = re.split(r"\s+(?:but|and)\s+(?=" + _PREFIX + r"\s)", span, maxsplit=1)
    if len(both) == 2:
        first, second = count_test(both[0]), count_test(both[1])
        return lambda v: first(v) and second(v)
    numbers = [number(x) for x in N_CAP.findall(span)]
    if len(numbers) == 2:  # a range: inclusive unless it says otherwise
        lo, hi = min(numbers), max(numbers)
        if re.search(r"\bexclusive|\bexclusively|\bnot\s+inclusive", span):
            return lambda v: lo < v < hi
        return lambda v: lo <= v <= hi
    n = numbers[0]
    ops = set()
    before, after = span.split(N_CAP.search(span).group(0), 1)  # type: ignore[union-attr]
    if m := re.match(_PREFIX + r"(?![a-z])", before.strip()):
        ops.add(_PREFIX_OPS[" ".join(m.group(0).split())])
    if m := re.search(r"(?<![a-z])" + _SUFFIX + r"(?![a-z])", after):
        ops.add(_SUFFIX_OPS[" ".join(m.group(0).split())])
    if after.lstrip().startswith("+"):
        ops.add("ge")
    if len(ops) > 1:
        return lambda v: None  # "more than 5 letters or fewer": which?
    op = ops.pop() if ops else "eq"
    return {
        "gt": lambda v: v > n, "ge": lambda v: v >= n, "lt": lambda v: v < n, "le": lambda v: v <= n,
        "eq": lambda v: v == n,
    }[op]


# -------------------------------------------------------------------- the keyword's text


def letter_sequences(keyword: str, unit: str = "letter") -> tuple[str, ...]:
    """The keyword's letters, one string per reading: its letters and digits (the labelled
    set's definition), its letters only (not when the question names a digit as a letter:
    ``unit`` "alnum"); for "characters" also every character but spaces, and every character."""
    low = keyword.lower().strip()
    alnum = "".join(c for c in low if c.isalnum())
    alpha = "".join(c for c in low if c.isalpha())
    if unit == "alnum":
        return (alnum,)
    if unit == "character":
        return (alnum, alpha, low.replace(" ", ""), low)
    return (alnum, alpha)


def word_lists(keyword: str) -> tuple[list[str], ...]:
    """The keyword's words: split at spaces, and at spaces and hyphens."""
    low = keyword.lower().strip()
    return (low.split(), [w for w in re.split(r"[\s\-]+", low) if w])


def texts(keyword: str, needle: str) -> tuple[str, ...]:
    """What a quoted string is looked for in: the keyword in lower case, and (for a string
    without spaces) its letters and digits run together."""
    low = keyword.lower().strip()
    if " " in needle:
        return (low,)
    return (low, "".join(c for c in low if c.isalnum()))
