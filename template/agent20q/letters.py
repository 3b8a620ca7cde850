"""Questions about the keyword's letters: the letter at a position, and the letters it contains.

Templates (each must match the whole question, see :mod:`.phrases`; "not" where shown
negates; SUBJ is the keyword, "it", "its name" ...):

* the letter at an edge: "does SUBJ [not] start|begin with SPEC", "... end with|in SPEC" (and
  the phrasal verbs "start off|start out|kick off with", "finish|wrap up|finish off with"), "is
  SUBJ [not] starting with|ending in SPEC" (so "Ending in a B?"), "is SUBJ [not] spelled|
  written with SPEC at the [very] start|beginning|front|end", "does SUBJ [not] have SPEC at
  the start|end", "is there SPEC at the start|end [of SUBJ]" (so "A consonant at the
  start?"), "is SPEC [not] at the start|end [of SUBJ]", where SPEC is one letter ("the letter
  'a'", "an E", "B"), a set ("one of the letters A, B or C", "a, e or i", "['a', 'b']"), a
  class ("a vowel", "a consonant", "a digit", "a letter between A and M" (inclusive), "... from
  A to M", "... in the range A-M", "... in the i..r range", "... in the first half of the
  alphabet", "... that comes before N in the alphabet", "... other than A", "one of the letters
  B through L", "b..l"), a letter by what it is not ("a letter outside A-M" / "outside the range
  a to m" (the ends are inside, as in "between"), "a letter not between A and M", "none of A,
  B or C", "neither A nor B"; said after a "not", "does it not start with none of ...", a
  double negative or one, and not read; at a position past the keyword's end, open), at one
  position a bare list "A, J" too, a quoted string (a prefix or suffix: "'air'") or "the word
  'mount'", a prefix or suffix said with its hyphen, quoted or not, or with its noun ("starts with
  un-", "starts with 'un-'", "ends in -ing", "the prefix re", "the suffix 'ing'"; said at the other
  end, "starts with -ing", not read), and "does SUBJ have the prefix X", "is 'un' a prefix of SUBJ",
  "is its suffix -ing";
  "X or an earlier letter" / "X or a later one" / "X or a letter before it (in the alphabet)" (X
  included); the first or last N
  letters: "are the last two letters of SUBJ [not] 'ip'", "do its first three letters spell
  'pho'", "is 'ip' the last two letters of SUBJ" (a suffix or prefix of exactly N letters, read
  as "does it end with 'ip'"; a string of another length, or not all letters, is not read);
* the letter at a position: "is the [very] first|second|...|last letter [of SUBJ] [not] SPEC",
  "letter number 2", "letter #2", "letter 2" ("the letter 2" is the digit), "the letter at
  position 2", "is SUBJ's [very] last letter [not] SPEC", "is 'a' the letter SUBJ starts|ends
  with", "does the first letter [of SUBJ] [not] come before| after|between ... / fall in the
  first half of the alphabet / precede 'n' / belong to {a, b}", "is 'a' [not] the first letter
  of SUBJ", "does SUBJ [not] have 'a' as its [very] first letter";
* contains: "does SUBJ [not] contain|include|have|use SPEC [in it|anywhere]", "does SUBJ
  lack|exclude SPEC", "is there [no] SPEC in SUBJ|in there", "is the letter 'x' [not] (present|
  found)? in SUBJ", "are both t and u in SUBJ", "does the letter 'x' [not] appear in SUBJ",
  "can 'x' be found in SUBJ", "can you find 'x' inside SUBJ", "is 'x' absent from SUBJ", "is
  SUBJ [not] spelled with SPEC", "is SUBJ written|spelled without SPEC", "is SUBJ free of|missing
  SPEC", "does SUBJ have no spaces",
  "is there no space in SUBJ", "does SUBJ consist of letters only" (no digit or mark; a space
  is none in one reading; "only letters, no digits or spaces": then it is one; "letters and spaces
  only"; "is it all letters", but not "does it have all letters", the alphabet?), marks joined by
  "or" ("any digits or spaces"); SPEC: a letter (with "more than once", "twice", "at least 3 times"
  ...), how many of a letter ("two e's", "two or more A's", "more than one N", "at most one
  'a'", "2+ e's", "multiple 'u's", "more than one instance of the letter O"; "several" alone is
  not read, "several times" is two or more in one reading and three or more in the other), any
  of a set ("any of the letters a, b or c", "a or e"), all of a set ("both a and e", "the
  letters a and e", "all of the letters a, b, c", "both an A and a B", "the vowels A and E", "b
  as well as m"), none ("no e", "none of the letters ...", "neither a nor e"; a negation of
  one, "does it not contain neither ...", is a double negative or one, and is not read), "a
  vowel", "all the vowels" / "every vowel" (with "y" in one reading) / "all five vowels", "a
  space", "a hyphen", "a digit", "an apostrophe", "any
  punctuation", "a special character" (a space is one in one reading), "a double letter", a
  quoted string ("the substring 'an'", "the letter combination 'th'", "the letter pair 'th'",
  "the letters 'th' together"; "can you find 'lu' inside", "does 'st' appear in", "is 'ion'
  absent from", "is there no 'ss' in", "is 'oom' a substring of"), "the word 'river'".  A
  quoted word of three letters or more, said bare, is looked for in "is 'x' in SUBJ", "is
  there 'x' in", "can you find 'x' in", "does 'x' appear in", "is 'x' absent from" only where
  SUBJ names the word ("the keyword", "your word", "its name"): "Is 'water' in it?", "Is
  there 'ice' in the thing?" may ask what the thing holds;
* repeated letters: "is LETTER [not] used|found|present MULT [in SUBJ]", "is LETTER in SUBJ
  MULT", "is LETTER repeated [in SUBJ]", "does LETTER repeat|recur [in SUBJ]", "does LETTER
  appear|occur MULT", "does SUBJ have multiple|two or more|more than one LETTERs" (MULT: "more
  than once", "more than one time", "twice", "at least 2 times" ...; said without "in SUBJ"
  only with a multiplicity); any letter: "does SUBJ have a|any repeated|repeating letter(s)",
  "are there repeated letters in SUBJ", "does any letter appear|occur MULT [in SUBJ]", "is any
  letter repeated|used MULT", "does SUBJ have a letter that appears MULT|repeats", "does SUBJ
  have no repeated letters", "are all the letters in SUBJ different|unique|distinct", "does
  SUBJ have all unique letters".  "Repeated" is anywhere in the keyword (as in "a word with no
  repeated letters"); next to each other is "a double letter" / "twice in a row" / "two of the same letter next
  to each other" / "side by side" ("two E's in a row", "L twice in a row", "Double L?", "any letter
  twice in a row", "is any letter doubled", "no double letters"; "two vowels in a row", "three
  consecutive consonants"; "a double U" is a W and "a double vowel" two readings: not read); every
  letter once ("does every letter appear only once", "are all its letters used just once"; with
  "not", none or not all?, not read); how many of one letter said with "only" ("one E only",
  "once only": exactly); the only vowels ("is E the only vowel", "is the only vowel E", "are A and
  E the only vowels", "are all its vowels A's" (open with none), "are all the vowels the same").  How many of
  a letter, and all of a set, said alone ("Two or more A's?", "More than one N?", "Both I and
  C?", "All of p, j and q?", "is there more than one A"): :data:`HOW_MANY_TEMPLATES`, which
  the oracle reads after "does it have" (no one position holds two letters);
* filed under a letter: "would|is SUBJ [not] [be] listed|filed|indexed|alphabetized under
  LETTER [in an index|a dictionary|the phone book|an encyclopedia ...]", "would it appear|be
  found under D in REFERENCE" (the reference said: "found under D" alone is no question),
  "would you find SUBJ under D [in REFERENCE]", "In a dictionary, would ...": the first
  letter; open for a keyword an index may file under another word ("mount fuji": "Fuji,
  Mount"; "the", "lake", "el").
* the first letter and the last compared: "does SUBJ [not] start and end with the same letter|different
  letters", "are the first and last letters [of SUBJ] the same", "is the first letter the same as the
  last", "Same first and last letter?".

Letters are the keyword's letters and digits in lower case (spaces and punctuation skipped);
the readings of :func:`.phrases.letter_sequences` must agree, and "y" is neither a vowel nor
a consonant for sure.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from .phrases import (
    ALL_LIST,
    ANY_LIST,
    CMP_SAID,
    LETTER1,
    LIST_AND,
    LIST_BARE,
    LIST_BRACKET,
    LIST_OR,
    POSS,
    Q1,
    SUBJ,
    CharTest,
    N,
    Subject,
    Template,
    Test,
    Unparsed,
    agree,
    alt,
    consonant,
    count_test,
    in_range,
    letter_sequences,
    letters_counted,
    letters_of,
    named_letters,
    negate,
    number,
    template,
    texts,
    vowel,
    word_lists,
)

_L = r"(?:the\s+letter\s+)?" + Q1
_ALPHA_IN = r"(?:\s+(?:in\s+the\s+alphabet|alphabetically|in\s+alphabetical\s+order))"
_INCL = r"(?:\s*,?\s*\(?\s*(?:inclusive|inclusively|both\s+included|exclusive|exclusively|not\s+inclusive)\s*\)?)"
#: The half said with its letters, in brackets or after a comma: "(A-M)", ", A to M", ": N through Z".
_HALF_SAID = r"\s*(?:-|to|through|thru)\s*"
_HALF = (
    r"(?:in|from|within)\s+the\s+(?:first|second|last|latter|former)\s+half\s+of\s+the\s+alphabet"
    r"(?:\s*\(\s*" + _L + _HALF_SAID + _L + r"\s*\)|\s*[,:;]\s*(?:i\.?e\.?,?\s*|that\s+is,?\s+|so\s+)?"
    + _L + _HALF_SAID + _L + r")?"
)
#: "among the first 13 letters of the alphabet", "one of the last ten letters of the alphabet".
_FIRST_N = (
    r"(?:in|among|within|from|one\s+of)\s+the\s+(?P<fl>first|last)\s+(?P<n>" + N + r")\s+letters\s+of\s+the\s+"
    r"(?:english\s+)?alphabet"
)
#: "a-m", "a to m", "a through m", "a..m" (after "in", "among", "from": "a letter from A-M").
_TO = r"(?:\s*(?:-|\.\.\.?)\s*|\s+(?:to|through|thru)\s+)"
_BETWEEN = (
    r"(?:(?:somewhere|anywhere)\s+)?(?:alphabetically\s+)?(?:(?:between|from)\s+" + _L
    + r"\s+(?:and|to|through|thru)\s+" + _L + _ALPHA_IN + r"?" + _INCL + r"?"
    r"|(?:in|within|among|from)\s+(?:the\s+range\s+(?:of\s+)?|the\s+letters\s+)?" + _L + _TO + _L + _INCL + r"?"
    r"|(?:in|within)\s+the\s+range\s+(?:of\s+)?" + _L + r"\s+and\s+" + _L + _INCL + r"?"
    r"|(?:in|within)\s+the\s+" + _L + _TO + _L + r"\s+range" + _INCL + r"?"
    r"|(?:(?:any|one)\s+of\s+)?the\s+(?:letters|characters)\s+(?:from\s+)?" + _L + _TO + _L + _INCL + r"?"
    r"|" + Q1 + _TO + Q1 + _INCL + r"?)"
)
_ORDER_WORDS = {
    "before": "lt", "earlier than": "lt", "prior to": "lt", "preceding": "lt", "lower than": "lt",
    "earlier in the alphabet than": "lt", "ahead of": "lt",
    "after": "gt", "later than": "gt", "following": "gt", "higher than": "gt", "later in the alphabet than": "gt",
    "up to": "le", "no later than": "le", "up to and including": "le", "no earlier than": "ge",
    "at or after": "ge", "on or after": "ge", "at or before": "le", "on or before": "le",
}
_ORDER = (
    r"(?:(?:that|which)\s+)?(?:(?:comes?|appears?|is|falls?)\s+)?(?:alphabetically\s+)?" + alt(_ORDER_WORDS) + r"\s+"
    + _L + _ALPHA_IN + r"?"
)
#: "B or earlier", "X or an earlier letter", "M or a later one", "Y or a letter before it (in the
#: alphabet)" (the letter itself included).
_BEFORE_IT = (
    r"(?:an?|any)\s+(?:letter|one)\s+(?:(?P<it_lt>before|earlier\s+than|preceding|ahead\s+of)|after|later\s+than"
    r"|following)\s+(?:it|that|this)(?:\s+one|\s+letter)?"
)
_OR_ORDER = (
    _L + r"\s+or\s+(?:(?:earlier|before|lower|later|after|higher)|(?:an?|any)\s+(?:earlier|lower|later|higher)\s+"
    r"(?:letter|one)|" + _BEFORE_IT.replace("(?P<it_lt>", "(?:") + r")" + _ALPHA_IN + r"?"
)
_OTHER_WORDS = r"(?:other\s+than|except(?:\s+for)?|but|besides|apart\s+from)\s+"
#: "other than B", "other than an I", "other than a vowel".
_OTHER = _OTHER_WORDS + r"(?:(?:an?\s+(?=" + Q1 + r"(?![a-z0-9'])))?" + _L + r"|an?\s+(?:vowel|consonant))"
_RANGE = r"(?:" + _HALF + r"|" + _BETWEEN + r"|" + _ORDER + r"|" + _OR_ORDER + r")"
#: "outside A-M", "outside the range a to m", "outside the i..r range": not between them (the
#: ends inside, as "between A and M" has them).
_OUTSIDE = (
    r"(?:outside|out\s+of)\s+(?:of\s+)?(?:the\s+range\s+(?:of\s+)?)?(?:" + _L + _TO + _L + r"|" + _L + r"\s+and\s+"
    + _L + r"|the\s+" + _L + _TO + _L + r"\s+range)"
)
#: "a letter not between A and M", "a letter that is not in the first half of the alphabet".
_NOT_RANGE = (
    r"(?:an?|any)\s+(?:letter|character)\s+(?:(?:that|which)(?:'s|\s+is)\s+)?not\s+(?:" + _BETWEEN + r"|" + _HALF
    + r")"
)
#: "none of 's', 'c' or 'q'", "neither A nor H": not one of them (at one position).
_NONE_OF = (
    r"(?:none\s+of\s+(?:the\s+)?(?:following\s+)?(?:letters\s+|characters\s+)?:?\s*(?:" + LIST_OR + r"|" + LIST_AND
    + r"|" + LIST_BARE + r"|" + LIST_BRACKET + r")|neither\s+(?:an?\s+)?" + _L + r"\s+nor\s+(?:an?\s+)?" + _L + r")"
)
#: "a letter", "any letter", "a letter that is", "a character which falls".
_A_LETTER = (
    r"(?:(?:an?|any)\s+(?:letter|character)\s+(?:(?:that|which)(?:'s|\s+is|\s+falls|\s+comes|\s+lies|\s+appears)?\s+)?)"
)
_SOME = r"(?:" + _A_LETTER + r"|(?:anything|something)\s+)"
#: "a vowel (a, e, i, o or u)", "a vowel (not counting y)": the vowels the question lists.
_VOWEL_LISTED = (
    r"(?:an?\s+)?vowel\s*\(\s*(?:(?:" + LIST_OR + r"|" + LIST_BARE + r"|" + LIST_AND + r")|(?:(?:not\s+counting|"
    r"excluding|not\s+including|but\s+not|except)\s+(?:the\s+letter\s+)?['\"]?y['\"]?|(?:including|counting|and)\s+"
    r"(?:the\s+letter\s+)?['\"]?y['\"]?|y\s+included|y\s+excluded))\s*\)"
)


def _listed_vowels(span: str) -> CharTest:
    inner = span[span.index("(") + 1 : span.rindex(")")]
    if re.search(r"\by\b|'y'|\"y\"", inner) and not re.search(r"[,]|\bor\b", inner):
        with_y = not re.search(r"not|excluding|except|excluded", inner)
        chosen = frozenset("aeiouy" if with_y else "aeiou")
    else:
        chosen = frozenset(named_letters(inner))
    return lambda c: c in chosen


def _order_test(span: str) -> CharTest:
    # "h or a later letter": the "a" is an article, not a second letter
    it = re.search(r"\s+or\s+" + _BEFORE_IT, span)  # "y or a letter before it": y, or one before y
    said = span[: it.start()] if it else span
    said = re.sub(r"\s+or\s+(?:an?|any)\s+(?:earlier|lower|later|higher)\s+(?:letter|one)\b.*$", "", said)
    (pivot,) = named_letters(
        re.sub(r"^.*?\b(?:than|to|before|after|preceding|following|including)\s+", "", said), count=1
    )
    if it:
        op = "le" if it.group("it_lt") else "ge"
    elif re.search(r"\bor\s+(?:(?:an?|any)\s+)?(?:earlier|before|lower)\b", span):
        op = "le"
    elif re.search(r"\bor\s+(?:(?:an?|any)\s+)?(?:later|after|higher)\b", span):
        op = "ge"
    else:
        words = sorted(_ORDER_WORDS, key=len, reverse=True)
        op = next(_ORDER_WORDS[w] for w in words if re.search(r"\b" + w.replace(" ", r"\s+") + r"\b", span))

    def test(c: str) -> bool | None:
        return {"lt": c < pivot, "le": c <= pivot, "gt": c > pivot, "ge": c >= pivot}[op]

    return test


def _half_test(span: str) -> CharTest:
    """A half of the alphabet, A to M or N to Z; where the letters said with it ("the first half (A-N)")
    disagree with that on a letter, the two readings leave it open."""
    first = re.search(r"\b(?:first|former)\s+half", span) is not None
    half = in_range("a", "m") if first else in_range("n", "z")
    said = re.search(r"alphabet(.+)$", span)
    bounds = letters_of(said.group(1)) if said else ()
    if len(bounds) != 2:
        return half
    stated = in_range(bounds[0], bounds[1])
    return lambda c: stated(c) if stated(c) == half(c) else None


def _first_n_test(span: str) -> CharTest:
    m = re.search(_FIRST_N, span)
    assert m is not None
    n = number(m.group("n"))
    if not 1 <= n <= 26:
        return lambda c: None
    first = m.group("fl") == "first"
    return in_range("a", chr(ord("a") + n - 1)) if first else in_range(chr(ord("z") - n + 1), "z")


def _between_test(span: str) -> CharTest:
    core = re.sub(r"\b(?:somewhere|anywhere|between|from|in|within|the|range|of|and|to|through|thru|letter|alphabet\w*|"
                  r"inclusive\w*|"
                  r"exclusive\w*|not|both|included|order)\b", " ", span)
    found = named_letters(core)
    if len(found) > 2:
        raise Unparsed(span)
    lo, hi = found if len(found) == 2 else found * 2
    exclusive = re.search(r"\bexclusive|\bnot\s+inclusive", span) is not None
    return in_range(lo, hi, inclusive=not exclusive)


def _set_test(span: str) -> CharTest:
    chosen = frozenset(named_letters(span, article=True))
    return lambda c: c in chosen


def _not_range_test(span: str) -> CharTest:
    rest = re.sub(r"^.*?\bnot\s+", "", span)
    inside = _half_test(rest) if re.fullmatch(_HALF, rest) else _between_test(rest)
    return lambda c: None if (within := inside(c)) is None else not within


def _outside_test(span: str) -> CharTest:
    inside = _between_test(re.sub(r"^(?:outside|out\s+of)\s+(?:of\s+)?", "", span))
    return lambda c: None if (within := inside(c)) is None else not within


def _none_of_test(span: str) -> CharTest:
    chosen = frozenset(named_letters(re.sub(r"^(?:none\s+of|neither)\b", "", span), article=True))
    return lambda c: c not in chosen


def _other_test(span: str) -> CharTest:
    rest = re.sub(r"^.*?\b(?:than|except(?:\s+for)?|but|besides|from)\s+", "", span)
    if re.fullmatch(r"an?\s+(?:vowel|consonant)", rest):  # "other than a vowel": not a vowel
        test = vowel if rest.endswith("vowel") else consonant
        return lambda c: None if test(c) is None else not test(c)
    (other,) = named_letters(rest, article=True, count=1)
    return lambda c: c != other


#: The ways to name one letter or a class of letters: (regex, the test it means).
_CHAR_SPECS: tuple[tuple[str, Callable[[str], CharTest]], ...] = (
    (_VOWEL_LISTED, _listed_vowels),
    (r"(?:an?\s+)?vowel|one\s+of\s+the\s+vowels|" + _A_LETTER + r"an?\s+vowel", lambda s: vowel),
    (r"(?:an?\s+)?consonant|" + _A_LETTER + r"an?\s+consonant", lambda s: consonant),
    (r"(?:an?\s+)?(?:digit|numeral|number)", lambda s: str.isdigit),
    (_A_LETTER + r"?" + _HALF, _half_test),
    (_A_LETTER + r"?" + _FIRST_N, _first_n_test),
    (_A_LETTER + r"?" + _BETWEEN, _between_test),
    (_A_LETTER + r"?" + _OUTSIDE, _outside_test),
    (_NOT_RANGE, _not_range_test),
    (_NONE_OF, _none_of_test),
    (_A_LETTER + r"?" + r"(?:" + _ORDER + r"|" + _OR_ORDER + r")", _order_test),
    (_SOME + _OTHER, _other_test),
    (LETTER1 + r"|(?:equal\s+to|the\s+same\s+as)\s+" + LETTER1 + r"|" + ANY_LIST, _set_test),
    (LIST_BARE, _set_test),  # "A, J" at one position: one of them (a position holds one letter)
)
CHAR_SPEC = "(?:" + "|".join(p for p, _ in _CHAR_SPECS) + ")"
#: The letters a position holds when it is asked by what it is not.
_COMPLEMENT = re.compile(
    r"(?:" + _NONE_OF + r"|" + _A_LETTER + r"?" + _OUTSIDE + r"|" + _SOME + _OTHER + r"|" + _NOT_RANGE + r")"
)
_CHAR_SPEC_RES = tuple((re.compile(p), make) for p, make in _CHAR_SPECS)


def char_test(span: str) -> CharTest | None:
    """The test on one letter that ``span`` (a ``CHAR_SPEC``) means."""
    for pattern, make in _CHAR_SPEC_RES:
        if pattern.fullmatch(span):
            return make(re.sub(r"^" + _SOME, "", span))
    return None


# --------------------------------------------------------------------------- positions

_ORDINALS = {
    "first": 0, "1st": 0, "initial": 0, "starting": 0, "opening": 0, "beginning": 0, "leading": 0,
    "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4, "sixth": 5,
    "6th": 5, "seventh": 6, "7th": 6, "eighth": 7, "8th": 7, "ninth": 8, "9th": 8, "tenth": 9, "10th": 9,
    "last": -1, "final": -1, "terminal": -1, "ending": -1, "closing": -1, "trailing": -1, "second to last": -2,
    "second-to-last": -2, "second last": -2, "penultimate": -2, "next to last": -2, "next-to-last": -2,
    "last but one": -2, "last-but-one": -2,
}
_ORD = alt(_ORDINALS)
_PNOUN = r"(?:letter|character|char)"
#: "position 2", "position number two" (counted from 1).
_AT_POSITION = (
    r"(?:(?:at|in)\s+(?:the\s+)?position\s+(?:number\s+|#\s*)?|(?:number|no\.?|#)\s*)(?P<at>[1-9]\d?|one|two|three"
    r"|four|five|six|seven|eight|nine|ten)"
)
#: "the very last letter" (the "very" says nothing more).
_VERY = r"(?:very\s+)?"
POSN = (
    r"(?:(?:the\s+)?" + _VERY + _ORD + r"\s+" + _PNOUN + r"(?:\s+(?:of|in)\s+" + SUBJ + r")?|" + POSS + r"\s+"
    + _VERY + _ORD + r"\s+" + _PNOUN + r"|the\s+initial(?:\s+of\s+" + SUBJ + r")?|initial\s+of\s+" + SUBJ + r"|" + POSS
    + r"\s+initial"
    r"|(?:the\s+)?" + _PNOUN + r"\s+" + _AT_POSITION.replace("(?P<at>", "(?:") + r"(?:\s+(?:of|in)\s+" + SUBJ + r")?"
    r"|(?:" + _PNOUN + r"|position)\s+(?:[1-9]\d?|one|two|three|four|five|six|seven|eight|nine|ten)(?:\s+(?:of|in)\s+"
    + SUBJ + r")?|(?:the\s+)?" + _PNOUN + r"\s+(?:in|at)\s+the\s+" + _ORD + r"\s+(?:position|place|spot|slot)"
    r"(?:\s+(?:of|in)\s+" + SUBJ + r")?)"
)
_ORD_RE = re.compile(r"(?<![a-z\-])" + _ORD + r"(?![a-z\-])")
_AT_POSITION_RE = re.compile(_AT_POSITION)
#: "letter 2", "character three" (a position: "the letter 2" is the digit).
_PLAIN_POSITION_RE = re.compile(
    r"(?:letter|character|char|position)\s+(?P<at>[1-9]\d?|one|two|three|four|five|six|seven|eight|nine|ten)\b"
)


def _position(span: str) -> tuple[int, str]:
    unit = "character" if re.search(r"\bchar(?:acter)?\b", span) else "letter"
    at = _AT_POSITION_RE.search(span) or _PLAIN_POSITION_RE.match(span)
    if at:
        return number(at.group("at")) - 1, unit
    m = _ORD_RE.search(span)
    assert m is not None
    return _ORDINALS[" ".join(m.group(0).split())], unit


def _unit(span: str, unit: str = "letter") -> str:
    """"alnum" when the question names a digit as one of the letters, or asks for a digit (then it
    counts them)."""
    if re.search(r"\b(?:digits?|numerals?|numbers?)\b", span):
        return "alnum"
    return "alnum" if any(c.isdigit() for c in letters_of(span)) else unit


def _at(index: int, unit: str, test: CharTest, beyond: bool | None = False) -> Test:
    """``test`` on the letter at ``index``; where the keyword has no such letter, ``beyond``: it
    is not the one asked (False), or, for a letter asked by what it is not ("none of A or B",
    "outside A-M", "other than A"), who can say (None)."""

    def run(s: Subject) -> bool | None:
        out: list[bool | None] = []
        for seq in letter_sequences(s.keyword, unit):
            if not -len(seq) <= index < len(seq):
                out.append(beyond if seq else None)
            else:
                out.append(test(seq[index]))
        return agree(out)

    return run


_STRING = (
    r"(?:the\s+(?:letters|prefix|suffix|string|sequence|characters|substring|letter\s+(?:combination|sequence|string"
    r"|pair|group|cluster)|(?:combination|sequence|string|pair|group|cluster)\s+of\s+letters)\s+)?(?:'[^']{2,30}'"
    r"|\"[^\"]{2,30}\")"
    r"(?:\s+(?:together|in\s+a\s+row|consecutively|next\s+to\s+each\s+other|side\s+by\s+side))?"
)
_WORD = r"the\s+word\s+(?:'[^']{1,40}'|\"[^\"]{1,40}\"|[a-z0-9]+)"
EDGE_SPEC = r"(?:" + CHAR_SPEC + r"|" + _STRING + r"|" + _WORD + r")"
#: A prefix or a suffix: written with its hyphen, quoted or not ("ends in -ing", "starts with un-",
#: "starts with 'un-'", "ends with the suffix '-ing'"), or named so ("the prefix re", "the suffix ing",
#: "the letters th"; quoted, "the suffix 'ing'", too).  The hyphen and the noun say which end the
#: string is at: said at the other end ("starts with -ing", "ends with the prefix un") it is no
#: question (:func:`_affix`).
_AFFIX_NOUN = r"(?:the\s+(?:suffix|prefix|ending|letters)\s+)"
_AFFIX = (
    r"(?:" + _AFFIX_NOUN + r"?(?:'-?[a-z0-9]{1,20}-?'|\"-?[a-z0-9]{1,20}-?\"|-[a-z0-9]{1,20}|[a-z0-9]{1,20}-)"
    r"|" + _AFFIX_NOUN + r"[a-z0-9]{2,20})"
)
_AFFIX_RE = re.compile(_AFFIX)
#: A prefix or suffix said after its noun: "'un'", "-ing", "un-", "ing".
_AFFIX_BODY = r"'-?[a-z0-9]{1,20}-?'|\"-?[a-z0-9]{1,20}-?\"|-?[a-z0-9]{1,20}-?"


def _string_at(text: str, start: bool) -> Test:
    """``text`` at the start (or the end) of the keyword as written and of its letters run together."""
    return lambda s: agree((t.startswith(text) if start else t.endswith(text)) for t in texts(s.keyword, text))


def _affix(spec: str, start: bool) -> str | None:
    """The string an affix ``spec`` names at the start (``start``) or at the end; None where what
    it says is at the other end ("starts with -ing", "begins with the suffix 'ing'"), at both ("'-un-'"),
    or nothing is said of an end (a quoted string with no hyphen and no noun is :data:`_STRING`)."""
    m = re.fullmatch(r"(?:the\s+(?P<noun>suffix|prefix|ending|letters)\s+)?['\"]?(?P<text>.+?)['\"]?", spec)
    if m is None:
        return None
    noun, text = m.group("noun"), m.group("text")
    sides = set()
    if noun in ("suffix", "ending"):
        sides.add("end")
    if noun == "prefix":
        sides.add("start")
    if text.startswith("-"):
        sides.add("end")
    if text.endswith("-"):
        sides.add("start")
    text = text.strip("-")
    if not text.isalnum() or len(sides) > 1 or sides == {"start" if not start else "end"}:
        return None
    return text


def _quoted_text(span: str) -> str:
    m = re.search(r"'([^']+)'|\"([^\"]+)\"", span)
    if m:
        return (m.group(1) or m.group(2)).strip()
    return span.split()[-1]


def _double_negative(m: re.Match[str]) -> bool:
    """"does it not start with none of a, b or c", "is the first letter not neither a nor b": a
    double negative, or one said twice?  Not read."""
    return bool(m.groupdict().get("neg")) and re.fullmatch(_NONE_OF + r"|" + _NOT_RANGE, m.group("spec")) is not None


def _edge(m: re.Match[str]) -> Test | None:
    spec = m.group("spec")
    start = m.group("end") is None
    if _double_negative(m):
        return None
    if (_AFFIX_RE.fullmatch(spec) is not None and ("-" in spec or spec.startswith("the "))) or re.fullmatch(
        r"the\s+(?:suffix|prefix|ending)\s+.+", spec
    ):
        text = _affix(spec, start)
        return None if text is None else _string_at(text, start)  # None: "starts with -ing"
    if re.fullmatch(_WORD, spec):
        word = _quoted_text(spec)
        return lambda s: agree((ws[0] if start else ws[-1]) == word if ws else False for ws in word_lists(s.keyword))
    if re.fullmatch(_STRING, spec):
        text = _quoted_text(spec)
        if start:
            return lambda s: agree(t.startswith(text) for t in texts(s.keyword, text))
        return lambda s: agree(t.endswith(text) for t in texts(s.keyword, text))
    test = char_test(spec)
    return None if test is None else _at(0 if start else -1, _unit(spec), test)


def _has_affix(m: re.Match[str]) -> Test | None:
    """"does it have the prefix 'un'", "does it have the suffix -ing": the string at that end."""
    kind = m.groupdict().get("kind") or m.groupdict().get("kind2") or ""
    start = kind == "prefix"
    text = _affix(f"the {kind} {m.group('body')}", start)
    return None if text is None else _string_at(text, start)


def _letter_is_position(m: re.Match[str]) -> Test | None:
    index, unit = _position(m.group("pos"))
    return _at(index, _unit(m.group("spec"), unit), _set_test(m.group("spec")))


_POS_SPEC = CHAR_SPEC
_POS_VERB = (
    r"(?:(?:come|comes|fall|falls|appear|lie|sit|go|occur|belong)\s+(?:" + _RANGE + r"|" + _BETWEEN + r")"
    r"|(?:precede|follow)\s+" + _L + _ALPHA_IN + r"?|(?:equal|match)\s+(?:" + LETTER1 + r"|" + ANY_LIST + r")"
    r"|belong\s+(?:" + ANY_LIST + r"|to\s+" + LIST_BRACKET + r"))"
)


def _position_verb(m: re.Match[str]) -> Test | None:
    index, unit = _position(m.group("pos"))
    verb = r"^(?:come|comes|fall|falls|appear|lie|sit|go|occur|belong(?:\s+to(?=\s*[\[({]))?|equal|match)\s+"
    spec = re.sub(verb, "", m.group("spec"))
    spec = re.sub(r"^precede\s+", "before ", re.sub(r"^follow\s+", "after ", spec))
    test = char_test(spec)
    return None if test is None else _at(index, unit, test)


def _pos_spec_is(m: re.Match[str]) -> Test | None:
    if _double_negative(m):
        return None
    index, unit = _position(m.group("pos"))
    spec = m.group("spec")
    test = char_test(spec)
    beyond = None if _COMPLEMENT.fullmatch(spec) else False
    return None if test is None else _at(index, _unit(spec, unit), test, beyond)


# ------------------------------------------------------------------ filed under a letter

#: Where a word is filed by its first letter: "an index", "the dictionary", "a phone book".
_REFERENCE = (
    r"(?:an?\s+|the\s+|any\s+)?(?:index|dictionary|encyclop(?:a)?edia|phone\s*book|telephone\s+(?:book|directory)"
    r"|directory|glossary|atlas|gazetteer|alphabetical\s+(?:list(?:ing)?|index)|a-z\s+(?:list|index)|catalog(?:ue)?"
    r"|library\s+catalog(?:ue)?)"
)
_IN_REFERENCE = r"(?:\s+(?:in|of)\s+" + _REFERENCE + r")"
#: Verbs that say "filed" on their own ("listed under D"), and verbs that need the reference
#: ("found under D in a dictionary": "under D" alone may be a place).
_FILED = r"(?:listed|filed|indexed|alphabeti[sz]ed|catalogu?ed|shelved|entered)"
_GOES = r"(?:found|placed|sorted|put|appear|go|come|fall|belong|sit|be)"
_UNDER = r"under\s+(?P<spec>" + LETTER1 + r")"
#: First words that an index may put after the rest ("Fuji, Mount", "Alps, The").
_INVERTED = frozenset(("the", "a", "an", "mount", "mt", "mont", "lake", "el"))


def _filed(m: re.Match[str]) -> Test | None:
    if not (m.group("filed") or m.group("ref")):
        return None  # "would it be found under D?": under what?
    spec = m.group("spec")
    first = _at(0, _unit(spec), _set_test(spec))

    def run(s: Subject) -> bool | None:
        words = s.lower.split()
        return None if words and words[0] in _INVERTED else first(s)

    return run


_FILED_TEMPLATES: tuple[Template, ...] = (
    template("letter", r"(?:in\s+" + _REFERENCE + r"\s*,\s*)?(?:would|will|does|do|is|could|might|should)\s+" + SUBJ
             + r"\s+(?P<neg>not\s+)?(?:be\s+)?(?:(?P<filed>" + _FILED + r")|" + _GOES + r")\s+" + _UNDER + r"(?P<ref>"
             + _IN_REFERENCE + r")?", _filed),
    template("letter", r"(?:in\s+" + _REFERENCE + r"\s*,\s*)?(?:would|will|can|could|do|might)\s+(?:you|i|one|we)\s+"
             r"(?P<neg>not\s+)?(?P<filed>find|look\s+(?:for|up))\s+" + SUBJ + r"\s+" + _UNDER + r"(?P<ref>"
             + _IN_REFERENCE + r")?", _filed),
    # "would you file it under Y", "would you list the keyword under D in an index" ("put it under D": under what?)
    template("letter", r"(?:in\s+" + _REFERENCE + r"\s*,\s*)?(?:would|will|can|could|do|might|should)\s+"
             r"(?:you|i|one|we)\s+(?P<neg>not\s+)?(?:(?P<filed>file|list|index|alphabeti[sz]e|catalogu?e|shelve)|put|place|sort|enter)\s+"
             + SUBJ + r"\s+" + _UNDER + r"(?P<ref>" + _IN_REFERENCE + r")?", _filed),
)


# ---------------------------------------------------------------------------- contains

_MULT_WORDS = {
    "more than once": (2, None), "at least twice": (2, None), "two or more times": (2, None),
    "multiple times": (2, None), "repeatedly": (2, None),
    "at least once": (1, None), "exactly once": (1, 1), "only once": (1, 1), "just once": (1, 1),
    "exactly twice": (2, 2), "at most once": (0, 1), "no more than once": (0, 1), "once": (1, 1), "twice": (2, 2),
    "three times": (3, 3), "thrice": (3, 3), "twice or more": (2, None), "two times or more": (2, None),
    "once or more": (1, None), "once only": (1, 1), "twice only": (2, 2),
}
_MULT = (
    r"(?:" + alt(_MULT_WORDS) + r"|(?:(?:exactly|at\s+least|more\s+than|only|just)\s+)?" + N + r"\s+times?(?:\s+only)?"
    r"|" + N + r"\s+or\s+more\s+times|(?:at\s+least|more\s+than)\s+(?:once|twice)|several\s+times)"
)


def _mult_bounds(span: str) -> tuple[tuple[int, int | None], ...]:
    """The readings of a multiplicity, as (at least, at most) pairs: "twice", "once" and
    "3 times" are "exactly" in one reading and "at least" in the other."""
    text = " ".join(span.split())
    if text in _MULT_WORDS:
        lo, hi = _MULT_WORDS[text]
        exact = text.startswith(("exactly", "only", "just", "at most", "no more")) or text.endswith("only")
        if hi is not None and not exact:
            return ((lo, hi), (lo, None))
        return ((lo, hi),)
    if text == "multiple":
        return ((2, None),)
    if text == "several times":  # two or more, or three or more
        return ((2, None), (3, None))
    m = re.fullmatch(r"(?:(exactly|only|just|at least|more than)\s+)?(\w+)(?:\s+or\s+(more))?(?:\s+times?)?(\s+only)?",
                     text)
    assert m is not None
    words = {"once": 1, "twice": 2}
    n = words[m.group(2)] if m.group(2) in words else number(m.group(2))
    how = m.group(1) or ("at least" if m.group(3) else None) or ("only" if m.group(4) else None)
    if how in ("exactly", "only", "just"):
        return ((n, n),)
    if how == "at least":
        return ((n, None),)
    if how == "more than":
        return ((n + 1, None),)
    return ((n, n), (n, None))


def _count_of(c: str, bounds: Sequence[tuple[int, int | None]]) -> Test:
    def run(s: Subject) -> bool | None:
        out: list[bool | None] = []
        for seq in letter_sequences(s.keyword, _unit(c)):
            n = seq.count(c)
            out.extend(n >= lo and (hi is None or n <= hi) for lo, hi in bounds)
        return agree(out)

    return run


def _count_check(c: str, check: Callable[[int], bool | None]) -> Test:
    """How often ``c`` occurs, compared as ``check`` says (every reading of the letters)."""
    return lambda s: agree(check(seq.count(c)) for seq in letter_sequences(s.keyword, _unit(c)))


def _any_of(chars: Sequence[str], need_all: bool = False) -> Test:
    unit = _unit(" ".join(chars))

    def run(s: Subject) -> bool | None:
        seqs = letter_sequences(s.keyword, unit)
        if need_all:
            return agree(all(c in seq for c in chars) for seq in seqs)
        return agree(any(c in seq for c in chars) for seq in seqs)

    return run


def _class_in(test: CharTest) -> Test:
    def run(s: Subject) -> bool | None:
        out: list[bool | None] = []
        for seq in letter_sequences(s.keyword):
            found = [test(c) for c in seq]
            out.append(True if True in found else (None if None in found else False))
        return agree(out)

    return run


def _twice_in_a_row(c: str) -> Test:
    """``c`` twice in a row, in the keyword as written and in its letters run together."""
    return lambda s: agree(c * 2 in t for t in texts(s.keyword, c * 2))


def _run_of(spec: str) -> Test | None:
    """A letter ``spec`` (:data:`_RUN`) says is there two or three times in a row."""
    times = 3 if re.search(r"\b(?:three|3|thrice)\b", spec) else 2
    core = re.sub(r"^(?:two|2|three|3)\s+", "", re.sub(r"\s+(?:twice|two\s+times|thrice|three\s+times)\s.*$", "", spec))
    core = re.sub(r"^(?:consecutive|adjacent)\s+", "", re.sub(r"\s+" + _IN_A_ROW + r"$", "", core))
    one = re.fullmatch(
        r"(?:(?:the\s+)?(?:letter|character)s?\s+)?(?:'([a-z0-9])'|\"([a-z0-9])\"|([a-z0-9]))(?:'?s)?", core
    )
    if one is None:
        raise Unparsed(spec)
    c = one.group(1) or one.group(2) or one.group(3)
    run = c * times
    return lambda s: agree(run in t for t in texts(s.keyword, run))


def _class_run(spec: str) -> Test:
    """N vowels (consonants) next to each other, in the keyword as written and in its letters run
    together; "y" a vowel in one reading and a consonant in the other."""
    n = number(spec.split()[0])
    test = vowel if "vowel" in spec else consonant

    def found(text: str) -> bool | None:
        marks = [test(c) for c in text]
        windows = [marks[i : i + n] for i in range(len(marks) - n + 1)]
        if any(all(x is True for x in w) for w in windows):
            return True
        return None if any(all(x is not False for x in w) for w in windows) else False

    return lambda s: agree(found(t) for t in texts(s.keyword, "xx"))


def _doubled(m: re.Match[str]) -> Test | None:
    (c,) = named_letters(m.group("spec"), article=True, count=1)
    return _twice_in_a_row(c)


def _double(s: Subject) -> bool | None:
    low = s.lower
    readings = (
        any(a == b for a, b in itertools.pairwise(s.letters)),
        any(a == b and a.isalnum() for a, b in itertools.pairwise(low)),
    )
    return agree(readings)


_SPACE = r"(?:an?|any)\s+(?:space|spaces|blank|blanks|blank\s+space|whitespace)"
_HYPHEN = r"(?:an?|any)\s+(?:hyphen|hyphens|dash|dashes)"
_DIGIT = r"(?:an?|any)\s+(?:digit|digits|numeral|numerals|number|numbers)"
#: Next to each other: "in a row", "next to each other", "side by side", "back to back", "consecutively".
_IN_A_ROW = (
    r"(?:in\s+a\s+row|next\s+to\s+(?:each\s+other|one\s+another)|side\s+by\s+side|back\s+to\s+back|consecutively)"
)
_DOUBLE = (
    r"(?:an?|any)\s+(?:double|doubled)\s+letters?|double\s+letters?|the\s+same\s+letter\s+twice\s+" + _IN_A_ROW
    + r"|(?:two|2)\s+(?:identical\s+letters|of\s+the\s+same\s+letters?|same\s+letters)\s+" + _IN_A_ROW
    + r"|(?:any\s+)?(?:consecutive|adjacent)\s+(?:identical|repeated|matching)\s+letters"
)
#: A letter said twice (or three times) in a row: "two E's in a row", "the letter L twice in a row",
#: "L twice in a row", "three S's back to back" (group ``run``); any letter: "a letter twice in a row",
#: "any letter that appears twice in a row" (the double letter of :data:`_DOUBLE`).
_RUN = (
    r"(?:(?:two|2|three|3)\s+(?:(?:letter|character)s?\s+)?" + Q1 + r"(?:'?s)?|(?:(?:the\s+)?(?:letter|character)\s+)?"
    + Q1 + r"\s+(?:twice|two\s+times|thrice|three\s+times))\s+" + _IN_A_ROW
    + r"|(?:two|2|three|3)\s+(?:consecutive|adjacent)\s+(?:(?:letter|character)s?\s+)?" + Q1 + r"(?:'?s)?"
)
_ANY_RUN = (
    r"(?:an?|any|some)\s+(?:letter|character)\s+(?:(?:that|which)\s+(?:appears|occurs|is\s+repeated|repeats|shows\s+up)"
    r"\s+)?twice\s+" + _IN_A_ROW
)
#: Vowels or consonants next to each other: "two vowels in a row", "three consecutive consonants" (not
#: "a double vowel": the same vowel twice, or two vowels?).
_CLASS_RUN = (
    r"(?:two|2|three|3|four|4)\s+(?:(?:consecutive|adjacent)\s+(?:vowels|consonants)(?:\s+" + _IN_A_ROW
    + r")?|(?:vowels|consonants)\s+" + _IN_A_ROW + r")"
)
_NO_DOUBLE = r"no\s+(?:double|doubled|repeated\s+adjacent)\s+letters?"
#: One letter twice in a row: "a double O", "a double 'l'" ("a double U" is a W: not read).
_DOUBLE_ONE = r"(?:an?\s+)?double\s+(?:(?:the\s+)?letter\s+)?(?:'[a-z]'|\"[a-z]\"|[a-z])(?:'?s)?"
_VOWEL_IN = r"(?:an?|any)\s+vowels?"
_CONSONANT_IN = r"(?:an?|any)\s+consonants?"
#: How many of one letter: "two e's", "more than one N", "two or more A's", "at most one 'a'",
#: "2+ e's", "multiple 'u's" ("several" may be two or more than two: not read).
_N_LETTER = (
    r"(?P<nmult>" + CMP_SAID + r"|" + N + r"|multiple|one\s+and\s+only\s+one)\s+(?:(?:instances?|occurrences?"
    r"|cop(?:y|ies))\s+of\s+(?:the\s+)?)?"
    r"(?:(?:letter|character)s?\s+)?(?:'(?P<nq1>[a-z0-9])'|\"(?P<nq2>[a-z0-9])\"|(?P<nq3>[a-z0-9]))(?:'?s)?"
    r"(?P<nonly>\s+(?:only|and\s+no\s+more|exactly))?"
)
_N_LETTER_RE = re.compile(_N_LETTER)
_NONE = (
    r"(?:no\s+(?:letter\s+|character\s+)?" + Q1 + r"(?:'?s)?|none\s+of\s+(?:the\s+)?(?:following\s+)?"
    r"(?:letters\s+|characters\s+)?:?\s*(?:" + LIST_OR + r"|" + LIST_AND + r"|" + LIST_BARE + r"|" + LIST_BRACKET + r")"
    r"|neither\s+(?:an?\s+)?" + _L + r"\s+nor\s+(?:an?\s+)?" + _L + r"|no\s+(?:vowels?|consonants?))"
)
_ANY_ONE = r"(?:any|some)\s+" + Q1 + r"(?:'?s)?"
_NO_MARK = (
    r"no\s+(?:spaces?|blanks?|whitespace|hyphens?|dashes?|digits?|numerals?|numbers?|apostrophes?|punctuation(?:\s+marks?)?"
    r"|special\s+characters?|symbols?)"
)
#: "all the vowels", "every vowel", "all five vowels": a, e, i, o, u (and "y", in one reading).
_ALL_VOWELS = (
    r"(?:(?:all|each|every\s+one)\s+(?:of\s+)?(?:the\s+)?(?P<five>five\s+)?vowels|every\s+(?:single\s+)?vowel)"
    r"(?:\s*\(\s*a,?\s+e,?\s+i,?\s+o,?\s+(?:and|or)?\s*u\s*\))?"
)
#: Marks that are no letter, digit or space: "an apostrophe", "any punctuation", "a special character".
_MARKS = {
    "apostrophe": "'\u2019", "punctuation": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\u2019",
}
#: Marks said one or another: "any digits or spaces", "a hyphen, a space or an apostrophe".
_MARK_ONE = (
    r"(?:an?\s+|any\s+)?(?:spaces?|blanks?|hyphens?|dashes?|digits?|numerals?|numbers?|apostrophes?"
    r"|punctuation(?:\s+marks?)?|special\s+characters?|symbols?)"
)
_MARKS_OR = _MARK_ONE + r"(?:\s*,\s*" + _MARK_ONE + r")*\s*,?\s+or\s+" + _MARK_ONE
_PUNCT = (
    r"(?:an?|any)\s+(?:apostrophes?|punctuation(?:\s+marks?)?|special\s+characters?|symbols?|non-?\s?letter\s+"
    r"characters?)|punctuation(?:\s+marks)?|special\s+characters|symbols|apostrophes|non-?\s?letter\s+characters"
)


def _contain_spec(spec: str) -> tuple[Test, bool] | None:
    """(test, negated) of what a contains-question asks about."""
    if re.fullmatch(r"no\s+vowels?", spec):
        return _class_in(vowel), True
    if re.fullmatch(r"no\s+consonants?", spec):
        return _class_in(consonant), True
    if re.fullmatch(_NONE, spec):
        spec = re.sub(r"^(no\s+(?:letter\s+|character\s+)?" + Q1 + r")'?s$", r"\1", spec)  # "no a's": "no a"
        return _any_of(named_letters(re.sub(r"^(?:no|none\s+of|neither)\b", "", spec), article=True)), True
    if re.fullmatch(_NO_MARK, spec):  # "no spaces": not "any spaces"
        found = _contain_spec("any " + spec[2:].strip())
        return (found[0], True) if found is not None else None
    m = re.fullmatch(r"(?P<letter>" + LETTER1 + r")\s+(?P<mult>" + _MULT + r")", spec)
    if m:
        return _count_of(named_letters(m.group("letter"), article=True)[0], _mult_bounds(m.group("mult"))), False
    m = _N_LETTER_RE.fullmatch(spec)
    if m:
        mult, letter = m.group("nmult"), m.group("nq1") or m.group("nq2") or m.group("nq3")
        if mult.startswith("one and only"):  # "one and only one e"
            return _count_check(letter, lambda v: v == 1), False
        if m.group("nonly"):  # "one e only", "two a's exactly": exactly that many
            if not re.fullmatch(N, mult):
                return None  # "more than one e only": which?
            return _count_check(letter, count_test(mult)), False
        if re.fullmatch(CMP_SAID, mult):  # "two or more a's": the comparison said
            return _count_check(letter, count_test(mult)), False
        return _count_of(letter, _mult_bounds(mult)), False
    m = re.fullmatch(_ALL_VOWELS, spec)
    if m:
        sets = ("aeiou",) if m.group("five") or "(" in spec else ("aeiou", "aeiouy")
        return _all_of_sets(sets), False
    if re.fullmatch(_PUNCT, spec):
        return _marks(spec), False
    if re.fullmatch(_MARKS_OR, spec):  # "any digits or spaces": one of them
        found_or = _marks_or(spec)
        return None if found_or is None else (found_or, False)
    simple: tuple[tuple[str, Test], ...] = (
        (_SPACE, lambda s: " " in s.lower), (_HYPHEN, lambda s: "-" in s.lower),
        (_DIGIT, lambda s: any(c.isdigit() for c in s.lower)), (_DOUBLE, _double),
        (_VOWEL_IN, _class_in(vowel)), (_CONSONANT_IN, _class_in(consonant)),
    )
    for pattern, test in simple:
        if re.fullmatch(pattern, spec):
            return test, False
    if re.fullmatch(_RUN, spec):
        found_run = _run_of(spec)
        return None if found_run is None else (found_run, False)
    if re.fullmatch(_ANY_RUN, spec):
        return _double, False
    if re.fullmatch(_NO_DOUBLE, spec):
        return _double, True
    if re.fullmatch(_CLASS_RUN, spec):
        return _class_run(spec), False
    if re.fullmatch(_DOUBLE_ONE, spec):
        (c,) = named_letters(re.sub(r"^(?:an?\s+)?double\s+", "", spec), count=1)
        return None if c == "u" else (_twice_in_a_row(c), False)
    if re.fullmatch(_WORD, spec):
        word = _quoted_text(spec)
        return (lambda s: agree(word in ws for ws in word_lists(s.keyword))), False
    if re.fullmatch(r"(?:no\s+)?" + _STRING, spec):
        text = _quoted_text(spec)
        if text.startswith("-") or text.endswith("-"):
            return None  # "does it contain 'un-'": the prefix, or those characters?
        return (lambda s: agree(text in t for t in texts(s.keyword, text))), spec.startswith("no")
    if re.fullmatch(ALL_LIST, spec):
        if not letters_counted(spec):
            return None  # "all three letters a and b"
        return _any_of(named_letters(spec, article=True), need_all=True), False
    m = re.fullmatch(r"(?:any|some)\s+(" + Q1 + r")(?:'?s)?", spec)
    if m:  # "any e's", "any 'e's": the quote that closes the letter is no apostrophe
        return _any_of(named_letters(m.group(1))), False
    if re.fullmatch(LETTER1 + r"|" + ANY_LIST, spec):
        return _any_of(named_letters(spec, article=True)), False
    return None


def _marks_or(spec: str) -> Test | None:
    """One of the marks a :data:`_MARKS_OR` span names ("any digits or spaces"): yes where one is
    there for sure, no where none is, else open."""
    items = [re.sub(r"^(?:an?|any)\s+", "", x) for x in re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", spec)]
    said = [_contain_spec("any " + x) for x in items]
    tests = [x[0] for x in said if x is not None and not x[1]]
    if len(tests) != len(said):
        return None

    def run(s: Subject) -> bool | None:
        found = [t(s) for t in tests]
        return True if True in found else (None if None in found else False)

    return run


def _all_of_sets(sets: Sequence[str]) -> Test:
    """Every letter of one of ``sets`` in the keyword (each set a reading; all must agree)."""
    return lambda s: agree(all(c in seq for c in v) for v in sets for seq in letter_sequences(s.keyword))


def _marks(spec: str) -> Test:
    """An apostrophe, punctuation, or a special character: for the last, a space is one in one
    reading and not in the other."""
    if "apostrophe" in spec:
        return lambda s: any(c in _MARKS["apostrophe"] for c in s.keyword)
    if "punctuation" in spec:
        return lambda s: any(c in _MARKS["punctuation"] for c in s.keyword)
    return lambda s: agree((any(not c.isalnum() and c != " " for c in s.keyword.strip()),
                            any(not c.isalnum() for c in s.keyword.strip())))


CONTAIN_SPEC = (
    r"(?:" + _ALL_VOWELS + r"|" + _PUNCT + r"|" + _NONE + r"|" + LETTER1 + r"\s+" + _MULT + r"|" + _N_LETTER + r"|"
    + _SPACE + r"|" + _HYPHEN + r"|" + _DIGIT + r"|" + _NO_MARK + r"|" + _DOUBLE + r"|" + _DOUBLE_ONE + r"|" + _RUN
    + r"|" + _ANY_RUN + r"|" + _NO_DOUBLE + r"|" + _CLASS_RUN + r"|" + _MARKS_OR + r"|" + _VOWEL_IN
    + r"|" + _CONSONANT_IN + r"|" + _WORD + r"|" + _STRING + r"|"
    + ALL_LIST + r"|" + LETTER1 + r"|" + ANY_LIST + r"|" + _ANY_ONE + r")"
)


def _hyphenated(m: re.Match[str]) -> Test | None:
    return lambda s: "-" in s.keyword


_MARK_NOUN = (
    r"(?:spaces?|blanks?|whitespace|digits?|numbers?|numerals?|hyphens?|dashes?|punctuation(?:\s+marks?)?|symbols?"
    r"|apostrophes?|special\s+characters?)"
)
#: "letters only", "only letters", "nothing but letters", with what it has not said after it ("only
#: letters, no digits or spaces", "letters only (no spaces)"), or "letters and spaces only".
_ONLY_LETTERS = (
    r"(?P<only>(?:(?:only|just|entirely|purely|solely)\s+(?:letters|alphabetic(?:al)?\s+characters)"
    r"|(?:letters|alphabetic(?:al)?\s+characters)\s+only|nothing\s+but\s+letters|(?:entirely|purely)\s+alphabetic(?:al)?)"
    r"(?:\s*(?:[,;(]|\s-+|\s+and|\s+with|\s+but)\s*(?:and\s+|with\s+|but\s+)?no\s+" + _MARK_NOUN
    + r"(?:\s*(?:,|\s+or|\s+and|\s+nor)\s*(?:no\s+)?" + _MARK_NOUN + r")*\s*\)?)?|(?P<spaced>(?:only|just)\s+letters\s+"
    r"and\s+spaces|letters\s+and\s+spaces\s+only))"
)


def _letters_only(m: re.Match[str]) -> Test | None:
    """Letters only: no digit or mark; a space is none in one reading, unless the question says
    "no spaces" (then it is one) or "letters and spaces only" (then it is allowed)."""
    spaced = m.group("spaced") is not None
    said = m.group("only") or ""
    no_space = re.search(r"\bno\s+(?:[a-z ,]+\s)?(?:spaces?|blanks?|whitespace)\b", said) is not None

    def test(s: Subject) -> bool | None:
        low = s.keyword.lower().strip()
        without, strict = all(c.isalpha() for c in low.replace(" ", "")), all(c.isalpha() for c in low)
        if spaced:
            return without
        return strict if no_space else agree((without, strict))

    return test


def _negated_list_is_ambiguous(m: re.Match[str]) -> bool:
    """A negated "and" list that reads "neither" as well as "not both": "is it free of k and n",
    "does it lack k and n", "does it not contain k and n", "are both k and n not in it".  Only
    "not" before an explicit "both" / "all of" ("does it not contain both k and n") says "not
    all of them"."""
    groups = m.groupdict()
    neg, lexical = groups.get("neg"), groups.get("neg2")
    if lexical:
        return True
    if not neg:
        return False
    if m.start("neg") > m.end("spec"):
        return True
    return re.match(r"(?:both|all|each|every\s+one)\b", m.group("spec")) is None


