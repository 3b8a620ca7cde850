"""Questions about how long the keyword is: its letters, characters and words.

Templates (whole-question matches; "not" where shown negates; COUNT is a comparison of a
count, :func:`.phrases.cmp_count`: "more than 5 letters", "5 letters or more", "5 or more
letters", "at least / at most / fewer than / exactly 5 letters", "greater than or equal to 5",
"no greater than 5", "between 5 and 8 letters" (inclusive unless it says "exclusive"),
"5-8 letters", "8+ letters", "8 letters at most|at least|max|minimum", "one word", "a single
word", "multiple words", "two separate words", "more than 3 vowels", "two consonants"; numbers
in digits or words up to "thirty"; a prefix and a suffix that disagree, "more than 5 letters or
fewer", make no question):

* "does SUBJ [not] have more|fewer vowels than consonants" (or the other way), "... as many vowels as
  consonants", "... the same number of vowels and consonants", "are there more vowels than consonants
  [in SUBJ]" ("y" a vowel and not: both readings must agree; "More vowels than consonants?");
* "is SUBJ [not] ONE|MANY [rather than|, not|(not ...)|instead of MANY|ONE]": ONE is "a
  single word", "one word", "just one word", "a one-word name"; MANY is "a phrase",
  "multiple words", "more than a single word", "two or more words", "a multi-word name"
  ("several words" and "many words" said alone are two or more in one reading and three or more
  in the other: open for two words; against one word they are more than one) (the two sides of
  a contrast must differ; "a compound word" is no count: "Toothbrush");
* "is SUBJ [not] a word|name|term|something with|of|that has COUNT", "does SUBJ [not]
  exceed N letters [in length]";

* "does SUBJ [not] have|contain|consist of COUNT [in it|in total] [(not counting spaces)]";
* "is SUBJ [not] COUNT [long|in length]", "is SUBJ [not] made up of COUNT";
* "is SUBJ [not] longer|shorter than N [letters]";
* "is SUBJ [not] a 5-letter word", "... a two-word phrase", "... a single-word name";
* "is the length|number of letters|vowels|consonants|letter|vowel count of SUBJ [not] greater
  than 5|at least 5|5 or more|between 5 and 8|somewhere between 5 and 8|even|odd" ("of SUBJ"
  may be left out), "is SUBJ's length ...", "does the length of SUBJ [not] exceed 5", "does
  SUBJ [not] have [an] even|odd number of letters|vowels|letter count|length" (so "Even number
  of letters?"), "is there an even|odd number of letters in SUBJ", "are there more than 3
  vowels [in SUBJ]"; a count of one unit compared in another ("is the number of vowels more
  than 3 letters") is no question.

Counts: letters are the keyword's letters (and digits: both readings must agree); characters
with and without spaces unless the question says which ("(not counting spaces)",
"including spaces"); a length with no unit reads as letters or characters; words are split
at spaces (and, in the other reading, at hyphens); vowels are a, e, i, o, u with and without
"y" (and consonants the other letters, with and without it); "two vowels" is exactly two in
one reading and at least two in the other (as "two e's").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .phrases import (
    CMP_BARE,
    INCL,
    N_CAP,
    POSS,
    SUBJ,
    N,
    Subject,
    Template,
    Test,
    agree,
    cmp_count,
    contrast,
    contrasted,
    count_test,
    number,
    template,
    word_lists,
)

_U_LETTERS = r"(?:letters?)"
_U_CHARS = r"(?:characters?|chars?)"
_U_WORDS = r"(?:(?:separate\s+|distinct\s+|individual\s+|different\s+)?words?)"
_U_VOWELS = r"(?:vowels?)"
_U_CONSONANTS = r"(?:consonants?)"
_UNIT = r"(?:" + _U_LETTERS + r"|" + _U_CHARS + r"|" + _U_WORDS + r")"
_SPACES = r"(?:the\s+|any\s+)?(?:spaces?|whitespace|blanks?)"
#: Whether spaces count: "(not counting spaces)", "including spaces", "(spaces excluded)", "if you
#: don't count spaces", "when spaces are ignored".
_QUAL = (
    r"(?:\s*,?\s*\(?\s*(?:(?:not\s+counting|excluding|ignoring|without(?:\s+counting)?|minus|not\s+including|leaving\s+out"
    r"|omitting|including|counting|with)\s+" + _SPACES + r"|" + _SPACES + r"\s+(?:excluded|not\s+counted|not\s+included"
    r"|ignored|removed|included|counted)|(?:if|when)\s+(?:you\s+)?(?:don't\s+|do\s+not\s+)?count\s+" + _SPACES
    + r"|(?:if|when)\s+" + _SPACES + r"\s+(?:are|is)\s+(?:ignored|excluded|removed|not\s+counted|counted|included))"
    r"\s*\)?)"
)
_WORDS_SPECIAL = (
    r"(?:(?:only\s+|just\s+)?(?:a\s+single|one\s+single|a\s+lone)\s+word(?:\s+only)?|(?:multiple|several|many)\s+words)"
)
COUNT = (
    r"(?:" + cmp_count(_U_LETTERS) + r"|" + cmp_count(_U_CHARS) + r"|" + cmp_count(_U_WORDS) + r"|" + _WORDS_SPECIAL
    + r"|" + cmp_count(_U_VOWELS) + r"|" + cmp_count(_U_CONSONANTS) + r")"
)
_LENGTH_NOUN = (
    r"(?:length|total\s+length|(?:total\s+)?number\s+of\s+(?:letters|characters|chars|words|vowels|consonants)"
    r"|(?:letter|character|char|word|vowel|consonant)\s+count"
    r"|count\s+of\s+(?:letters|characters|chars|words|vowels|consonants))"
)
#: "of the keyword" (said, or left out: "Is the number of letters even?").
_OF_SUBJ = r"(?:\s+(?:of|in)\s+" + SUBJ + r")?"
_PARITY = r"(?:an?\s+)?(?:even|odd)(?:\s+number)?"
_CMP_LEN = r"(?:" + CMP_BARE + r"(?:\s+" + _UNIT + r")?|" + _PARITY + r")"


def _unit(span: str) -> str:
    if re.search(r"\bvowels?\b", span):
        return "vowel"
    if re.search(r"\bconsonants?\b", span):
        return "consonant"
    if re.search(r"\bwords?\b", span):
        return "word"
    if re.search(r"\bchar(?:acter)?s?\b", span):
        return "character"
    if re.search(r"\bletters?\b", span):
        return "letter"
    return "length"  # a length with no unit: letters or characters


def measures(keyword: str, unit: str, qual: str = "") -> tuple[int, ...]:
    """The keyword's count in ``unit``, one per reading (see the module)."""
    low = keyword.lower().strip()
    if unit == "word":
        return tuple(len(ws) for ws in word_lists(keyword))
    if unit in ("vowel", "consonant"):  # "y" one or the other, or neither
        vowels = sum(c in "aeiou" for c in low), sum(c in "aeiouy" for c in low)
        if unit == "vowel":
            return vowels
        alpha = sum(c.isalpha() for c in low)
        return alpha - vowels[1], alpha - vowels[0]
    letters = (sum(c.isalpha() for c in low), sum(c.isalnum() for c in low))
    if unit == "letter":
        return letters
    with_spaces, without = len(low), len(low.replace(" ", ""))
    if re.search(r"\b(?:not\s+counting|excluding|ignoring|without|minus|not\s+including|leaving\s+out|omitting"
                 r"|excluded|not\s+counted|not\s+included|ignored|removed|don't\s+count|do\s+not\s+count)\b", qual):
        chars: tuple[int, ...] = (without,)
    elif re.search(r"\b(?:including|counting|with|included|counted|count)\b", qual):
        chars = (with_spaces,)
    else:
        chars = (without, with_spaces)
    return chars if unit == "character" else letters + chars


