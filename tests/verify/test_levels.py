"""verify as a table of levels, offline: the flow over :data:`builder.verify.levels.LEVELS`
(what each level needs, which run for another, what is skipped and why), and the verdicts
of levels 3 and 4 made from typed child results (no child, no runtime venv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from factories.plays import our_agent, play_move, play_request, play_round, played

from builder.profile import Profile
from builder.progress import no_progress
from builder.verify import levels
from builder.verify.child.verify_protocol import (
    ImportRequest,
    ImportResult,
    PlayResult,
)
from builder.verify.games import names_report_channel, observe
from builder.verify.levels import LEVELS, Level, Session, run_levels, scheduled
from builder.verify.report import ALL_LEVELS, LEVEL_NAMES, LevelResult, VerifyReport, format_table, judged, skipped
from builder.verify.runtime import ChildRun
from builder.verify.verdicts import level3, level4

# ------------------------------------------------------------------------ the table


def test_the_table_is_the_levels_of_the_report() -> None:
    assert tuple(level.number for level in LEVELS) == ALL_LEVELS == tuple(LEVEL_NAMES)
    assert {level.number: level.needs for level in LEVELS} == {1: (), 2: (1,), 3: (1,), 4: (1, 3)}
    assert {level.number: level.runtime for level in LEVELS} == {1: None, 2: None, 3: "import", 4: "play"}
    assert scheduled(frozenset({4})) == {1, 3, 4}
    assert scheduled(frozenset({2})) == {1, 2}
    assert scheduled(frozenset({1, 3})) == {1, 3}


def _fake_table(monkeypatch: pytest.MonkeyPatch, outcome: dict[int, str], *, opening: str | None = None
                ) -> tuple[list[int], list[int]]:
    """LEVELS replaced by levels of the same shape whose run records itself and whose
    verdict is ``outcome[n]``; the code levels' opening answers ``opening``."""
    ran: list[int] = []
    opened: list[int] = []

    def make(n: int) -> Level[int]:
        real = LEVELS[n - 1]

        def run(_s: Session) -> int:
            ran.append(n)
            return n

        def judge(m: int, _s: Session) -> LevelResult:
            return judged(m, ["broken"] if outcome.get(m) == "failed" else [], [], 0.0, {})

        return Level(number=n, needs=real.needs, runtime=real.runtime, run=run, judge=judge)

    def open_code(_s: Session) -> str | None:
        opened.append(1)
        return opening

    monkeypatch.setattr(levels, "LEVELS", tuple(make(n) for n in ALL_LEVELS))
    monkeypatch.setattr(levels, "open_code_levels", open_code)
    return ran, opened


def _session(profile: Profile, wanted: set[int]) -> Session:
    w = frozenset(wanted)
    return Session(archive=Path("a.tar.gz"), profile=profile, wanted=w, scheduled=scheduled(w), say=lambda _m: None,
                   tmp=Path("/nonexistent"), progress=no_progress, code=None)


def _summaries(s: Session) -> list[str]:
    return [s.results[n].summary for n in ALL_LEVELS]


def test_every_level_runs_in_order(monkeypatch: pytest.MonkeyPatch, profile: Profile) -> None:
    ran, opened = _fake_table(monkeypatch, {})
    s = _session(profile, {1, 2, 3, 4})
    run_levels(s)
    assert ran == [1, 2, 3, 4] and _summaries(s) == ["passed"] * 4
    assert len(opened) == 2  # asked by each code level (the real one opens once and remembers)
    assert set(s.timings) == {"level1", "level2", "level3", "level4"}


def test_a_needed_level_runs_for_the_one_asked_for(monkeypatch: pytest.MonkeyPatch, profile: Profile) -> None:
    ran, _ = _fake_table(monkeypatch, {})
    s = _session(profile, {4})
    run_levels(s)
    assert ran == [1, 3, 4]
    assert _summaries(s) == ["passed", "skipped: not requested", "passed", "passed"]
    assert s.results[3].notes == ("run because level 4 needs it",)


