"""The guesser's candidate list and the public alphabetical protocol (agent20q.protocol), and
the per-turn JSON report: games played in this process by the template's agents, no model
(every move of a protocol game is decided by code; the model is never loaded)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from factories.agents import TEMPLATE, import_agent_module

from builder.verify.child.verify_protocol import AgentTurn, shape_problems

CFG = {"actTimeout": 60}
Answerer = Callable[[list[str], list[str]], str]


@pytest.fixture(scope="module")
def mod() -> Any:
    return import_agent_module(None)


def play(mod: Any, keyword: Any, answerer: Any = None, rounds: int = 20, **settings: Any) -> dict[str, Any]:
    """One team's game: our guesser and ``answerer`` (an Agent, or a function of the
    questions and answers); stops at the right guess like the game."""
    merged = {"log": False, "model_file": "absent.gguf", **settings}
    guesser = mod.Agent(str(TEMPLATE), dict(merged))
    ours = answerer is None
    if ours:
        answerer = mod.Agent(str(TEMPLATE), dict(merged))
    q: list[str] = []
    a: list[str] = []
    g: list[str] = []
    moves: list[dict[str, Any]] = []

    def o(turn: str, secret: bool) -> dict[str, Any]:
        return {"turnType": turn, "questions": list(q), "answers": list(a), "guesses": list(g),
                "keyword": keyword.keyword if secret else "", "category": keyword.categories[0] if secret else "",
                "remainingOverageTime": 300}

    for r in range(rounds):
        q.append(guesser.act(o("ask", False), CFG))
        moves.append(guesser.last)
        if ours:
            a.append(answerer.act(o("answer", True), CFG))
            moves.append(answerer.last)
        else:
            a.append(answerer(q, a))
        g.append(guesser.act(o("guess", False), CFG))
        moves.append(guesser.last)
        if mod.keyword_guessed(g[-1], keyword.keyword, keyword.alts):
            return {"won": r + 1, "q": q, "a": a, "g": g, "moves": moves}
    return {"won": None, "q": q, "a": a, "g": g, "moves": moves}


def check_legal(game: dict[str, Any]) -> None:
    assert all(x in ("yes", "no") for x in game["a"])
    assert len({x.lower() for x in game["q"]}) == len(game["q"]) and all(0 < len(x) <= 750 for x in game["q"])
    assert len({x.lower() for x in game["g"]}) == len(game["g"]) and all(0 < len(x) <= 100 for x in game["g"])


def test_self_play_wins_every_public_keyword_sampled(mod: Any) -> None:
    cands = mod.load_candidates(str(TEMPLATE))
    rng = random.Random(7)
    sample = rng.sample(list(cands), 40)
    games = [play(mod, c) for c in sample]
    rounds = [gm["won"] for gm in games]
    print("self-play rounds to win:", rounds, "mean", sum(r or 21 for r in rounds) / len(rounds))
    assert all(r is not None and r <= 13 for r in rounds), rounds
    for gm in games:
        check_legal(gm)
        assert gm["q"][0] == mod.HANDSHAKE
        assert {m["decided_by"] for m in gm["moves"]} == {"protocol"}
        assert all(m["fallback"] == "" and m["load_s"] is None for m in gm["moves"])


def test_self_play_protocol_off(mod: Any) -> None:
    """``protocol`` false: no handshake; the answerer answers it "no" (rules)."""
    kw = next(c for c in mod.load_candidates(str(TEMPLATE)) if c.key == "agave")
    gm = play(mod, kw, rounds=2, protocol=False)
    assert gm["q"][0] != mod.HANDSHAKE and gm["won"] is None
    check_legal(gm)
    answerer = mod.Agent(str(TEMPLATE), {"log": False, "protocol": False})
    o = {"turnType": "answer", "questions": [mod.HANDSHAKE], "answers": [], "keyword": "Agave", "category": "things"}
    assert answerer.act(o, CFG) == "no" and answerer.last["decided_by"] == "rules"


@pytest.mark.parametrize("kind", ["yes", "no", "random"])
def test_teammates_that_do_not_speak_the_protocol(mod: Any, kind: str) -> None:
    """A teammate saying yes to everything is caught by the confirmation question; one
    saying no refuses the handshake; a random one (the engine's random_answerer) still gives
    a legal game.  Then the model plays (here: no model, the fallbacks) and no guess is one
    the answers have ruled out."""
    kw = next(c for c in mod.load_candidates(str(TEMPLATE)) if c.key == "binoculars")
    rng = random.Random(3)

    def answer(q: list[str], a: list[str]) -> str:
        return kind if kind != "random" else rng.choice(["yes", "no"])

    gm = play(mod, kw, answer)
    check_legal(gm)
    decided = [m["decided_by"] for m in gm["moves"]]
    if kind == "yes":
        check = 'Does the keyword (in lowercase) precede "a" in alphabetical order?'
        assert gm["q"][1] == check  # the handshake, then its confirmation
        assert decided[3:] == ["fallback"] * (len(decided) - 3)  # no candidate left: the model's turn
    if kind == "no":
        assert decided[1:] == ["fallback"] * (len(decided) - 1)
    guesser = mod.Agent(str(TEMPLATE), {"log": False})
    tracker = guesser._tracker()
    for r in range(len(gm["g"])):
        alive = tracker.alive(gm["q"][: r + 1], gm["a"][: r + 1], gm["g"][:r])
        assert not tracker.ruled_out(gm["g"][r], alive), (r, gm["g"][r])


@pytest.mark.parametrize(("confirm", "low", "high"), [(True, 0.15, 0.35), (False, 0.4, 0.6)])
def test_a_random_teammate_rarely_turns_the_protocol_on(mod: Any, confirm: bool, low: float, high: float) -> None:
    """The handshake's "yes" is confirmed by a question whose answer is "no" for every
    candidate: a random teammate keeps the protocol on (a bisection question in round 3)
    in about 1/4 of the games, not 1/2; a yes-sayer never (the test above)."""
    kw = next(c for c in mod.load_candidates(str(TEMPLATE)) if c.key == "binoculars")
    rng = random.Random(11)
    games = [play(mod, kw, lambda q, a: rng.choice(["yes", "no"]), rounds=3, protocol_confirm=confirm)
             for _ in range(120)]
    on = sum(gm["moves"][4]["decided_by"] == "protocol" for gm in games) / len(games)
    assert low <= on <= high, on
    if confirm:
        assert all(gm["q"][1] == 'Does the keyword (in lowercase) precede "a" in alphabetical order?' for gm in games
                   if gm["a"][0] == "yes")


def test_candidates_follow_the_answers(mod: Any) -> None:
    tracker = mod.Tracker(mod.load_candidates(str(TEMPLATE)))
    n = len(tracker.candidates)
    assert len(tracker.alive([mod.HANDSHAKE], ["yes"], [])) == n
    low = tracker.alive([mod.HANDSHAKE, mod.alpha_question("m")], ["yes", "yes"], [])
    assert 0 < len(low) < n and all(tracker.candidates[i].key < "m" for i in low)
    places = tracker.alive(["Is it a place?"], ["yes"], [])
    assert all("place" in tracker.candidates[i].categories for i in places)
    assert tracker.ruled_out("France", tracker.alive(["Is it a place?"], ["no"], []))
    assert not tracker.ruled_out("a word of no list", [])
    gone = tracker.alive([mod.HANDSHAKE], ["yes"], ["Butterflies"])  # an alt: the candidate is guessed
    assert len(gone) == n - 1
    q = tracker.question(list(range(n)), [mod.HANDSHAKE], ["yes"])
    assert q.startswith('Does the keyword (in lowercase) precede "') and mod.parse(q).kind == "alphabetical"


def test_report_channel(mod: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = tmp_path / "turns.jsonl"
    kw = next(c for c in mod.load_candidates(str(TEMPLATE)) if c.key == "agave")
    monkeypatch.delenv("GGUF_AGENT_REPORT", raising=False)
    play(mod, kw, rounds=1)
    assert not report.exists()
    monkeypatch.setenv("GGUF_AGENT_REPORT", str(report))
    play(mod, kw, rounds=2, protocol=False)  # the model's turns: no model here, fallbacks
    lines = [json.loads(x) for x in report.read_text().splitlines()]
    assert len(lines) == 6
    keys = {"agent", "turn", "round", "latency_s", "decided_by", "fallback", "error", "detail", "budget_s",
            "load_error", "load_s"}
    assert all(set(x) == keys for x in lines)
    # what verify reads (its protocol's AgentTurn) is what the template writes, key by key
    assert all(shape_problems(x, AgentTurn) == [] for x in lines), [shape_problems(x, AgentTurn) for x in lines]
    assert all(x["budget_s"] > 0 for x in lines)
    assert [(x["turn"], x["round"]) for x in lines] == [
        ("ask", 1), ("answer", 1), ("guess", 1), ("ask", 2), ("answer", 2), ("guess", 2)
    ]
    ask = lines[0]
    assert ask["decided_by"] == "fallback" and ask["fallback"] == "error" and "absent.gguf" in ask["error"]
    assert "absent.gguf" in ask["load_error"] and ask["load_s"] is None
    assert all(x["decided_by"] in ("rules", "model", "protocol", "fallback") for x in lines)
    assert all(x["fallback"] in ("", "time", "error", "output") for x in lines)