def _contains(m: re.Match[str]) -> Test | None:
    spec = m.group("spec")
    mult = m.groupdict().get("mult") or m.groupdict().get("mult2")
    if mult:
        spec = f"{spec} {mult.strip()}"
    if re.fullmatch(ALL_LIST, spec) and _negated_list_is_ambiguous(m):
        return None
    found = _contain_spec(spec)
    if found is None:
        return None
    test, negated = found
    if negated and (m.groupdict().get("neg") or m.groupdict().get("neg2")):
        return None  # "does it not contain neither a nor b", "is it free of no e": a double negative, or one?
    return negate(test) if negated else test


#: Marks said bare after "without" ("written without spaces").
_BARE_MARKS = r"(?:spaces|blanks|whitespace|hyphens|dashes|digits|numerals|numbers)"


def _without(m: re.Match[str]) -> Test | None:
    """What "is it written without SPEC" asks not to be there (the template's ``neg2`` negates):
    "without spaces" is "without any spaces"; "without no spaces" and "not written without spaces"
    (double negatives) are not read."""
    spec = m.group("spec")
    found = _contain_spec("any " + spec if re.fullmatch(_BARE_MARKS, spec) else spec)
    if found is None or found[1] or m.group("neg"):
        return None  # "not written without": a double negative
    return found[0]