@pytest.mark.parametrize(("wanted", "expected"), [
    ({1, 2, 3, 4}, ["skipped: the archive was refused at level 1"] * 3),
    ({1, 2}, ["skipped: the archive was refused at level 1", "skipped: not requested", "skipped: not requested"]),
    ({4}, ["skipped: not requested", "skipped: not requested", "skipped: the archive was refused at level 1"]),
])
def test_a_refused_archive_skips_every_later_level(monkeypatch: pytest.MonkeyPatch, profile: Profile,
                                                   wanted: set[int], expected: list[str]) -> None:
    ran, opened = _fake_table(monkeypatch, {1: "failed"})
    s = _session(profile, wanted)
    run_levels(s)
    assert ran == [1] and not opened
    assert _summaries(s) == ["FAILED: broken", *expected]


def test_a_failed_level_3_skips_play(monkeypatch: pytest.MonkeyPatch, profile: Profile) -> None:
    ran, _ = _fake_table(monkeypatch, {3: "failed"})
    s = _session(profile, {4})
    run_levels(s)
    assert ran == [1, 3]
    assert _summaries(s)[2:] == ["FAILED: broken", "skipped: level 3 failed"]


@pytest.mark.parametrize(("wanted", "level3_says"), [({1, 2, 3, 4}, "skipped: WHY"), ({4}, "skipped: not requested")])
def test_the_code_levels_opening_skips_both_saying_why(monkeypatch: pytest.MonkeyPatch, profile: Profile,
                                                       wanted: set[int], level3_says: str) -> None:
    ran, _ = _fake_table(monkeypatch, {}, opening="WHY")
    s = _session(profile, wanted)
    run_levels(s)
    assert 3 not in ran and 4 not in ran
    assert _summaries(s)[2:] == [level3_says, "skipped: WHY"]


# ------------------------------------------------ levels 3 and 4 from typed results


def _native() -> Any:
    return {"stubs": [], "real": {}, "errors": []}


def _child(tmp_path: Path, request: Any, result: Any, **kw: Any) -> ChildRun[Any, Any]:
    stderr = tmp_path / "child.stderr"
    stderr.write_text("")
    fields: dict[str, Any] = {"returncode": 0, "timed_out": False, "stdout_tail": "", "stderr_tail": "",
                              "seconds": 0.5, "stderr_path": stderr, **kw}
    return ChildRun(request=request, result=result, **fields)


def _import_request(tmp_path: Path, llama: bool = False) -> ImportRequest:
    agent = tmp_path / "kaggle_simulations" / "agent"
    return {"agent_dir": str(agent), "main": str(agent / "main.py"), "preload": [], "stubs": [], "llama_cpp": llama}


def _imported(**extra: Any) -> ImportResult:
    res: ImportResult = {"native": _native(), "preload": {"modules": {}, "errors": []}, "load_s": 0.01,
                         "sys_path_head": [],
                         "agent": {"name": "agent", "module": None, "argcount": 2, "is_function": True}}
    res.update(extra)  # type: ignore[typeddict-item]
    return res


def test_level3_passes_a_loadedour_agent(tmp_path: Path, profile: Profile) -> None:
    result = level3(_child(tmp_path, _import_request(tmp_path), _imported()), tmp_path, profile)
    assert result.status == "passed", result.problems
    assert "llama_cpp: not vendored" in result.notes and result.details["agent"] == "agent"


@pytest.mark.parametrize(("extra", "problem"), [
    ({"load_error": "Traceback: boom"}, "main.py: loading it like Kaggle's agent.py raised:\nTraceback: boom"),
    ({"agent": {"name": "agent", "module": None, "argcount": 3, "is_function": True}},
     "main.py: the agent 'agent' takes 3 positional args; Kaggle passes (obs, cfg)"),
    ({"vendored": {"modules": {}, "errors": ["tinypkg: import tinypkg failed"]}},
     "lib/: tinypkg: import tinypkg failed"),
    ({"preload": {"modules": {}, "errors": ["numpy: not installed"]}}, "preload: numpy: not installed"),
])
def test_level3_problems(tmp_path: Path, profile: Profile, extra: dict[str, Any], problem: str) -> None:
    res = _imported(**extra)
    if "load_error" in extra:
        del res["agent"]
    result = level3(_child(tmp_path, _import_request(tmp_path), res), tmp_path, profile)
    assert result.status == "failed" and problem in result.problems, result.problems


