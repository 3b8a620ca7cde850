"""The talk around a question: lead-ins, tags and ellipsis, read by a closed grammar.

A player writes "Ok, next: does it start with B?", "Is it Agave by any chance?", "It starts
with B, right?", "Starts with B?", "Fewer than 6 letters?".  :func:`strip_lead` and
:func:`strip_tags` take off what changes nothing of the question's truth; :func:`statements`
and :data:`ELLIPSIS_PREFIXES` give the full questions an elliptic one may stand for.  Each
part is a closed class:

* lead-ins (:data:`LEAD`): discourse markers, one or several, each ended by punctuation
  ("Ok, ", "Thanks! ", "Hmm... ", "Great, next: ", "Got it. So, ", "Based on that, ", "Thanks for
  answering! ") or followed directly by
  the question's auxiliary ("So does it ..."), or, for the markers that say nothing of what follows
  ("so", "now", "ok", "and", "then", "also", "hmm"), by any question ("OK so two words?", "Now last
  letter D?"), and announcers ("Next question: ", "Quick
  question - ", "Let me ask: ", "Yes or no: "), and whole sentences of talk about the
  conversation (:data:`TALK_WORDS`: "Good to know. ", "Here's my next question: ", "Let me try
  a different angle. "), before the question or after its "?" ("... ? Thanks!"), and how to
  answer (:data:`ANSWER_FORMAT`: "Please answer yes or no.", "... ? Yes or no?", "... ? Just yes or no,
  please.", "Only yes or no."; a sentence that sets a condition, "Answer the opposite.", is none).  "In French:
  ", "Backwards, ", "Ignoring the first word, ", "Assuming it is a city, " are no markers (a
  word outside the vocabulary): such a question stays whole, and no template reads it;
* tags (:data:`TAGS`): ", then", "by any chance", ", perhaps", ", please", "we're looking
  for", "you're thinking of"; and the confirmation tags that make a statement a question:
  ", right", ", correct", ", is that right", ", am I right", ", true", ", yeah", ", if I'm not
  mistaken", also after " - ", "?" or "." ("It starts with B? Right?", "My guess: Paris. Correct?"),
  "right" and "correct" also with no comma ("It starts with B right?"), and an opinion after it
  (", I think", ", I believe", ", I'd say") (the answer is the statement's truth, negated or
  not: "It doesn't start with A, right?" asks whether that is right), ", doesn't it" / ",
  isn't it" / ", aren't we" / ", no" / ", don't you think" (only after a statement without a
  negation: "It doesn't start with A, does it?", "It has no E, no?", whose answer may mean
  either, are no tags of the class and are left to the model); "or not" after a question or a
  statement, in the same sentence ("Does it start with A or not?"; "... ? Or not?" is
  another sentence, and unread);
* embedding: a statement asked as a question ("Can you tell me if it starts with B?", "I'd
  like to know whether ...", "Would you say ...", "Do you think ...", "Is it fair to say that
  ...", "Am I right in thinking that ...", "Can you confirm (that) ...", "Would I be correct in
  saying ...", "Is it correct to say ...") or said as an opinion or a guess ("I think it's a
  place", "My guess is Paris - am I right?", "I'm guessing Paris"): :data:`EMBEDDING`, the
  answer is the statement's truth; "I don't think ...", "I doubt ...", whose "yes" may mean
  either, are none of them;
* normal forms: a modal before a verb of spelling ("Would it start with B?": "does"), "has
  it got" ("does it have"), a hedge inside ("Does it maybe start with B?", "Is the keyword
  perhaps Paris?"), "happen to" ("Does the last letter happen to be R?": "is the last letter R",
  "Would it happen to start with B?", "The last letter happens to be R?"), a marker before a
  statement ("So it starts with B?");
* ellipsis: a question without its auxiliary ("Starts with B?", "First letter B?", "Any Z
  in it?", "Any E's?", "No E?", "Two or more A's?", "Both I and C?", "Ending in a B?", "Got an E
  in it?", "A place?", "Not a place?", "One word?", "Fewer than 6 letters?", "Even number of letters?", "The
  keyword starts with B?", "The last two letters are 'ge'?", "Last two letters 'ge'?", "B first?", "There's an E
  in it?"; and a topic, a colon, its value: "First letter: B?", "Number of letters: 6?") stands for
  the statements :func:`statements` lists (made questions by the oracle) or for itself after
  one of :data:`ELLIPSIS_PREFIXES`; the oracle reads each with its templates, which must
  still match whole.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .phrases import SOUGHT, SUBJ, alt

_MARKERS = (
    "ok", "okay", "alright", "all right", "right", "great", "good", "nice", "cool", "perfect", "excellent",
    "awesome", "interesting", "wonderful", "fantastic", "fine", "sure", "got it", "i see", "understood", "noted",
    "ah", "oh", "aha", "wow", "hmm", "hm", "hmmm", "yes", "no", "yeah", "nope", "thanks", "thank you", "thanks a lot",
    "thank you very much", "so", "well", "now", "then", "and", "also", "next", "next question", "one more",
    "one more question", "one more thing", "another question", "quick question", "question", "my next question",
    "my question",
    "let me ask", "let me ask you", "i'd like to know", "i would like to know", "i want to know", "i wonder",
    "please", "please tell me", "tell me", "yes or no", "true or false", "here is my question", "here's my question",
    "moving on", "let's see", "let's try", "let me think", "quick one", "another one", "last one", "next one",
    "let me narrow it down", "let me narrow this down",
    "let's narrow it down", "narrowing it down", "to narrow it down", "let me check", "let me confirm",
    "just checking", "just to check", "to confirm", "checking",
)
#: Markers that announce a guess: ended by punctuation only ("My guess: ", "Let me guess - "), never
#: before an auxiliary: "My guess is Paris" says the guess (:data:`EMBEDDING`), it is no marker.
_GUESS_MARKERS = ("my guess", "my next guess", "a guess", "guess", "let me guess")
_AUX = r"(?:is|are|does|do|did|can|could|would|will|was|were|has|have|should|might|may)"
#: One marker: its words (a question number allowed: "Question 5:"), then punctuation, or
#: a space before another marker or before the question's auxiliary.
#: How a statement opens ("So it starts with B?", "And the keyword is a place?").
_STATEMENT_OPENS = r"(?:it|it's|its|the|this|this's|that|that's|your)\s"
#: Markers that may open a statement asked as a question without a comma ("So it starts with B?").
_BEFORE_STATEMENT = ("so", "and", "then", "now", "ok", "okay", "alright", "well", "hmm", "also")
#: Markers that may open any question without a comma ("OK so two words?", "So alphabetically, does it
#: come before R?", "Now last letter D?"): they say nothing of it ("well" may: "well over 5 letters").
_BEFORE_ANY = ("so", "and", "then", "now", "ok", "okay", "alright", "hmm", "also")
_MARKER = (
    r"(?:(?:" + alt(_MARKERS) + r")(?:\s*#?\d{1,2})?(?![a-z0-9'])(?:\s*[,.!:;\-]+|\s+(?=" + alt(_MARKERS)
    + r"(?![a-z0-9'])|" + _AUX + r"\s))|" + alt(_GUESS_MARKERS) + r"(?![a-z0-9'])\s*[,.!:;\-]+|"
    + alt(_BEFORE_STATEMENT) + r"\s+(?=" + _STATEMENT_OPENS + r")|" + alt(_BEFORE_ANY) + r"\s+(?=[a-z0-9'\"]))"
)
LEAD = re.compile(r"(?:" + _MARKER + r"\s*)+")

#: The words of a lead-in *sentence* ("Good to know.", "Here's my next question:", "Let me try a
#: different angle.", "That helps narrow it down!"): talk about the conversation only.  A closed
#: vocabulary with no word that could set a condition, a count convention, a negation or a
#: hypothesis ("not", "if", "only", "ignore", "counting", "spaces", "word", "letters", "first",
#: "opposite", "assuming", "place", "french" ... are not in it), so a sentence made of these
#: words alone cannot change how the question that follows reads.  A sentence with any other
#: word ("Ignore the first word.", "Answer the opposite:", "Assuming it is a city, ...") is no
#: lead-in: the question stays whole, and no template reads it.
TALK_WORDS = frozenset("""
    a an the this that these it its it's that's is are was be been am i i'm i'll i'd i've me my we we're we've
    we'll let let's us our you you're your here here's there's
    thanks thank appreciate appreciated for so very much lot lots bit little quite pretty really super
    good great nice cool ok okay alright fine perfect excellent awesome interesting intriguing wonderful fantastic
    amazing brilliant helpful useful informative clear noted understood gotcha got see know knowing to
    fair enough hmm hm hmmm ah aha oh ooh wow indeed
    now then next also and but well all
    try trying tried another different new angle approach direction tack tactic strategy route something else
    move moving on continue continuing keep going go here goes
    question questions guess guesses ask asking one more think thinking about narrow narrows narrowing narrowed
    down rules rule out eliminates helps help helped progress getting closer close making this tough tricky hard
    easy challenging puzzle information info clue hint feedback with will would
    just quick simple short follow follow-up followup up curious honest honestly in mind
    things further previous earlier far given since topic topics subject spelling round q focus final
