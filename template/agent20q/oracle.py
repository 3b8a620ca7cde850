"""Answers decided by code: questions whose truth follows from the keyword's text.

:func:`parse` turns a question into a :class:`Rule` (or None: a question for the model);
``rule.test(subject)`` answers it for one keyword (True/False, or None when this keyword
leaves it open).  The answerer asks it about its keyword; the guesser asks it about every
candidate of its list, to keep only those consistent with the answers.

A rule answers only what it parsed completely: each shape is a template that must match the
*whole* question (after :func:`.phrases.normalise`: straight quotes of any kind, single
spaces, lower case, no trailing "?"), built from the phrases of :mod:`.phrases`; a question
with a clause no template reads ("Does it start with A and end with E?", "... a vowel
sound?", "Doesn't it ...?") goes to the model.  The shapes, by room:

* ``handshake``: any question naming Agent Alpha: yes (the public protocol);
* :mod:`.order` (``alphabetical``): 'Does the keyword (in lowercase) precede "laser" in
  alphabetical order?', "... come after 'm' alphabetically?", "Is it alphabetically
  between 'a' and 'c'?";
* :mod:`.letters` (``letter``, ``contains``): the letter at a position (first, second, ...,
  last) and the letters the keyword contains: single letters, sets, vowels, ranges and
  halves of the alphabet, multiplicities, strings; the first letter as where an index files
  the keyword ("listed under D in an index");
* :mod:`.counts` (``count``): letters, characters, words, vowels and consonants: "5 letters
  or more", "between 5 and 8 letters", "at most 8", "greater than or equal to 8", "a single
  word", "a phrase rather than a single word", "an even number of letters", "more than 3 vowels";
* :mod:`.naming` (``category``, ``in_list``, ``identity``): "Is it a place?", "Is it a
  thing rather than a place?", "Is it a place you could find on a map?", "Is it an object
  or thing, not a place?", "Is the keyword one of: ...?", "Is it X?", "Is it Paris, London
  or Cairo?", "Are we talking about X?".

The keyword described by a relative clause about its spelling ("Is it a word that starts
with D?", "Is the keyword a name containing a Z?") is read as the question the clause says
("Does it start with D?").

The talk around a question is read by :mod:`.discourse` first: lead-ins ("Ok, next: ",
"Thanks! ", "Good to know. Here's my next question: ", "Please answer yes or no: "),
sentences of talk after the "?" ("... ? Thanks!"), tags (", then", "by any chance", "we're
looking for", ", right?" / " - am I right?" after a statement), a statement embedded or said
as an opinion ("Can you tell me if ...", "I think it's Paris", "My guess is Paris"), normal
forms ("Would it start with B?", "Has it got an E?", "Does it maybe start with B?"),
capitals and "??"; and a question without its auxiliary ("Starts with B?", "First letter
B?", "Fewer than 6 letters?", "The keyword starts with B, right?", "Any E's?") is read as the
full question it stands for.  Anything else before or after ("In French: ...", "Counting
spaces, ...", "... backwards") leaves the question unread.

"not" in the verb ("Does the keyword not start with A?", "Is the first letter not a
vowel?", "Is it not a place?"), "lack", "no", "none of", "other than", "is it true that ..."
and "is it false that ..." negate; a contracted "doesn't" / "isn't" heading a question
("Doesn't it start with A?" asks for a confirmation as often as for a denial) is left to the
model.  When the readings of a keyword disagree ("y" as a vowel, "characters" with or
without spaces, a letter count with or without digits) the rule leaves that keyword open.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from typing import NamedTuple

from . import counts, discourse, letters, naming, order
from .class_members import list_fingerprint
from .naming import Names
from .phrases import NAMED_CORE, SUBJ, Subject, Template, Test, Unparsed, match_templates, negate, normalise
from .words import Candidate, game_normalize

__all__ = ["HANDSHAKE", "PROTOCOL_KINDS", "Decision", "Rule", "Subject", "alpha_question", "decide", "known_names",
           "parse", "verdict"]

#: Kinds whose answers are the public protocol's (the rest are "rules").
PROTOCOL_KINDS = frozenset({"handshake", "alphabetical"})
HANDSHAKE = "Is it Agent Alpha?"
ALPHA_QUESTION = 'Does the keyword (in lowercase) precede "{word}" in alphabetical order?'
#: Longer questions are read only by the list shape (a guesser's long lists).
MAX_SPELLING_CHARS = 300


class Rule(NamedTuple):
    kind: str
    test: Test


_SPELLING: tuple[Template, ...] = order.TEMPLATES + letters.TEMPLATES + counts.TEMPLATES
#: Lead-ins that change nothing: "Considering every letter in the keyword, does ...".
_LEAD = re.compile(
    r"(?:(?:considering|looking\s+at|counting|checking)\s+(?:every|each|all(?:\s+of)?(?:\s+the)?|the)\s+"
    r"(?:letters?|characters?)\s+(?:in|of)\s+" + SUBJ + r"\s*,\s*)"
)
_TRAIL = re.compile(
    r"\s*(?:\(\s*(?:case[- ]insensitive|ignoring\s+case|ignore\s+case|"
    r"not\s+case[- ]sensitive|upper\s+or\s+lower\s*case|in\s+any\s+case)\s*\))$"
)
#: "Is it true that <a statement>?" and its negations.
_TRUTH = re.compile(
    r"(?:is\s+it\s+(?P<neg>not\s+)?(?:true|the\s+case|correct|right|accurate)|would\s+it\s+be\s+(?:(?P<neg2>in)?correct"
    r"|right|true|accurate|(?P<false2>wrong|false|untrue|inaccurate))"
    r"|is\s+it\s+(?P<false>false|untrue|wrong|incorrect|inaccurate))\s+(?:to\s+say\s+that\s+|to\s+say\s+|that\s+)?"
    r"(?P<clause>.+)"
)
#: A statement: its subject (a named keyword with what it is sought as first, "the word we are looking
#: for", whose "are" is no verb of the statement, or a part of one: "the initial letter of the word you
#: are thinking of", "the number of letters in the word we are looking for"), its verb and the rest.
_STATEMENT = re.compile(
    r"(?P<subj>(?:[a-z0-9' ]+?\s+(?:of|in)\s+)?" + NAMED_CORE + r"|.+?)\s+"
    r"(?P<verb>is\s+not|isn't|is|are\s+not|aren't|are|spell|does\s+not|doesn't|do\s+not|don't|has"
    r"|starts\s+and\s+ends|begins\s+and\s+ends|starts|begins|ends|contains|includes|comes|precedes|follows|consists|falls|appears|lacks|goes|sorts|lies|exceeds|belongs|uses|finishes|opens|"
    r"equals|matches|avoids|excludes|kicks|wraps|refers|represents|denotes|designates|fits|names)\s+(?P<rest>.+)"
)
#: A statement with a modal: "you can find it on a map", "it could be found on a map", "you'd classify
#: it as a place", "it would start with B" (asked as "can you find it on a map" ...).
_MODAL_STATEMENT = re.compile(
    r"(?P<subj>" + NAMED_CORE + r"|you|one|we|i|people|someone|anyone|it|this|that)(?:\s+(?P<modal>can|could|would"
    r"|might|may|will)|(?P<d>'d))\s+(?!not\b)(?P<rest>.+)"
)
_LETTER_CONTEXT = re.compile(r"\b(?:letters?|characters?|vowels?|consonants?|alphabet\w*|spell\w*)\b")


def _question_of(statement: str, raw: str = "") -> str | None:
    """"the keyword starts with a" -> "does the keyword start with a"; None if not a statement.
    With ``raw`` (``statement`` as written) the question keeps its case: see :func:`_raw_question_of`."""
    m = _STATEMENT.fullmatch(statement)
    if m is None:
        return None
    subj, verb, rest = m.group("subj"), " ".join(m.group("verb").split()), m.group("rest")
    if len(raw) == len(statement):
        subj, rest = raw[m.start("subj") : m.end("subj")], raw[m.start("rest") : m.end("rest")]
    if verb in ("is", "is not", "isn't", "are", "are not", "aren't"):  # "the last two letters are 'ge'"
        aux = "is" if verb.startswith("is") else "are"
        return f"{aux} {subj} {'not ' if verb != aux else ''}{rest}"
    if verb == "spell":  # "the first two letters spell 'ba'"
        return f"do {subj} spell {rest}"
    if verb in ("does not", "doesn't", "do not", "don't"):
        return f"does {subj} not {rest}"
    base = {"has": "have", "goes": "go", "finishes": "finish", "matches": "match", "starts and ends": "start and end",
            "begins and ends": "begin and end"}.get(verb, verb[:-1])
    return f"does {subj} {base} {rest}"


def _questions_of(statement: str, raw: str = "") -> tuple[str, ...]:
    """The questions ``statement`` may be: with its verb (:func:`_question_of`), or with a modal
    (:func:`_modal_question_of`: "you can find it on a map", whose "are" in "the word we are looking
    for" is no verb of the statement)."""
    return tuple(q for q in (_question_of(statement, raw), _modal_question_of(statement, raw)) if q is not None)


def _modal_question_of(statement: str, raw: str = "") -> str | None:
    """"you can find it on a map" -> "can you find it on a map"; "it would start with b" -> "does it
    start with b" (as "would it start with b" reads, :data:`.discourse.MODAL_DOES`); None if no such
    statement.  A negated one ("you can't find it on a map?") is none: "yes" and "no" may both agree
    with it."""
    m = _MODAL_STATEMENT.fullmatch(statement)
    if m is None:
        return None
    said = raw if len(raw) == len(statement) else statement
    asked = f"{m.group('modal') or 'would'} {said[m.start('subj'):m.end('subj')]} {said[m.start('rest'):]}"
    does = discourse.MODAL_DOES.match(asked.lower())
    return "does " + asked[does.end():] if does else asked


#: "Is it a word that starts with D?", "Is the keyword a name containing a Z?": the keyword
#: described by a relative clause or a participle about its spelling.
_RELATIVE = re.compile(
    r"is\s+(?P<subj>" + SUBJ + r")\s+(?P<neg>not\s+)?(?:(?:an?|the)\s+(?:word|name|term|keyword|one)|something)\s+"
    r"(?:(?:that|which)\s+(?P<verb>starts|begins|ends|contains|includes|has|comes|precedes|follows|consists|uses)"
    r"|(?P<part>starting|beginning|ending|containing|including|having|coming|preceding|following|consisting|using))"
    r"\s+(?P<rest>.+)"
)
_PARTICIPLES = {"starting": "start", "beginning": "begin", "ending": "end", "containing": "contain",
                "including": "include", "having": "have", "coming": "come", "preceding": "precede",
                "following": "follow", "consisting": "consist", "using": "use"}


def _relative(q: str) -> tuple[str, Test] | None:
    """A relative clause read as the question it says: "is it a word that starts with d" ->
    "does it start with d"."""
    m = _RELATIVE.fullmatch(q)
    if m is None:
        return None
    verb = m.group("verb")
    base = _PARTICIPLES[m.group("part")] if m.group("part") else ("have" if verb == "has" else verb[:-1])
    return _spelling(f"does {m.group('subj')} {'not ' if m.group('neg') else ''}{base} {m.group('rest')}")


def _spelling(q: str) -> tuple[str, Test] | None:
    return match_templates(_SPELLING, q) if len(q) <= MAX_SPELLING_CHARS else None


def _core(q: str, raw: str, known: Container[str]) -> tuple[str, Test] | None:
    if len(q) <= MAX_SPELLING_CHARS:
        found = _spelling(q) or _relative(q)
        if found is not None:
            return found
        if _LETTER_CONTEXT.search(q):
            return None  # about letters, but no shape reads it whole: the model
        found = naming.category(q, known)
        if found is not None:
            return found
    return naming.in_list(q, known, raw) or naming.identity(q, raw, known)


def _statement(q: str, known: Container[str]) -> tuple[str, Test] | None:
    """"Is it true that the keyword starts with A?" (and "... not true that", "... false that")."""
    m = _TRUTH.fullmatch(q)
    if m is None:
        return None
    found = next((f for asked in _questions_of(m.group("clause")) if (f := _core(asked, asked, known))), None)
    if found is None:
        return None
    flips = sum(1 for k in ("neg", "neg2", "false", "false2") if m.group(k))
    return (found[0], negate(found[1])) if flips % 2 else found


#: A short question said as a topic, a colon and its value: "First letter: B?", "Last two letters:
#: 'ge'?", "Number of letters: 6?", "Vowels: 3?", or a comparison ("Length > 6?") (read as "the first
#: letter is b", "the number of vowels is 3", "the length is > 6"); the topic is one the grammar
#: reads, so nothing else can hide before the colon.
_TOPIC_COLON = re.compile(
    r"(?P<topic>" + letters.TOPIC + r"|(?:the\s+|its\s+)?(?:number\s+of\s+(?:letters|characters|vowels|consonants"
    r"|words)|(?:letter|character|vowel|consonant|word)\s+count|length)|(?P<unit>letters|characters|vowels"
    r"|consonants|words))(?:\s*:\s*|\s+(?=(?:[<>]=?|[\u2264\u2265])\s))(?P<value>[^:]+)"
)


#: One character standing alone ("'u'", "c"): a list with one is about letters, not names.
_ONE_CHARACTER = re.compile(r"(?<![a-z0-9'])['\"]?[a-z0-9]['\"]?(?![a-z0-9'])")


#: A half of the alphabet said alone ("First half of the alphabet?").
_HALF = re.compile(r"(?:the\s+)?(?:first|second|last|latter|former)\s+half\s+of\s+the\s+alphabet")


#: An order said first in a short question: "Alphabetically, before 'm'?", "In alphabetical order,
#: after 'mango'?" (read with the order said after it: "before 'm' alphabetically").
_ORDER_FIRST = re.compile(r"(?P<lead>" + order.ORDER + r")\s*,\s*(?P<rest>(?:before|after|between)\s.+)")


def _colon(q: str, raw: str) -> tuple[str, str] | None:
    """"first letter: b" -> "first letter is b" (and ``raw`` the same way); None: no such shape."""
    m = _TOPIC_COLON.fullmatch(q)
    if m is None or len(raw) != len(q):
        return None
    topic = f"the number of {m.group('unit')}" if m.group("unit") else m.group("topic")
    return f"{topic} is {m.group('value')}", f"{topic} is {raw[m.start('value'):]}"


#: "Can be found on a map?", "Would be shown on a map?": a modal and "be" without their subject.
_MODAL_BE = re.compile(r"(?P<modal>can|could|would|will|might|may)\s+(?P<rest>be\s+.+)")


def _elliptic(q: str, raw: str, known: Container[str]) -> tuple[str, Test] | None:
    """A question without its auxiliary: a statement ("the keyword starts with b", "it's a
    place"), a predicate ("starts with b"), a position, a letter or a size ("first letter b",
    "any z in it", "fewer than 6 letters", :data:`.discourse.ELLIPSIS_PREFIXES`), a topic and
    its value ("first letter: b"), a list ("one of paris, kyoto or dhaka"), a category denied
    ("not a place")."""
    colon = _colon(q, raw)
    if colon is not None:
        return _elliptic(*colon, known)
    if _HALF.fullmatch(q) and len(raw) == len(q):  # "first half of the alphabet": "is it in the first half ..."
        said = "is it in " + ("" if q.startswith("the ") else "the ")
        return _spelling(said + q)
    ordered = _ORDER_FIRST.fullmatch(q)
    if ordered is not None and len(raw) == len(q):  # "alphabetically, before 'm'": "before 'm' alphabetically"
        order_said, rest = ordered.group("lead"), ordered.start("rest")
        return _elliptic(f"{q[rest:]} {order_said}", f"{raw[rest:]} {order_said}", known)
    for said, said_raw in discourse.statements(q, raw):
        for asked_raw in _questions_of(said, said_raw):
            found = _core(asked_raw.lower(), asked_raw, known)
            if found is not None:
                return found
    for prefix in discourse.ELLIPSIS_PREFIXES:
        if prefix in discourse.SIZE_ONLY and not discourse.ANYWHERE.match(q):  # a size, or how many of a letter
            found = match_templates(counts.TEMPLATES + letters.HOW_MANY_TEMPLATES, prefix + q)
        else:  # "any e's", "no e", "any repeated letters": letters looked for anywhere
            found = _spelling(prefix + q) or _relative(prefix + q) or naming.category(prefix + q, known)
        if found is None and prefix == "is it " and not _ONE_CHARACTER.search(q):  # "one of paris, kyoto or dhaka"
            found = naming.in_list(prefix + q, known, prefix + raw)  # ("any of 'u' or 'c'" asks for letters)
            if found is None and q.startswith("neither "):  # "neither paris nor kyoto": names only
                found = naming.identity(prefix + q, prefix + raw, known)
        if found is not None:
            return found
    denied = re.fullmatch(r"(?P<not>not\s+)?(?P<cat>.+)", q)
    if denied is not None and naming.category_of(denied.group("cat")) is not None:  # "a place?", "not a place?"
        return naming.identity("is it " + q, "is it " + raw, known)
    return None


def _guess_inside(q: str, cut: int) -> int:
    """``cut`` (the lead-in's length), or less where a guess said with a colon starts inside it:
    "Ok, my guess: Paris" is the marker "Ok, " and the guess "my guess: Paris", not a marker
    "my guess:" before a bare "Paris"."""
    for word in re.finditer(r"(?<![a-z0-9'])[a-z]", q[:cut]):
        embedding, guess = discourse.embedded(q[word.start():])
        if guess and word.start() + embedding >= cut:
            return word.start()
    return cut


def _unwrap(question: str) -> tuple[str, str] | None:
    """(raw, lowered) of ``question`` without the talk around it (lead-ins, tags, a lead-in
    or trailing clause that changes nothing); None when what is left is no question."""
    raw, q = normalise(question)
    if raw == raw.upper():
        raw = q  # all in capitals: the case tells nothing (no name is "proper" by it)
    for _ in range(6):
        cut = discourse.strip_lead(q) or (m.end() if (m := _LEAD.match(q)) else 0)
        cut = _guess_inside(q, cut)
        embedding, guess = discourse.embedded(q)
        if not cut or cut < embedding or (guess and cut == embedding):
            break  # "my guess is Paris", "my guess: Paris": a guess, no marker "my guess"
        q, raw = q[cut:], raw[cut:]
    after = discourse.strip_after(q)
    if after:
        q, raw = q[:-after].rstrip(" ?"), raw[:-after].rstrip(" ?")
    trail = _TRAIL.search(q)
    if trail:
        q, raw = q[: trail.start()], raw[: trail.start()]
    tagged = discourse.strip_tags(q)
    if tagged is None or not tagged.text:
        return None
    q, raw = tagged.text, raw[: len(raw) - tagged.cut]
    return (raw, q) if q else None


def parse(question: str, known: Container[str] = frozenset()) -> Rule | None:
    """The rule of ``question``, or None (a question for the model).

    ``known`` holds the normalised names (:func:`game_normalize`) of the list's keywords
    and alts: "Is it X?" about another listed keyword is answered "no" by code.
    """
    _, whole = normalise(question)
    if re.search(r"\bagent\s+alpha\b", whole) or whole in ("are we playing 20 questions",
                                                           "are we playing twenty questions"):
        return Rule("handshake", lambda s: True)
    unwrapped = _unwrap(question)
    if unwrapped is None:
        return None
    raw, q = unwrapped
    if re.match(r"(?:doesn't|isn't|don't|aren't|can't|won't|wouldn't|hasn't)\b", q):
        return None  # "Doesn't it start with A?": a confirmation or a denial, who knows
    q, raw = discourse.normal_forms(q, raw)
    modal = _MODAL_BE.fullmatch(q)
    if modal is not None:  # "can be found on a map": "can it be found on a map"
        said = modal.group("modal") + " it "
        q, raw = said + q[modal.start("rest"):], said + raw[modal.start("rest"):]
    cut, guess = discourse.embedded(q)
    explicit = discourse.explicit_guess(q)
    q, raw = q[cut:], raw[cut:]
    try:
        found = _statement(q, known) or _core(q, raw, known)
        if found is None and not discourse.is_question(q):
            found = _elliptic(q, raw, known)
        if found is None and guess:  # "my guess is Paris"
            found = naming.identity("is it " + q, "is it " + raw, known, guess=explicit)
        if found is None and not guess and not discourse.is_question(q):  # "Paris?", "How about Paris?"
            found = naming.bare(q, raw, known)
    except Unparsed:  # a template matched, but a letter span in it names no letter
        return None
    return Rule(*found) if found is not None else None


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


def known_names(candidates: Iterable[tuple[str, tuple[str, ...]] | Candidate]) -> Names:
    """Normalised keywords and alts of a list (for :func:`parse`); of :class:`.words.Candidate`
    rows, also which of them name places (a lower-case guess of one is then read: "is it warsaw"),
    which name things (one said alone is then a guess of that thing: "Telescope?") and whether the list
    is the public list the data modules were checked on (:class:`.naming.Names`)."""
    names: set[str] = set()
    places: set[str] = set()
    things: set[str] = set()
    keywords: list[str] = []
    for row in candidates:
        if isinstance(row, Candidate):
            keywords.append(row.keyword)
        said = {game_normalize(row[0])} | {game_normalize(a) for a in row[1]}
        names.update(said)
        if isinstance(row, Candidate) and "place" in row.categories:
            places.update(said)
        if isinstance(row, Candidate) and "things" in row.categories:
            things.update(said)
    names.discard("")
    return Names(names, places - {""}, things - {""}, list_fingerprint(keywords) if keywords else "")