_IN = r"(?:anywhere\s+|somewhere\s+)?(?:in|within|inside|part\s+of)\s+" + SUBJ
_TAIL = (
    r"(?:\s+(?:in\s+it|in\s+there|anywhere(?:\s+in\s+it)?|somewhere(?:\s+in\s+it)?|at\s+all|in\s+(?:its|the)\s+(?:name|spelling)"
    r"|in\s+the\s+word|when\s+spelled(?:\s+out)?))?"
)
_FOUND = r"(?:present|found|contained|included|used|located|seen|spotted)"
_HAS = r"(?:contain|contains|include|includes|have|has|use|uses|feature|possess)"
_LACKS = r"(?:lack|lacks|exclude|excludes|miss|misses|omit|omits|avoid|avoids)"
_LETTER_OR_LIST = r"(?:(?:the\s+)?(?:letter|character)\s+" + Q1 + r"|" + Q1 + r"|" + ANY_LIST + r")"
#: What is looked for where: a letter, a set, or a quoted string ("can you find 'lu' in it").
_FOUND_SPEC = r"(?:" + _LETTER_OR_LIST + r"|" + _STRING + r")"
#: "in the keyword", its subject in the group ``subj`` (see :func:`_contains_found`).
_IN_NAMED = r"(?:anywhere\s+|somewhere\s+)?(?:in|within|inside|part\s+of)\s+(?P<subj>" + SUBJ + r")"
#: A quoted string said with no noun ("the string 'ab'" has one), of three characters or more.
_BARE_STRING = r"(?:no\s+)?(?:'[^']{3,30}'|\"[^\"]{3,30}\")"
#: Subjects that name the keyword as a word, not as the thing or place it names.
_WORD_SUBJECT = re.compile(r"\b(?:key\s?-?word|word|answer|name|spelling|term|phrase|solution)\b")


