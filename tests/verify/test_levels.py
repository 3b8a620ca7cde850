"""verify as a table of levels, offline: the flow over :data:`builder.verify.levels.LEVELS`
(what each level needs, which run for another, what is skipped and why), and the verdicts
of levels 3 and 4 made from typed child results (no child, no runtime venv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from builder.profile import Profile
from builder.progress import no_progress
from builder.verify import levels
from builder.verify.child.verify_protocol import (
    AgentReport,
    ImportRequest,
    ImportResult,
    PlayRequest,
    PlayResult,
)
from builder.verify.levels import LEVELS, Level, Session, run_levels, scheduled
from builder.verify.report import ALL_LEVELS, LEVEL_NAMES, LevelResult, judged
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
    return {"agent_dir": str(agent), "main": str(agent / "main.py"), "preload": [], "env": {}, "runtime": [],
            "stubs": [], "llama_cpp": llama, "model": None}


def _imported(**extra: Any) -> ImportResult:
    res: ImportResult = {"native": _native(), "preload": {"modules": {}, "errors": []}, "load_s": 0.01,
                         "sys_path_head": [],
                         "agent": {"name": "agent", "module": None, "argcount": 2, "is_function": True}}
    res.update(extra)  # type: ignore[typeddict-item]
    return res


def test_level3_passes_a_loaded_agent(tmp_path: Path, profile: Profile) -> None:
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


def _agent(**over: Any) -> AgentReport:
    a: AgentReport = {"index": 0, "status": "DONE", "reward": 1, "role": "guesser", "durations": [0.5, 0.1, 0.2],
                      "overage_left": 300, "stderr": ""}
    a.update(over)  # type: ignore[typeddict-item]
    return a


def _played(*agents: AgentReport, violations: list[str] | None = None, turns: list[Any] | None = None) -> PlayResult:
    return {
        "native": _native(), "preload": {"modules": {}, "errors": []}, "kaggle_environments": "1.14.15",
        "episodes": [{"lineup": ["main.py", "random_answerer", "random_guesser", "main.py"], "agents": list(agents),
                      "violations": violations or [], "steps": 9, "keyword": "france", "category": "place",
                      "seconds": 2.0}],
        "latency": {"first_step_max_s": 0.5, "turn_median_s": 0.15, "turn_max_s": 0.2, "turns": 2},
        "agent_turns": {"turns": turns or [], "lines": len(turns or []), "bad_lines": 0},
    }


def _play_request() -> PlayRequest:
    return {"agent_dir": "/a", "main": "/a/main.py", "preload": [], "env": {}, "runtime": [], "stubs": [], "shims": "",
            "episodes": 1, "seed": 0}


def test_level4_passes_legal_play(tmp_path: Path, profile: Profile) -> None:
    turns = [{"agent": "a", "turn": "ask", "round": 1, "decided_by": "protocol", "fallback": ""}]
    result = level4(_child(tmp_path, _play_request(), _played(_agent(), _agent(index=3), turns=turns)), profile)
    assert result.status == "passed", result.problems
    assert result.details["episodes"][0]["statuses"] == ["DONE", "DONE"]
    latency = "model load (first step) 0.50s; turn latency median 0.15s, max 0.20s"
    assert any(n.startswith(latency) for n in result.notes), result.notes
    assert "agent turns: 1 (1 protocol)" in result.notes


@pytest.mark.parametrize(("played", "problem"), [
    (_played(_agent(status="ERROR", stderr="Traceback\nValueError: bad")),
     "episode 1 ('france'): agent 0 (guesser) ended ERROR: Traceback | ValueError: bad"),
    (_played(_agent(), violations=["agent 0 step 3 (answer): answer 'maybe' is not exactly 'yes' or 'no'"]),
     "episode 1 ('france'): agent 0 step 3 (answer): answer 'maybe' is not exactly 'yes' or 'no'"),
    (_played(_agent(), turns=[{"agent": "a", "load_error": "failed to load model"}]),
     "an agent reported that its model did not load: failed to load model"),
])
def test_level4_problems(tmp_path: Path, profile: Profile, played: PlayResult, problem: str) -> None:
    result = level4(_child(tmp_path, _play_request(), played), profile)
    assert result.status == "failed" and problem in result.problems, result.problems


def test_level4_with_no_episode_fails(tmp_path: Path, profile: Profile) -> None:
    played = _played()
    played["episodes"] = []
    assert level4(_child(tmp_path, _play_request(), played), profile).problems == ("play: no episode was played",)
