"""Questions about where the keyword falls in alphabetical order (the public protocol's shape).

Templates (whole-question matches; "not" where shown negates; ORDER is "in alphabetical
order", "alphabetically", "in a dictionary", "lexicographically", "in the alphabet", "when
sorted alphabetically", "when sorted A to Z", "in A-Z order", "compared alphabetically", "if you
sorted the words alphabetically" ... and must be said somewhere, or as a lead-in: "In
alphabetical order, does ..."; "Z to A", "sorted by length" are none of them; W is a quoted
word, or up to five bare words, and may be named "the word 'mango'", "the letter m"; a
description is no W: "words starting with m", "any name that ..." leave the question to the
model):

* "does|would SUBJ [not] come|go|appear|fall|sort|be listed [ORDER] before|after|earlier
  than|later than|earlier ORDER than|prior to W [ORDER]", "does SUBJ [not] precede|follow W [ORDER]";
* "is SUBJ [not] [ORDER] before|after|earlier than|later than W [ORDER]";
* "is|does SUBJ [not] [come|fall|lie] [ORDER] between W and W [ORDER]" (strictly between);
* "does 'W' [not] come before|after SUBJ [ORDER]", "does 'W' precede|follow SUBJ [ORDER]",
  "is 'W' [not] [ORDER] before|after SUBJ [ORDER]" (W quoted, and may be named: "the word 'W'");
* "is|does SUBJ [not] [fall|come|lie] in the first|second half of the alphabet": its first
  letter in a-m (n-z), which is the keyword before (after) "n"; "of the dictionary" is not read
  (a dictionary's pages do not split at "n").

The keyword in lower case is compared with W in lower case, as Python compares strings (as
the public Agent Alpha agent does): "mouse" does not come before "m".
"""

from __future__ import annotations

import re

from .phrases import SUBJ, Subject, Template, Test, template

#: Words that are never a bare token of W: the sentence around it ("or", "in", "alphabetically"
#: ...) and the grammar of a description, which is no word to compare with ("words starting with
#: m", "any name that ...", "the letter m": W is then "m").
_NOT_W = (
    "or and nor but than in when if alphabetically lexicographically the a an with that which who whose starting "
    "beginning ending starts begins ends containing letter letters word words name names term terms any all those "
    "these ones something anything of for to at on by from is are"
)
_TOKEN = r"(?!(?:" + "|".join(_NOT_W.split()) + r")(?![a-z0-9\-]))[a-z0-9][a-z0-9\-]*"
#: "the word 'mango'", "the letter m": W named by its kind.
_W_KIND = r"(?:the\s+(?:word|letter|name|term|string)\s+)?"
_W = _W_KIND + r"(?:\"[^\"]{1,60}\"|'[^']{1,60}'|" + _TOKEN + r"(?:\s+" + _TOKEN + r"){0,4})"
#: W before the keyword ("is 'sun' after it", "is the word 'needle' before the answer"): quoted.
_WQ = _W_KIND + r"(?:\"[^\"]{1,60}\"|'[^']{1,60}')"
#: How an order from A to Z is said after "sorted": "alphabetically", "in alphabetical order", "A to Z",
#: "from A to Z" ("Z to A", the reverse, is none of them: the question stays unread).
_A_TO_Z = (
    r"(?:alphabetically|in\s+(?:an?\s+|the\s+)?(?:alphabetical|alphabetic|dictionary)\s+order|(?:from\s+)?a\s*(?:to|-)\s*z"
    r"|in\s+a\s*(?:to|-)\s*z\s+order)"
)
#: What is sorted: "the words", "the two words", "words", "them", "both words", "the keyword and it".
_SORTED = r"(?:(?:the\s+|both\s+|these\s+|all\s+)?(?:two\s+)?(?:words|names|keywords|terms)|them|both)"
ORDER = (
    r"(?:in\s+(?:an?\s+|the\s+)?(?:alphabetical|alphabetic|lexicographic(?:al)?|dictionary)\s+(?:order|list(?:ing)?"
    r"|sort(?:ing)?)|alphabetically(?:\s+speaking)?|lexicographically|in\s+(?:the|a)\s+dictionary|in\s+the\s+alphabet"
    r"|in\s+a\s*(?:to|-)\s*z\s+order|(?:going\s+)?from\s+a\s*(?:to|-)\s*z"
    r"|(?:when|if|once)\s+(?:(?:the\s+)?(?:two\s+)?(?:words|names|keywords|they)\s+(?:are|were)\s+)?(?:sorted|ordered|listed"
    r"|arranged|alphabeti[sz]ed|put)\s+" + _A_TO_Z
    + r"|(?:when|if)\s+(?:you|we|one)\s+(?:sorted|sort|ordered|order|listed|list|arranged|arrange|put|alphabeti[sz]ed"
    r"|alphabeti[sz]e)\s+(?:" + _SORTED + r"\s+)?" + _A_TO_Z
    + r"|(?:when|if)\s+alphabeti[sz]ed|(?:sorted|ordered|arranged|listed)\s+"
    + _A_TO_Z + r"|(?:when\s+|if\s+)?(?:compared|comparing(?:\s+(?:them|" + _SORTED + r"))?)\s+(?:alphabetically"
    r"|lexicographically|in\s+(?:alphabetical|dictionary)\s+order|(?:letter\s+by\s+letter\s+)?as\s+(?:words|strings)))"
)
_LEAD = r"(?:(?P<lead>" + ORDER + r")\s*,\s*)?"
_VERB = (
    r"(?:(?:come|comes|go|goes|appear|appears|fall|falls|(?P<sort>sort|sorts|be\s+sorted)|lie|lies|be\s+(?:listed|placed"
    r"|ordered))\s+)"
)
_BEFORE = {"before": "lt", "earlier than": "lt", "prior to": "lt", "ahead of": "lt", "after": "gt", "later than": "gt"}
_IS_BEFORE = {**_BEFORE, "less than": "lt", "smaller than": "lt", "lower than": "lt", "greater than": "gt",
              "bigger than": "gt", "higher than": "gt"}


