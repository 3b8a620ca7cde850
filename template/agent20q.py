"""LLM 20 Questions agent: any GGUF chat model through llama-cpp-python.

This module sits beside ``main.py`` in the submission folder.  ``main.py`` creates one
:class:`Agent` per exec (kaggle-environments execs ``main.py`` once per agent) and binds a
plain function that calls :meth:`Agent.act`.  The llama.cpp model lives in this module
(``_ENGINES``): when several agents run in one process they share ``sys.modules`` and so
share one loaded model.

Design:

* The model is loaded lazily on the first turn; ``llama_cpp`` and ``numpy`` are imported
  only then, so importing this module never fails.
* Prompts are rendered with the model's own chat template (GGUF ``tokenizer.chat_template``)
  through llama-cpp-python's Jinja2 formatter.  Templates without a system role (Gemma)
  get the system prompt folded into the first user message; no template at all gives a
  plain fallback format.
* Every agent/role keeps one conversation rebuilt from the observation (questions,
  answers, guesses), so each turn's prompt extends the previous one.  Only the tokens
  after the longest common prefix with the tokens already in the KV cache are evaluated.
  When several conversations share the model (local games), the KV cache of sequence 0
  is saved and restored per conversation (``kv_swap``).
* The answerer never parses free text: it compares the model's likelihood of "yes"
  and "no" as the next tokens.  Questions and guesses are sampled (own sampler on the
  logits), cleaned, deduplicated and replaced by a bank entry when illegal.
* Every failure (load error, exception, timeout, empty or repeated output) ends in a
  legal move; a deadline computed from ``actTimeout`` and ``remainingOverageTime`` is
  checked between evaluation chunks and generated tokens.

Only the standard library at import time; ``llama_cpp`` (and its dependency ``numpy``)
when the model is loaded.  Python 3.10 compatible.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import re
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["DEFAULTS", "Agent", "load_settings"]

SETTINGS_FILE = "agent_settings.json"

#: Every setting with its default.  ``agent_settings.json`` (written by the builder) holds
#: the same keys; keys missing there take these values, unknown keys are ignored.
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
    "answer_history": True,
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
    "log": True,
    "verbose": False,
}

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

_PLAIN_ROLE = {"system": "System", "user": "User", "assistant": "Assistant"}


# ----------------------------------------------------------------------------- helpers


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Read ``name`` from a dict or an attribute object (kaggle ``Struct``)."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        value = obj.get(name, default)
    else:
        try:
            value = obj[name]
        except Exception:
            value = getattr(obj, name, default)
    return default if value is None else value


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    try:
        return [str(v) for v in value]
    except TypeError:
        return []


def _as_float(value: Any, default: float) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return default
    return f if math.isfinite(f) else default


def normalize(text: str) -> str:
    """Lower-case, keep letters and digits, single spaces: for duplicate checks."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


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


class TimeUp(Exception):
    """Raised when the turn's deadline is reached."""


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, needed: float = 0.0) -> None:
        if self.left() <= needed:
            raise TimeUp()


# ----------------------------------------------------------------------- chat formatting


class ChatFormat:
    """Messages -> prompt text with the model's chat template.

    ``mode`` is ``"jinja"`` (template with system role), ``"jinja-fold"`` (system prompt
    folded into the first user message) or ``"plain"`` (no usable template).
    """

    def __init__(self, template: str | None, bos_token: str, eos_token: str) -> None:
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.mode = "plain"
        self._formatter: Any = None
        if template:
            try:
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter

                self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos_token, bos_token=bos_token)
                self.mode = self._probe()
            except Exception:
                self._formatter = None
                self.mode = "plain"

    def _jinja(self, messages: list[dict[str, str]]) -> str:
        return str(self._formatter(messages=messages).prompt)

    def _probe(self) -> str:
        marker = "SYSTEM-MARKER-7431"
        try:
            text = self._jinja([{"role": "system", "content": marker}, {"role": "user", "content": "Hi?"}])
            if marker in text:
                return "jinja"
        except Exception:
            pass
        try:  # the template must at least render a user turn
            self._jinja([{"role": "user", "content": "Hi?"}])
            return "jinja-fold"
        except Exception:
            return "plain"

    @staticmethod
    def fold_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
        if not messages or messages[0]["role"] != "system":
            return messages
        system, rest = messages[0]["content"], [dict(m) for m in messages[1:]]
        if rest and rest[0]["role"] == "user":
            rest[0]["content"] = system + "\n\n" + rest[0]["content"]
            return rest
        return [{"role": "user", "content": system}, *rest]

    def render(self, messages: list[dict[str, str]]) -> str:
        if self.mode == "jinja":
            return self._jinja(messages)
        if self.mode == "jinja-fold":
            return self._jinja(self.fold_system(messages))
        parts = [f"### {_PLAIN_ROLE.get(m['role'], m['role'])}:\n{m['content']}\n\n" for m in messages]
        return "".join(parts) + "### Assistant:\n"