def _said_of_the_word(m: re.Match[str]) -> bool:
    """Is the string looked for a letter, a set, a string named so ("the letters 'ion'"), a bare
    one of two characters, or said of a subject that names the word ("the keyword")?"""
    subj = m.groupdict().get("subj") or ""
    return re.fullmatch(_BARE_STRING, m.group("spec")) is None or _WORD_SUBJECT.search(subj) is not None


def _edge_found(m: re.Match[str]) -> Test | None:
    """A letter or a string at an edge: "does it have 'handle' at the end" may ask about the thing."""
    return _edge(m) if _said_of_the_word(m) else None


def _contains_found(m: re.Match[str]) -> Test | None:
    """A letter or a string looked for in the keyword.  A quoted word said bare, of three
    characters or more, is its spelling only where the subject names the word ("is 'water' in
    the keyword"): "is 'water' in it", "is there 'ice' in the thing" may ask what the thing
    holds, and are not read."""
    return _contains(m) if _said_of_the_word(m) else None


# -------------------------------------------------------------------- repeated letters
#
# A letter "used more than once", "repeated" (anywhere, as in "a word with no repeated letters":
# "doubled" or "twice in a row" is :data:`_DOUBLE`), and any letter of the keyword repeated.

#: One letter named for a multiplicity: "the letter E", "E", "'e'".
_ONE = r"(?:(?:the\s+)?(?:letter|character)\s+" + Q1 + r"|" + Q1 + r")"
_USED = r"(?:used|found|present|contained|included|written|seen|there|featured|spelled|spelt)"
_REP_ADJ = r"(?:repeated|repeating|recurring|duplicate|duplicated)"
_LETTER_NOUN = r"(?:letters?|characters?)"
#: Verbs that say how often only with a multiplicity ("appears twice"); the others say "more than once".
_HOW_OFTEN = r"(?:appears|occurs|is\s+used|shows\s+up|is\s+found)"


