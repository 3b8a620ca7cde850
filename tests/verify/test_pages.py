"""Level 4's games as pages a person opens in a browser with no network: opened here in a
real headless Chromium (Debian's ``chromium``; CI installs it), offline, and read back as
its DOM: the episode is shown (keyword, line-up, every round, who decided our moves, the
outcome), the agents' text is shown as text (no markup of theirs, no script runs), and the
page loads nothing from anywhere."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from factories.plays import our_agent, play_move, play_request, play_round, played

from builder.verify.child.verify_protocol import MOVE_CHARS
from builder.verify.games import Game, observe
from builder.verify.pages import default_folder, write_pages
from builder.verify.runtime import ChildRun

#: What a hostile agent asks: markup, a script, a remote image, an escape sequence, a bidi override.
HOSTILE = ('</td></tr></table><script>document.title="pwned"</script><img src="http://example.invalid/x.png">'
           '\x1b[31m red \u202e reversed')


def _chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("no Chromium: install Debian's chromium (apt-get install chromium), or name it in $CHROMIUM")
    return found


def _dom(page: Path, work: Path) -> tuple[str, list[str]]:
    """The DOM of ``page`` after Chromium loaded it, headless and cut off from the network,
    and every network request the page made (Chromium's net log: those of a file:// top frame)."""
    work.mkdir(parents=True, exist_ok=True)
    netlog = work / "net.json"
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={work / 'profile'}",
         f"--log-net-log={netlog}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "<body>" in proc.stdout, proc.stderr[-2000:]
    events = json.loads(netlog.read_text(encoding="utf-8"))["events"]
    requests = sorted({e["params"]["url"] for e in events
                       if str(e.get("params", {}).get("network_isolation_key", "")).startswith("file://")
                       and "url" in e["params"] and not e["params"]["url"].startswith(("file:", "data:", "about:"))})
    return proc.stdout, requests


def _games(tmp_path: Path) -> tuple[Game, ...]:
    fell_back = {"decided_by": "fallback", "fallback": "output", "error": "repeat", "latency_s": 0.4}
    rounds = [play_round(n) for n in range(1, 21)]
    rounds[0]["moves"][0] = play_move(1, 0, "ask", HOSTILE, {"decided_by": "model", "fallback": "", "latency_s": 1.5})
    rounds[0]["moves"][4] = play_move(3, 0, "guess", "x" * MOVE_CHARS, fell_back)
    rounds[19]["moves"][4] = play_move(60, 0, "guess", "Porto Alegre", {"decided_by": "protocol"}, correct=True)
    result = played(our_agent(), our_agent(index=3), rounds=rounds, keyword="porto alegre <b>brazil</b>")
    result["episodes"][0]["rewards"] = [1, 1, 0, 0]
    result["episodes"][0]["rounds"][0]["moves"][0]["length"] = 5000  # the child cut it
    stderr = tmp_path / "child.stderr"
    stderr.write_text("")
    run = ChildRun(request=play_request(), result=result, returncode=0, timed_out=False, stdout_tail="",
                   stderr_tail="", seconds=1.0, stderr_path=stderr)
    return observe(run, reporter=True).games


def test_an_episode_page_shows_the_game_offline(tmp_path: Path) -> None:
    games = _games(tmp_path)
    index = write_pages(tmp_path / "submission.episodes", games, archive="submission.tar.gz")
    page = index.parent / "episode-1.html"
    source = page.read_text(encoding="utf-8")
    # nothing to load: no script, every URL the page names is a page of its own folder
    assert "<script" not in source.lower() and "Content-Security-Policy" in source
    assert set(re.findall(r'(?:src|href)="([^"]*)"', source)) <= {"index.html"}
    assert "url(" not in source and "@import" not in source
    dom, requests = _dom(page, tmp_path / "chromium")
    assert requests == []
    assert "<title>Episode 1: porto alegre &lt;b&gt;brazil&lt;/b&gt;</title>" in dom  # no script ran
    assert '<bdi class="keyword">porto alegre &lt;b&gt;brazil&lt;/b&gt;</bdi>' in dom and "<b>brazil" not in dom
    # the agents' text is text: escaped, no element of theirs
    assert f"<bdi>{html.escape(HOSTILE, quote=False)}</bdi>" in dom  # a bidi override stays inside
    assert "<img" not in dom and "<script" not in dom
    assert len(re.findall(r'<tr id="round-\d+">', dom)) == 20
    assert "main.py <em>(ours)</em>" in dom and "random_answerer" in dom
    assert "won: named the keyword in round 20" in dom
    assert "lost: the other team named the keyword first (round 20)" in dom
    assert "<bdi>fallback (the model's text was unusable: repeat)</bdi>, 0.40s" in dom
    assert "<bdi>model</bdi>, 1.50s" in dom and "<bdi>protocol</bdi></div>" in dom and "(the keyword!)" in dom
    assert "(cut: 5,000 characters)" in dom
    index_dom, requests = _dom(index, tmp_path / "chromium-index")
    assert requests == []
    assert '<a href="episode-1.html">episode 1</a>' in index_dom and "porto alegre" in index_dom


def test_a_new_verify_replaces_its_own_pages_only(tmp_path: Path) -> None:
    folder = tmp_path / "submission.episodes"
    folder.mkdir()
    (folder / "episode-7.html").write_text("old")
    (folder / "notes.txt").write_text("mine")
    write_pages(folder, _games(tmp_path), archive="submission.tar.gz")
    assert sorted(p.name for p in folder.iterdir()) == ["episode-1.html", "index.html", "notes.txt"]


def test_the_pages_sit_beside_the_archive() -> None:
    assert default_folder(Path("/k/working/submission.tar.gz")) == Path("/k/working/submission.episodes")
    assert default_folder(Path("a.tgz")) == Path("a.episodes")
