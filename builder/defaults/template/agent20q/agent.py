"""The agent: one 20 Questions player per exec of ``main.py``, built on the shared engine.

:meth:`Agent.act` reads the observation, computes the turn's deadline from ``actTimeout``
and ``remainingOverageTime``, and plays the turn:

* every agent/role keeps one conversation rebuilt from the observation (questions,
  answers, guesses), so each turn's prompt extends the previous one (the engine then
  evaluates only the new tokens);
* the answerer never parses free text: it compares the model's likelihood of "yes" and
  "no" as the next tokens;
* questions and guesses are sampled, cleaned and deduplicated; every failure (load error,
  exception, timeout, empty or repeated output) ends in a legal move (:mod:`.rules`).

One log line per turn goes to stderr.
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any

from .deadline import Deadline, TimeUp
from .engine import _ENGINES, Engine, get_engine
from .rules import clean_guess, clean_question, legal_move, normalize
from .settings import DEFAULTS, find_model, load_settings

# ------------------------------------------------------------------- observation fields


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
        result = legal_move(turn, result, questions, guesses, s.get("fallback_answer", "no"), info)
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

    # ---------------------------------------------------------------------------- log

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