def _bounds_of(m: re.Match[str]) -> tuple[tuple[int, int | None], ...]:
    mult = m.groupdict().get("mult") or m.groupdict().get("mult2")
    return _mult_bounds(mult) if mult else ((2, None),)


def _repeated_one(m: re.Match[str]) -> Test | None:
    return _count_of(named_letters(m.group("spec"))[0], _bounds_of(m))


def _some_letter(bounds: Sequence[tuple[int, int | None]]) -> Test:
    """Some letter of the keyword occurs as often as ``bounds`` say (every reading of its letters)."""

    def run(s: Subject) -> bool | None:
        out: list[bool | None] = []
        for seq in letter_sequences(s.keyword):
            counts = [seq.count(c) for c in set(seq)]
            out.extend(any(n >= lo and (hi is None or n <= hi) for n in counts) for lo, hi in bounds)
        return agree(out)

    return run


#: "every letter", "each single letter of it", "all the letters in the keyword", "all its letters".
_EVERY_LETTER = (
    r"(?:(?:every|each)\s+(?:single\s+)?(?:letter|character)|all\s+(?:of\s+)?(?:the\s+|its\s+|" + POSS
    + r"\s+)?(?:letters|characters))(?:\s+(?:of|in)\s+" + SUBJ + r")?"
)


