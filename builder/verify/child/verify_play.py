"""Level 4 in the target interpreter: real llm_20_questions episodes of the agent (the path of
main.py, exactly as Kaggle runs a file agent), and an account of every move.

The host chooses each episode's line-up (``PlayRequest.lineups``: the archive's agent,
:data:`OURS`, or one of the engine's own agents in each seat); only our agents are judged.
The keyword and the built-in agents' ``random`` are seeded per episode.

Every move of every seat is recorded from the engine's steps (:class:`Move`).  Which of our
moves wrote which line of the ``GGUF_AGENT_REPORT`` file is observed, not guessed: the
engine's ``act_agent`` (called once per seat per step, in seat order) is wrapped to note the
file's size before and after each of our agents' turns; the agent's call, its arguments,
result and timing are untouched."""

from __future__ import annotations

import bisect
import json
import os
import random
import statistics
import sys
import time
from typing import Any, cast, get_type_hints

from verify_common import load_natives, preload, tail
from verify_protocol import (
    BUILTINS,
    MOVE_CHARS,
    OURS,
    REPORT_VARIABLE,
    AgentReport,
    AgentTurn,
    EpisodeReport,
    Move,
    PlayRequest,
    PlayResult,
    RoundReport,
    TurnReport,
    shape_problems,
)


def _str(x: Any) -> str:
    return x if isinstance(x, str) else repr(x)


def _account(env: Any, ours: list[int]) -> tuple[list[AgentReport], list[str]]:
    """Our agents' reports of one episode, and every rule they broke."""
    steps = env.steps
    # every reset() appends an (empty) entry to env.logs without clearing it, and
    # make() + run() reset twice: align the tail of logs with steps
    logs = env.logs[len(env.logs) - len(steps) :] if len(env.logs) >= len(steps) else env.logs
    agents: list[AgentReport] = []
    violations: list[str] = []
    for i in ours:
        durations: list[float] = []
        for k in range(1, len(steps)):
            prev, cur = steps[k - 1][i], steps[k][i]
            if prev["status"] != "ACTIVE":
                continue
            log = logs[k][i] if k < len(logs) and i < len(logs[k]) and logs[k][i] else {}
            if "duration" in log:
                durations.append(float(log["duration"]))
            turn = prev["observation"]["turnType"]
            action = cur["action"]
            if cur["status"] in ("ERROR", "TIMEOUT", "INVALID"):
                continue  # reported by status
            where = f"agent {i} step {k} ({turn})"
            if turn == "answer":
                if action not in ("yes", "no"):
                    violations.append(f"{where}: answer {_str(action)[:60]!r} is not exactly 'yes' or 'no'")
            elif turn in ("ask", "guess"):
                limit = 750 if turn == "ask" else 100
                if not isinstance(action, str) or not action.strip():
                    violations.append(f"{where}: empty {turn}")
                elif len(action) > limit:
                    violations.append(f"{where}: {turn} is {len(action)} chars (limit {limit})")
        last = steps[-1][i]
        stderr = ""
        for k in range(len(logs) - 1, 0, -1):
            log = logs[k][i] if k < len(logs) and i < len(logs[k]) and logs[k][i] else {}
            if log.get("stderr"):
                stderr = log["stderr"]
                break
        agents.append(
            {
                "index": i,
                "status": last["status"],
                "reward": last["reward"],
                "role": last["observation"]["role"],
                "durations": durations,
                "overage_left": last["observation"]["remainingOverageTime"],
                "stderr": tail(stderr, 800) if last["status"] != "DONE" else "",
            }
        )
    return agents, violations


_REPORT_LINES = 20_000
_REPORT_BYTES = 16 << 20
_TURN_TYPES = get_type_hints(AgentTurn)