def _count(unit: str, check: Callable[[int], bool | None], qual: str = "") -> Test:
    def run(s: Subject) -> bool | None:
        return agree(check(v) for v in measures(s.keyword, unit, qual))

    return run


def _spec_test(spec: str) -> Callable[[int], bool | None]:
    if re.fullmatch(_WORDS_SPECIAL, spec):
        return (lambda v: v == 1) if re.search(r"\b(?:single|lone)\b", spec) else _more_than_one(spec)
    if re.fullmatch(_PARITY, spec):
        even = "even" in spec
        return lambda v: (v % 2 == 0) == even
    if re.fullmatch(N + r"\s+(?:" + _U_VOWELS + r"|" + _U_CONSONANTS + r")", spec):
        return _exactly_or_at_least(number(spec.split()[0]))
    return count_test(spec)


def _more_than_one(spec: str) -> Callable[[int], bool | None]:
    """"multiple words": two or more; "several words", "many words": two or more in one reading, three
    or more in the other (answered only where both agree: open for two)."""
    if re.search(r"\b(?:several|many)\b", spec):
        return lambda v: agree((v >= 2, v >= 3))
    return lambda v: v >= 2


def _exactly_or_at_least(n: int) -> Callable[[int], bool | None]:
    """"two vowels": exactly two in one reading, at least two in the other (as "two e's")."""
    return lambda v: None if v > n else v == n