""".split())
#: Phrases of talk with a word that is kept out of :data:`TALK_WORDS` on its own ("answer",
#: "change", "switch", "like", "makes": "Change the answer.", "Make it yes." set the answer).
_TALK_PHRASES = re.compile(
    r"(?:thanks|thank\s+you)\s+(?:so\s+much\s+|very\s+much\s+)?for\s+(?:(?:the|your|that|those|these)\s+"
    r"(?:answers?|responses?|replies|reply|help|patience)|answering|responding|replying|playing|helping)"
    r"|(?:based\s+on|given|from)\s+(?:your|the|those|these)\s+(?:previous\s+|earlier\s+)?(?:answers|responses)"
    r"|(?:based\s+on|going\s+by)\s+(?:that|this|those)(?:\s+(?:answer|response|reply))?"
    r"|(?:switch|switching|change|changing)\s+(?:gears|direction|tack|topics?|approach)"
    r"|makes?\s+sense|i(?:'d|\s+would)\s+like\s+to\s+(?:ask|know|check|try)"
)
#: "Good to know. ", "Here's my next question: ", "Great! ", "Let me try a different angle - ".
_SENTENCE = re.compile(r"(?P<words>[a-z0-9#][a-z0-9'#\-]*(?:\s+[a-z0-9#][a-z0-9'#\-]*){0,14})\s*(?:[.!:;,]+|\s-+)\s*")
#: A sentence after the question ("Does it start with A? Thanks!", "... ? Just curious.").
_AFTER = re.compile(r"\?+\s*(?P<words>[a-z0-9#][a-z0-9'#\-]*(?:\s+[a-z0-9#][a-z0-9'#\-]*){0,14})\s*[.!]*$")


#: How to answer, said before or after the question: "Please answer yes or no.", "Yes or no?",
#: "Answer with just 'yes' or 'no':", "(true or false)".
ANSWER_FORMAT = (
    r"(?:(?:please|just|kindly|simply|only)\s+)*(?:(?:answer|reply|respond)(?:\s+(?:me\s+)?(?:with|in|using))?(?:\s+(?:just|only"
    r"|simply|a\s+simple|a))?\s+)?(?:['\"]?yes['\"]?\s*(?:or|/)\s*['\"]?no['\"]?|['\"]?true['\"]?\s*(?:or|/)\s*"
    r"['\"]?false['\"]?)(?:\s+only)?(?:\s*,?\s*please)?"
)
_FORMAT_LEAD = re.compile(ANSWER_FORMAT + r"\s*(?:[.!:;,]+|\s-+)\s*")
_FORMAT_AFTER = re.compile(r"(?:\s*(?:\?+!*|[,:;]|\s-+)\s*\(?|\s*\()" + ANSWER_FORMAT + r"\)?\s*[.!?]*$")


def _talk(words: str) -> bool:
    """Is ``words`` made of :data:`TALK_WORDS` only (a question number allowed)?"""
    words = _TALK_PHRASES.sub(" so ", words)
    return all(w in TALK_WORDS or re.fullmatch(r"(?:#|q|no\.)?\d{1,2}", w) for w in words.split())

#: Tags that change nothing: "..., then", "... by any chance", "... we're looking for".
_SOFT_TAGS = (
    "then", "by any chance", "by chance", "perhaps", "maybe", "possibly", "please", "i wonder", "do you think",
    "would you say", "if i may ask", "if you don't mind", "at all",
)
_SOUGHT = SOUGHT
_CONFIRM = (
    "right", "correct", "true", "yes", "yeah", "yep", "yup", "ok", "okay", "eh", "agreed", "is that right",
    "is that correct", "is that true", "is that so", "am i right", "am i correct", "isn't that right", "is it right",
    "would that be right", "would that be correct", "correct me if i'm wrong", "if i'm not mistaken",
)
#: An opinion said after the statement: "It's a thing, I think?" (= "I think it's a thing").
_OPINION = (
    "i think", "i believe", "i guess", "i suppose", "i assume", "i reckon", "i presume", "i imagine", "i'd say",
    "i would say", "i bet", "i'm guessing", "i am guessing", "i'm thinking", "i'm assuming",
)
#: Auxiliary tags ("It starts with B, doesn't it?", "We're talking about a place, aren't we?"): only
#: after a statement without a negation (:func:`strip_tags`); ", no?" is one of them.
_AUX_TAGS = (
    "doesn't it", "does it not", "isn't it", "is it not", "don't they", "aren't they", "hasn't it", "aren't we",
    "are we not", "aren't you", "isn't that", "isn't this", "doesn't that", "doesn't this", "wouldn't it", "won't it",
    "haven't we", "can't you", "couldn't you", "can't it", "couldn't it", "wouldn't you", "don't you think",
    "wouldn't you say", "wouldn't you agree", "don't you agree", "no",
)
TAGS = re.compile(
    r"(?:\s*,?\s*(?P<soft>" + alt(_SOFT_TAGS) + r")|\s+(?P<sought>" + _SOUGHT + r")|\s*(?:[,;:?.]|\s-+)\s*(?P<confirm>"
    + alt(_CONFIRM) + r")|(?<=[a-z0-9'\"])\s+(?P<confirm2>right|correct)|\s*(?:,|\s-+)\s*(?P<opinion>" + alt(_OPINION)
    + r")|\s*(?:,|\s-+)\s*(?P<aux>"
    + alt(_AUX_TAGS) + r")|(?<=[a-z0-9'\")\]+])\s*,?\s+(?P<whether>or\s+not))$"
)
_NEGATED = re.compile(r"\b(?:not|no|never|none|neither|nor|lacks?|without)\b|n't\b")


#: What turns a statement into the question of its truth: "Can you tell me if it starts with
#: A?", "I'd like to know whether ...", "May I ask if ...", "Would you mind telling me if ...", "I'm
#: curious whether ...", "Would you say ...", "Do you think ...", and a guess said
#: as an opinion ("I think it's Paris", "My guess is Paris"; the ``guess`` group: what follows
#: may also be a bare name).  A negated opinion ("I don't think ...") is none of them.
EMBEDDING = re.compile(
    r"(?:(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:tell\s+me|confirm|say|let\s+me\s+know)|(?:please\s+)?"
    r"(?:tell\s+me|confirm|let\s+me\s+know)|i(?:'d|\s+would)\s+like\s+to\s+know|i\s+(?:want|need)\s+to\s+know|"
    r"i(?:'m|\s+am|\s+was)\s+wondering|i\s+wonder|do\s+you\s+know|(?:would|do)\s+you\s+happen\s+to\s+know"
    r"|(?:do\s+you\s+have\s+)?any\s+idea|(?:(?:would|do)\s+you\s+)?mind\s+telling\s+me|(?:may|can|could)\s+i\s+ask"
    r"|i(?:'d|\s+would)\s+love\s+to\s+know|i(?:'m|\s+am)\s+curious|(?:just\s+)?wondering)\s+(?:if|whether)"
    r"(?:\s+or\s+not)?"
    # "Any chance it starts with B?", "Is there any chance (that) the keyword starts with B?"
    r"|(?:is\s+there\s+)?(?:any|a)\s+chance(?:\s+that)?"
    r"|(?:would|do)\s+you\s+(?:say|think|agree)(?:\s+that)?|is\s+it\s+possible\s+that|(?:could|can)\s+it\s+be\s+that"
    # "Would it be fair to say ...", "Is it correct to say that ..."
    r"|(?:would\s+it\s+be|is\s+it)\s+(?:fair|safe|accurate|right|correct|true)\s+to\s+(?:say|think)(?:\s+that)?"
    # "Can you confirm (that) ...", "Please confirm that ..." (a statement follows: "confirm if" is above)
    r"|(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|please\s+)?confirm(?:\s+for\s+me)?(?:\s+that)?(?!\s+(?:if|whether)\b)"
    # "Am I right that ...", "Would I be correct in saying (that) ...", "Am I right to think ..."
    r"|(?:am\s+i|would\s+i\s+be)\s+(?:right|correct)\s+(?:that|(?:in\s+)?(?:saying|thinking|assuming|guessing)"
    r"(?:\s+that)?|to\s+(?:say|think|assume)(?:\s+that)?)"
    r"|(?P<guess>(?P<explicit>i(?:'m|\s+am)\s+guessing|i(?:'d|\s+would)\s+guess|i(?:'ll|\s+will)\s+(?:guess|go\s+with)"
    r"|i(?:'m|\s+am)\s+going\s+to\s+(?:guess|go\s+with)|my\s+(?:(?:first|next|final|new|best)\s+)?guess\s+(?:is|would"
    r"\s+be)|(?:let\s+me\s+guess|(?:my\s+)?(?:(?:first|next|final|new|best)\s+)?guess|(?:my\s+)?final\s+answer)"
    r"(?=\s*[:\-]))|i\s+(?:think|guess|believe|bet|suspect|reckon)|i(?:'m|\s+am)\s+thinking|i(?:'d|\s+would)\s+say"
    r"|my\s+hunch\s+is)(?:\s+that)?)\s*[:,\-]?\s+"
)


def embedded(q: str) -> tuple[int, bool]:
    """(characters of ``q`` that embed a statement, and whether they say a guess); (0, False)
    when ``q`` opens with none of :data:`EMBEDDING`."""
    m = EMBEDDING.match(q)
    return (m.end(), m.group("guess") is not None) if m else (0, False)


def explicit_guess(q: str) -> bool:
    """Does ``q`` open by saying a guess of the keyword ("My guess is ...", "I'll go with ...", "Final
    answer: ...")?  Then a listed name after it is that guess in any case ("my guess is screwdriver");
    after an opinion ("I think furniture", "I'd say luggage") it may be a class the keyword is in."""
    m = EMBEDDING.match(q)
    return m is not None and m.group("explicit") is not None


#: "Has it got more than 5 letters?": "does it have ...".
HAS_GOT = re.compile(r"(?:has|have)\s+(?P<subj>.{1,60}?)\s+got\s+")
#: "Would it start with B?", "Could the keyword contain an E?", "Would the thing you're thinking
#: of end in R?": "does ..." (a modal before a verb of spelling, after any subject the grammar
#: reads; "would it be ..." is no such verb).
MODAL_DOES = re.compile(
    r"(?:would|could|might|may|will)\s+(?=(?:the\s+(?:[a-z]+\s+){0,2}(?:keyword|word|answer|name)|" + SUBJ + r")\s+"
    r"(?:not\s+)?(?:start|begin|end|contain|include|have|use|consist|exceed|lack|feature|finish|kick|wrap)\b)"
)
#: Hedges inside a question that change nothing: "Does it maybe start with B?", "Is the keyword
#: perhaps Paris?", and the fillers of emphasis "Does it actually start with B?", "Is the last letter
#: really A?", "Does it in fact contain an R?" (not inside quotes).
HEDGE = re.compile(r"(?<=[a-z0-9])\s+(?:maybe|possibly|perhaps|by\s+any\s+chance|by\s+chance|actually|really|in\s+fact"
                   r"|indeed|truly)(?=\s+[a-z0-9'\"])")
#: "Is the first letter exactly B?": "exactly" before one letter that ends the question, after a letter
#: named by its place, changes nothing (before a number it is a count: "exactly 5 letters"; "Does it contain
#: exactly A?" may count the A's).
EXACTLY = re.compile(r"(?<=[a-z])\s+(?:exactly|precisely)(?=\s+(?:the\s+letter\s+|an?\s+)?(?:'[a-z]'|\"[a-z]\"|[a-z])"
                     r"(?![a-z0-9'\"])(?!\s+(?:and|or|,))\s*$)")
_QUOTED = re.compile(r"(?<![a-z])'[^']*'(?![a-z])|\"[^\"]*\"")
#: "Does the last letter happen to be R?" ("is the last letter r"), "Would it happen to start with B?"
#: ("does it start with b"): the subject is any words before "happen to", none of them quoted (a possessive
#: "'s" is no quote: "Does the secret word's last letter happen to be E?"); "would you happen to know if"
#: embeds a statement (:data:`EMBEDDING`).
HAPPEN = re.compile(r"(?P<aux>does|do|would|could|might|will)\s+(?!(?:you|we|i)\s+happen\b)"
                    r"(?P<subj>(?:[a-z0-9 ]|(?<=[a-z])'s(?= )){1,80}?)\s+happen\s+to\s+"
                    r"(?P<verb>be|[a-z]+)\b")
#: The statement form: "The last letter happens to be R?", "It happens to start with B?" (the verbs of
#: spelling and order, said in the third person).
HAPPENS = re.compile(r"(?<=[a-z0-9])\s+happens\s+to\s+(?P<verb>be|start|begin|end|contain|include|have|come|fall"
                     r"|consist|precede|appear|finish|use|lack)\b")
_THIRD = {"be": "is", "have": "has", "finish": "finishes", "precede": "precedes"}


def normal_forms(q: str, raw: str) -> tuple[str, str]:
    """``q`` (normalised) and ``raw`` (as written, the same length) in their normal form: "has it
    got" -> "does it have", a modal before a verb of spelling -> "does", hedges dropped (not
    inside quotes)."""
    got = HAS_GOT.match(q)
    if got is not None:  # "has it got an e": "does it have an e"
        q = f"does {got.group('subj')} have {q[got.end():]}"
        raw = f"does {raw[got.start('subj'):got.end('subj')]} have {raw[got.end():]}"
    happen = HAPPEN.match(q)
    if happen is not None:  # "does the last letter happen to be r": "is the last letter r"
        aux, verb = happen.group("aux"), happen.group("verb")
        lead = ("are" if aux == "do" else "is") if verb == "be" else ("do" if aux == "do" else "does")
        subj, said = q[happen.start("subj") : happen.end("subj")], raw[happen.start("subj") : happen.end("subj")]
        tail = "" if verb == "be" else " " + verb
        q = f"{lead} {subj}{tail}{q[happen.end():]}"
        raw = f"{lead} {said}{tail}{raw[happen.end():]}"
    happens = HAPPENS.search(q)
    if happens is not None and not any(a <= happens.start() < b for a, b in (m.span() for m in _QUOTED.finditer(q))):
        verb = happens.group("verb")  # "the last letter happens to be r": "the last letter is r"
        said = " " + _THIRD.get(verb, verb + "s")
        q, raw = q[: happens.start()] + said + q[happens.end():], raw[: happens.start()] + said + raw[happens.end():]
    modal = MODAL_DOES.match(q)
    if modal is not None:  # "would it start with b": "does it start with b"
        q, raw = "does " + q[modal.end():], "does " + raw[modal.end():]
    quoted = [m.span() for m in _QUOTED.finditer(q)]
    exact = [m for m in EXACTLY.finditer(q) if re.search(r"\b(?:letter|character|initial)\b", q[: m.start()])]
    for hedge in reversed([*HEDGE.finditer(q), *exact]):
        if not any(a <= hedge.start() < b for a, b in quoted):
            q, raw = q[: hedge.start()] + q[hedge.end():], raw[: hedge.start()] + raw[hedge.end():]
    return q, raw


class Tagged(NamedTuple):
    """A question without its tags, and how many characters were taken off its end."""

    text: str
    cut: int


def strip_lead(q: str) -> int:
    """How many characters of ``q`` (normalised) are discourse markers, or one sentence of
    :data:`TALK_WORDS`, before the question."""
    m = LEAD.match(q) or _FORMAT_LEAD.match(q)
    if m:
        return m.end()
    s = _SENTENCE.match(q)
    return s.end() if s and _talk(s.group("words")) else 0


def strip_after(q: str) -> int:
    """How many characters at the end of ``q`` (normalised) are a sentence of :data:`TALK_WORDS`
    after the question's "?" ("... ? Thanks!"); the "?" goes with it."""
    f = _FORMAT_AFTER.search(q)
    if f and f.start() > 0:
        return len(q) - f.start()
    m = _AFTER.search(q)
    return len(q) - m.start() if m and _talk(m.group("words")) else 0


