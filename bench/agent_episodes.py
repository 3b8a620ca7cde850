"""Real ``llm_20_questions`` episodes of a submission folder, run by the verify runtime's Python.

Run as ``python agent_episodes.py REQUEST.json`` with the interpreter of the verify runtime venv
(CPython 3.10, kaggle-environments 1.14.15).  The request names the submission's ``main.py``,
the import shims' folder (appended after site-packages, as verify does), the report file
(``GGUF_AGENT_REPORT``: the agents append one JSON line per turn) and the episodes: a setup
(four agents: ``"main"`` for the submission, or a built-in agent name such as
``random_answerer``), the keyword, its category and alts, and the seed of ``random`` (the
built-in agents draw from it).  Prints ``RESULT {json}``: per episode the statuses, rewards,
the round each team guessed right (or None), the rule violations and the report lines.
Standard library only, besides kaggle-environments.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from typing import Any


def _violations(env: Any) -> list[str]:
    out: list[str] = []
    for k in range(1, len(env.steps)):
        for i, cur in enumerate(env.steps[k]):
            prev = env.steps[k - 1][i]
            if prev["status"] != "ACTIVE" or cur["status"] in ("ERROR", "TIMEOUT", "INVALID"):
                continue
            turn, action = prev["observation"]["turnType"], cur["action"]
            if turn == "answer" and action not in ("yes", "no"):
                out.append(f"agent {i} step {k}: answer {action!r}")
            elif turn in ("ask", "guess") and (not isinstance(action, str) or not action.strip()):
                out.append(f"agent {i} step {k}: empty {turn}")
            elif (turn == "ask" and len(action) > 750) or (turn == "guess" and len(action) > 100):
                out.append(f"agent {i} step {k}: {turn} too long")
    return out


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as fh:
        req = json.load(fh)
    sys.path.append(req["shims"])  # after site-packages: a real torch/transformers wins
    import kaggle_environments
    from kaggle_environments.envs.llm_20_questions import llm_20_questions as game

    report = req["report"]
    os.environ["GGUF_AGENT_REPORT"] = report
    episodes: list[dict[str, Any]] = []
    for ep in req["episodes"]:
        random.seed(int(ep["seed"]))
        game.keyword, game.category, game.alts = ep["keyword"], ep["category"], list(ep["alts"])
        agents = [req["main"] if a == "main" else a for a in ep["agents"]]
        offset = os.path.getsize(report) if os.path.exists(report) else 0
        env = kaggle_environments.make("llm_20_questions", debug=False)
        t0 = time.perf_counter()
        env.run(agents)
        seconds = time.perf_counter() - t0
        last = env.steps[-1]
        won = []
        for guesser in (0, 2):
            obs = last[guesser]["observation"]
            right = bool(obs["guesses"]) and game.keyword_guessed(obs["guesses"][-1])
            won.append(len(obs["guesses"]) if right else None)
        with open(report, encoding="utf-8") as fh:
            fh.seek(offset)
            turns = [json.loads(line) for line in fh if line.strip()]
        episodes.append(
            {
                "setup": ep["setup"],
                "keyword": ep["keyword"],
                "category": ep["category"],
                "statuses": [a["status"] for a in last],
                "rewards": [a["reward"] for a in last],
                "won_round": won,
                "questions": list(last[0]["observation"]["questions"]),
                "answers": list(last[0]["observation"]["answers"]),
                "guesses": list(last[0]["observation"]["guesses"]),
                "violations": _violations(env),
                "turns": turns,
                "seconds": seconds,
            }
        )
    print("RESULT " + json.dumps({"kaggle_environments": kaggle_environments.__version__, "episodes": episodes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