def test_level3_wants_llama_cpp_from_the_archive(tmp_path: Path, profile: Profile) -> None:
    request = _import_request(tmp_path, llama=True)
    outside = _imported(llama_cpp={"file": "/usr/lib/python3/llama_cpp/__init__.py", "version": "0.3",
                                   "gpu_offload": False})
    result = level3(_child(tmp_path, request, outside), Path(request["agent_dir"]), profile)
    assert "llama_cpp was imported from /usr/lib/python3/llama_cpp/__init__.py, not from the archive's lib/" \
        in result.problems
    failed = level3(_child(tmp_path, request, _imported(llama_cpp_error="ImportError: libllama.so")),
                    Path(request["agent_dir"]), profile)
    assert "import llama_cpp from lib/ failed:\nImportError: libllama.so" in failed.problems


@pytest.mark.parametrize(("kw", "says"), [
    ({"crash": "Traceback: KeyError"}, "main.py: the verify runner crashed: Traceback: KeyError"),
    ({"misfit": ("load_s: missing",)},
     "main.py: the verify runner's result does not fit its protocol: load_s: missing"),
    ({"timed_out": True}, "main.py: did not finish in time"),
])
def test_level3_says_why_the_child_gave_nothing(tmp_path: Path, profile: Profile, kw: dict[str, Any],
                                               says: str) -> None:
    result = level3(_child(tmp_path, _import_request(tmp_path), None, **kw), tmp_path, profile)
    assert result.status == "failed" and result.problems[0].startswith(says), result.problems


def _level4(tmp_path: Path, profile: Profile, result: PlayResult | None, *, reporter: bool = True,
            **kw: Any) -> LevelResult:
    return level4(observe(_child(tmp_path, play_request(), result, **kw), reporter=reporter), profile)


def test_level4_passes_legal_play(tmp_path: Path, profile: Profile) -> None:
    result = _level4(tmp_path, profile, played(our_agent(), our_agent(index=3)))
    assert result.status == "passed" and not result.gaps, (result.problems, result.gaps)
    [game] = result.details["episodes"]
    assert game["statuses"] == ["DONE"] * 4 and game["ours"] == [0, 3] and game["keyword"] == "france"
    latency = "model load (first step) 0.50s; turn latency median 0.15s, max 0.20s"
    assert any(n.startswith(latency) for n in result.notes), result.notes
    assert "our moves: 6 reported (4 model, 2 rules)" in result.notes


def test_level4_shows_the_game(tmp_path: Path, profile: Profile) -> None:
    """The keyword, who sat where (ours marked), each round on one line with who decided
    each of our moves and why a fallback happened, the rewards and the outcome."""
    late = {"decided_by": "fallback", "fallback": "time", "budget_s": 1.25}
    rounds = [play_round(1), play_round(2, {"guess": late})]
    result = _level4(tmp_path, profile, played(our_agent(), our_agent(index=3), rounds=rounds))
    [section] = result.sections
    assert section.title == "episode 1: keyword 'france' (place), 61 steps, 2.0s"
    assert section.lines[:2] == (
        "team 1: main.py guesser (ours) + random_answerer: ended after round 2 (rewards -1, -1)",
        "team 2: random_guesser + main.py answerer (ours): ended after round 2 (rewards -1, -1)",
    )
    assert section.lines[3] == ('r2  T1 Q "Is it thing 2?" [model] A no G "guess 2" [fallback (time ran out: the turn '
                                'had 1.2s)] | T2 Q "Is it a place?" A yes [rules] G "banana"')
    assert "1 move(s) fell back to a canned move because the turn's time ran out" in result.notes
    assert "our moves: 6 reported (1 fallback: time, 3 model, 2 rules)" in result.notes
    move = result.details["episodes"][0]["rounds"][1]["moves"][4]
    assert (move["decided_by"], move["fallback"]) == ("fallback", "time")
    assert move["why"] == "time ran out: the turn had 1.2s"
    table = format_table(_report(_passed(1), _passed(2), _passed(3), result))
    assert "\n\nlevel 4 (play): episode 1: keyword 'france' (place), 61 steps, 2.0s\n  team 1: main.py" in table


