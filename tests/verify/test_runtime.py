"""Verify levels 3 (import) and 4 (play) with fake stdlib-only agents.

Level 3 with no runtime requirements builds its venv offline (``slow``); level 4 installs
kaggle-environments 1.14.15 and pandas/numpy/jsonschema/requests from PyPI once into the
cached runtime venv (``network``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from factories.archives import FAKE_LLAMA_API, GOOD_MAIN, build_archive, dist_info, good_files

from builder.profile import Profile
from builder.verify import VerifyReport, format_table, verify

#: A stand-in llama_cpp importable from lib/ (these tests are about imports, not models).
FAKE_LLAMA = b'__version__ = "0.0+fake"\n\n' + FAKE_LLAMA_API.encode()


@pytest.fixture(scope="module")
def python(target_python: Path) -> Path:
    return target_python  # a missing target interpreter is an error of the setup, never a skip


def _verify(
    tmp_path: Path, profile: Profile, python: Path, files: dict[str, bytes], levels: tuple[int, ...]
) -> VerifyReport:
    archive = build_archive(tmp_path / "submission.tar.gz", files)
    return verify(archive, profile, levels=levels, python=python, play_timeout_s=300)


def _agent(body: str, head: str = "") -> dict[str, bytes]:
    """A main.py whose agent is ``body`` (indented under ``def agent(obs, cfg):``)."""
    src = GOOD_MAIN.split("def agent(obs, cfg):")[0] + head + "def agent(obs, cfg):\n"
    src += "".join(f"    {line}\n" for line in body.strip().splitlines())
    return good_files(src)


# ------------------------------------------------------------------ level 3 (offline)


@pytest.mark.slow
def test_stdlib_agent_passes_import(tmp_path: Path, profile: Profile, python: Path) -> None:
    report = _verify(tmp_path, profile, python, good_files(), (1, 2, 3))
    assert not report.failed, format_table(report)
    r3 = report.level(3)
    assert r3.status == "passed"
    assert "llama_cpp: not vendored" in r3.notes
    assert "imported from lib/: tinypkg" in r3.notes
    assert r3.details["vendored_modules"]["tinypkg"].endswith("/kaggle_simulations/agent/lib/tinypkg/__init__.py")
    assert r3.details["agent"] == "agent"
    assert report.level(4).summary == "skipped: not requested"
    assert "level3" in report.timings


@pytest.mark.slow
def test_main_raising_at_load_fails_import(tmp_path: Path, profile: Profile, python: Path) -> None:
    files = good_files(GOOD_MAIN + "\nraise RuntimeError('boom at load')\n")
    report = _verify(tmp_path, profile, python, files, (1, 2, 3))
    r3 = report.level(3)
    assert r3.status == "failed", format_table(report)
    assert "RuntimeError: boom at load" in r3.problems[0]
    assert report.failed


@pytest.mark.slow
def test_vendored_llama_cpp_is_imported_from_lib(tmp_path: Path, profile: Profile, python: Path) -> None:
    files = good_files()
    files.update(dist_info("llama_cpp_python", "0.0", {"llama_cpp/__init__.py": FAKE_LLAMA}))
    report = _verify(tmp_path, profile, python, files, (1, 2, 3))
    assert not report.failed, format_table(report)
    info = report.level(3).details["llama_cpp"]
    assert info["version"] == "0.0+fake"
    assert info["gpu_offload"] is False
    assert "/kaggle_simulations/agent/lib/llama_cpp/" in info["file"]


@pytest.mark.slow
def test_vendored_package_that_cannot_import_fails(tmp_path: Path, profile: Profile, python: Path) -> None:
    """Every module vendored into lib/ is imported on the target interpreter: one that
    breaks there (a wrong ABI, a missing dependency) is caught before the upload."""
    files = good_files()
    files.update(dist_info("brokenpkg", "1.0", {"brokenpkg/__init__.py": b"import not_on_kaggle_anywhere\n"}))
    report = _verify(tmp_path, profile, python, files, (1, 2, 3))
    r3 = report.level(3)
    assert r3.status == "failed", format_table(report)
    assert list(r3.problems) == [
        "lib/: brokenpkg: import brokenpkg failed: ModuleNotFoundError(\"No module named 'not_on_kaggle_anywhere'\")"
    ]
    assert "tinypkg" in r3.details["vendored_modules"]  # the others were still imported


@pytest.mark.slow
def test_vendored_llama_cpp_not_on_path_fails(tmp_path: Path, profile: Profile, python: Path) -> None:
    main = GOOD_MAIN.replace('sys.path.insert(0, os.path.join(_HERE, "lib"))', "")
    files = good_files(main)
    files.update(dist_info("llama_cpp_python", "0.0", {"llama_cpp/__init__.py": FAKE_LLAMA}))
    report = _verify(tmp_path, profile, python, files, (1, 2, 3))
    assert "lib/ is never put on sys.path" in report.level(2).problems[0]
    assert "ModuleNotFoundError: No module named 'llama_cpp'" in report.level(3).problems[0]


@pytest.mark.slow
def test_main_using_file_fails_at_import_too(tmp_path: Path, profile: Profile, python: Path) -> None:
    files = good_files(GOOD_MAIN + "\nHERE = __file__\n")
    report = _verify(tmp_path, profile, python, files, (1, 2, 3))
    assert "NameError: name '__file__' is not defined" in report.level(3).problems[0]


# -------------------------------------------------------------------- level 4 (PyPI)


@pytest.mark.slow
@pytest.mark.network
def test_good_agent_plays(tmp_path: Path, profile: Profile, python: Path) -> None:
    """The default line-ups: episode 1 the agent with its own teammate against the engine's
    random bots, episode 2 beside them (a Kaggle teammate is someone else's bot), episode 3
    four copies; only our agents are judged, every seat's moves are shown."""
    archive = build_archive(tmp_path / "submission.tar.gz", good_files())
    report = verify(archive, profile, levels=(1, 2, 3, 4), python=python, play_timeout_s=600, episodes=3,
                    pages=tmp_path / "pages")
    table = format_table(report)
    assert not report.failed, table
    d = report.level(4).details
    assert d["kaggle_environments"] == "1.14.15"
    assert [e["lineup"] for e in d["episodes"]] == [["main.py", "main.py", "random_guesser", "random_answerer"],
                                                    ["main.py", "random_answerer", "random_guesser", "main.py"],
                                                    ["main.py"] * 4]
    assert [e["ours"] for e in d["episodes"]] == [[0, 1], [0, 3], [0, 1, 2, 3]]
    assert [e["statuses"] for e in d["episodes"]] == [["DONE"] * 4] * 3
    first = d["episodes"][0]
    assert first["steps"] == 61 and len(first["rounds"]) == 20
    assert [m["turn"] for m in first["rounds"][0]["moves"]] == ["ask", "ask", "answer", "answer", "guess", "guess"]
    assert first["rounds"][0]["moves"][0]["text"] == "Is it a place?"  # GOOD_MAIN's question for round 1
    assert d["act_timeout_s"] == 60.0
    assert d["overage_left_min_s"] == 300.0
    assert d["gpu_offload"] is None  # no llama_cpp imported
    # GOOD_MAIN does not report its moves: who made them was not checked (a gap, not OK)
    assert report.verdict == "PASSED WITH GAPS"
    assert report.level(4).gaps[0].startswith("who made our moves, the model or a canned fallback, was not checked")
    assert [s.title.split(":")[0] for s in report.level(4).sections] == ["episode 1", "episode 2", "episode 3"]
    assert report.pages == tmp_path / "pages" / "index.html" and report.pages.is_file()
    assert f"the games, a page each: {report.pages}" in table
    print(table)
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == \
        ["episode-1.html", "episode-2.html", "episode-3.html", "index.html"]


#: A module head for agents that report each move through GGUF_AGENT_REPORT like the template.
REPORTER = """
import json as _json


def _report(**line):
    path = os.environ.get("GGUF_AGENT_REPORT")
    if path:
        with open(path, "a") as fh:
            fh.write(_json.dumps(line) + "\\n")


def _move(obs):
    if obs.turnType == "ask":
        return QUESTIONS[len(obs.questions) % len(QUESTIONS)]
    return "france" if obs.turnType == "guess" else "no"


"""


@pytest.mark.slow
@pytest.mark.network
def test_every_reported_move_is_attached_to_the_move_that_wrote_it(tmp_path: Path, profile: Profile,
                                                                   python: Path) -> None:
    """An honest reporting agent in the three line-ups (four copies included): each line is
    attached to the move of the seat that wrote it; nothing left unchecked: OK."""
    body = "_report(decided_by='model-' + obs.turnType, fallback='')\nreturn _move(obs)"
    archive = build_archive(tmp_path / "submission.tar.gz", _agent(body, REPORTER))
    report = verify(archive, profile, levels=(1, 2, 3, 4), python=python, play_timeout_s=600, episodes=3)
    table = format_table(report)
    assert report.verdict == "OK", table
    d = report.level(4).details
    ours = [m for e in d["episodes"] for r in e["rounds"] for m in r["moves"] if m["ours"]]
    assert len(ours) == 60 + 60 + 120 == d["agent_moves"]["reported"] == d["agent_moves"]["report_lines"]
    assert all(m["reported"] and m["decided_by"] == f"model-{m['turn']}" for m in ours)
    assert d["agent_moves"]["unattributed_lines"] == 0


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.parametrize(("body", "problem"), [
    ("_report(decided_by='fallback', fallback='error', error='ValueError: no model', "
     "load_error='ValueError: failed to load model from file')\nreturn _move(obs)",
     "an agent reported that its model did not load: ValueError: failed to load model from file"),
    ("if obs.turnType == 'answer':\n"
     "    _report(decided_by='fallback', fallback='error', error='RuntimeError: decode')\n"
     "else:\n    _report(decided_by='model', fallback='')\nreturn _move(obs)",
     "episode 1 round 1 (answer, seat 1): inference failed, a fallback move was played: RuntimeError: decode"),
    ("return _move(obs)",
     "none of our 60 moves was reported through GGUF_AGENT_REPORT, though the agent's code names that channel"),
], ids=["model-not-loaded", "inference-failed", "silent-reporter"])
def test_level4_fails_what_the_agent_said_went_wrong(tmp_path: Path, profile: Profile, python: Path, body: str,
                                                     problem: str) -> None:
    """Every move legal, every agent DONE: the level still fails, from the agent's own report."""
    archive = build_archive(tmp_path / "submission.tar.gz", _agent(body, REPORTER))
    report = verify(archive, profile, levels=(1, 2, 3, 4), python=python, play_timeout_s=600, episodes=1)
    r4 = report.level(4)
    assert [a == "DONE" for a in r4.details["episodes"][0]["statuses"]] == [True] * 4
    assert r4.status == "failed" and report.verdict == "FAILED", format_table(report)
    assert any(p.startswith(problem) for p in r4.problems), r4.problems


@pytest.mark.slow
@pytest.mark.network
def test_first_step_carries_the_load_time(tmp_path: Path, profile: Profile, python: Path) -> None:
    head = "import time\ntime.sleep(0.4)\n\n\n"
    report = _verify(
        tmp_path, profile, python, _agent("return 'no' if obs.turnType == 'answer' else 'a thing?'", head), (1, 2, 3, 4)
    )
    d = report.level(4).details
    assert not report.failed, format_table(report)
    assert d["model_load_s"] >= 0.4
    assert d["turn_max_s"] < 0.4


@pytest.mark.slow
@pytest.mark.network
def test_answer_maybe_fails_play(tmp_path: Path, profile: Profile, python: Path) -> None:
    body = "if obs.turnType == 'answer':\n    return 'maybe'\nreturn 'Is it a place?'"
    report = _verify(tmp_path, profile, python, _agent(body), (1, 2, 3, 4))
    r4 = report.level(4)
    assert report.level(3).status == "passed"
    assert r4.status == "failed", format_table(report)
    assert any("agent 3 (answerer) ended ERROR" in p for p in r4.problems)  # ours, beside a random guesser


@pytest.mark.slow
@pytest.mark.network
def test_answer_yes_with_punctuation_is_a_violation(tmp_path: Path, profile: Profile, python: Path) -> None:
    body = "if obs.turnType == 'answer':\n    return 'Yes.'\n"
    body += "return 'Is it a place?' if obs.turnType == 'ask' else 'x' * 101"
    r4 = _verify(tmp_path, profile, python, _agent(body), (1, 2, 3, 4)).level(4)
    text = "\n".join(r4.problems)
    assert "answer 'Yes.' is not exactly 'yes' or 'no'" in text
    assert "guess is 101 chars (limit 100)" in text


@pytest.mark.slow
@pytest.mark.network
def test_agent_raising_on_call_fails_play(tmp_path: Path, profile: Profile, python: Path) -> None:
    report = _verify(tmp_path, profile, python, _agent("raise ValueError('no model')"), (1, 2, 3, 4))
    r4 = report.level(4)
    assert report.level(3).status == "passed"
    assert r4.status == "failed"
    assert "ended ERROR" in r4.problems[0]
    assert "ValueError: no model" in r4.problems[0]


@pytest.mark.slow
@pytest.mark.network
def test_level3_failure_skips_play(tmp_path: Path, profile: Profile, python: Path) -> None:
    files = good_files(GOOD_MAIN + "\nraise SystemExit(3)\n")
    report = _verify(tmp_path, profile, python, files, (1, 2, 3, 4))
    assert report.level(3).status == "failed"
    assert report.level(4).summary == "skipped: level 3 failed"