#: ", inclusive" said after whether spaces count ("between 10 and 13 letters (spaces excluded), inclusive"):
#: read with the range it closes.
_INCL_LATE = r"(?P<incl>" + INCL + r")?"


def _counted(m: re.Match[str]) -> Test | None:
    groups = m.groupdict()
    spec = m.group("spec")
    late = groups.get("incl") or ""
    if late:  # only a range takes it, and only once
        if len(N_CAP.findall(spec)) != 2 or re.search(r"\b(?:inclusive|inclusively|included|exclusive|exclusively)\b",
                                                        spec):
            return None
        spec += late
    unit, named = _unit(spec), _unit(groups.get("unit") or groups.get("unit2") or "")
    if unit == "length":
        unit = named
    elif named not in ("length", unit):
        return None  # "is the number of vowels more than 3 letters": which count?
    return _count(unit, _spec_test(spec), groups.get("qual") or groups.get("qual2") or "")


def _longer(m: re.Match[str]) -> Test | None:
    n = number(m.group("n"))
    longer = m.group("cmp") == "longer"
    return _count(_unit(m.group("unit") or ""), (lambda v: v > n) if longer else (lambda v: v < n),
                  m.group("qual") or "")


def _n_unit_word(m: re.Match[str]) -> Test | None:
    size = m.group("n")
    unit = _unit(m.group("unit"))
    if size in ("multi", "multiple"):
        return _count("word", lambda v: v >= 2)
    n = 1 if size == "single" else number(size)
    return _count(unit, lambda v: v == n)


def _exceeds(m: re.Match[str]) -> Test | None:
    n = number(m.group("spec"))
    unit = _unit(m.groupdict().get("unit") or m.groupdict().get("unit2") or "")
    return _count(unit, lambda v: v > n, m.group("qual") or "")


def _one_or_many(m: re.Match[str]) -> Test | None:
    """"a single word", "a phrase", "a phrase rather than a single word" (the sides must differ)."""
    one = re.fullmatch(_ONE_WORD, m.group("spec")) is not None
    other = contrasted(m)
    if other is not None and (re.fullmatch(_ONE_WORD, other) is not None) == one:
        return None  # "a single word rather than one word": no contrast, no question
    if one or other is not None:  # "several words rather than one word": more than one
        return _count("word", (lambda v: v == 1) if one else (lambda v: v >= 2))
    return _count("word", _more_than_one(m.group("spec")))