def test_the_outcome_of_each_team(tmp_path: Path, profile: Profile) -> None:
    rounds = [play_round(1), play_round(2)]
    rounds[1]["moves"][4] = play_move(6, 0, "guess", "France", {"decided_by": "model", "fallback": ""}, correct=True)
    result = played(our_agent(), our_agent(index=3), rounds=rounds)
    result["episodes"][0]["rewards"] = [19, 19, 0, 0]
    teams = _level4(tmp_path, profile, result).details["episodes"][0]["teams"]
    assert [t["outcome"] for t in teams] == ["won: named the keyword in round 2",
                                             "lost: the other team named the keyword first (round 2)"]
    result["episodes"][0]["statuses"] = ["DONE", "DONE", "DONE", "ERROR"]
    teams = _level4(tmp_path, profile, result).details["episodes"][0]["teams"]
    assert teams[1]["outcome"] == "lost: its answerer (main.py) ended ERROR"


@pytest.mark.parametrize(("played", "problem"), [
    (played(our_agent(status="ERROR", stderr="Traceback\nValueError: bad")),
     "episode 1 ('france'): agent 0 (guesser) ended ERROR: Traceback | ValueError: bad"),
    (played(our_agent(), violations=["agent 0 step 3 (answer): answer 'maybe' is not exactly 'yes' or 'no'"]),
     "episode 1 ('france'): agent 0 step 3 (answer): answer 'maybe' is not exactly 'yes' or 'no'"),
])
def test_level4_problems(tmp_path: Path, profile: Profile, played: PlayResult, problem: str) -> None:
    result = _level4(tmp_path, profile, played)
    assert result.status == "failed" and problem in result.problems, result.problems


# ------------------------ level 4 cannot pass a model that failed, or moves nobody reported


def test_level4_fails_an_agent_whose_model_did_not_load(tmp_path: Path, profile: Profile) -> None:
    """Every move legal (canned fallbacks), yet the model never loaded: FAILED."""
    broken = {"decided_by": "fallback", "fallback": "error", "error": "ValueError: failed to load model",
              "load_error": "ValueError: failed to load model from file"}
    rounds = [play_round(n, {"ask": broken, "guess": broken}) for n in (1, 2)]
    result = _level4(tmp_path, profile, played(our_agent(), our_agent(index=3), rounds=rounds))
    assert result.status == "failed"
    assert result.problems == ("an agent reported that its model did not load: ValueError: failed to load model "
                               "from file",)
    move = result.details["episodes"][0]["rounds"][0]["moves"][0]
    assert move["why"] == "the model did not load: ValueError: failed to load model from file"


def test_level4_fails_an_agent_that_reported_an_inference_failure(tmp_path: Path, profile: Profile) -> None:
    failed = {"decided_by": "fallback", "fallback": "error", "error": "RuntimeError: llama_decode returned -3"}
    rounds = [play_round(1, {"answer": failed})]
    result = _level4(tmp_path, profile, played(our_agent(), our_agent(index=3), rounds=rounds))
    assert result.status == "failed"
    assert result.problems == ("episode 1 round 1 (answer, seat 3): inference failed, a fallback move was played: "
                               "RuntimeError: llama_decode returned -3",)
    assert result.details["agent_moves"]["inference_failures"] == 1


def test_level4_fails_a_reporting_agent_that_reported_nothing(tmp_path: Path, profile: Profile) -> None:
    """An agent whose code names GGUF_AGENT_REPORT (the builder's template) but wrote no line."""
    silent = [play_round(n, {"ask": None, "answer": None, "guess": None}) for n in (1, 2)]
    result = _level4(tmp_path, profile, played(our_agent(), our_agent(index=3), rounds=silent), reporter=True)
    assert result.status == "failed"
    assert result.problems == ("none of our 6 moves was reported through GGUF_AGENT_REPORT, though the agent's code "
                               "names that channel: whether the model made them or a canned fallback did is unknown",)


def test_level4_fails_a_reporting_agent_that_left_moves_out(tmp_path: Path, profile: Profile) -> None:
    partly = [play_round(1), play_round(2, {"guess": None})]
    result = _level4(tmp_path, profile, played(our_agent(), our_agent(index=3), rounds=partly), reporter=True)
    assert result.status == "failed" and result.problems[0].startswith(
        "1 of our 6 moves were not reported through GGUF_AGENT_REPORT, though the agent's code names that channel")
    assert 'G "guess 2" [not reported]' in result.sections[0].lines[3]