def _double_any(m: re.Match[str]) -> Test | None:
    return _double


def _repeated_any(m: re.Match[str]) -> Test | None:
    groups = m.groupdict()
    if groups.get("often") and not (groups.get("mult") or groups.get("mult2")):
        return None  # "a letter that appears": how often?
    test = _some_letter(_bounds_of(m))
    return negate(test) if groups.get("distinct") is not None else test


_REPEAT_TEMPLATES: tuple[Template, ...] = (
    # "is the letter E used more than once (in the word)", "is E in the keyword twice"
    template("contains", r"(?:is|are)\s+(?P<spec>" + _ONE + r")\s+(?P<neg>not\s+)?(?:" + _USED + r"\s+)?(?:(?P<mult>"
             + _MULT + r")(?:\s+" + _IN + r")?|" + _IN + r"\s+(?P<mult2>" + _MULT + r"))", _repeated_one),
    # "is the letter E repeated (in the keyword)", "does E repeat", "does E appear twice"
    template("contains", r"(?:is|are)\s+(?P<spec>" + _ONE + r")\s+(?P<neg>not\s+)?repeated(?:\s+" + _IN + r")?",
             _repeated_one),
    template("contains", r"(?:does|do)\s+(?P<spec>" + _ONE + r")\s+(?P<neg>not\s+)?(?:repeat|recur)(?:\s+itself)?"
             r"(?:\s+" + _IN + r")?", _repeated_one),
    template("contains", r"(?:does|do)\s+(?P<spec>" + _ONE + r")\s+(?P<neg>not\s+)?(?:appear|occur|show\s+up|feature)"
             r"\s+(?P<mult>" + _MULT + r")", _repeated_one),
    # "does E appear twice in a row (in the keyword)"
    template("contains", r"(?:does|do)\s+(?P<spec>" + _ONE + r")\s+(?P<neg>not\s+)?(?:appear|occur|show\s+up|come)"
             r"\s+(?:twice|two\s+times)\s+" + _IN_A_ROW + r"(?:\s+" + _IN + r")?", _doubled),
    # any letter: "does the keyword have a repeated letter", "does any letter appear more than once"
    template("contains", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:have|contain|include|use|feature)\s+"
             r"(?:any\s+|an?\s+|some\s+)?" + _REP_ADJ + r"\s+" + _LETTER_NOUN + _TAIL, _repeated_any),
    template("contains", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:have|contain|include|use)\s+(?:any|an?|one)"
             r"\s+(?:letter|character)\s+(?:(?:that|which)\s+(?:(?P<often>" + _HOW_OFTEN + r")|is\s+repeated|repeats)"
             r"(?:\s+(?P<mult>" + _MULT + r"))?|(?P<mult2>" + _MULT + r"))", _repeated_any),
    template("contains", r"(?:is|are)\s+there\s+(?:(?P<neg>not\s+)|(?P<neg2>no\s+))?(?:any\s+|an?\s+)?" + _REP_ADJ
             + r"\s+" + _LETTER_NOUN + r"(?:\s+" + _IN + r")?", _repeated_any),
    template("contains", r"(?:does|do)\s+(?:any|a|one)\s+(?:letter|character)\s+(?P<neg>not\s+)?(?:repeat|recur|"
             r"(?P<often>appear|occur|show\s+up)(?:\s+(?P<mult>" + _MULT + r"))?)(?:\s+" + _IN + r")?(?:\s+(?P<mult2>"
             + _MULT + r"))?", _repeated_any),
    # "does any letter appear twice in a row", "does a letter repeat back to back", "is any letter doubled"
    template("contains", r"(?:does|do)\s+(?:any|a|one)\s+(?:letter|character)\s+(?P<neg>not\s+)?(?:(?:appear|occur|show"
             r"\s+up|come)\s+twice|repeat(?:\s+itself)?)\s+" + _IN_A_ROW + r"(?:\s+" + _IN + r")?", _double_any),
    template("contains", r"is\s+(?:any|a|one)\s+(?:letter|character)(?:\s+" + _IN + r")?\s+(?P<neg>not\s+)?doubled"
             r"(?:\s+" + _IN + r")?", _double_any),
    template("contains", r"(?:is\s+(?:any|a|one)\s+(?:letter|character)|are\s+any\s+(?:letters|characters))\s+"
             r"(?P<neg>not\s+)?(?:repeated|used\s+(?P<mult>"
             + _MULT + r"))(?:\s+" + _IN + r")?", _repeated_any),
    template("contains", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:have|contain)\s+(?P<neg2>no)\s+"
             + _REP_ADJ + r"\s+" + _LETTER_NOUN, _repeated_any),
    # all letters different: "are all the letters in the keyword different", "does it have all unique letters"
    template("contains", r"are\s+(?:all\s+(?:of\s+)?)?(?:the\s+|its\s+|" + POSS + r"\s+)?(?:letters|characters)"
             r"(?:\s+(?:of|in)\s+" + SUBJ + r")?\s+(?:all\s+)?(?P<neg>not\s+)?(?:all\s+)?(?P<distinct>different|unique"
             r"|distinct)(?:\s+from\s+(?:each\s+other|one\s+another))?", _repeated_any),
    # "does every letter appear only once", "do all the letters appear just once", "is each letter (of it) used
    # just once": all letters different ("does every letter not appear only once": none, or not all? not read)
    template("contains", r"(?:does|do)\s+" + _EVERY_LETTER + r"\s+(?:appear|occur|show\s+up|feature|get\s+used)\s+"
             r"(?:only|just|exactly)\s+once(?:\s+" + _IN + r")?(?P<distinct>)", _repeated_any),
    template("contains", r"(?:is|are)\s+" + _EVERY_LETTER + r"\s+(?:used|found|present|there|written)\s+"
             r"(?:only|just|exactly)\s+once(?:\s+" + _IN + r")?(?P<distinct>)", _repeated_any),
    template("contains", r"is\s+(?:each|every)\s+(?:letter|character)(?:\s+(?:of|in)\s+" + SUBJ + r")?\s+"
             r"(?P<neg>not\s+)?"
             r"(?P<distinct>different|unique|distinct)", _repeated_any),
    template("contains", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:have|consist\s+of|use)\s+(?:all\s+|only\s+)"
             r"(?P<distinct>unique|distinct|different)\s+(?:letters|characters)", _repeated_any),
)

