"""The agent: one 20 Questions player per exec of ``main.py``, built on the shared engine.

:meth:`Agent.act` reads the observation, computes the turn's deadline from ``actTimeout``
and ``remainingOverageTime``, and plays the turn.  Who decides a move (``decided_by``):

* ``rules`` / ``protocol``: code.  The answerer answers every question whose truth follows
  from the keyword's text (:mod:`.oracle`: letters, word counts, "is it X", lists, the
  category; the public protocol's handshake and alphabetical questions) and the model never
  sees it.  The guesser asks the handshake first; when its teammate answers yes it bisects
  the candidate list with alphabetical questions and guesses only candidates consistent
  with every answer (:mod:`.protocol`);
* ``model``: everything else.  The answerer compares the model's likelihood of "yes" and
  "no" as the next tokens, calibrated (``answer_calibration``): by default against the
  model's bias measured once on ``PROBES``, so a model biased to one word still answers both,
  and says yes only above ``calibration_margin`` (chosen so the yes-rate matches the base
  rate of open questions: most are "no" for any one keyword);
  questions and guesses are sampled, cleaned and deduplicated, and a guess the candidate
  list has ruled out is refused;
* ``fallback``: a legal move of :mod:`.rules` when the deadline is hit (``time``), the model
  or its load raised (``error``) or its text was unusable (``output``).

Every agent/role keeps its conversations rebuilt from the observation, so each turn's
prompt extends the previous one (the engine then evaluates only the new tokens).

One log line per turn goes to stderr; when the environment variable ``GGUF_AGENT_REPORT``
names a file, one JSON line per turn is appended to it (see :meth:`Agent._report`).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from .deadline import Deadline, TimeUp
from .engine import _ENGINES, Engine, get_engine
from .oracle import HANDSHAKE, PROTOCOL_KINDS, Subject, parse, verdict
from .protocol import ON, START, Tracker, get_tracker, protocol_state
from .rules import clean_guess, clean_question, legal_move, normalize
from .settings import DEFAULTS, find_model, load_settings

REPORT_ENV = "GGUF_AGENT_REPORT"
YES_NO: dict[str, Sequence[str]] = {"yes": ("yes", "Yes"), "no": ("no", "No")}
#: Questions with known answers (none of the labelled set's): the model's margins on them give
#: its bias (``answer_calibration`` "probes"): one yes and one no per keyword.
PROBES: tuple[tuple[str, str, str, str], ...] = (
    ("dog", "things", "Is it a pet?", "yes"),
    ("dog", "things", "Is it made of metal?", "no"),
    ("hammer", "things", "Is it a tool?", "yes"),
    ("hammer", "things", "Can it fly?", "no"),
    ("banana", "things", "Is it a fruit?", "yes"),
    ("banana", "things", "Does it have wheels?", "no"),
    ("bicycle", "things", "Does it have wheels?", "yes"),
    ("bicycle", "things", "Is it a fruit?", "no"),
    ("London", "place", "Is it a capital city?", "yes"),
    ("London", "place", "Is it in South America?", "no"),
    ("Iceland", "place", "Is it an island?", "yes"),
    ("Iceland", "place", "Is it hot there all year?", "no"),
)

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


def _new_info(turn: str, questions: Sequence[str]) -> dict[str, Any]:
    """The turn's record (the log line and the report are made from it)."""
    return {
        "turn": turn,
        "round": len(questions) if turn == "ask" else max(0, len(questions) - 1),  # 0-based
        "prompt_tokens": 0,
        "prompt_tokens_evaluated": 0,
        "generated_tokens": 0,
        "load_s": None,
        "decided_by": "",
        "fallback": "",  # "" | "time" | "error" | "output"
        "error": "",
        "detail": "",  # for the log line: what made the output unusable
        "budget_s": 0.0,  # the seconds this turn had (set when the turn is played)
    }


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
        self.load_error: str | None = None
        self.tracker: Tracker | None = None
        self.history_start: dict[str, int] = {}
        self.stats: list[dict[str, Any]] = []
        self.last: dict[str, Any] = {}

    # ------------------------------------------------------------------- public entry

    def act(self, obs: Any, cfg: Any = None) -> str:
        t0 = time.monotonic()
        turn = str(_get(obs, "turnType", "") or "")
        questions = _as_list(_get(obs, "questions", []))
        answers = _as_list(_get(obs, "answers", []))
        guesses = _as_list(_get(obs, "guesses", []))
        info = _new_info(turn, questions)
        result = self._play(turn, obs, cfg, questions, answers, guesses, info)
        move = self._legal(turn, result, questions, answers, guesses, info)
        info["latency_s"] = time.monotonic() - t0
        info["result"] = move
        self.last = info
        self.stats.append(info)
        if self.settings.get("log", True):
            self._log(info)
        self._report(info)
        return move

    def _budget(self, obs: Any, cfg: Any) -> float:
        """Seconds this turn may use: ``actTimeout`` less the margin, plus the overage above
        the reserve."""
        s = self.settings
        act_timeout = _as_float(_get(cfg, "actTimeout", 60.0), 60.0)
        overage = _as_float(_get(obs, "remainingOverageTime", 0.0), 0.0)
        return max(0.0, act_timeout - _as_float(s["time_margin_s"], 5.0)) + max(
            0.0, overage - _as_float(s["overage_reserve_s"], 30.0)
        )

    def _play(
        self,
        turn: str,
        obs: Any,
        cfg: Any,
        questions: list[str],
        answers: list[str],
        guesses: list[str],
        info: dict[str, Any],
    ) -> str:
        """The turn's move as the roles decide it ("" when none came: time, an error)."""
        budget = self._budget(obs, cfg)
        info["budget_s"] = budget
        deadline = Deadline(budget)
        try:
            if budget < _as_float(self.settings["min_turn_s"], 2.0):
                raise TimeUp()
            if turn == "answer":
                return self._answer(obs, questions, answers, deadline, info)
            if turn in ("ask", "guess"):
                return self._guesser_turn(turn, questions, answers, guesses, deadline, info)
        except TimeUp:
            info["fallback"] = "time"
        except Exception as exc:
            info["fallback"] = "error"
            info["error"] = f"{type(exc).__name__}: {exc}"[:160]
        return ""

    def _legal(
        self, turn: str, result: str, questions: list[str], answers: list[str], guesses: list[str],
        info: dict[str, Any],
    ) -> str:
        """``result`` if it is a legal move, else a fallback (for a guess: the likeliest
        candidate left, never one the answers ruled out)."""
        tracker = self.tracker
        pool: list[str] = []
        alive: list[int] = []
        if turn == "guess" and tracker is not None:
            alive = tracker.alive(questions, answers, guesses)
            pool = [tracker.best(alive, guesses)] if alive else []
        move = legal_move(
            turn,
            result,
            questions,
            guesses,
            self.settings.get("fallback_answer", "no"),
            info,
            guess_pool=pool,
            ruled_out=(lambda t: tracker.ruled_out(t, alive)) if tracker is not None and turn == "guess" else None,
        )
        if move != result or not info["decided_by"]:
            info["decided_by"] = "fallback"
            info["fallback"] = info["fallback"] or "output"
        return move

    # ------------------------------------------------------------------------ helpers

    def _engine(self, info: dict[str, Any]) -> Engine:
        if self.engine is None:
            try:
                path = find_model(self.agent_dir, str(self.settings.get("model_file") or ""))
                fresh = os.path.realpath(path) not in _ENGINES
                self.engine = get_engine(path, self.settings)
            except Exception as exc:
                self.load_error = f"{type(exc).__name__}: {exc}"[:200]
                raise
            if fresh:
                info["load_s"] = self.engine.load_s
        return self.engine

    def _tracker(self) -> Tracker | None:
        if self.tracker is None:
            self.tracker = get_tracker(self.agent_dir, str(self.settings.get("candidates_file") or ""))
        return self.tracker

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

    # -------------------------------------------------------------------- answerer

    def _decide(self, question: str, subject: Subject) -> tuple[str, str] | None:
        """(answer, decided_by) when code answers ``question`` about ``subject``, else None."""
        s = self.settings
        if not s.get("rules", True):
            return None
        tracker = self._tracker()
        rule = tracker.rule(question) if tracker is not None else parse(question)
        if rule is None:
            return None
        if rule.kind == "handshake":
            return ("yes", "protocol") if s.get("protocol", True) else ("no", "rules")
        answer = verdict(rule, subject)
        if answer is None:
            return None
        return answer, "protocol" if rule.kind in PROTOCOL_KINDS else "rules"

    def _answer(
        self, obs: Any, questions: list[str], answers: list[str], deadline: Deadline, info: dict[str, Any]
    ) -> str:
        s = self.settings
        keyword = str(_get(obs, "keyword", "") or "")
        category = str(_get(obs, "category", "") or "")
        if not questions:
            raise ValueError("no question to answer")
        tracker = self._tracker()
        alts: tuple[str, ...] = ()
        if tracker is not None:  # the answerer is not told the alts: the list knows them
            key = keyword.lower().strip()
            alts = next((c.alts for c in tracker.candidates if c.key == key), ())
        subject = Subject(keyword, alts, category)
        decided = self._decide(questions[-1], subject)
        if decided is not None:
            info["decided_by"] = decided[1]
            return decided[0]
        self._engine(info)
        deadline.check()
        past = min(len(answers), len(questions) - 1) if s["answer_history"] else 0
        # the model's history holds only the rounds the model answered (a stable prefix)
        rounds = [i for i in range(past) if self._decide(questions[i], subject) is None]
        label, scores = self._model_answer(
            f"{self.name}/answerer", keyword, category or "unknown", questions, answers, rounds, deadline, info
        )
        info["scores"] = scores
        info["decided_by"] = "model"
        calibration = str(s.get("answer_calibration", "none"))
        delta = scores["yes"] - scores["no"]
        try:
            if calibration == "probes":  # the model's bias, measured once per process
                delta -= self._probe_bias(deadline, info)
            elif calibration == "neutral":  # the same question about a content-free keyword
                _label0, scores0 = self._model_answer(
                    f"{self.name}/neutral", str(s.get("calibration_keyword", "N/A")), "unknown",
                    questions, answers, rounds, deadline, info,
                )
                info["scores_neutral"] = scores0
                delta -= scores0["yes"] - scores0["no"]
            else:
                return label
        except TimeUp:
            info["detail"] = "calibration skipped: time"
            return label
        info["calibrated_delta"] = delta
        return "yes" if delta > _as_float(s.get("calibration_margin", 0.0), 0.0) else "no"

    def _probe_bias(self, deadline: Deadline, info: dict[str, Any]) -> float:
        """The model's yes-vs-no bias: the midpoint of its mean margin on the ``PROBES`` whose
        answer is yes and on those whose answer is no (computed once per engine)."""
        eng = self.engine
        assert eng is not None
        if eng.answer_bias is not None:
            return eng.answer_bias
        margins: dict[str, list[float]] = {"yes": [], "no": []}
        for keyword, category, question, truth in PROBES:
            deadline.check()
            _label, scores = self._model_answer("probes", keyword, category, [question], [], [], deadline, info)
            margins[truth].append(scores["yes"] - scores["no"])
        bias = 0.5 * (sum(margins["yes"]) / len(margins["yes"]) + sum(margins["no"]) / len(margins["no"]))
        eng.answer_bias = bias
        info["answer_bias"] = bias
        return bias

    def _model_answer(
        self,
        key: str,
        keyword: str,
        category: str,
        questions: list[str],
        answers: list[str],
        rounds: list[int],
        deadline: Deadline,
        info: dict[str, Any],
    ) -> tuple[str, dict[str, float]]:
        eng = self.engine
        assert eng is not None
        system = str(self.settings["answerer_system"]).replace("{keyword}", keyword).replace("{category}", category)

        def user(q: str) -> str:
            return f'Question about "{keyword}": {q}\nAnswer yes or no.'

        def build(start: int) -> list[dict[str, str]]:
            msgs = [{"role": "system", "content": system}]
            for i in rounds[start:]:
                msgs.append({"role": "user", "content": user(questions[i])})
                msgs.append({"role": "assistant", "content": answers[i]})
            msgs.append({"role": "user", "content": user(questions[-1])})
            return msgs

        text, tokens = self._fit(key, build, len(rounds), 16, deadline)
        info["prompt_tokens"] += len(tokens)
        label, n_eval, scores = eng.choose(key, text, tokens, YES_NO, deadline)
        info["prompt_tokens_evaluated"] += n_eval
        for word in YES_NO:
            if word not in scores:
                raise ValueError(f"no likelihood for {word!r}")
        return label, scores

    # --------------------------------------------------------------------- guesser

    def _guesser_messages(
        self, start: int, rounds: list[int], questions: list[str], answers: list[str], guesses: list[str], turn: str
    ) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": str(self.settings["guesser_system"])}]

        def ask_msg(k: int, i: int | None) -> str:
            if k == 0:
                return "Ask your first yes-or-no question. Reply with the question only."
            prev = f'Wrong, it is not "{guesses[i - 1]}". ' if i is not None and 0 < i <= len(guesses) else ""
            return f"{prev}Ask yes-or-no question {k + 1}. Reply with the question only."

        def guess_msg(i: int) -> str:
            return f"The answer is: {answers[i]}. Now guess the keyword. Reply with the keyword only."

        for k in range(start, len(rounds)):
            i = rounds[k]
            msgs.append({"role": "user", "content": ask_msg(k, i)})
            msgs.append({"role": "assistant", "content": questions[i]})
            if i < len(answers) and (i < len(guesses) or turn == "guess"):
                msgs.append({"role": "user", "content": guess_msg(i)})
                if i < len(guesses):
                    msgs.append({"role": "assistant", "content": guesses[i]})
        if turn == "ask":
            msgs.append({"role": "user", "content": ask_msg(len(rounds), len(questions))})
        return msgs

    def _guesser_turn(
        self,
        turn: str,
        questions: list[str],
        answers: list[str],
        guesses: list[str],
        deadline: Deadline,
        info: dict[str, Any],
    ) -> str:
        """A new question (``ask``) or keyword (``guess``): the protocol's when the teammate
        speaks it, else the model's ("" if none came)."""
        tracker = self._tracker()
        alive = tracker.alive(questions, answers, guesses) if tracker is not None else []
        info["candidates"] = len(alive)
        move = self._protocol_move(turn, questions, answers, guesses, alive)
        if move:
            info["decided_by"] = "protocol"
            return move
        return self._model_move(turn, questions, answers, guesses, alive, deadline, info)

    def _protocol_move(
        self, turn: str, questions: list[str], answers: list[str], guesses: list[str], alive: list[int]
    ) -> str:
        """The handshake first; then, while the teammate speaks the protocol, its bisection
        question or its likeliest candidate ("" otherwise)."""
        s = self.settings
        tracker = self.tracker
        if not s.get("protocol", True) or tracker is None:
            return ""
        handshake = str(s.get("protocol_handshake") or HANDSHAKE)
        state = protocol_state(questions, answers, handshake)
        if turn == "ask" and state == START:
            return handshake
        if state != ON or not alive:
            return ""
        if turn == "ask":
            return tracker.question(alive, questions, answers, int(s.get("protocol_check_after", 2) or 0),
                                    confirm=bool(s.get("protocol_confirm", True)))
        return tracker.best(alive, guesses)

    def _model_move(
        self,
        turn: str,
        questions: list[str],
        answers: list[str],
        guesses: list[str],
        alive: list[int],
        deadline: Deadline,
        info: dict[str, Any],
    ) -> str:
        """Sampled from the model's conversation, cleaned, never a repeat of an earlier
        question or guess nor a keyword the answers have ruled out ("" if none came)."""
        s = self.settings
        tracker = self.tracker
        eng = self._engine(info)
        deadline.check()
        key = f"{self.name}/guesser"
        # the model's conversation leaves out the protocol's rounds (a stable prefix)
        rounds = [i for i in range(len(questions)) if tracker is None or not tracker.is_protocol(questions[i])]
        _text, tokens = self._fit(
            key,
            lambda st: self._guesser_messages(st, rounds, questions, answers, guesses, turn),
            len(rounds),
            int(s[f"max_tokens_{turn}"]) + 8,
            deadline,
        )
        info["prompt_tokens"] = len(tokens)
        clean = clean_question if turn == "ask" else clean_guess
        seen = {normalize(x) for x in (questions if turn == "ask" else guesses)}
        for attempt in range(max(1, int(s[f"attempts_{turn}"]))):
            out, n_eval, n_gen = eng.generate(
                key,
                tokens,
                max_tokens=int(s[f"max_tokens_{turn}"]),
                temperature=float(s[f"temperature_{turn}"]),
                top_p=float(s["top_p"]),
                top_k=int(s["top_k"]),
                rng=self._rng(len(questions) * 8 + (0 if turn == "ask" else 4) + attempt),
                deadline=deadline,
            )
            info["prompt_tokens_evaluated"] += n_eval
            info["generated_tokens"] += n_gen
            text = clean(out)
            info["detail"] = self._unusable(turn, text, seen, alive)
            if not info["detail"]:
                info["decided_by"] = "model"
                return text
        return ""

    def _unusable(self, turn: str, text: str, seen: set[str], alive: list[int]) -> str:
        """Why a cleaned model output cannot be played ("" when it can)."""
        if not text:
            return "empty"
        if normalize(text) in seen:
            return "repeat"
        if turn == "guess" and self.tracker is not None and self.tracker.ruled_out(text, alive):
            return "ruled out"
        return ""

    # ---------------------------------------------------------------- log and report

    def _log(self, info: dict[str, Any]) -> None:
        parts = [
            f"[20q] {self.name} {info['turn'] or '?'} r{info['round'] + 1}",
            f"{info['latency_s']:.2f}s",
            f"{info['decided_by']}",
            f"prompt {info['prompt_tokens']} (+{info['prompt_tokens_evaluated']})",
            f"gen {info['generated_tokens']}",
        ]
        if info.get("load_s") is not None:
            parts.append(f"load {info['load_s']:.2f}s")
        if info["fallback"]:
            why = info["error"] or info["detail"]
            parts.append(f"fallback {info['fallback']}" + (f": {why}" if why else ""))
        print(" | ".join(parts)[:300], file=sys.stderr, flush=True)

    def _report(self, info: dict[str, Any]) -> None:
        """One JSON line per turn to the file named by ``$GGUF_AGENT_REPORT`` (unset: nothing).

        Keys: ``agent`` (this agent's name), ``turn`` (ask/answer/guess), ``round`` (1-20),
        ``latency_s``, ``decided_by`` ("rules" | "model" | "protocol" | "fallback"),
        ``fallback`` ("" | "time" | "error" | "output"), ``error`` (short message or ""),
        ``detail`` (what made the model's text unusable, or what was skipped for time),
        ``budget_s`` (the seconds this turn had: why a "time" fallback happened),
        ``load_error`` (the model load's error or null), ``load_s`` (seconds, on the turn
        that loaded the model, else null).  A failure to write is ignored.
        """
        path = os.environ.get(REPORT_ENV)
        if not path:
            return
        line = {
            "agent": self.name,
            "turn": info["turn"],
            "round": info["round"] + 1,
            "latency_s": round(float(info["latency_s"]), 4),
            "decided_by": info["decided_by"],
            "fallback": info["fallback"],
            "error": info["error"] or (info["detail"] if info["fallback"] == "output" else ""),
            "detail": info["detail"],
            "budget_s": round(float(info["budget_s"]), 3),
            "load_error": self.load_error,
            "load_s": info["load_s"],
        }
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(line) + "\n")
        except OSError:
            pass
