"""Play one 20-round game with the template agent and print latency / prompt-token numbers.

Usage (the llama_cpp + diskcache (+ jinja2) directory on ``--lib`` or ``$LLAMA_LIB``)::

    python bench/agent_game.py MODEL.gguf [--lib DIR] [--agent-dir template] [--keyword ...]
                               [--model-only]

``--model-only`` (``MODEL_ONLY``) turns the protocol and the answers decided by code off, so
every turn is the model's (``make bench`` measures the KV-cache reuse that way).

A guesser agent and an answerer agent share one model in this process (as four agents
do in a local kaggle-environments game), so the run also exercises the KV-cache swap.
The game always runs the full number of rounds (a correct guess is only reported), so
the prompt tokens evaluated at round 2 and at round 20 can be compared: with KV-cache
reuse each turn evaluates only its new tokens and the ratio stays near 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ROLES = ("ask", "answer", "guess")
TEMPLATE = REPO / "template"
#: Settings for a game of the model alone: no protocol, no answers decided by code (every turn
#: is the model's), and the answerer's history on (its prompt grows too): the worst case for
#: the KV-cache figure.
MODEL_ONLY: dict[str, Any] = {"protocol": False, "rules": False, "answer_history": True}


def _import_agent_module(agent_dir: Path, lib: str | None) -> Any:
    for p in (str(agent_dir), lib):
        if p and p not in sys.path:
            sys.path.insert(0, p)
    return importlib.import_module("agent20q")  # agent_dir/agent20q/, put on sys.path above


def play_game(
    model_path: str | Path,
    *,
    agent_dir: str | Path = TEMPLATE,
    lib: str | None = None,
    keyword: str = "bicycle",
    category: str = "things",
    rounds: int = 20,
    settings: dict[str, Any] | None = None,
    act_timeout: float = 60.0,
) -> dict[str, Any]:
    """Play ``rounds`` rounds; return per-round stats of the three turns plus the moves."""
    mod = _import_agent_module(Path(agent_dir), lib)
    merged = dict(mod.DEFAULTS)
    merged.update(settings or {})
    merged["model_file"] = str(Path(model_path).resolve())
    merged["log"] = False
    guesser = mod.Agent(str(agent_dir), merged)
    answerer = mod.Agent(str(agent_dir), merged)
    cfg = {"actTimeout": act_timeout}
    questions: list[str] = []
    answers: list[str] = []
    guesses: list[str] = []
    per_round: list[dict[str, Any]] = []
    solved_at: int | None = None
    load_s: float | None = None

    def obs(turn: str, role: str, step: int) -> dict[str, Any]:
        secret = role == "answerer"
        return {
            "turnType": turn,
            "role": role,
            "questions": list(questions),
            "answers": list(answers),
            "guesses": list(guesses),
            "keyword": keyword if secret else "",
            "category": category if secret else "",
            "step": step,
            "remainingOverageTime": 300,
        }

    for r in range(rounds):
        row: dict[str, Any] = {"round": r + 1}
        q = guesser.act(obs("ask", "guesser", 3 * r), cfg)
        row["ask"] = guesser.last
        questions.append(q)
        a = answerer.act(obs("answer", "answerer", 3 * r + 1), cfg)
        row["answer"] = answerer.last
        answers.append(a)
        g = guesser.act(obs("guess", "guesser", 3 * r + 2), cfg)
        row["guess"] = guesser.last
        guesses.append(g)
        for turn in ROLES:
            if row[turn].get("load_s") is not None:
                load_s = row[turn]["load_s"]
        if solved_at is None and mod.keyword_guessed(g, keyword):
            solved_at = r + 1
        per_round.append(row)
    return {
        "rounds": per_round,
        "questions": questions,
        "answers": answers,
        "guesses": guesses,
        "load_s": load_s,
        "solved_at": solved_at,
    }


def report(game: dict[str, Any]) -> str:
    """Human-readable table: per-round latency and prompt tokens (total/evaluated) per turn."""
    lines = [f"load {game['load_s']:.2f}s" if game["load_s"] is not None else "load: (already loaded)"]
    lines.append("round | " + " | ".join(f"{t:>6}: s   tok(+eval)" for t in ROLES) + " | question -> answer / guess")
    for row, q, a, g in zip(game["rounds"], game["questions"], game["answers"], game["guesses"], strict=True):
        cells = []
        for t in ROLES:
            st = row[t]
            fb = "*" if st.get("fallback") else " "
            cells.append(f"{st['latency_s']:6.2f}s {st['prompt_tokens']:5d}(+{st['prompt_tokens_evaluated']:4d}){fb}")
        lines.append(f"{row['round']:5d} | " + " | ".join(cells) + f" | {q[:50]} -> {a} / {g[:30]}")
    rounds = game["rounds"]
    if len(rounds) >= 20:
        for t in ROLES:
            r2 = rounds[1][t]["prompt_tokens_evaluated"]
            r20 = rounds[19][t]["prompt_tokens_evaluated"]
            ratio = r20 / r2 if r2 else float("inf")
            lines.append(f"{t:6}: prompt tokens evaluated round 2 = {r2}, round 20 = {r20}, ratio {ratio:.2f}")
    lat = [row[t]["latency_s"] for row in rounds[1:] for t in ROLES]
    if lat:
        lines.append(f"mean turn latency (rounds 2+): {sum(lat) / len(lat):.3f}s, max {max(lat):.3f}s")
    lines.append(f"solved at round: {game['solved_at']}")
    lines.append("* = fallback move")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help="path of a GGUF chat model")
    ap.add_argument("--lib", default=os.environ.get("LLAMA_LIB"), help="folder with llama_cpp/ (default $LLAMA_LIB)")
    ap.add_argument("--agent-dir", default=str(TEMPLATE), help="folder with the agent20q/ package")
    ap.add_argument("--keyword", default="bicycle")
    ap.add_argument("--category", default="things")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--n-threads", type=int, default=None)
    ap.add_argument("--n-gpu-layers", type=int, default=None)
    ap.add_argument("--model-only", action="store_true", help="no protocol, no rules: every turn is the model's")
    args = ap.parse_args(argv)
    settings: dict[str, Any] = dict(MODEL_ONLY) if args.model_only else {}
    if args.n_threads is not None:
        settings["n_threads"] = args.n_threads
    if args.n_gpu_layers is not None:
        settings["n_gpu_layers"] = args.n_gpu_layers
    t0 = time.monotonic()
    game = play_game(
        args.model,
        agent_dir=args.agent_dir,
        lib=args.lib,
        keyword=args.keyword,
        category=args.category,
        rounds=args.rounds,
        settings=settings,
    )
    print(report(game))
    print(f"total {time.monotonic() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