#: The verbs of the edges: "start with", "start off with", "kick off with"; "end in", "finish
#: with", "wrap up with" (each says only where the spelling begins or stops).
_START_VERB = r"(?:(?:start|begin|open)(?:\s+(?:off|out))?|kick\s+off)"
_END_VERB = r"(?:end|finish|terminate|wrap\s+up|finish\s+(?:off|up))"
_STARTING = r"(?:(?:starting|beginning|opening)(?:\s+(?:off|out))?|kicking\s+off)"
_ENDING = r"(?:ending|finishing|terminating|wrapping\s+up|finishing\s+(?:off|up))"
#: "at the start", "at the very end": the first or the last letter (group ``end``: the last).
_AT_EDGE = r"(?:at|in)\s+the\s+" + _VERY + r"(?:start|beginning|front|(?P<end>end))"
_OF_IT = r"(?:\s+of\s+it)?"

#: The letter at an edge said with a participle or a place: "(is it) ending in a B", "is it
#: spelled with 'r' at the start", "does it have a Z at the end", "is there a vowel at the
#: start of the keyword", "is 'r' at the start of the word".
_EDGE_TEMPLATES: tuple[Template, ...] = (
    # "is 'un' a prefix of it", "is -ing its suffix", "is 'ing' the ending of the keyword"
    template("letter", r"is\s+(?P<body>" + _AFFIX_BODY + r")\s+"
             r"(?P<neg>not\s+)?"
             r"(?:(?:an?|the)\s+(?P<kind>prefix|suffix|ending)(?:\s+(?:of|in)\s+" + SUBJ + r")?|" + POSS
             + r"\s+(?P<kind2>prefix|suffix|ending))", _has_affix),
    # "is its prefix 'un'", "is the suffix of the keyword -ing"
    template("letter", r"is\s+(?:the\s+(?P<kind>prefix|suffix|ending)(?:\s+of\s+" + SUBJ + r")?|" + POSS
             + r"\s+(?P<kind2>prefix|suffix|ending))\s+(?P<neg>not\s+)?(?P<body>" + _AFFIX_BODY + r")", _has_affix),
    # "does it have the prefix 'un'", "does it use the suffix -ing" ("Prefix 're'?" after "does it have")
    template("letter", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:have|has|use|carry|take|feature|contain)\s+"
             r"(?:(?:the|a)\s+)?(?P<kind>prefix|suffix|ending)\s+(?P<body>" + _AFFIX_BODY + r")", _has_affix),
    template("letter", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:" + _STARTING + r"\s+with"
             r"|(?P<end>" + _ENDING + r")\s+(?:with|in|on))\s+(?P<spec>" + EDGE_SPEC + r"|" + _AFFIX + r")", _edge),
    template("letter", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:spelled|spelt|written)\s+with\s+(?P<spec>"
             + EDGE_SPEC + r")\s+" + _AT_EDGE + _OF_IT, _edge),
    template("letter", r"(?:does|do)\s+(?P<subj>" + SUBJ + r")\s+(?P<neg>not\s+)?(?:have|has|feature|contain)\s+"
             r"(?P<spec>" + EDGE_SPEC + r")\s+" + _AT_EDGE + _OF_IT, _edge_found),
    template("letter", r"(?:is|are)\s+there\s+(?P<spec>" + EDGE_SPEC + r")\s+" + _AT_EDGE + r"(?:\s+of\s+(?P<subj>"
             + SUBJ + r"))?", _edge_found),
    template("letter", r"is\s+(?P<spec>" + EDGE_SPEC + r")\s+(?P<neg>not\s+)?" + _AT_EDGE + r"(?:\s+of\s+(?P<subj>"
             + SUBJ + r"))?", _edge_found),
)

#: The first or last N letters of the keyword: "the last two letters of SUBJ", "its first three
#: letters", "last two letters" (said short: "Last two letters 'ge'?") (group ``end``: the last;
#: ``n``: how many).
_EDGE_N = (
    r"(?:(?:the\s+)?" + _VERY + r"(?:first|opening|initial|(?P<end>last|final|closing|ending))\s+(?P<n>" + N + r")\s+"
    r"(?:letters|characters|chars)(?:\s+(?:of|in)\s+" + SUBJ + r")?|" + POSS + r"\s+" + _VERY
    + r"(?:first|opening|initial|(?P<end2>last|final|closing|ending))\s+(?P<n2>" + N + r")\s+(?:letters|characters"
    r"|chars))"
)


#: What a short question may name before a colon and its value ("First letter: B?", "Last two
#: letters: 'ge'?"): a position, or the first or last N letters.
TOPIC = r"(?:" + POSN + r"|" + _EDGE_N + r")"


def _edge_n(m: re.Match[str]) -> Test | None:
    """"Are the last two letters of it 'ip'": a suffix (or prefix) of as many letters as said.
    The string must be letters or digits only and as long as the number says (else the
    question says two things, and is not read); then it is "does it end with 'ip'", with the
    same readings of the keyword (as written, and its letters run together; :func:`.texts`),
    so a last word shorter than the string ("vitamin c") leaves it open."""
    groups = m.groupdict()
    n = number(groups.get("n") or groups.get("n2") or "")
    text = _quoted_text(m.group("spec"))
    if len(text) != n or not text.isalnum():
        return None
    if groups.get("end") or groups.get("end2"):
        return lambda s: agree(t.endswith(text) for t in texts(s.keyword, text))
    return lambda s: agree(t.startswith(text) for t in texts(s.keyword, text))


#: "are the last two letters of the keyword 'ip'", "do its first three letters spell 'pho'", "is
#: 'ip' the last two letters of it".
_EDGE_N_TEMPLATES: tuple[Template, ...] = (
    template("letter", r"(?:are|is)\s+" + _EDGE_N + r"\s+(?P<neg>not\s+)?(?:equal\s+to\s+|the\s+same\s+as\s+)?"
             r"(?P<spec>" + _STRING + r")", _edge_n),
    template("letter", r"(?:do|does)\s+" + _EDGE_N + r"\s+(?P<neg>not\s+)?(?:spell(?:\s+out)?|form|read|make|make\s+up"
             r"|match)\s+(?P<spec>" + _STRING + r")", _edge_n),
    template("letter", r"(?:are|is)\s+(?P<spec>" + _STRING + r")\s+(?P<neg>not\s+)?" + _EDGE_N, _edge_n),
)

#: The first letter and the last compared: "does it start and end with the same letter", "are the
#: first and last letters of it the same", "is the first letter the same as the last (one)",
#: "Same first and last letter?" (group ``differ``: "different").
_SAME = r"(?:(?:the\s+)?same|identical|(?P<differ>different))"
_FIRST_LAST = r"(?:the\s+)?first\s+and\s+(?:the\s+)?last\s+(?:letters?|characters?)"


def _same_ends(m: re.Match[str]) -> Test | None:
    differ = m.groupdict().get("differ") is not None

    def run(s: Subject) -> bool | None:
        said = [None if not seq else (seq[0] == seq[-1]) != differ for seq in letter_sequences(s.keyword)]
        return agree(said)

    return run


_SAME_TEMPLATES: tuple[Template, ...] = (
    template("letter", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:start|begin)\s+and\s+end\s+(?:with|in|on)\s+"
             r"(?:the\s+same|(?P<differ>different))\s+(?:letters?|characters?)", _same_ends),
    template("letter", r"(?:are|is)\s+(?:" + _FIRST_LAST + r"(?:\s+(?:of|in)\s+" + SUBJ + r")?|" + POSS
             + r"\s+first\s+and\s+last\s+(?:letters?|characters?))\s+(?P<neg>not\s+)?(?:the\s+same|identical|equal"
             r"|(?P<differ>different))", _same_ends),
    template("letter", r"is\s+(?:the\s+first\s+(?:letter|character)(?:\s+(?:of|in)\s+" + SUBJ + r")?|" + POSS
             + r"\s+first\s+(?:letter|character))\s+(?P<neg>not\s+)?(?:the\s+same\s+as|identical\s+to|equal\s+to)\s+"
             r"(?:the|its)\s+last(?:\s+(?:one|letter|character))?", _same_ends),
    # "Same first and last letter?" (after "does it have"), "does it have the same first and last letter"
    template("letter", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?have\s+(?:the\s+)?" + _SAME + r"\s+first\s+and"
             r"\s+last\s+(?:letters?|characters?)", _same_ends),
)

# ----------------------------------------------------------------- the only vowels
#
# "Is E the only vowel?": the vowels of the keyword are E's, and it has one; "Are all its vowels
# A's?": every vowel it has is an A (a keyword with no vowel leaves that open: all of none?).
# Vowels are a, e, i, o, u, and in the other reading "y" too (both readings must agree); the
# letters named must be vowels ("Is Y the only vowel?" is not read).

#: "the only vowel", "its only vowels", "the only vowel in the keyword".
_ONLY_VOWEL = (
    r"(?:(?:the|" + POSS + r")\s+(?:only|sole|one\s+and\s+only)\s+vowels?(?:\s+(?:in|of)\s+" + SUBJ
    + r"|\s+(?:that\s+)?" + SUBJ + r"\s+(?:has|contains|uses))?)"
)
#: The vowels named: "E", "the letter e", "A and E".
_VOWELS_NAMED = r"(?:" + LIST_AND + r"|" + LETTER1 + r")"
#: "all its vowels", "all of the vowels in it", "the keyword's vowels" (with "all" said after: "are its
#: vowels all A's").
_ALL_VOWELS_OF = (
    r"(?:all\s+(?:of\s+)?(?:the|" + POSS + r")\s+vowels(?:\s+(?:in|of)\s+" + SUBJ + r")?|(?:the|" + POSS
    + r")\s+vowels(?:\s+(?:in|of)\s+" + SUBJ + r")?\s+all)"
)


def _vowels_are(spec: str, every: bool) -> Test | None:
    """The keyword's vowels are the letters ``spec`` names (``every``: each vowel it has is one of
    them, open for a keyword with none; else: they are exactly those letters)."""
    chosen = frozenset(named_letters(re.sub(r"'?s$", "", spec), article=True))
    if not chosen <= frozenset("aeiou"):
        return None  # "is y the only vowel": which vowels?

    def run(s: Subject) -> bool | None:
        out: list[bool | None] = []
        for vowels in ("aeiou", "aeiouy"):
            present = {c for c in s.letters if c in vowels}
            out.append((present <= chosen if present else None) if every else present == chosen)
        return agree(out)

    return run


def _same_vowels(m: re.Match[str]) -> Test | None:
    """All the keyword's vowels are one letter ("y" a vowel in one reading; open with none)."""

    def run(s: Subject) -> bool | None:
        out: list[bool | None] = []
        for vowels in ("aeiou", "aeiouy"):
            present = {c for c in s.letters if c in vowels}
            out.append(len(present) == 1 if present else None)
        return agree(out)

    return run


def _only_vowels(m: re.Match[str]) -> Test | None:
    groups = m.groupdict()
    return _vowels_are(groups.get("spec") or groups.get("spec2") or "", groups.get("every") is not None)


