"""Settings: every setting with its default, ``agent_settings.json``, the model file."""

from __future__ import annotations

import json
import os
from typing import Any

SETTINGS_FILE = "agent_settings.json"

#: Every setting with its default.  ``agent_settings.json`` (written by the builder) holds
#: the same keys; keys missing there take these values, unknown keys are ignored.
#:
#: What code decides (see ``agent``, ``oracle``, ``protocol``):
#:
#: * ``rules``: the answerer answers rule-shaped questions (letters, word counts, "is it X",
#:   lists, the category, alphabetical order) from the keyword's text, not with the model;
#: * ``protocol``: the public alphabetical protocol ("Agent Alpha"): the guesser asks
#:   ``protocol_handshake`` first and, when its teammate answers yes, bisects the candidate
#:   list; the answerer answers the handshake yes (false: the guesser never asks it and the
#:   answerer answers it no);
#: * ``protocol_confirm``: the guesser confirms a "yes" to the handshake with a question
#:   whose true answer is "no" for every candidate, before it bisects (a random teammate
#:   turns the protocol on with a chance of 1/4, not 1/2; one round more);
#: * ``protocol_check_after``: without ``protocol_confirm``, after this many "yes" in a row
#:   the guesser asks that question (a teammate that says yes to everything is caught; 0: never);
#: * ``candidates_file``: the candidate list, relative to the agent folder ("": none);
#: * ``answer_calibration``: how the model's yes-vs-no margin (log-likelihood of "yes" minus
#:   that of "no") becomes an answer: "probes" (minus the model's bias, measured once per
#:   process on questions with known answers, ``agent.PROBES``), "neutral" (minus its margin
#:   for the same question about ``calibration_keyword``) or "none" (the likelier word);
#:   yes above ``calibration_margin``: most open questions are "no" for any one keyword, and
#:   the margin (0.294 for the default model with "probes") is the one that makes the
#:   yes-rate on all the in-sample open rows of ``tests/template/data/labelled_questions.tsv``
#:   (3,380, pooled from twelve sets written twelve ways, base rates 10-34 %: no one set's rate)
#:   equal their base rate (``python -m bench.agent_rules MODEL --lib LIB --calibrate``;
#:   another model wants its own).  ``answer_history``: the model sees its earlier
#:   answers (off: measured, a tiny model then copies them; see tests/template).
DEFAULTS: dict[str, Any] = {
    "model_file": "",
    "n_ctx": 4096,
    "n_gpu_layers": -1,
    "n_threads": None,
    "n_batch": 512,
    "seed": 42,
    "flash_attn": False,
    "temperature_ask": 0.7,
    "temperature_guess": 0.5,
    "top_p": 0.9,
    "top_k": 40,
    "max_tokens_ask": 48,
    "max_tokens_guess": 12,
    "attempts_ask": 2,
    "attempts_guess": 2,
    "answer_history": False,
    "fallback_answer": "no",
    "kv_swap": True,
    "time_margin_s": 5.0,
    "overage_reserve_s": 30.0,
    "min_turn_s": 2.0,
    "guesser_system": (
        "You are the guesser in a game of 20 Questions. The secret keyword is a thing or a place. "
        "Ask short yes-or-no questions that split the remaining possibilities in half, and use "
        "every answer. When asked to guess, reply with the keyword only. Never repeat a question "
        "or a guess."
    ),
    "answerer_system": (
        'You are the answerer in a game of 20 Questions. The secret keyword is "{keyword}" '
        "(category: {category}). Answer each question about the keyword truthfully with one "
        "word: yes or no."
    ),
    "rules": True,
    "protocol": True,
    "protocol_handshake": "Is it Agent Alpha?",
    "protocol_confirm": True,
    "protocol_check_after": 2,
    "candidates_file": "agent20q/keywords.json",
    "answer_calibration": "probes",
    "calibration_keyword": "N/A",
    "calibration_margin": 0.294,
    "log": True,
    "verbose": False,
}


def load_settings(agent_dir: str) -> dict[str, Any]:
    """DEFAULTS overlaid with ``agent_dir/agent_settings.json`` (missing or bad file: defaults)."""
    settings = dict(DEFAULTS)
    path = os.path.join(agent_dir, SETTINGS_FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return settings
    if isinstance(data, dict):
        for key, value in data.items():
            if key in settings:
                settings[key] = value
    return settings


def find_model(agent_dir: str, model_file: str) -> str:
    """The model path: ``model_file`` (relative to ``agent_dir``) or the first ``*.gguf`` there."""
    if model_file:
        path = model_file if os.path.isabs(model_file) else os.path.join(agent_dir, model_file)
        if os.path.isfile(path):
            return path
        raise FileNotFoundError(f"model_file {model_file!r} not found in {agent_dir}")
    names = sorted(n for n in os.listdir(agent_dir) if n.lower().endswith(".gguf"))
    if not names:
        raise FileNotFoundError(f"no .gguf model in {agent_dir}")
    return os.path.join(agent_dir, names[0])