# -------------------------------------------------------------------------- the engine


class Engine:
    """One loaded model plus KV-cache bookkeeping for several conversations."""

    def __init__(self, model_path: str, settings: dict[str, Any]) -> None:
        t0 = time.monotonic()
        import llama_cpp
        import numpy as np

        self.np = np
        self.lc = llama_cpp
        n_threads = settings.get("n_threads")
        self.llm: Any = llama_cpp.Llama(
            model_path=model_path,
            n_ctx=int(settings["n_ctx"]),
            n_batch=int(settings["n_batch"]),
            n_gpu_layers=int(settings["n_gpu_layers"]),
            n_threads=int(n_threads) if n_threads else None,
            seed=int(settings["seed"]),
            flash_attn=bool(settings["flash_attn"]),
            logits_all=False,
            verbose=bool(settings["verbose"]),
        )
        self.model_path = model_path
        self.n_ctx = int(self.llm.n_ctx())
        self.n_batch = int(self.llm.n_batch)
        self.n_vocab = int(self.llm.n_vocab())
        self.vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self.kv_swap = bool(settings["kv_swap"])
        self.active: str | None = None
        self.saved: dict[str, tuple[Any, Any]] = {}
        self.eval_tps = 0.0  # measured prompt tokens per second (0: unknown)
        bos_id, eos_id = int(self.llm.token_bos()), int(self.llm.token_eos())
        bos = self._token_text(bos_id)
        eos = self._token_text(eos_id)
        template = self.llm.metadata.get("tokenizer.chat_template")
        self.chat = ChatFormat(template, bos, eos)
        self.load_s = time.monotonic() - t0

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        try:
            return bytes(self.llm.detokenize([token], special=True)).decode("utf-8", "ignore")
        except Exception:
            return ""

    # tokens ------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        add_bos = not (self.chat.bos_token and text.startswith(self.chat.bos_token))
        return [int(t) for t in self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)]

    def detokenize(self, tokens: Sequence[int]) -> str:
        return bytes(self.llm.detokenize(list(tokens))).decode("utf-8", "ignore")

    def is_stop(self, token: int) -> bool:
        lc = self.lc
        return bool(lc.llama_vocab_is_eog(self.vocab, token) or lc.llama_vocab_is_control(self.vocab, token))

    # KV cache -----------------------------------------------------------------------

    def _activate(self, key: str) -> None:
        """Make conversation ``key`` the one in the KV cache (save/restore when switching)."""
        if self.active == key:
            return
        lc, llm = self.lc, self.llm
        if self.kv_swap and self.active is not None and llm.n_tokens > 0:
            size = int(lc.llama_state_seq_get_size(llm.ctx, 0))
            buf = (ctypes.c_uint8 * size)()
            n = int(lc.llama_state_seq_get_data(llm.ctx, buf, size, 0))
            if n > 0:
                self.saved[self.active] = (buf, llm.input_ids[: llm.n_tokens].copy())
        state = self.saved.pop(key, None) if self.kv_swap else None
        if state is not None:
            buf, ids = state
            lc.llama_memory_clear(lc.llama_get_memory(llm.ctx), True)
            if int(lc.llama_state_seq_set_data(llm.ctx, buf, len(buf), 0)) > 0:
                llm.input_ids[: len(ids)] = ids
                llm.n_tokens = len(ids)
            else:
                llm.n_tokens = 0
                lc.llama_memory_clear(lc.llama_get_memory(llm.ctx), True)
        self.active = key

    def sync(self, key: str, tokens: Sequence[int], deadline: Deadline) -> int:
        """Bring the KV cache to ``tokens``, evaluating only what follows the common prefix.

        At least the last token is evaluated, so the logits are fresh.  Returns the
        number of prompt tokens evaluated.
        """
        np, llm = self.np, self.llm
        if not tokens:
            raise ValueError("empty prompt")
        if len(tokens) >= self.n_ctx:
            raise ValueError(f"prompt of {len(tokens)} tokens exceeds n_ctx {self.n_ctx}")
        self._activate(key)
        have = int(llm.n_tokens)
        m = min(have, len(tokens))
        k = 0
        if m:
            diff = np.nonzero(llm.input_ids[:m] != np.asarray(tokens[:m], dtype=llm.input_ids.dtype))[0]
            k = int(diff[0]) if len(diff) else m
        k = min(k, len(tokens) - 1)
        if k < have and not self.lc.llama_memory_seq_rm(self.lc.llama_get_memory(llm.ctx), -1, k, -1):
            k = 0  # partial removal unsupported (recurrent models): start over
            self.lc.llama_memory_clear(self.lc.llama_get_memory(llm.ctx), True)
        llm.n_tokens = k
        todo = list(tokens[k:])
        for i in range(0, len(todo), self.n_batch):
            chunk = todo[i : i + self.n_batch]
            deadline.check(len(chunk) / self.eval_tps if self.eval_tps > 0 else 0.0)
            t0 = time.monotonic()
            llm.eval(chunk)
            dt = time.monotonic() - t0
            if dt > 0 and len(chunk) >= 8:
                tps = len(chunk) / dt
                self.eval_tps = tps if self.eval_tps <= 0 else 0.5 * (self.eval_tps + tps)
        return len(todo)

    def logits(self) -> Any:
        ptr = self.lc.llama_get_logits_ith(self.llm.ctx, -1)
        return self.np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(self.np.float64)

    def log_softmax(self, logits: Any) -> Any:
        np = self.np
        m = float(np.max(logits))
        return logits - (m + math.log(float(np.sum(np.exp(logits - m)))))

    # generation ------------------------------------------------------------------------

    def sample(self, logits: Any, temperature: float, top_p: float, top_k: int, rng: Any) -> int:
        np = self.np
        if temperature <= 0:
            return int(np.argmax(logits))
        k = max(1, min(int(top_k) if top_k and top_k > 0 else len(logits), len(logits)))
        idx = np.argpartition(-logits, k - 1)[:k] if k < len(logits) else np.arange(len(logits))
        vals = logits[idx] / temperature
        order = np.argsort(-vals)
        idx, vals = idx[order], vals[order]
        p = np.exp(vals - vals[0])
        p /= p.sum()
        if 0 < top_p < 1:
            keep = int(np.searchsorted(np.cumsum(p), top_p) + 1)
            idx, p = idx[:keep], p[:keep] / p[:keep].sum()
        return int(rng.choice(idx, p=p))

    def generate(
        self,
        key: str,
        tokens: Sequence[int],
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        top_k: int,
        rng: Any,
        deadline: Deadline,
    ) -> tuple[str, int, int]:
        """Sample up to ``max_tokens`` (stops at end of turn or at a newline after text).

        Returns (text, prompt tokens evaluated, tokens generated).
        """
        n_eval = self.sync(key, tokens, deadline)
        out: list[int] = []
        text = ""
        for i in range(max(1, int(max_tokens))):
            if deadline.left() <= 0:
                break
            token = self.sample(self.logits(), temperature, top_p, top_k, rng)
            if self.is_stop(token):
                break
            out.append(token)
            text = self.detokenize(out)
            if "\n" in text.lstrip():
                break
            if i + 1 < max_tokens:
                self.llm.eval([token])
        return text, n_eval, len(out)

    def continuation(self, prompt_text: str, prompt_tokens: Sequence[int], word: str) -> list[int]:
        """The tokens that ``word`` adds right after the prompt."""
        full = self.tokenize(prompt_text + word)
        n = len(prompt_tokens)
        if len(full) > n and list(full[:n]) == list(prompt_tokens):
            return list(full[n:])
        return [int(t) for t in self.llm.tokenize(word.encode("utf-8"), add_bos=False, special=False)]

    def choose(
        self,
        key: str,
        prompt_text: str,
        tokens: Sequence[int],
        options: dict[str, Sequence[str]],
        deadline: Deadline,
    ) -> tuple[str, int, dict[str, float]]:
        """Pick the option whose spellings are most likely as the next tokens.

        Returns (label, prompt tokens evaluated, log-likelihood per label).
        """
        np = self.np
        n_eval = self.sync(key, tokens, deadline)
        base = self.log_softmax(self.logits())
        n = len(tokens)
        scores: dict[str, float] = {}
        for label, words in options.items():
            seen: set[tuple[int, ...]] = set()
            lps: list[float] = []
            for word in words:
                seq = self.continuation(prompt_text, tokens, word)
                if not seq or tuple(seq) in seen:
                    continue
                seen.add(tuple(seq))
                lp = float(base[seq[0]])
                for j in range(1, len(seq)):  # multi-token spellings: score token by token
                    deadline.check()
                    self.llm.eval([seq[j - 1]])
                    lp += float(self.log_softmax(self.logits())[seq[j]])
                self.llm.n_tokens = n
                lps.append(lp)
            if lps:
                top = max(lps)
                scores[label] = top + math.log(sum(math.exp(x - top) for x in lps))
        if not scores:
            raise ValueError("no option could be tokenized")
        label = max(scores, key=lambda lab: scores[lab])
        if np.isnan(scores[label]):
            raise ValueError("NaN likelihood")
        return label, n_eval, scores