def read_turns(path: str) -> tuple[list[tuple[int, AgentTurn]], TurnReport]:
    """The agents' report lines, bounded (an agent could write anything there), each with the
    byte offset it starts at: the keys of :class:`AgentTurn` whose values fit it (strings cut
    to 300 characters); a line that does not parse, or has a value of another type (dropped),
    counts in ``bad_lines``."""
    out: list[tuple[int, AgentTurn]] = []
    report: TurnReport = {"lines": 0, "bad_lines": 0, "unattributed": 0}
    try:
        fh = open(path, "rb")
    except OSError:
        return out, report
    with fh:
        data = fh.read(_REPORT_BYTES)
    offset = 0
    for raw in data.splitlines(keepends=True):
        start, offset = offset, offset + len(raw)
        report["lines"] += 1
        try:
            line = json.loads(raw)
        except ValueError:
            report["bad_lines"] += 1
            continue
        if not isinstance(line, dict):
            report["bad_lines"] += 1
            continue
        kept = {k: (v[:300] if isinstance(v, str) else v) for k, v in line.items() if k in _TURN_TYPES}
        fitting = {k: v for k, v in kept.items() if not shape_problems(v, _TURN_TYPES[k], k)}
        if len(fitting) < len(kept):
            report["bad_lines"] += 1
        if len(out) < _REPORT_LINES:
            out.append((start, cast(AgentTurn, fitting)))
    return out, report


#: (episode, step, seat) -> the report file's [start, end) bytes written during that move
Spans = dict[tuple[int, int, int], tuple[int, int]]


class _Observed:
    """The engine's ``act_agent`` wrapped for one episode: the report file's size before and
    after each turn of a seat of ours (the call's own arguments, result and timing untouched)."""

    def __init__(self, core: Any, report: str, episode: int, ours: list[int], seats: int) -> None:
        self.core, self.report, self.episode, self.ours, self.seats = core, report, episode, set(ours), seats
        self.calls = 0
        self.spans: Spans = {}
        self.original = core.act_agent

    def _size(self) -> int:
        try:
            return os.path.getsize(self.report)
        except OSError:
            return 0

    def act_agent(self, args: Any) -> Any:
        call, self.calls = self.calls, self.calls + 1
        step, seat = call // self.seats + 1, call % self.seats
        if seat not in self.ours or args[1]["status"] != "ACTIVE":
            return self.original(args)
        start = self._size()
        try:
            return self.original(args)
        finally:
            self.spans[(self.episode, step, seat)] = (start, self._size())

    def __enter__(self) -> _Observed:
        self.core.act_agent = self.act_agent
        return self

    def __exit__(self, *_exc: object) -> None:
        self.core.act_agent = self.original


def _rounds(steps: Any, guessed: Any) -> list[RoundReport]:
    """Every seat's move of every step, by round (a round is ask, answer, guess: 3 steps)."""
    rounds: list[RoundReport] = []
    for k in range(1, len(steps)):
        number = (k - 1) // 3 + 1
        if not rounds or rounds[-1]["round"] != number:
            rounds.append({"round": number, "moves": []})
        for seat in range(len(steps[k])):
            prev, cur = steps[k - 1][seat], steps[k][seat]
            if prev["status"] != "ACTIVE":
                continue
            turn = _str(prev["observation"]["turnType"])
            action = cur["action"]
            text = _str(action) if action is not None else ""
            correct = False
            if turn in ("ask", "guess") and isinstance(action, str) and action:
                try:
                    correct = bool(guessed(action))
                except Exception:
                    correct = False
            move: Move = {"step": k, "seat": seat, "turn": turn, "text": text[:MOVE_CHARS], "length": len(text),
                          "status": _str(cur["status"]), "correct": correct}
            rounds[-1]["moves"].append(move)
    return [r for r in rounds if r["moves"]]