ONLY_VOWEL_TEMPLATES: tuple[Template, ...] = (
    # "is E the only vowel (in it)", "is A its only vowel", "are A and E the only vowels"
    template("contains", r"(?:is|are)\s+(?P<spec>" + _VOWELS_NAMED + r")\s+(?P<neg>not\s+)?" + _ONLY_VOWEL,
             _only_vowels),
    # "is the only vowel E", "is its only vowel an A"
    template("contains", r"(?:is|are)\s+" + _ONLY_VOWEL + r"\s+(?P<neg>not\s+)?(?P<spec>" + _VOWELS_NAMED + r")",
             _only_vowels),
    # "are all its vowels A's", "are all of the vowels in the keyword E", "are its vowels all O's"
    template("contains", r"are\s+(?P<every>" + _ALL_VOWELS_OF + r")\s+(?P<neg>not\s+)?(?P<spec>" + LETTER1
             + r")(?:'?s)?", _only_vowels),
    # "are all the vowels (in it) the same (letter)": one vowel, said as often as it is (open with none)
    template("contains", r"are\s+(?P<every>" + _ALL_VOWELS_OF.replace(r"\s+all)", r")") + r")\s+(?P<neg>not\s+)?"
             r"(?:the\s+same(?:\s+letter)?|identical)", _same_vowels),
    # "does it have only E as (a|its) vowel", "does it have E as its only vowel"
    template("contains", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?have\s+(?:only\s+(?P<spec>" + _VOWELS_NAMED
             + r")\s+as\s+(?:an?|its)\s+vowels?|(?P<spec2>" + _VOWELS_NAMED + r")\s+as\s+its\s+only\s+vowels?)",
             _only_vowels),
)


#: How often a letter occurs, or all of a set, said without a verb ("Two or more A's?", "More
#: than one N?", "Multiple 'u's?", "Both I and C?", "All of p, j and q?"): the oracle reads them
#: after "does it have".  No one position holds a letter twice or two letters, so they ask what
#: the keyword contains (a single letter or a class, "A vowel?", may ask about a position).
HOW_MANY_TEMPLATES: tuple[Template, ...] = (
    *_SAME_TEMPLATES,
    # "is there more than one A", "are there two or more E's" (where else, but in the keyword?)
    template("contains", r"(?:is|are)\s+there\s+(?P<spec>" + _N_LETTER + r")", _contains),
    # "is there a double L", "are there two E's in a row", "is there a letter twice in a row"
    template("contains", r"(?:is|are)\s+there\s+(?P<spec>" + _RUN + r"|" + _ANY_RUN + r"|" + _DOUBLE_ONE + r"|"
             + _CLASS_RUN + r"|(?:an?\s+|any\s+)?(?:double|doubled)\s+letters?|" + _NO_DOUBLE + r")", _contains),
    # "are there any apostrophes", "is there any digit or space" (where else, but in the keyword?  Not "a
    # digit", which may be a position's after "Starts with B?": "A digit?")
    template("contains", r"(?:is|are)\s+there\s+(?P<spec>(?=any\s)(?:" + _SPACE + r"|" + _HYPHEN + r"|" + _DIGIT + r"|"
             + _PUNCT + r"|" + _MARKS_OR + r"))", _contains),
    template("contains", r"(?:does|do)\s+" + SUBJ + r"\s+have\s+(?P<spec>" + _RUN + r"|" + _N_LETTER + r"|" + LETTER1
             + r"\s+" + _MULT
             + r"|(?=(?:both|all|each|every\s+one)\s)" + ALL_LIST + r")" + _TAIL, _contains),
)

TEMPLATES: tuple[Template, ...] = (
    template("letter", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:" + _START_VERB + r"\s+with"
             r"|(?P<end>" + _END_VERB + r")\s+(?:with|in|on))\s+(?P<spec>" + EDGE_SPEC + r"|" + _AFFIX + r")", _edge),
    *_EDGE_TEMPLATES,
    *_EDGE_N_TEMPLATES,
    template("letter", r"is\s+(?P<pos>" + POSN + r")\s+(?P<neg>not\s+)?(?P<spec>" + _POS_SPEC + r")", _pos_spec_is),
    template("letter", r"(?:does|do)\s+(?P<pos>" + POSN + r")\s+(?P<neg>not\s+)?(?P<spec>" + _POS_VERB + r")",
             _position_verb),
    template("letter", r"is\s+(?P<spec>" + LETTER1 + r")\s+(?P<neg>not\s+)?(?P<pos>" + POSN + r")",
             _letter_is_position),
    # "is B first", "is E last", "is 'b' the first" ("B first?", "B as the first letter?"): not a bare
    # "a" or "i", which are words ("A first?"), nor a participle ("is b leading" may say more)
    template("letter", r"is\s+(?P<spec>(?!(?:a|i)\s)" + LETTER1 + r")\s+(?P<neg>not\s+)?(?:as\s+)?(?P<pos>(?:the\s+|its"
             r"\s+)?" + _VERY + r"(?!(?:starting|beginning|ending|closing|trailing|leading|opening)\b)" + _ORD
             + r"(?:\s+" + _PNOUN + r")?)", _letter_is_position),
    template("letter", r"is\s+(?P<spec>" + LETTER1 + r")\s+(?P<neg>not\s+)?the\s+(?:letter|character)\s+(?:that\s+|"
             r"which\s+)?" + SUBJ + r"\s+(?:(?:starts|begins|opens)\s+with|(?P<end>ends|finishes)\s+(?:with|in))",
             _edge),
    template("letter", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?have\s+(?P<spec>" + LETTER1 + r")\s+as\s+"
             r"(?P<pos>(?:its|the)\s+" + _VERY + _ORD + r"\s+" + _PNOUN + r")", _letter_is_position),
    template("contains", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:" + _HAS + r"|(?P<neg2>" + _LACKS + r"))\s+"
             r"(?P<spec>" + CONTAIN_SPEC + r")" + _TAIL, _contains),
    template("contains", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:spelled|spelt|written)\s+with\s+(?P<spec>"
             + CONTAIN_SPEC + r")", _contains),
    # "is the keyword written without any spaces", "is it spelled without an E": it has none
    template("contains", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:spelled|spelt|written|typed)\s+(?P<neg2>without)\s+"
             r"(?P<spec>" + CONTAIN_SPEC + r"|" + _BARE_MARKS + r")", _without),
    template("contains", r"(?:is|are)\s+there\s+(?:any\s+|an?\s+)?(?P<spec>" + _FOUND_SPEC + r"|" + _NONE + r"|"
             + _N_LETTER + r"|" + _VOWEL_IN + r"|" + _SPACE + r"|" + _HYPHEN + r"|" + _DIGIT + r"|" + _DOUBLE + r"|"
             + _DOUBLE_ONE + r"|" + _RUN + r"|" + _ANY_RUN + r"|" + _NO_DOUBLE + r"|" + _CLASS_RUN + r"|"
             + _NO_MARK + r"|no\s+" + _STRING + r")(?:'?s)?\s+(?P<mult>" + _MULT + r"\s+)?(?:" + _IN_NAMED
             + r"|in\s+there)", _contains_found),  # "is there a P in there": in the word
    template("contains", r"(?:is|are)\s+(?P<spec>" + _FOUND_SPEC + r")\s+(?P<neg>not\s+)?(?:" + _FOUND + r"\s+)?"
             + _IN_NAMED, _contains_found),
    # "are none of the letters S or F in your keyword", "is neither A nor E found in it" (no "not": a double negative)
    template("contains", r"(?:is|are)\s+(?P<spec>" + _NONE + r")\s+(?:" + _FOUND + r"\s+)?" + _IN_NAMED,
             _contains_found),
    template("contains", r"are\s+(?P<spec>" + ALL_LIST + r")\s+(?:both\s+|all\s+)?(?P<neg>not\s+)?(?:" + _FOUND
             + r"\s+)?" + _IN, _contains),
    template("contains", r"(?:can|could)\s+(?P<spec>" + _FOUND_SPEC + r")\s+(?P<neg>not\s+)?be\s+(?:" + _FOUND
             + r")\s+" + _IN_NAMED, _contains_found),
    template("contains", r"(?:can|could|do|would|will)\s+(?:you|i|we|one)\s+(?P<neg>not\s+)?(?:find|see|spot)"
             r"\s+(?P<spec>(?:an?\s+)?" + _FOUND_SPEC + r")\s+" + _IN_NAMED, _contains_found),
    template("contains", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?P<spec>hyphenated)", _hyphenated),
    # "does it consist of letters only": no digit, mark or (in one reading) space
    template("contains", r"(?:does|do)\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:consist\s+(?:only\s+|solely\s+|entirely"
             r"\s+)?of|contain|have|use)\s+" + _ONLY_LETTERS, _letters_only),
    template("contains", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:made\s+up\s+of|made\s+of|composed\s+of|written"
             r"\s+with)\s+" + _ONLY_LETTERS, _letters_only),
    # "is it letters only", "is the keyword only letters, no digits or spaces"
    # ("is it all letters": "does it have all letters" may ask for the whole alphabet, and is not read)
    template("contains", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?:all\s+(?:letters|alphabetic(?:al)?(?:\s+"
             r"characters)?)|" + _ONLY_LETTERS + r")", _letters_only),
    template("contains", r"is\s+" + SUBJ + r"\s+(?P<neg>not\s+)?(?P<neg2>free\s+of|devoid\s+of|without|missing|lacking)"
             r"\s+(?P<spec>" + CONTAIN_SPEC + r")", _contains),
    # "does an L appear anywhere in the word" (the article before one letter: "an L")
    template("contains", r"(?:does|do)\s+(?P<spec>(?:an?\s+(?=" + Q1 + r"(?![a-z0-9'])))?" + _FOUND_SPEC
             + r")\s+(?P<neg>not\s+)?(?:appear|occur|show\s+up|feature)\s+(?:(?P<mult>" + _MULT + r")\s+)?" + _IN_NAMED
             + r"(?:\s+(?P<mult2>" + _MULT + r"))?", _contains_found),
    template("contains", r"is\s+(?P<spec>" + LETTER1 + r")\s+(?P<neg>not\s+)?(?:one\s+of\s+the\s+letters|a\s+letter|"
             r"among\s+the\s+letters)\s+(?:in|of)\s+" + SUBJ, _contains),
    # "is R one of its letters", "is the letter R among the keyword's letters"
    template("contains", r"is\s+(?P<spec>" + LETTER1 + r")\s+(?P<neg>not\s+)?(?:one\s+of|among)\s+" + POSS
             + r"\s+(?:letters|characters)", _contains),
    template("contains", r"(?:is|are)\s+(?P<spec>" + _FOUND_SPEC + r")\s+(?P<neg>not\s+)?"
             r"(?P<neg2>absent|missing)\s+(?:from|in)\s+(?P<subj>" + SUBJ + r")", _contains_found),
    # "is the letter O doubled (in the keyword)"
    template("contains", r"(?:is|are)\s+(?P<spec>" + LETTER1 + r")\s+(?P<neg>not\s+)?doubled(?:\s+" + _IN + r")?",
             _doubled),
    # "is 'oom' a substring of the keyword" (the noun says it is about the spelling)
    template("contains", r"(?:is|are)\s+(?P<spec>" + _STRING + r")\s+(?P<neg>not\s+)?(?:an?\s+)?(?:substring|sub-string"
             r"|part|piece|segment)\s+(?:of|in)\s+" + SUBJ, _contains),
    *_FILED_TEMPLATES,
    *ONLY_VOWEL_TEMPLATES,
    *_REPEAT_TEMPLATES,
    *HOW_MANY_TEMPLATES,
)
