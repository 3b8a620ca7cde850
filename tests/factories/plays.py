"""Level 4's child results, made by hand: the games of one episode of the second line-up
(our guesser beside a random answerer, a random guesser beside our answerer), with what
our agents reported of each move, for the verdict and the pages without a real episode."""

from __future__ import annotations

from typing import Any

from builder.verify.child.verify_protocol import AgentReport, Move, PlayRequest, PlayResult, RoundReport


def our_agent(**over: Any) -> AgentReport:
    a: AgentReport = {"index": 0, "status": "DONE", "reward": 1, "role": "guesser", "durations": [0.5, 0.1, 0.2],
                      "overage_left": 300, "stderr": ""}
    a.update(over)  # type: ignore[typeddict-item]
    return a


#: The second line-up: our guesser (seat 0) beside a random answerer, a random guesser beside our answerer (3).
LINEUP = ["main.py", "random_answerer", "random_guesser", "main.py"]


def play_move(step: int, seat: int, turn: str, text: str, report: dict[str, Any] | None = None, *,
              status: str = "ACTIVE", correct: bool = False) -> Move:
    m: Move = {"step": step, "seat": seat, "turn": turn, "text": text, "length": len(text), "status": status,
               "correct": correct}
    if LINEUP[seat] == "main.py":
        m["reports"] = 0 if report is None else 1
        if report is not None:
            m["report"] = report  # type: ignore[typeddict-item]
    return m


def play_round(n: int, ours: dict[str, dict[str, Any] | None] | None = None) -> RoundReport:
    """Round ``n`` of LINEUP: our ask/guess (seat 0) and answer (seat 3) reported as ``ours``
    says (default: decided by the model), the random agents' moves beside them."""
    said = {"ask": {"decided_by": "model", "fallback": ""}, "answer": {"decided_by": "rules", "fallback": ""},
            "guess": {"decided_by": "model", "fallback": ""}, **(ours or {})}
    step = 3 * (n - 1)
    return {"round": n, "moves": [
        play_move(step + 1, 0, "ask", f"Is it thing {n}?", said["ask"]),
        play_move(step + 1, 2, "ask", "Is it a place?"),
        play_move(step + 2, 1, "answer", "no"),
        play_move(step + 2, 3, "answer", "yes", said["answer"]),
        play_move(step + 3, 0, "guess", f"guess {n}", said["guess"]),
        play_move(step + 3, 2, "guess", "banana"),
    ]}


def played(*agents: AgentReport, violations: list[str] | None = None, rounds: list[RoundReport] | None = None,
           lines: int | None = None, keyword: str = "france") -> PlayResult:
    """One episode of LINEUP (default: rounds 1 and 2), ``agents`` our agents' accounts."""
    rounds = [play_round(1), play_round(2)] if rounds is None else rounds
    reported = sum(1 for r in rounds for m in r["moves"] if "report" in m)
    return {
        "native": {"stubs": [], "real": {}, "errors": []}, "preload": {"modules": {}, "errors": []},
        "kaggle_environments": "1.14.15",
        "episodes": [{"lineup": list(LINEUP), "agents": list(agents), "violations": violations or [],
                      "steps": 61, "keyword": keyword, "category": "place", "seconds": 2.0,
                      "rewards": [-1, -1, -1, -1], "statuses": ["DONE"] * 4, "rounds": rounds}],
        "latency": {"first_step_max_s": 0.5, "turn_median_s": 0.15, "turn_max_s": 0.2, "turns": 2},
        "agent_turns": {"lines": reported if lines is None else lines, "bad_lines": 0, "unattributed": 0},
    }


def play_request() -> PlayRequest:
    return {"agent_dir": "/a", "main": "/a/main.py", "preload": [], "stubs": [], "shims": "", "lineups": [LINEUP],
            "seed": 0}