_ENGINES: dict[str, Engine] = {}
_LOAD_ERRORS: dict[str, str] = {}


def get_engine(model_path: str, settings: dict[str, Any]) -> Engine:
    """The process-wide engine for ``model_path`` (loaded on first use; errors are sticky)."""
    key = os.path.realpath(model_path)
    engine = _ENGINES.get(key)
    if engine is not None:
        return engine
    if key in _LOAD_ERRORS:
        raise RuntimeError(_LOAD_ERRORS[key])
    try:
        engine = Engine(model_path, settings)
    except Exception as exc:
        _LOAD_ERRORS[key] = f"load failed: {type(exc).__name__}: {exc}"[:200]
        raise
    _ENGINES[key] = engine
    return engine


# --------------------------------------------------------------------------- the agent


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
            r"|it's|is)\s*[:\-]?\s*",
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


class Agent:
    """One 20 Questions player (one exec of main.py).  Call :meth:`act` with (obs, cfg)."""

    _count = 0

    def __init__(self, agent_dir: str, settings: dict[str, Any] | None = None) -> None:
        Agent._count += 1
        self.name = f"agent{Agent._count}"
        self.agent_dir = agent_dir
        self.settings = dict(DEFAULTS)
        self.settings.update(settings if settings is not None else load_settings(agent_dir))
        self.engine: Engine | None = None
        self.history_start: dict[str, int] = {}
        self.stats: list[dict[str, Any]] = []
        self.last: dict[str, Any] = {}

    # ------------------------------------------------------------------- public entry

    def act(self, obs: Any, cfg: Any = None) -> str:
        t0 = time.monotonic()
        s = self.settings
        turn = str(_get(obs, "turnType", "") or "")
        questions = _as_list(_get(obs, "questions", []))
        answers = _as_list(_get(obs, "answers", []))
        guesses = _as_list(_get(obs, "guesses", []))
        act_timeout = _as_float(_get(cfg, "actTimeout", 60.0), 60.0)
        overage = _as_float(_get(obs, "remainingOverageTime", 0.0), 0.0)
        budget = max(0.0, act_timeout - _as_float(s["time_margin_s"], 5.0)) + max(
            0.0, overage - _as_float(s["overage_reserve_s"], 30.0)
        )
        deadline = Deadline(budget)
        info: dict[str, Any] = {
            "turn": turn,
            "round": len(questions) if turn == "ask" else max(0, len(questions) - 1),
            "prompt_tokens": 0,
            "prompt_tokens_evaluated": 0,
            "generated_tokens": 0,
            "load_s": None,
            "fallback": "",
        }
        result = ""
        try:
            if budget < _as_float(s["min_turn_s"], 2.0):
                raise TimeUp()
            if turn == "answer":
                result = self._answer(obs, questions, answers, deadline, info)
            elif turn == "ask":
                result = self._ask(questions, answers, guesses, deadline, info)
            elif turn == "guess":
                result = self._guess(questions, answers, guesses, deadline, info)
        except TimeUp:
            info["fallback"] = "time"
        except Exception as exc:
            info["fallback"] = f"{type(exc).__name__}: {exc}"[:80]
        result = self._legal(turn, result, questions, guesses, info)
        info["latency_s"] = time.monotonic() - t0
        info["result"] = result
        self.last = info
        self.stats.append(info)
        if s.get("log", True):
            self._log(info)
        return result

    # ------------------------------------------------------------------------- roles

    def _engine(self, info: dict[str, Any]) -> Engine:
        if self.engine is None:
            path = find_model(self.agent_dir, str(self.settings.get("model_file") or ""))
            fresh = os.path.realpath(path) not in _ENGINES
            self.engine = get_engine(path, self.settings)
            if fresh:
                info["load_s"] = self.engine.load_s
        return self.engine

    def _rng(self, salt: int) -> Any:
        eng = self.engine
        assert eng is not None
        return eng.np.random.default_rng([abs(int(self.settings["seed"])), salt])

    def _fit(self, key: str, build: Any, n_rounds: int, reserve: int, deadline: Deadline) -> tuple[str, list[int]]:
        """Render the conversation from ``history_start``; drop old rounds when it does not fit."""
        eng = self.engine
        assert eng is not None
        while True:
            start = min(self.history_start.get(key, 0), n_rounds)
            text = eng.chat.render(build(start))
            tokens = eng.tokenize(text)
            if len(tokens) + reserve < eng.n_ctx or start >= n_rounds:
                return text, tokens
            # drop half of the remaining rounds at once so the prefix stays stable afterwards
            self.history_start[key] = start + max(1, (n_rounds - start + 1) // 2)
            deadline.check()

    def _answer(
        self, obs: Any, questions: list[str], answers: list[str], deadline: Deadline, info: dict[str, Any]
    ) -> str:
        eng = self._engine(info)
        deadline.check()
        s = self.settings
        keyword = str(_get(obs, "keyword", "") or "")
        category = str(_get(obs, "category", "") or "") or "unknown"
        if not questions:
            raise ValueError("no question to answer")
        system = str(s["answerer_system"]).replace("{keyword}", keyword).replace("{category}", category)

        def user(q: str) -> str:
            return f'Question about "{keyword}": {q}\nAnswer yes or no.'

        past = min(len(answers), len(questions) - 1) if s["answer_history"] else 0

        def build(start: int) -> list[dict[str, str]]:
            msgs = [{"role": "system", "content": system}]
            for i in range(start, past):
                msgs.append({"role": "user", "content": user(questions[i])})
                msgs.append({"role": "assistant", "content": answers[i]})
            msgs.append({"role": "user", "content": user(questions[-1])})
            return msgs

        key = f"{self.name}/answerer"
        text, tokens = self._fit(key, build, past, 16, deadline)
        info["prompt_tokens"] = len(tokens)
        label, n_eval, scores = eng.choose(key, text, tokens, {"yes": ("yes", "Yes"), "no": ("no", "No")}, deadline)
        info["prompt_tokens_evaluated"] = n_eval
        info["scores"] = scores
        return label

    def _guesser_messages(
        self, start: int, questions: list[str], answers: list[str], guesses: list[str], turn: str
    ) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": str(self.settings["guesser_system"])}]

        def ask_msg(i: int) -> str:
            if i == 0:
                return "Ask your first yes-or-no question. Reply with the question only."
            prev = f'Wrong, it is not "{guesses[i - 1]}". ' if i - 1 < len(guesses) else ""
            return f"{prev}Ask yes-or-no question {i + 1}. Reply with the question only."

        def guess_msg(i: int) -> str:
            return f"The answer is: {answers[i]}. Now guess the keyword. Reply with the keyword only."

        n = len(questions)
        for i in range(start, n):
            msgs.append({"role": "user", "content": ask_msg(i)})
            msgs.append({"role": "assistant", "content": questions[i]})
            if i < len(answers) and (i < len(guesses) or turn == "guess"):
                msgs.append({"role": "user", "content": guess_msg(i)})
                if i < len(guesses):
                    msgs.append({"role": "assistant", "content": guesses[i]})
        if turn == "ask":
            msgs.append({"role": "user", "content": ask_msg(n)})
        return msgs

    def _ask(
        self, questions: list[str], answers: list[str], guesses: list[str], deadline: Deadline, info: dict[str, Any]
    ) -> str:
        return self._guesser_turn("ask", questions, answers, guesses, deadline, info)

    def _guess(
        self, questions: list[str], answers: list[str], guesses: list[str], deadline: Deadline, info: dict[str, Any]
    ) -> str:
        return self._guesser_turn("guess", questions, answers, guesses, deadline, info)

    def _guesser_turn(
        self,
        turn: str,
        questions: list[str],
        answers: list[str],
        guesses: list[str],
        deadline: Deadline,
        info: dict[str, Any],
    ) -> str:
        """A new question (``ask``) or keyword (``guess``): sampled from the guesser's
        conversation, cleaned, and never a repeat of an earlier one ("" if none came)."""
        eng = self._engine(info)
        deadline.check()
        s = self.settings
        key = f"{self.name}/guesser"
        n = len(questions)
        clean = clean_question if turn == "ask" else clean_guess
        earlier = questions if turn == "ask" else guesses
        _text, tokens = self._fit(
            key,
            lambda st: self._guesser_messages(st, questions, answers, guesses, turn),
            n,
            int(s[f"max_tokens_{turn}"]) + 8,
            deadline,
        )
        info["prompt_tokens"] = len(tokens)
        seen = {normalize(x) for x in earlier}
        result = ""
        for attempt in range(max(1, int(s[f"attempts_{turn}"]))):
            out, n_eval, n_gen = eng.generate(
                key,
                tokens,
                max_tokens=int(s[f"max_tokens_{turn}"]),
                temperature=float(s[f"temperature_{turn}"]),
                top_p=float(s["top_p"]),
                top_k=int(s["top_k"]),
                rng=self._rng(n * 8 + (0 if turn == "ask" else 4) + attempt),
                deadline=deadline,
            )
            info["prompt_tokens_evaluated"] += n_eval
            info["generated_tokens"] += n_gen
            text = clean(out)
            if text and normalize(text) not in seen:
                result = text
                break
            info["fallback"] = "repeat" if text else "empty"
        if result:
            info["fallback"] = ""
        return result

    # -------------------------------------------------------------------- legal moves

    def _legal(self, turn: str, result: str, questions: list[str], guesses: list[str], info: dict[str, Any]) -> str:
        """Make ``result`` a legal move for ``turn`` (fallbacks for anything else)."""
        if turn == "answer":
            if result in ("yes", "no"):
                return result
            fb = str(self.settings.get("fallback_answer", "no")).strip().lower()
            info["fallback"] = info["fallback"] or "illegal"
            return fb if fb in ("yes", "no") else "no"
        if turn == "guess":
            seen = {normalize(g) for g in guesses}
            text = clean_guess(result) if result else ""
            if text and normalize(text) not in seen:
                return text
            info["fallback"] = info["fallback"] or "illegal"
            for g in GUESS_BANK:
                if normalize(g) not in seen:
                    return g
            return f"thing {len(guesses) + 1}"
        # "ask" and anything unknown: a question
        seen = {normalize(q) for q in questions}
        text = clean_question(result) if result else ""
        if text and normalize(text) not in seen:
            return text
        if turn == "ask":
            info["fallback"] = info["fallback"] or "illegal"
        for q in QUESTION_BANK:
            if normalize(q) not in seen:
                return q
        return f"Is it related to question number {len(questions) + 1}?"

    def _log(self, info: dict[str, Any]) -> None:
        parts = [
            f"[20q] {self.name} {info['turn'] or '?'} r{info['round'] + 1}",
            f"{info['latency_s']:.2f}s",
            f"prompt {info['prompt_tokens']} (+{info['prompt_tokens_evaluated']})",
            f"gen {info['generated_tokens']}",
        ]
        if info.get("load_s") is not None:
            parts.append(f"load {info['load_s']:.2f}s")
        if info["fallback"]:
            parts.append(f"fallback {info['fallback']}")
        print(" | ".join(parts)[:300], file=sys.stderr, flush=True)
