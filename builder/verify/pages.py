"""Level 4's games as HTML pages a person opens in a browser with no network: one page per
episode (``episode-N.html``) and an ``index.html`` listing them, written into one folder.

Each page is self-contained and written here, not kaggle-environments' own player: that
player (``env.render(mode="html")``) loads preact, htm and styled-components from a CDN and
the 20 Questions renderer draws on a canvas, so offline it would need those scripts vendored
(pinned, inlined) and would still not show who decided each of our moves.  These pages have
no script and load nothing: a Content-Security-Policy allows only their own stylesheet (by
its hash).  Every text on them comes from the agents (untrusted): escaped with
:func:`html.escape`, already cut to a bounded length (:mod:`.games`), and isolated in a
``<bdi>`` (a bidi override in it cannot reorder the page around it).

A new verify replaces the pages it wrote before (``episode-*.html`` and ``index.html``,
each written to a temp file and renamed) and leaves anything else in the folder alone.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Sequence
from pathlib import Path

from ..util.fs import atomic_path, sweep_temps
from .games import ENDED, Game, Move, one_line

#: The pages' own names in the folder (what a new verify replaces).
_OURS = re.compile(r"^(episode-\d+|index)\.html$")

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
.meta, .legend { color: #555; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .3em .5em; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
td.move { max-width: 22em; overflow-wrap: anywhere; }
td.ours { background: #eef6ff; }
.who { font-size: .85em; color: #0a4d8c; }
.fallback .who, .who.fallback { color: #a03000; font-weight: 600; }
.right { color: #087a2a; font-weight: 700; }
.ended { color: #b00020; font-weight: 700; }
.cut { color: #777; font-size: .85em; }
.keyword { font-family: ui-monospace, monospace; background: #f6f6f6; padding: 0 .3em; }
nav a { margin-right: 1em; }
""".strip()


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_e(_csp())}\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _rewards(values: Sequence[float | None]) -> str:
    return ", ".join("-" if v is None else f"{v:g}" for v in values)


def _cell(move: Move | None, labels: bool) -> str:
    if move is None:
        return "<td class=\"move\"></td>"
    classes = ["move"] + (["ours"] if move.ours else []) + (["fallback"] if move.fallback else [])
    text = f"<bdi>{_e(move.text)}</bdi>" if move.text else "<em>(empty)</em>"
    if move.length > len(move.text):
        text += f" <span class=\"cut\">(cut: {move.length:,} characters)</span>"
    if move.correct:
        text += " <span class=\"right\">(the keyword!)</span>"
    if move.status in ENDED:
        text += f" <span class=\"ended\">({_e(move.status)})</span>"
    if move.ours and labels:
        latency = f", {move.latency_s:.2f}s" if move.latency_s is not None else ""
        text += f"<div class=\"who\"><bdi>{_e(move.label)}</bdi>{_e(latency)}</div>"
    return f"<td class=\"{' '.join(classes)}\">{text}</td>"


def episode_page(game: Game, *, archive: str, count: int) -> str:
    """The page of one episode: keyword, line-up, outcome, every round."""
    title = f"Episode {game.number}: {one_line(game.keyword, 200)}"
    out = [f"<h1>Episode {game.number} of {count}: <bdi class=\"keyword\">{_e(game.keyword)}</bdi> "
           f"(<bdi>{_e(game.category)}</bdi>)</h1>\n",
           f"<p class=\"meta\">{_e(archive)}: {game.steps} steps, {game.seconds:.1f}s. "
           "Seats marked <em>ours</em> are the archive's agent; under each of its moves, who decided it "
           "(as the agent reported it) and, for a fallback, why.</p>\n",
           "" if game.reports else "<p class=\"who fallback\">The agent reported none of its moves "
           "(no GGUF_AGENT_REPORT line): who decided them is unknown.</p>\n",
           "<table id=\"teams\"><thead><tr><th>team</th><th>guesser</th><th>answerer</th><th>rewards</th>"
           "<th>outcome</th></tr></thead><tbody>\n"]
    for team in game.teams:
        seats = [f"{_e(agent)}{' <em>(ours)</em>' if mine else ''}" for agent, mine in zip(team.agents, team.ours,
                                                                                          strict=True)]
        out.append(f"<tr><td>team {team.number}</td><td>{seats[0]}</td><td>{seats[1]}</td>"
                   f"<td>{_e(_rewards(team.rewards))}</td><td class=\"outcome\">{_e(team.outcome)}</td></tr>\n")
    out.append("</tbody></table>\n<table id=\"rounds\"><thead><tr><th rowspan=\"2\">round</th>"
               "<th colspan=\"3\">team 1</th><th colspan=\"3\">team 2</th></tr>\n<tr>"
               + "<th>question</th><th>answer</th><th>guess</th>" * 2 + "</tr></thead><tbody>\n")
    for r in game.rounds:
        cells = "".join(_cell(r.move(t, turn), game.reports) for t in (1, 2) for turn in ("ask", "answer", "guess"))
        out.append(f"<tr id=\"round-{r.number}\"><td>{r.number}</td>{cells}</tr>\n")
    out.append("</tbody></table>\n<p class=\"legend\">who decided: <b>rules</b> / <b>protocol</b>: the agent's "
               "code; <b>model</b>: the language model; <b>fallback</b>: a canned legal move (time ran out, "
               "inference failed, or the model's text was unusable); <b>not reported</b>: the agent said nothing "
               "of this move.</p>\n<nav><a href=\"index.html\">all episodes</a>")
    if game.number > 1:
        out.append(f"<a href=\"episode-{game.number - 1}.html\">previous</a>")
    if game.number < count:
        out.append(f"<a href=\"episode-{game.number + 1}.html\">next</a>")
    out.append("</nav>\n")
    return _page(title, "".join(out))


def index_page(games: Sequence[Game], *, archive: str) -> str:
    rows = []
    for g in games:
        outcome = "; ".join(f"team {t.number}: {t.outcome}" for t in g.teams)
        lineup = "; ".join(f"team {t.number}: {t.describe()}" for t in g.teams)
        rows.append(f"<tr><td><a href=\"episode-{g.number}.html\">episode {g.number}</a></td>"
                    f"<td><bdi class=\"keyword\">{_e(g.keyword)}</bdi> (<bdi>{_e(g.category)}</bdi>)</td>"
                    f"<td>{_e(lineup)}</td><td>{_e(outcome)}</td></tr>\n")
    body = (f"<h1>verify {_e(archive)}: the games of level 4</h1>\n<table id=\"episodes\"><thead><tr><th>episode"
            "</th><th>keyword</th><th>line-up</th><th>outcome</th></tr></thead><tbody>\n"
            + "".join(rows) + "</tbody></table>\n")
    return _page(f"verify {one_line(archive, 200)}: the games", body)


def default_folder(archive: Path) -> Path:
    """``submission.episodes/`` beside ``submission.tar.gz``."""
    name = archive.name
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return archive.parent / f"{name}.episodes"


def write_pages(folder: Path, games: Sequence[Game], *, archive: str) -> Path:
    """Write the pages of ``games`` into ``folder`` (replacing the ones a previous verify
    wrote there); returns the index page."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = {f"episode-{g.number}.html": episode_page(g, archive=archive, count=len(games)) for g in games}
    pages["index.html"] = index_page(games, archive=archive)
    for old in folder.iterdir():
        if _OURS.match(old.name) and old.name not in pages and old.is_file() and not old.is_symlink():
            old.unlink()
    for name, text in pages.items():
        sweep_temps(folder / name)  # what a killed verify left
        with atomic_path(folder / name) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return folder / "index.html"
