"""The guesser's side of what code can decide: the candidate list and the public protocol.

:class:`Tracker` keeps the candidates (``words.load_candidates``) consistent with every
answer so far: each question that :func:`oracle.parse` understands is tested on every
candidate (a "no" to 'Does the keyword (in lowercase) precede "m" ...?' removes every
candidate before "m"), and a wrong guess removes the candidates it names.

The public alphabetical protocol (the "Agent Alpha" agent of the competition): the guesser
asks the handshake ``Is it Agent Alpha?`` first; a teammate that answers "yes" speaks it,
so each later question bisects the candidates by their lower-cased keyword with
``Does the keyword (in lowercase) precede "WORD" in alphabetical order?`` and each guess is
the likeliest candidate left.  A "yes" to the handshake is confirmed first (``confirm``):
the first protocol question after it is one whose true answer is "no" for every candidate
('... precede "a" ...'): a protocol speaker answers it by code, a teammate that says yes to
everything fails it, and a random answerer (the engine's ``random_answerer``, or a model
that said yes to the handshake by chance) passes the two with a chance of 1/4 instead of
1/2, for one round more in a protocol game.  A "yes" to the check leaves no candidate, and
the guesser goes back to its model (as it does whenever no candidate is left).  Without
``confirm``, the check is asked after ``check_after`` "yes" answers in a row.
"""

from __future__ import annotations

from collections.abc import Sequence

from .oracle import HANDSHAKE, Rule, Subject, alpha_question, known_names, parse
from .rules import normalize
from .words import Candidate, candidates_path, keyword_guessed, load_candidates

ON, PENDING, START, REFUSED, DISABLED = "on", "pending", "start", "refused", "disabled"


def protocol_state(questions: Sequence[str], answers: Sequence[str], handshake: str = HANDSHAKE) -> str:
    """"start" (nothing asked yet), "on" (the handshake was asked first and answered yes),
    "refused" (answered no, or not asked first), "pending" (asked, not answered yet)."""
    if not questions:
        return START
    if normalize(questions[0]) != normalize(handshake):
        return REFUSED
    if not answers:
        return PENDING
    return ON if answers[0] == "yes" else REFUSED


def separator(below: str, word: str) -> str:
    """The shortest prefix ``p`` of ``word`` with ``below < p`` (so ``below < p <= word``),
    extended to end on a letter or digit."""
    for n in range(1, len(word) + 1):
        p = word[:n]
        if p > below and p[-1].isalnum():
            return p
    return word


def _clean(word: str) -> bool:
    return bool(word) and all(ch.isalnum() or ch == " " for ch in word) and word.isascii()