def strip_tags(q: str) -> Tagged | None:
    """``q`` without its trailing tags; None when a tag does not fit what it follows (an
    auxiliary tag after a negated statement)."""
    text, aux = q, False
    for _ in range(3):
        m = TAGS.search(text)
        if m is None or m.start() == 0:
            break
        if m.group("aux"):
            aux = True
            modal = re.match(r"(ca|could|would)n't\s+(?:you|it)$", m.group("aux"))
            said = {"ca": "can"}.get(modal.group(1), modal.group(1)) if modal else ""
            if said and not re.search(r"\b" + said + r"\b", text[: m.start()]):
                return None  # "It is a place, can't you?": the tag does not fit
        text = text[: m.start()].rstrip(" ,")
    if aux and (re.match(_AUX + r"\b", text) or _NEGATED.search(text)):
        return None  # "Is it a place, isn't it?", "It doesn't start with A, does it?"
    return Tagged(text, len(q) - len(text))


_PRONOUN_IS = re.compile(r"^(it|this|that|there)'s\b", re.IGNORECASE)
#: Prefixes that restore an elliptic question, tried in order (a template must then read the
#: whole result): a position ("first letter B"), a letter looked for where ("any Z in it"),
#: a size ("one word", "fewer than 6 letters").  "does it have" restores a size only: "A
#: vowel?" after "Starts with B?" asks about the first letter, not about any letter.
ELLIPSIS_PREFIXES = ("is ", "are ", "is there ", "is it ", "does it have ", "does it have an ")
SIZE_ONLY = frozenset({"does it have ", "does it have an "})
#: What opens an elliptic question about letters anywhere in the keyword, which "does it have"
#: restores ("Any E's?", "No E?", "Two or more A's?", "More than one N?", "Multiple 'u's?", "Both I
#: and C?", "All of P, J and Q?"): a quantity or a set, never one letter ("A vowel?" may ask about
#: the first letter after "Starts with B?"), or a string or kind of character no one position holds.
ANYWHERE = re.compile(
    r"(?:any|no|both|all|either|neither|none|multiple|several|many|more\s+than|at\s+least|at\s+most|fewer\s+than"
    r"|less\s+than|exactly|only|just|(?:one|two|three|four|five|[1-5])\s+or\s+more)\s"
    # a string or a kind of character no one position holds: "The substring 'an'?", "The letters 'th'
    # together?", "Special characters?"
    r"|(?:the\s+|a\s+)?(?:prefix|suffix)\s|(?:an?\s+)?double\s|letters\s+(?:only|and\s+spaces\s+only)\b"
    r"|nothing\s+but\s+letters\b"
    r"|(?:the\s+)?(?:sub-?string|letters\s+(?:'[^']+'|\"[^\"]+\")\s+(?:together|in\s+a\s+row|consecutively|next\s+to\s+each"
    r"\s+other|side\s+by\s+side)|letter\s+(?:combination|sequence|string|pair|group|cluster)\s"
    r"|(?:combination|sequence|string|pair|group|cluster)\s+of\s+letters\s|special\s+characters\b|punctuation\b)"
)


