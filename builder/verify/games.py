"""Level 4's games as a person reads them: the keyword, the line-up, every round's question,
answer and guess per team, who decided each of our moves (and why a fallback happened),
the rewards and each team's outcome.

:func:`games_of` makes the model (:class:`Game`, :class:`Round`, :class:`Move`,
:class:`Team`) from the child's typed result; the report's text (:func:`game_lines`), its
JSON (:meth:`Game.to_json`) and the HTML pages (:mod:`.pages`) are made from it.  Every text
here comes from the agents (untrusted): it is kept as the child cut it
(``MOVE_CHARS``), and shown on one line only after :func:`one_line` removed control and
format characters (no terminal escape sequences, no bidi overrides).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .child.verify_protocol import MOVE_CHARS, OURS, AgentTurn, EpisodeReport, PlayRequest, PlayResult
from .child.verify_protocol import Move as MoveReport
from .lineups import ROLES
from .runtime import ChildRun

#: Statuses that end a seat's game by breaking a rule (the engine's).
ENDED = ("ERROR", "TIMEOUT", "INVALID")
TURNS = ("ask", "answer", "guess")


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` on one line: control and format characters (escape sequences, bidi overrides,
    newlines) become spaces; cut to ``limit`` characters with ``…``."""
    out = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    if limit is not None and len(out) > limit:
        out = out[: max(0, limit - 1)] + "…"
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Move:
    """One seat's move: what the engine recorded and, for ours, what the agent reported."""

    round: int
    step: int
    seat: int
    turn: str  # "ask" | "answer" | "guess"
    text: str  # as the child cut it (``length``: its length before)
    length: int
    status: str  # the seat's status after it
    correct: bool  # names the keyword (the engine's own match)
    ours: bool
    reported: bool  # ours, and the agent reported it through GGUF_AGENT_REPORT
    decided_by: str  # what the agent said: "rules" | "protocol" | "model" | "fallback" ("" when not reported)
    fallback: str  # "" | "time" | "error" | "output"
    why: str  # why the fallback happened ("" when none)
    latency_s: float | None
    load_error: str  # the model load's error the agent reported with this move ("" when none)
    error: str  # an inference failure it reported ("" when none)

    @property
    def team(self) -> int:
        return 1 if self.seat < 2 else 2

    @property
    def label(self) -> str:
        """Who decided it, for a person: ``model``, ``fallback (time ran out …)``, ``not reported``."""
        if not self.ours:
            return ""
        if not self.reported:
            return "not reported"
        who = one_line(self.decided_by, 40) or "?"
        return f"{who} ({one_line(self.why, 160)})" if self.why else who

    def to_json(self) -> dict[str, Any]:
        return {"round": self.round, "step": self.step, "seat": self.seat, "team": self.team, "turn": self.turn,
                "text": self.text, "length": self.length, "status": self.status, "correct": self.correct,
                "ours": self.ours, "reported": self.reported, "decided_by": self.decided_by,
                "fallback": self.fallback, "why": self.why, "latency_s": self.latency_s,
                "load_error": self.load_error, "error": self.error}