_HAVE = r"(?:have|has|contain|contains|consist\s+of|consists\s+of|comprise|use|include|span)"
_TOTAL = r"(?:\s+(?:in\s+(?:it|there|total|length)|total|altogether|in\s+(?:its|the)\s+(?:name|spelling)))?"
_MADE = (
    r"(?:made\s+up\s+of|made\s+of|composed\s+of|comprised\s+of|consisting\s+of|spelled\s+with|written\s+with"
    r"|written\s+as|spelled\s+as)"
)
#: What the keyword is called in "a 5-letter word", "a one-word name" ("a 5-letter place" says the category
#: too: not read).
_NOUNS = r"(?:word|keyword|name|term|phrase|expression|answer|title)"
#: One word, and several: the sides of "is it a phrase rather than a single word".
_ONE_WORD = (
    r"(?:(?:only\s+|just\s+)?(?:a\s+single|one\s+single|a\s+lone|one|just\s+one|only\s+one)\s+word(?:\s+only)?"
    r"|an?\s+(?:single|one)\s*-?\s*word\s+" + _NOUNS + r")"
)
_MANY_WORDS = (
    r"(?:an?\s+)?(?:phrase|multi\s*-?\s*word\s+" + _NOUNS + r")|(?:multiple|several|many)\s+words"
    r"|more\s+than\s+(?:a\s+single|just\s+one|one|a)\s+word|(?:two|2)\s+or\s+more\s+words"
    r"|an?\s+(?:phrase|name|term|expression)\s+(?:of|with)\s+(?:two\s+or\s+more|multiple|several|more\s+than\s+one)"
    r"\s+words"
)
_WORD_SIDE = r"(?:" + _ONE_WORD + r"|" + _MANY_WORDS + r")"
#: "a word with more than 5 letters", "a name of two words".
_A_NOUN_WITH = (
    r"(?:an?\s+" + _NOUNS + r"|something)\s+(?:with|of|having|that\s+has|which\s+has|containing|made\s+up\s+of"
    r"|consisting\s+of)\s+"
)

#: Vowels compared with consonants: "more vowels than consonants", "fewer consonants than vowels",
#: "as many vowels as consonants", "the same number of vowels and consonants" (group ``rel``: how).
_VS = r"(?P<a>vowels|consonants)\s+than\s+(?P<b>vowels|consonants)"
_VS_EQUAL = (
    r"(?P<same>as\s+many\s+(?P<a2>vowels|consonants)\s+as|(?:the\s+same\s+number|an\s+equal\s+number|equal\s+numbers)"
    r"\s+of\s+(?P<a3>vowels|consonants)\s+(?:and|as)(?:\s+of)?)\s+(?P<b2>vowels|consonants)"
)
_VERSUS = r"(?:(?P<rel>more|fewer|less)\s+" + _VS + r"|" + _VS_EQUAL + r")"


def _vowels_versus(m: re.Match[str]) -> Test | None:
    """The keyword's vowels compared with its consonants, in both readings of "y" (a vowel, or
    a consonant), which must agree; letters only (a digit is neither)."""
    g = m.groupdict()
    a, b = g.get("a") or g.get("a2") or g.get("a3"), g.get("b") or g.get("b2")
    if a == b:
        return None  # "more vowels than vowels": no question
    rel = g.get("rel") or "same"

    def run(s: Subject) -> bool | None:
        low = s.keyword.lower()
        alpha = sum(c.isalpha() for c in low)
        said = []
        for vowels in (sum(c in "aeiou" for c in low), sum(c in "aeiouy" for c in low)):
            have = {"vowels": vowels, "consonants": alpha - vowels}
            x, y = have[a or ""], have[b or ""]
            said.append(x > y if rel == "more" else x < y if rel in ("fewer", "less") else x == y)
        return agree(said)

    return run