def test_an_agent_that_does_not_report_is_a_gap_never_a_plain_pass(tmp_path: Path, profile: Profile) -> None:
    """Any honest agent may not report its moves: then who made them was not checked (a gap,
    so the verdict is PASSED WITH GAPS, never OK)."""
    silent = [play_round(n, {"ask": None, "answer": None, "guess": None}) for n in (1, 2)]
    result = _level4(tmp_path, profile, played(our_agent(), our_agent(index=3), rounds=silent), reporter=False)
    assert result.status == "passed" and result.summary == "passed with 1 gap"
    assert result.gaps == ("who made our moves, the model or a canned fallback, was not checked: none of our 6 moves "
                           "was reported through GGUF_AGENT_REPORT (the agent does not use that channel; the "
                           "builder's template does)",)
    assert _report(_passed(1), _passed(2), _passed(3), result).verdict == "PASSED WITH GAPS"


def test_level4_with_no_episode_fails(tmp_path: Path, profile: Profile) -> None:
    result = played()
    result["episodes"] = []
    assert _level4(tmp_path, profile, result).problems == ("play: no episode was played",)


# ---------------------------------------------------------------------- the verdict


def _report(*results: LevelResult) -> VerifyReport:
    return VerifyReport(archive=Path("a.tar.gz"), profile="kaggle-2024", levels=results, timings={})


def _passed(n: int, gaps: tuple[str, ...] = ()) -> LevelResult:
    return judged(n, [], [], 0.0, {}, gaps=gaps)


def test_ok_only_when_every_level_ran_and_passed_with_no_gap() -> None:
    report = _report(*(_passed(n) for n in ALL_LEVELS))
    assert (report.verdict, report.gaps, report.ok) == ("OK", (), True)
    assert format_table(report).endswith("\n\nOK")


def test_a_skipped_level_or_a_gap_is_passed_with_gaps_each_on_a_line() -> None:
    report = _report(_passed(1, ("no MANIFEST.json: hashes not checked",)), _passed(2), _passed(3),
                     skipped(4, "not requested"))
    assert report.verdict == "PASSED WITH GAPS" and not report.ok and not report.failed
    assert report.gaps == ("level 1 (archive): no MANIFEST.json: hashes not checked",
                           "level 4 (play) not run: not requested")
    assert report.level(1).summary == "passed with 1 gap"
    assert format_table(report).endswith("\n\nPASSED WITH GAPS\n  - level 1 (archive): no MANIFEST.json: hashes not "
                                         "checked\n  - level 4 (play) not run: not requested")
    doc = report.to_json()
    assert (doc["verdict"], doc["ok"], doc["gaps"]) == ("PASSED WITH GAPS", False, list(report.gaps))
    assert doc["levels"][0]["gaps"] == ["no MANIFEST.json: hashes not checked"]


def test_a_failed_level_is_failed_whatever_else() -> None:
    report = _report(_passed(1), judged(2, ["broken"], [], 0.0, {}), _passed(3), skipped(4, "level 3 failed"))
    assert report.verdict == "FAILED" and report.failed
    assert report.to_json()["verdict"] == "FAILED"


def test_whether_the_agents_code_names_the_report_channel(tmp_path: Path) -> None:
    """The agent's own modules count, not lib/'s, and no link is followed."""
    agent = tmp_path / "agent"
    (agent / "lib" / "pkg").mkdir(parents=True)
    (agent / "main.py").write_text("def agent(obs, cfg):\n    return 'no'\n")
    (agent / "lib" / "pkg" / "x.py").write_text("GGUF_AGENT_REPORT = 1\n")
    outside = tmp_path / "outside.py"
    outside.write_text("import os\nos.environ['GGUF_AGENT_REPORT']\n")
    (agent / "linked.py").symlink_to(outside)
    assert not names_report_channel(agent, "GGUF_AGENT_REPORT")
    (agent / "agent20q").mkdir()
    (agent / "agent20q" / "agent.py").write_text('REPORT_ENV = "GGUF_AGENT_REPORT"\n')
    assert names_report_channel(agent, "GGUF_AGENT_REPORT")
