"""Level 4 in the target interpreter: real llm_20_questions episodes of the agent (the path of
main.py, exactly as Kaggle runs a file agent), and an account of every turn.

On Kaggle the teammate is another competitor's bot, so the first episode pairs the agent
with the engine's own ``random_answerer`` / ``random_guesser`` (``LINEUPS[0]``: our guesser
with a random answerer, a random guesser with our answerer): every turn of ours is played
by the agent's own logic and model, none can be settled by a protocol between copies.  The
second episode is four copies of the agent (four execs of main.py in one process, as a
local ``env.run`` does); further episodes alternate.  Only our agents are judged."""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from typing import Any, cast, get_type_hints

from verify_common import load_natives, preload, tail
from verify_protocol import (
    AgentReport,
    AgentTurn,
    EpisodeReport,
    PlayRequest,
    PlayResult,
    TurnReport,
    shape_problems,
)


def _str(x: Any) -> str:
    return x if isinstance(x, str) else repr(x)


#: The line-ups, by episode (``None``: main.py); agents 0+1 are one team, 2+3 the other.
LINEUPS: tuple[tuple[str | None, ...], ...] = (
    (None, "random_answerer", "random_guesser", None),
    (None, None, None, None),
)


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


#: The channel the template reports each turn through (see agent20q's report module).
REPORT_VARIABLE = "GGUF_AGENT_REPORT"
_REPORT_LINES = 20_000
_REPORT_BYTES = 16 << 20
_TURN_TYPES = get_type_hints(AgentTurn)


def read_turns(path: str) -> TurnReport:
    """The agents' turn lines, bounded (an agent could write anything there): the keys of
    :class:`AgentTurn` whose values fit it; a line that does not parse, or has a value of
    another type (dropped), counts in ``bad_lines``."""
    out: TurnReport = {"turns": [], "lines": 0, "bad_lines": 0}
    try:
        fh = open(path, "rb")
    except OSError:
        return out
    with fh:
        for raw in fh.read(_REPORT_BYTES).splitlines():
            out["lines"] += 1
            try:
                line = json.loads(raw)
            except ValueError:
                out["bad_lines"] += 1
                continue
            if not isinstance(line, dict):
                out["bad_lines"] += 1
                continue
            kept = {k: (v[:300] if isinstance(v, str) else v) for k, v in line.items() if k in _TURN_TYPES}
            fitting = {k: v for k, v in kept.items() if not shape_problems(v, _TURN_TYPES[k], k)}
            if len(fitting) < len(kept):
                out["bad_lines"] += 1
            if len(out["turns"]) < _REPORT_LINES:
                out["turns"].append(cast(AgentTurn, fitting))
    return out


def do_play(req: PlayRequest) -> PlayResult:
    if req["shims"]:
        sys.path.append(req["shims"])  # after site-packages: a real torch/transformers wins
    os.environ.update(req["env"])  # before any CUDA library reads it
    native = load_natives(req["stubs"], req["runtime"])
    preloaded = preload(req["preload"], req["agent_dir"])
    import kaggle_environments
    from kaggle_environments.envs.llm_20_questions import (
        llm_20_questions as game,
    )

    episodes: list[EpisodeReport] = []
    path = req["main"]
    report = os.path.join(os.path.dirname(os.path.dirname(req["agent_dir"])), "agent-turns.jsonl")
    os.environ[REPORT_VARIABLE] = report  # the agents (in this process) append a line per turn
    for n in range(req["episodes"]):
        rng = random.Random(req["seed"] + n)
        cat = rng.choice(game.keywords_list)
        word = rng.choice(cat["words"])
        game.category, game.keyword, game.alts = cat["category"], word["keyword"], word["alts"]
        env = kaggle_environments.make("llm_20_questions", debug=False)
        lineup = LINEUPS[n % len(LINEUPS)]
        start = time.perf_counter()
        env.run([path if who is None else who for who in lineup])
        agents, violations = _account(env, [i for i, who in enumerate(lineup) if who is None])
        episodes.append({"lineup": ["main.py" if who is None else who for who in lineup], "agents": agents,
                         "violations": violations, "steps": len(env.steps), "keyword": game.keyword,
                         "category": game.category, "seconds": time.perf_counter() - start})
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
        "agent_turns": read_turns(report),
    }
    llama = sys.modules.get("llama_cpp")
    if llama is not None:
        try:
            res["gpu_offload"] = bool(llama.llama_supports_gpu_offload())
        except Exception as exc:
            res["gpu_offload_error"] = repr(exc)
    return res