class Tracker:
    """The candidates and what the answers so far say about them."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = tuple(candidates)
        self.known = known_names(self.candidates)
        self._subjects = [
            tuple(Subject(c.keyword, c.alts, cat) for cat in (c.categories or ("",))) for c in self.candidates
        ]
        self._rules: dict[str, Rule | None] = {}
        self._masks: dict[tuple[str, str], tuple[bool, ...] | None] = {}
        self._named: dict[str, tuple[int, ...]] = {}

    def rule(self, question: str) -> Rule | None:
        if question not in self._rules:
            self._rules[question] = parse(question, self.known)
        return self._rules[question]

    def is_protocol(self, question: str) -> bool:
        rule = self.rule(question)
        return rule is not None and rule.kind in ("handshake", "alphabetical")

    def _mask(self, question: str, answer: str) -> tuple[bool, ...] | None:
        key = (question, answer)
        if key in self._masks:
            return self._masks[key]
        rule = self.rule(question)
        mask: tuple[bool, ...] | None = None
        if rule is not None and rule.kind != "handshake" and answer in ("yes", "no"):
            want = answer == "yes"
            out: list[bool] = []
            for subjects in self._subjects:
                ok = False
                for s in subjects:
                    try:
                        truth = rule.test(s)
                    except Exception:
                        truth = None
                    if truth is None or truth == want:
                        ok = True
                        break
                out.append(ok)
            mask = tuple(out)
        self._masks[key] = mask
        return mask

    def named(self, text: str) -> tuple[int, ...]:
        """The candidates a guess names (the game's matching, alts included)."""
        if text not in self._named:
            self._named[text] = tuple(
                i for i, c in enumerate(self.candidates) if keyword_guessed(text, c.keyword, c.alts)
            )
        return self._named[text]

    def alive(self, questions: Sequence[str], answers: Sequence[str], guesses: Sequence[str]) -> list[int]:
        """Indices of the candidates consistent with every answer and not guessed yet."""
        ok = [True] * len(self.candidates)
        for q, a in zip(questions, answers, strict=False):
            mask = self._mask(q, a)
            if mask is not None:
                ok = [x and y for x, y in zip(ok, mask, strict=False)]
        for text in [*guesses, *questions]:  # the game checks questions against the keyword too
            for i in self.named(text):
                ok[i] = False
        return [i for i, x in enumerate(ok) if x]

    def ruled_out(self, text: str, alive: Sequence[int]) -> bool:
        """True when ``text`` names candidates of the list and none of them is left."""
        named = self.named(text)
        return bool(named) and not set(named) & set(alive)

    def best(self, alive: Sequence[int], exclude: Sequence[str] = ()) -> str:
        """The likeliest candidate left (its keyword), "" when none."""
        seen = {normalize(x) for x in exclude}
        ranked = sorted(alive, key=lambda i: (-self.candidates[i].weight, i))
        for i in ranked:
            if normalize(self.candidates[i].keyword) not in seen:
                return self.candidates[i].keyword
        return ""

    def question(
        self, alive: Sequence[int], questions: Sequence[str], answers: Sequence[str], check_after: int = 2,
        *, confirm: bool = True,
    ) -> str:
        """The next protocol question: the check (see the module; with ``confirm`` also right
        after the handshake), else the bisection of ``alive`` by weight; never one asked
        before ("" when none can be made)."""
        asked = {normalize(q) for q in questions}
        keys: dict[str, float] = {}
        for i in sorted(alive, key=lambda j: self.candidates[j].key):
            c = self.candidates[i]
            keys[c.key] = keys.get(c.key, 0.0) + c.weight
        names = list(keys)
        if not names:
            return ""
        run = [a for q, a in zip(questions, answers, strict=False) if self.is_protocol(q)][1:]  # after the handshake
        if confirm and not run:
            return alpha_question(separator("", names[0]))  # the confirmation: "no" for every candidate
        if check_after > 0 and len(run) - confirm == check_after and all(a == "yes" for a in run[confirm:]):
            word = separator("", names[0])
            q = alpha_question(word)
            if normalize(q) not in asked:
                return q
        if len(names) == 1:
            q = alpha_question(names[0] + "a")  # true for the one left: a question that cannot mislead
            return q if normalize(q) not in asked else ""
        total = sum(keys.values())
        cum: list[float] = []
        acc = 0.0
        for name in names:
            acc += keys[name]
            cum.append(acc)
        order = sorted(range(1, len(names)), key=lambda i: abs(cum[i - 1] - total / 2))
        fallback = ""
        for i in order[:64]:
            word = separator(names[i - 1], names[i])
            q = alpha_question(word)
            if normalize(q) in asked:
                continue
            if _clean(word):
                return q
            fallback = fallback or q
        return fallback


_TRACKERS: dict[str, Tracker] = {}


def get_tracker(agent_dir: str, name: str) -> Tracker | None:
    """The process-wide tracker of a candidate list (None when the list is missing or empty).

    What it caches (each question's rule, each (question, answer)'s mask over the list) does
    not depend on the game, so the agents of one process share it."""
    candidates = load_candidates(agent_dir, name)
    if not candidates:
        return None
    key = candidates_path(agent_dir, name)
    tracker = _TRACKERS.get(key)
    if tracker is None:
        tracker = _TRACKERS[key] = Tracker(candidates)
    return tracker