def _attach(episodes: list[EpisodeReport], spans: Spans, lines: list[tuple[int, AgentTurn]],
            report: TurnReport) -> None:
    """Each of our moves gets the report lines written during it (by byte offset)."""
    starts = [start for start, _turn in lines]
    used = 0
    for n, ep in enumerate(episodes):
        ours = {i for i, who in enumerate(ep["lineup"]) if who == OURS}
        for rnd in ep["rounds"]:
            for move in rnd["moves"]:
                if move["seat"] not in ours:
                    continue
                span = spans.get((n, move["step"], move["seat"]))
                first, end = (bisect.bisect_left(starts, span[0]), bisect.bisect_left(starts, span[1])) \
                    if span is not None else (0, 0)
                move["reports"] = end - first
                used += end - first
                if end > first:
                    move["report"] = lines[end - 1][1]
    report["unattributed"] = max(0, len(starts) - used)


def _lineup(names: list[str], path: str) -> list[str]:
    if len(names) != 4 or any(n != OURS and n not in BUILTINS for n in names):
        raise ValueError(f"a line-up is four seats of {OURS!r} or {', '.join(BUILTINS)}, got {names!r}")
    return [path if n == OURS else n for n in names]


def do_play(req: PlayRequest) -> PlayResult:
    if req["shims"]:
        sys.path.append(req["shims"])  # after site-packages: a real torch/transformers wins
    native = load_natives(req["stubs"])
    preloaded = preload(req["preload"], req["agent_dir"])
    import kaggle_environments
    from kaggle_environments import core
    from kaggle_environments.envs.llm_20_questions import (
        llm_20_questions as game,
    )

    episodes: list[EpisodeReport] = []
    spans: Spans = {}
    path = req["main"]
    report = os.path.join(os.path.dirname(os.path.dirname(req["agent_dir"])), "agent-turns.jsonl")
    os.environ[REPORT_VARIABLE] = report  # the agents (in this process) append a line per turn
    for n, names in enumerate(req["lineups"]):
        agents = _lineup(names, path)
        rng = random.Random(req["seed"] + n)
        cat = rng.choice(game.keywords_list)
        word = rng.choice(cat["words"])
        game.category, game.keyword, game.alts = cat["category"], word["keyword"], word["alts"]
        random.seed(req["seed"] + n)  # the built-in agents draw from random
        env = kaggle_environments.make("llm_20_questions", debug=False)
        ours = [i for i, who in enumerate(names) if who == OURS]
        start = time.perf_counter()
        with _Observed(core, report, n, ours, len(agents)) as seen:
            env.run(agents)
        seconds = time.perf_counter() - start
        if seen.calls == len(agents) * (len(env.steps) - 1):
            spans.update(seen.spans)  # else the engine called agents otherwise: moves stay unattributed
        accounted, violations = _account(env, ours)
        last = env.steps[-1]
        episodes.append({"lineup": list(names), "agents": accounted, "violations": violations,
                         "steps": len(env.steps), "keyword": game.keyword, "category": game.category,
                         "seconds": seconds, "rewards": [s["reward"] for s in last],
                         "statuses": [_str(s["status"]) for s in last],
                         "rounds": _rounds(env.steps, game.keyword_guessed)})
    lines, turn_report = read_turns(report)
    _attach(episodes, spans, lines, turn_report)
    turns = [d for ep in episodes for a in ep["agents"] for d in a["durations"][1:]]
    firsts = [a["durations"][0] for ep in episodes for a in ep["agents"] if a["durations"]]
    res: PlayResult = {
        "native": native,
        "preload": preloaded,
        "kaggle_environments": kaggle_environments.__version__,
        "episodes": episodes,
        "latency": {
            "first_step_max_s": max(firsts) if firsts else None,
            "turn_median_s": statistics.median(turns) if turns else None,
            "turn_max_s": max(turns) if turns else None,
            "turns": len(turns),
        },
        "agent_turns": turn_report,
    }
    llama = sys.modules.get("llama_cpp")
    if llama is not None:
        try:
            res["gpu_offload"] = bool(llama.llama_supports_gpu_offload())
        except Exception as exc:
            res["gpu_offload_error"] = repr(exc)
    return res
