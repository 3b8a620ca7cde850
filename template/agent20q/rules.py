"""Game rules: move limits, fallback banks, cleaning of model output, legal moves.

Questions are cut at 750 characters and guesses at 100 (the game's limits); a move is
compared with earlier ones after :func:`normalize`.  :func:`legal_move` turns any result
(empty, repeated, malformed) into a legal move, from the banks when needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

MAX_QUESTION_CHARS = 750
MAX_GUESS_CHARS = 100

QUESTION_BANK: tuple[str, ...] = (
    "Is it a place?",
    "Is it a country?",
    "Is it a city?",
    "Is it in Europe?",
    "Is it in Asia?",
    "Is it in Africa?",
    "Is it in the Americas?",
    "Is it a natural landmark?",
    "Is it a man-made structure?",
    "Is it a living thing?",
    "Is it an animal?",
    "Is it a plant?",
    "Is it food or drink?",
    "Is it an electronic device?",
    "Is it made mostly of metal?",
    "Is it made mostly of wood?",
    "Is it made mostly of plastic?",
    "Is it usually found indoors?",
    "Is it found in a kitchen?",
    "Is it smaller than a shoebox?",
    "Is it bigger than a car?",
    "Is it used for transportation?",
    "Is it a tool?",
    "Is it worn on the body?",
    "Is it used for entertainment?",
    "Does it need electricity?",
    "Can you hold it in one hand?",
    "Is it something most households own?",
    "Is it soft?",
    "Is it used at work or school?",
    "Is it older than 100 years as an invention?",
    "Is it found outdoors?",
)

GUESS_BANK: tuple[str, ...] = (
    "France",
    "Japan",
    "Paris",
    "London",
    "New York",
    "China",
    "Italy",
    "Brazil",
    "Egypt",
    "Mount Everest",
    "computer",
    "phone",
    "car",
    "book",
    "chair",
    "table",
    "bicycle",
    "television",
    "dog",
    "tree",
    "apple",
    "pizza",
    "shoe",
    "clock",
    "guitar",
    "umbrella",
    "camera",
    "pen",
    "cup",
    "bed",
    "Canada",
    "India",
)


def normalize(text: str) -> str:
    """Lower-case, keep letters and digits, single spaces: for duplicate checks."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


_AUX = r"(?:is|are|does|do|did|can|could|would|will|was|were|has|have|had|should|might|may)"
_YES_NO_QUESTION = re.compile(r"\b" + _AUX + r"\b[^?\n]{2,}\?", re.I)


def clean_question(text: str) -> str:
    """The first yes/no question in ``text`` ("Is it ...?"), at most 750 chars, or ""."""
    for line in text.strip().splitlines():
        line = line.strip().strip("*\"'`").strip()
        line = re.sub(r"^(question\s*\d*\s*[:.)-]|q\s*\d*\s*[:.)-]|\d+\s*[:.)-])\s*", "", line, flags=re.I)
        line = re.sub(r"^[A-Za-z]+\s*:\s*", "", line)  # a label such as 'Is:' or 'Ask:'
        line = line.strip().strip("*\"'`").strip()
        if line.count('"') % 2:
            line = line.replace('"', "")  # an unbalanced quote left from the model's wrapping
        if not line:
            continue
        match = _YES_NO_QUESTION.search(line)
        if match:
            line = match.group(0)
        elif not re.match(_AUX + r"\b", line, re.I):
            return ""  # not a yes/no question (echoed prompt, statement, guess...)
        if len(re.findall(r"[A-Za-z]+", line)) < 3 or "guess the keyword" in line.lower():
            return ""
        line = line[: MAX_QUESTION_CHARS - 1].rstrip()
        line = line[0].upper() + line[1:]
        return line if line.endswith("?") else line + "?"
    return ""


def clean_guess(text: str) -> str:
    for line in text.strip().splitlines():
        line = line.strip().strip("*\"'`").strip()
        line = re.sub(r"^(yes|no)\b[\s,.!:;-]*", "", line, flags=re.I)
        line = re.sub(
            r"^(my\s+guess\s+is|my\s+guess|(the\s+)?(answer|keyword)\s+is|guess|keyword|answer|it\s+is|is\s+it"
            r"|it's|is)\b\s*[:\-]?\s*",
            "",
            line,
            flags=re.I,
        )
        line = re.sub(r"^(a|an|the)\s+", "", line, flags=re.I)
        line = line.strip().strip("*\"'`").rstrip(".!?,;:").strip().strip("*\"'`").strip()
        if line.lower().startswith(("yes", "no ", "no.", "no,")) or "guess" in line.lower():
            return ""  # an answer or an echo of the prompt, not a keyword
        if re.search(r"[0-9A-Za-z]", line) and normalize(line) != "no" and len(line.split()) <= 6:
            return line[:MAX_GUESS_CHARS].strip()
    return ""


def legal_move(
    turn: str,
    result: str,
    questions: list[str],
    guesses: list[str],
    fallback_answer: Any,
    info: dict[str, Any],
    *,
    guess_pool: Sequence[str] = (),
    ruled_out: Callable[[str], bool] | None = None,
) -> str:
    """Make ``result`` a legal move for ``turn`` (fallbacks for anything else).

    ``fallback_answer`` is the answer given when ``result`` is not "yes" or "no" (the
    ``fallback_answer`` setting; "no" when it is neither).  A fallback guess is the first
    of ``guess_pool`` (the candidate list's likeliest keyword), then of ``GUESS_BANK``, that
    is neither a repeat nor ``ruled_out``.  ``info["fallback"]`` is set to "output" when a
    fallback move replaces ``result`` and no earlier reason is recorded.
    """
    if turn == "answer":
        if result in ("yes", "no"):
            return result
        fb = str(fallback_answer).strip().lower()
        info["fallback"] = info["fallback"] or "output"
        return fb if fb in ("yes", "no") else "no"
    if turn == "guess":
        seen = {normalize(g) for g in guesses}
        if result.strip() and len(result) <= MAX_GUESS_CHARS and normalize(result) not in seen and normalize(result):
            return result
        text = clean_guess(result) if result else ""
        if text and normalize(text) not in seen:
            return text
        info["fallback"] = info["fallback"] or "output"
        for g in (*guess_pool, *GUESS_BANK):
            if g and normalize(g) not in seen and not (ruled_out is not None and ruled_out(g)):
                seen.add(normalize(g))
                return g[:MAX_GUESS_CHARS]
        return f"thing {len(guesses) + 1}"
    # "ask" and anything unknown: a question
    seen = {normalize(q) for q in questions}
    if (
        turn == "ask"
        and result.strip()
        and len(result) <= MAX_QUESTION_CHARS
        and normalize(result)
        and normalize(result) not in seen
    ):
        return result
    text = clean_question(result) if result else ""
    if text and normalize(text) not in seen:
        return text
    if turn == "ask":
        info["fallback"] = info["fallback"] or "output"
    for q in QUESTION_BANK:
        if normalize(q) not in seen:
            return q
    return f"Is it related to question number {len(questions) + 1}?"