_OPENS_QUESTION = re.compile(
    r"(?!has\b|have\b)" + _AUX + r"\b|(?:isn't|doesn't|don't|aren't|can't|won't|wouldn't|hasn't)\b"
)


def is_question(q: str) -> bool:
    """Does ``q`` (normalised) open as a yes/no question (with its auxiliary)?  "has" and
    "have" open a statement as often ("Has 5 letters?")."""
    return _OPENS_QUESTION.match(q) is not None


#: A participle or "got" opening a question without its subject: "Ending in a B?", "Starting with
#: S?", "Got an E in it?" ("it ends in a b", "it starts with s", "it has an e in it").
_PARTICIPLE = re.compile(
    r"(?P<verb>starting|beginning|ending|finishing|containing|including|having|using|lacking|consisting|got|kicking"
    r"|wrapping)\s"
)
_THIRD_PERSON = {"starting": "starts", "beginning": "begins", "ending": "ends", "finishing": "finishes",
                 "containing": "contains", "including": "includes", "having": "has", "using": "uses",
                 "lacking": "lacks", "consisting": "consists", "got": "has", "kicking": "kicks", "wrapping": "wraps"}


#: A subject said without its article, as in a note: "Keyword starts with B?", "Secret word has 6
#: letters?", "Answer is a place?" ("the" restored).
_BARE_SUBJECT = re.compile(r"(?:(?:secret|hidden|mystery|target)\s+)?(?:key\s?-?word|word|answer)\s")


def statements(q: str, raw: str = "") -> tuple[tuple[str, str], ...]:
    """The statements a question without its auxiliary may be, lowered and as written (``raw``,
    when given): ``q`` itself ("the keyword starts with b", "it's a place"), ``q`` with its
    subject "it" restored ("starts with b", "ending in b", "got an e") and ``q`` with the article
    of its subject restored ("keyword starts with b")."""
    q = _PRONOUN_IS.sub(r"\1 is", q)
    raw = _PRONOUN_IS.sub(r"\1 is", raw) if raw else q
    if _BARE_SUBJECT.match(q) and len(raw) == len(q):  # "keyword starts with b": "the keyword starts with b"
        return ((q, raw), ("the " + q, "the " + raw))
    verb = _PARTICIPLE.match(q)
    if verb is not None and len(raw) == len(q):  # "ending in b": "it ends in b"
        said = _THIRD_PERSON[verb.group("verb")]
        q, raw = said + q[verb.end("verb"):], said + raw[verb.end("verb"):]
    return ((q, raw), ("it " + q, "it " + raw))