@dataclass(frozen=True, slots=True, kw_only=True)
class Round:
    number: int
    moves: tuple[Move, ...]

    def move(self, team: int, turn: str) -> Move | None:
        return next((m for m in self.moves if m.team == team and m.turn == turn), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Team:
    number: int
    seats: tuple[int, int]  # guesser, answerer
    agents: tuple[str, str]  # OURS or a built-in agent
    rewards: tuple[float | None, float | None]
    statuses: tuple[str, str]
    outcome: str

    @property
    def ours(self) -> tuple[bool, bool]:
        return (self.agents[0] == OURS, self.agents[1] == OURS)

    def describe(self) -> str:
        """``main.py guesser (ours) + random_answerer``."""
        seats = []
        for agent, role, mine in zip(self.agents, ("guesser", "answerer"), self.ours, strict=True):
            seats.append(f"{agent} {role} (ours)" if mine else agent)
        return " + ".join(seats)

    def to_json(self) -> dict[str, Any]:
        return {"team": self.number, "seats": list(self.seats), "agents": list(self.agents),
                "ours": list(self.ours), "rewards": list(self.rewards), "statuses": list(self.statuses),
                "outcome": self.outcome}


@dataclass(frozen=True, slots=True, kw_only=True)
class Game:
    number: int  # 1-based
    keyword: str
    category: str
    lineup: tuple[str, ...]
    steps: int
    seconds: float
    rewards: tuple[float | None, ...]
    statuses: tuple[str, ...]
    teams: tuple[Team, Team]
    rounds: tuple[Round, ...]

    @property
    def ours(self) -> tuple[int, ...]:
        return tuple(i for i, who in enumerate(self.lineup) if who == OURS)

    @property
    def moves(self) -> tuple[Move, ...]:
        return tuple(m for r in self.rounds for m in r.moves)

    @property
    def reports(self) -> bool:
        """Whether the agent reported any of its moves in this game."""
        return any(m.reported for m in self.moves)

    @property
    def title(self) -> str:
        return (f"episode {self.number}: keyword '{one_line(self.keyword, 100)}' ({one_line(self.category, 40)}), "
                f"{self.steps} steps, {self.seconds:.1f}s")

    def to_json(self) -> dict[str, Any]:
        return {"episode": self.number, "keyword": self.keyword, "category": self.category,
                "lineup": list(self.lineup), "ours": list(self.ours), "steps": self.steps,
                "seconds": round(self.seconds, 3), "rewards": list(self.rewards), "statuses": list(self.statuses),
                "teams": [t.to_json() for t in self.teams],
                "rounds": [{"round": r.number, "moves": [m.to_json() for m in r.moves]} for r in self.rounds]}


# ------------------------------------------------------------ from the child's result


@dataclass(frozen=True, slots=True, kw_only=True)
class Played:
    """What level 4 observed: the child's run, the games in it, and whether the agent's own
    code names the ``GGUF_AGENT_REPORT`` channel (then it promised to report every move)."""

    run: ChildRun[PlayRequest, PlayResult]
    games: tuple[Game, ...]
    reporter: bool


#: Bounds on what the child says (it shares its process with the agent): rounds of an
#: episode, moves of a round (3 steps of 4 seats), characters of a keyword or category.
MAX_ROUNDS = 21
MAX_MOVES = 12
MAX_NAME = 200


def observe(run: ChildRun[PlayRequest, PlayResult], *, reporter: bool) -> Played:
    """The games of a child's result: at most the episodes asked for, each bounded."""
    res = run.result if run.failure() is None else None
    episodes = res["episodes"][: len(run.request["lineups"])] if res is not None else []
    return Played(run=run, games=tuple(game_of(n + 1, ep) for n, ep in enumerate(episodes)), reporter=reporter)


def _why(line: AgentTurn) -> str:
    """Why the agent fell back, in its own report's terms."""
    fallback = line.get("fallback", "")
    if not fallback and line.get("decided_by") != "fallback":
        return ""
    if line.get("load_error"):
        return f"the model did not load: {line.get('load_error')}"
    if fallback == "time":
        budget = line.get("budget_s")
        return "time ran out" + (f": the turn had {budget:.1f}s" if budget is not None else "")
    if fallback == "error":
        return f"inference failed: {line.get('error') or 'no message'}"
    if fallback == "output":
        return f"the model's text was unusable: {line.get('error') or line.get('detail') or 'not a legal move'}"
    return f"fallback {fallback!r}" if fallback else "no reason given"


def _move(number: int, m: MoveReport, ours: bool) -> Move:
    line: AgentTurn = m.get("report", {})
    reported = ours and "report" in m
    fallback = str(line.get("fallback", "")) if reported else ""
    return Move(round=number, step=m["step"], seat=m["seat"], turn=m["turn"][:10], text=m["text"][:MOVE_CHARS],
                length=max(m["length"], min(len(m["text"]), MOVE_CHARS)),
                status=m["status"], correct=m["correct"], ours=ours, reported=reported,
                decided_by=str(line.get("decided_by", "")) if reported else "", fallback=fallback,
                why=_why(line) if reported else "", latency_s=line.get("latency_s") if reported else None,
                load_error=str(line.get("load_error") or "") if reported else "",
                error=str(line.get("error") or "") if reported and fallback == "error" else "")


def game_of(number: int, ep: EpisodeReport) -> Game:
    lineup = tuple(name[:MAX_NAME] for name in ep["lineup"][:4])
    rounds = tuple(Round(number=r["round"], moves=tuple(_move(r["round"], m, lineup[m["seat"]] == OURS)
                                                        for m in r["moves"][:MAX_MOVES]
                                                        if 0 <= m["seat"] < len(lineup)))
                   for r in ep["rounds"][:MAX_ROUNDS])
    rewards, statuses = tuple(ep["rewards"][:4]), tuple(x[:20] for x in ep["statuses"][:4])
    teams = tuple(_team(t, lineup, rewards, statuses, rounds) for t in (1, 2))
    return Game(number=number, keyword=ep["keyword"][:MAX_NAME], category=ep["category"][:MAX_NAME], lineup=lineup,
                steps=ep["steps"], seconds=ep["seconds"], rewards=rewards, statuses=statuses,
                teams=(teams[0], teams[1]), rounds=rounds)


def _team(t: int, lineup: Sequence[str], rewards: Sequence[float | None], statuses: Sequence[str],
          rounds: Sequence[Round]) -> Team:
    seats = (2 * t - 2, 2 * t - 1)

    def at(seq: Sequence[Any], i: int, default: Any) -> Any:
        return seq[i] if i < len(seq) else default

    return Team(number=t, seats=seats, agents=(at(lineup, seats[0], "?"), at(lineup, seats[1], "?")),
                rewards=(at(rewards, seats[0], None), at(rewards, seats[1], None)),
                statuses=(at(statuses, seats[0], "?"), at(statuses, seats[1], "?")),
                outcome=_outcome(t, lineup, statuses, rounds))


def _outcome(t: int, lineup: Sequence[str], statuses: Sequence[str], rounds: Sequence[Round]) -> str:
    """What happened to team ``t``, from the statuses and the moves (the engine's rules:
    a right question or guess wins, a seat that breaks a rule loses its team the game)."""
    def broke(team: int) -> list[str]:
        return [f"its {ROLES[s]} ({lineup[s] if s < len(lineup) else '?'}) ended {statuses[s]}"
                for s in (2 * team - 2, 2 * team - 1) if s < len(statuses) and statuses[s] in ENDED]

    def won_in(team: int) -> int | None:
        return next((m.round for r in rounds for m in r.moves if m.team == team and m.correct), None)

    other = 3 - t
    if broke(t):
        return f"lost: {'; '.join(broke(t))}"
    mine, theirs = won_in(t), won_in(other)
    if mine is not None:
        return f"won: named the keyword in round {mine}" + (" (so did the other team)" if theirs == mine else "")
    if broke(other):
        return "won: the other team broke a rule"
    if theirs is not None:
        return f"lost: the other team named the keyword first (round {theirs})"
    last = max((r.number for r in rounds), default=0)
    return "lost: no team named the keyword in 20 rounds" if last >= 20 else f"ended after round {last}"


# ------------------------------------------------------------------- the report's text


def game_lines(game: Game) -> list[str]:
    """The game in the text report: each team's line-up and outcome, then one line per round."""
    lines = []
    for team in game.teams:
        rewards = ", ".join("-" if r is None else f"{r:g}" for r in team.rewards)
        lines.append(f"team {team.number}: {team.describe()}: {team.outcome} (rewards {rewards})")
    labels = game.reports
    if not labels:
        lines.append("who decided our moves: not reported by the agent (no GGUF_AGENT_REPORT line)")
    for r in game.rounds:
        halves = []
        for t in (1, 2):
            parts = []
            for turn, tag, width in (("ask", "Q", 48), ("answer", "A", 12), ("guess", "G", 28)):
                m = r.move(t, turn)
                if m is None:
                    continue
                shown = f'{tag} "{one_line(m.text, width)}"' if turn != "answer" else f"{tag} {one_line(m.text, width)}"
                if m.correct:
                    shown += " (right!)"
                if m.status in ENDED:
                    shown += f" ({m.status})"
                if m.ours and labels:
                    shown += f" [{m.label}]"
                parts.append(shown)
            halves.append(f"T{t} " + " ".join(parts) if parts else f"T{t} -")
        lines.append(f"r{r.number:<3}" + " | ".join(halves))
    return lines


def decided_counts(games: Sequence[Game]) -> dict[str, int]:
    """Our reported moves by who decided them; fallbacks by reason (``fallback: time``)."""
    counts: dict[str, int] = {}
    for m in (m for g in games for m in g.moves if m.ours and m.reported):
        key = one_line(m.decided_by, 40) or "?"
        if m.fallback:
            key = f"{key}: {one_line(m.fallback, 40)}" if key == "fallback" else f"{key} (fallback {m.fallback})"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def names_report_channel(agent_dir: Path, variable: str, *, files: int = 2000, size: int = 4 << 20) -> bool:
    """Whether the agent's own code (its ``*.py`` outside ``lib/``: at most ``files`` of them,
    ``size`` bytes each, no link followed) names ``variable``."""
    needle = variable.encode()
    seen = 0
    for root, dirs, names in os.walk(agent_dir):
        if Path(root) == agent_dir and "lib" in dirs:
            dirs.remove("lib")
        dirs.sort()
        for name in sorted(n for n in names if n.endswith(".py")):
            seen += 1
            if seen > files:
                return False
            try:
                fd = os.open(os.path.join(root, name), os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as fh:
                if needle in fh.read(size):
                    return True
    return False