def _alt(words: dict[str, str]) -> str:
    return "(?:" + "|".join(w.replace(" ", r"\s+") for w in sorted(words, key=len, reverse=True)) + ")"


def _rel(words: dict[str, str]) -> str:
    """A relation of ``words``, or "earlier|later ORDER than" ("earlier in the alphabet than")."""
    return r"(?P<rel>" + _alt(words) + r"|(?:earlier|later)\s+(?P<ctx3>" + ORDER + r")\s+than)"


def _word(span: str) -> str:
    span = re.sub(r"^the\s+(?:word|letter|name|term|string)\s+", "", span.strip())
    if len(span) >= 2 and span[0] == span[-1] and span[0] in "'\"":
        span = span[1:-1]
    return span.strip().lower()


def _said(m: re.Match[str]) -> bool:
    return any(m.groupdict().get(k) for k in ("lead", "ctx", "ctx2", "ctx3", "sort"))


def _relation(m: re.Match[str]) -> Test | None:
    if not _said(m):
        return None  # "does it come before the moon?": no word of order, not ours
    word = _word(m.group("w"))
    rel = " ".join(m.group("rel").split())
    if m.groupdict().get("ctx3"):
        rel = rel.split()[0] + " than"  # "earlier in the alphabet than": "earlier than"
    op = {"precede": "lt", "follow": "gt"}.get(rel) or _IS_BEFORE[rel]
    if m.groupdict().get("inverted"):
        op = "gt" if op == "lt" else "lt"
    if op == "lt":
        return lambda s: s.lower < word
    return lambda s: s.lower > word


def _between(m: re.Match[str]) -> Test | None:
    if not _said(m):
        return None
    lo, hi = sorted((_word(m.group("lo")), _word(m.group("hi"))))

    def test(s: Subject) -> bool | None:
        return lo < s.lower < hi

    return test


def _half(m: re.Match[str]) -> Test | None:
    """"Is the keyword in the first half of the alphabet?": its first letter in a-m, and the
    keyword before "n" (both readings must agree: a keyword that opens with a digit is open)."""
    first = m.group("half") in ("first", "former")

    def test(s: Subject) -> bool | None:
        if not s.letters:
            return None
        readings = ("a" <= s.letters[0] <= "m", s.lower < "n")
        found = set(readings)
        return (found.pop() == first) if len(found) == 1 else None

    return test


_CTX = r"(?:(?P<ctx>" + ORDER + r")\s+)?"
_CTX2 = r"(?:\s+(?P<ctx2>" + ORDER + r"))?"

TEMPLATES: tuple[Template, ...] = (
    template("alphabetical", r"(?:is|does|do|would)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:(?:come|fall|lie|sit|belong"
             r"|be)\s+)?(?:in|within)\s+the\s+(?P<half>first|second|latter|former|last)\s+half\s+of\s+the\s+"
             r"alphabet", _half),
    template("alphabetical", _LEAD + r"(?:does|do|would|will)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?" + _VERB + _CTX
             + _rel(_BEFORE) + r"\s+(?P<w>" + _W + r")" + _CTX2, _relation),
    template("alphabetical", _LEAD + r"(?:does|do|would|will)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?" + _CTX
             + r"(?P<rel>precede|follow)\s+(?P<w>" + _W + r")" + _CTX2, _relation),
    template("alphabetical", _LEAD + r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?" + _CTX
             + r"(?:(?P<sort>sorted)\s+|(?:listed|placed)\s+)?" + _rel(_IS_BEFORE) + r"\s+(?P<w>" + _W + r")" + _CTX2,
             _relation),
    template("alphabetical", _LEAD + r"(?:is|does|do|would)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?"
             r"(?:(?:come|fall|lie|sit|be)\s+)?" + _CTX + r"between\s+(?P<lo>" + _W + r")\s+and\s+(?P<hi>" + _W + r")"
             + _CTX2, _between),
    template("alphabetical", _LEAD + r"(?:does|do|would|will)\s+(?P<inverted>(?P<w>" + _WQ + r"))\s+(?P<neg>not\s+)?"
             + _VERB + _CTX + _rel(_BEFORE) + r"\s+" + SUBJ + _CTX2, _relation),
    template("alphabetical", _LEAD + r"(?:does|do|would|will)\s+(?P<inverted>(?P<w>" + _WQ + r"))\s+(?P<neg>not\s+)?"
             + _CTX + r"(?P<rel>precede|follow)\s+" + SUBJ + _CTX2, _relation),
    template("alphabetical", _LEAD + r"is\s+(?P<inverted>(?P<w>" + _WQ + r"))\s+(?P<neg>not\s+)?" + _CTX
             + r"(?:(?P<sort>sorted)\s+|(?:listed|placed)\s+)?" + _rel(_IS_BEFORE) + r"\s+" + SUBJ + _CTX2, _relation),
)