TEMPLATES: tuple[Template, ...] = (
    # "does it have more vowels than consonants", "are there as many vowels as consonants in it"
    template("length", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:have|contain|use)\s+" + _VERSUS
             + r"(?:\s+in\s+it)?", _vowels_versus),
    template("length", r"(?:are|is)\s+there\s+(?P<neg>not\s+)?" + _VERSUS + r"(?:\s+in\s+" + SUBJ + r")?",
             _vowels_versus),
    template("length", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:an?\s+)?(?:word|name|term)\s+with\s+" + _VERSUS,
             _vowels_versus),
    template("length", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:" + _MADE + r"\s+)?(?P<spec>" + _WORD_SIDE + r")(?:"
             + contrast(_WORD_SIDE) + r")?", _one_or_many),
    template("length", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?" + _A_NOUN_WITH + r"(?P<spec>" + COUNT + r")(?P<qual>"
             + _QUAL + r")?", _counted),
    template("length", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?exceed\s+(?P<spec>" + N + r")\s+(?P<unit>"
             + _UNIT + r")(?:\s+in\s+length)?(?P<qual>" + _QUAL + r")?", _exceeds),
    template("length", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?" + _HAVE + r"\s+(?P<spec>" + COUNT + r")"
             + _TOTAL + r"(?P<qual>" + _QUAL + r")?" + _INCL_LATE, _counted),
    template("length", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:" + _MADE + r"\s+)?(?P<spec>" + COUNT + r")(?P<qual2>"
             + _QUAL + r")?(?:\s+(?:long|in\s+length|in\s+total))?(?P<qual>" + _QUAL + r")?" + _INCL_LATE, _counted),
    template("length", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?P<cmp>longer|shorter)\s+than\s+(?P<n>" + N + r")"
             r"(?:\s+(?P<unit>" + _UNIT + r"))?(?P<qual>" + _QUAL + r")?", _longer),
    template("length", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:an?\s+)?(?P<n>" + N + r"|single|multi|multiple)"
             r"\s*-?\s*(?P<unit>letter|character|word)s?(?:\s*-?\s*long)?(?:\s+" + _NOUNS + r")?", _n_unit_word),
    template("length", r"is\s+(?:the\s+)?(?P<unit>" + _LENGTH_NOUN + r")" + _OF_SUBJ + r"\s+(?P<neg>not\s+)?"
             r"(?P<spec>" + _CMP_LEN + r")(?P<qual>" + _QUAL + r")?" + _INCL_LATE, _counted),
    template("length", r"is\s+" + POSS + r"\s+(?P<unit>" + _LENGTH_NOUN + r")\s+(?P<neg>not\s+)?(?P<spec>" + _CMP_LEN
             + r")(?P<qual>" + _QUAL + r")?" + _INCL_LATE, _counted),
    template("length", r"(?:does|do)\s+(?:(?:the\s+)?(?P<unit>" + _LENGTH_NOUN + r")" + _OF_SUBJ + r"|"
             + POSS + r"\s+(?P<unit2>" + _LENGTH_NOUN + r"))\s+(?P<neg>not\s+)?exceed\s+(?P<spec>" + N + r")"
             r"(?:\s+" + _UNIT + r")?(?P<qual>" + _QUAL + r")?", _exceeds),
    template("length", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?have\s+an?\s+(?:total\s+)?(?P<unit>length|"
             r"(?:letter|character|word)\s+count)\s+of\s+(?P<spec>" + _CMP_LEN + r")(?P<qual>" + _QUAL + r")?"
             + _INCL_LATE,
             _counted),
    template("length", r"(?:are|is)\s+there\s+(?P<neg>not\s+)?(?P<spec>" + COUNT + r")(?:\s+in\s+" + SUBJ
             + r")?" + _TOTAL + r"(?P<qual>" + _QUAL + r")?" + _INCL_LATE, _counted),
    template("length", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?have\s+(?P<spec>an?\s+(?:even|odd))\s+(?P<unit>"
             r"(?:letter|character|word)\s+count|length)(?P<qual>" + _QUAL + r")?", _counted),
    # "does it have an even number of letters", "even number of vowels?" (said without "an")
    template("length", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?have\s+(?P<spec>(?:an?\s+)?(?:even|odd))\s+"
             r"number\s+of\s+(?P<unit>" + _UNIT + r"|" + _U_VOWELS + r"|" + _U_CONSONANTS + r")(?P<qual>" + _QUAL
             + r")?", _counted),
    template("length", r"(?:is|are)\s+there\s+(?P<neg>not\s+)?(?P<spec>an?\s+(?:even|odd))\s+number\s+of\s+(?P<unit>"
             + _UNIT + r"|" + _U_VOWELS + r"|" + _U_CONSONANTS + r")\s+in\s+" + SUBJ + r"(?P<qual>" + _QUAL + r")?",
             _counted),
)
