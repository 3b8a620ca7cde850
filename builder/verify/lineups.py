"""Level 4's line-ups: who sits where in each episode verify plays (the one owner of them
and of the default number of episodes).

A line-up is four seats: the guesser and the answerer of team 1, then of team 2; each seat
is the archive's agent (:data:`OURS`: the path of its ``main.py``, as Kaggle runs a file
agent) or one of the engine's own agents.  On Kaggle, the teammate is usually another
competitor's bot and the other team always is, so the default shows the agent both ways:

1. with its own teammate, against another team (the engine's random bots): a protocol
   between copies of the agent can work, and the other team's moves are not ours;
2. beside a stranger on each team (our guesser with a random answerer, a random guesser
   with our answerer): every move of ours is the agent's own logic and model, none can be
   settled by a protocol between copies.

A third episode is four copies of the agent (four execs of ``main.py`` in one process, as
a local ``env.run`` does); further episodes cycle through the three.
"""

from __future__ import annotations

from collections.abc import Sequence

from .child.verify_protocol import OURS

LINEUPS: tuple[tuple[str, str, str, str], ...] = (
    (OURS, OURS, "random_guesser", "random_answerer"),
    (OURS, "random_answerer", "random_guesser", OURS),
    (OURS, OURS, OURS, OURS),
)
#: Episodes verify plays unless told otherwise: the first two line-ups.
DEFAULT_EPISODES = 2
ROLES = ("guesser", "answerer", "guesser", "answerer")


def lineups(episodes: int) -> list[list[str]]:
    """The line-up of each of ``episodes`` episodes."""
    return [list(LINEUPS[n % len(LINEUPS)]) for n in range(episodes)]


def describe(lineup: Sequence[str]) -> str:
    """``team 1: main.py (guesser) + main.py (answerer); team 2: random_guesser + random_answerer``."""
    teams = []
    for t in (0, 1):
        seats = [f"{lineup[s]} ({ROLES[s]})" if lineup[s] == OURS else lineup[s] for s in (2 * t, 2 * t + 1)]
        teams.append(f"team {t + 1}: {' + '.join(seats)}")
    return "; ".join(teams)


def help_text() -> str:
    """What ``--episodes`` plays, for the command line's help."""
    shown = "; ".join(f"{n + 1}: {a} + {b} vs {c} + {d}" for n, (a, b, c, d) in enumerate(LINEUPS))
    return (f"episodes of llm_20_questions to play at level 4 (default {DEFAULT_EPISODES}: the agent with its "
            f"own teammate, then beside a stranger); line-ups (guesser + answerer vs guesser + answerer, "
            f"{OURS} is the agent) cycle through {shown}")
