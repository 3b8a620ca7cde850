"""LLM 20 Questions agent: any GGUF chat model through llama-cpp-python.

This package sits beside ``main.py`` in the submission folder.  ``main.py`` creates one
:class:`Agent` per exec (kaggle-environments execs ``main.py`` once per agent) and binds a
plain function that calls :meth:`Agent.act`.

What lives where:

* ``settings``: ``DEFAULTS`` (every setting), ``load_settings`` (``agent_settings.json``),
  ``find_model`` (the ``.gguf`` to load);
* ``deadline``: ``Deadline`` / ``TimeUp``, the turn's time budget;
* ``chat``: ``ChatFormat``, messages -> prompt text with the model's chat template;
* ``engine``: ``Engine`` (the llama.cpp model, KV-cache reuse and swap, sampling, yes/no
  likelihoods) and the process-wide cache ``_ENGINES`` / ``_LOAD_ERRORS``: agents exec'd
  in one process share ``sys.modules`` and so share one loaded model;
* ``rules``: the game's limits (750 / 100 chars), the question and guess banks,
  ``clean_question`` / ``clean_guess``, ``normalize`` and ``legal_move``;
* ``words``: the game's keyword matching (``compare_words``, ``keyword_guessed``) and the
  candidate list ``keywords.json`` (the competition's public keywords, with alts);
* ``oracle``: answers decided by code (``parse`` a question into a ``Rule``, ``decide``): a
  question is answered only when one template reads it whole; the templates live in
  ``order`` (alphabetical order), ``letters`` (letters at a position, letters contained),
  ``counts`` (letters, characters, words) and ``naming`` ("is it X", lists, the category),
  built from the phrases and keyword readings of ``phrases``;
* ``protocol``: ``Tracker`` (the candidates consistent with the answers so far) and the
  public alphabetical protocol (handshake, bisection questions);
* ``agent``: ``Agent``, one player: who decides each move (rules, protocol, model,
  fallback), prompts per role, calibration, deadline, the log line and the JSON report
  (``$GGUF_AGENT_REPORT``).

Only the standard library at import time; ``llama_cpp`` (and its dependency ``numpy``)
when the model is loaded.  Python 3.10 compatible.
"""

from __future__ import annotations

from .agent import Agent
from .chat import ChatFormat
from .deadline import Deadline, TimeUp
from .engine import _ENGINES as _ENGINES
from .engine import _LOAD_ERRORS as _LOAD_ERRORS
from .engine import Engine, get_engine
from .oracle import HANDSHAKE, Decision, Rule, Subject, alpha_question, decide, parse
from .protocol import Tracker, protocol_state
from .rules import (
    GUESS_BANK,
    MAX_GUESS_CHARS,
    MAX_QUESTION_CHARS,
    QUESTION_BANK,
    clean_guess,
    clean_question,
    legal_move,
    normalize,
)
from .settings import DEFAULTS, SETTINGS_FILE, find_model, load_settings
from .words import Candidate, compare_words, keyword_guessed, load_candidates

__all__ = [
    "DEFAULTS",
    "GUESS_BANK",
    "HANDSHAKE",
    "MAX_GUESS_CHARS",
    "MAX_QUESTION_CHARS",
    "QUESTION_BANK",
    "SETTINGS_FILE",
    "Agent",
    "Candidate",
    "ChatFormat",
    "Deadline",
    "Decision",
    "Engine",
    "Rule",
    "Subject",
    "TimeUp",
    "Tracker",
    "alpha_question",
    "clean_guess",
    "clean_question",
    "compare_words",
    "decide",
    "find_model",
    "get_engine",
    "keyword_guessed",
    "legal_move",
    "load_candidates",
    "load_settings",
    "normalize",
    "parse",
    "protocol_state",
]
