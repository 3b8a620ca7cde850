"""The host <-> child seam of verify levels 3-4 is the typed protocol, checked both ways:
what does not fit its ``TypedDict`` is said in words (a request by the child, a result by
the host), and the child's own programs speak it (run here by this interpreter: the child
is stdlib only)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from builder.profile import Profile
from builder.verify import runtime
from builder.verify.child.verify_protocol import (
    Crash,
    ImportRequest,
    ImportResult,
    ModelProbe,
    PlayResult,
    shape_problems,
)
from builder.verify.runtime import CHILD, Runtime, run_import
from builder.verify.verdicts import level3


@pytest.mark.parametrize(("value", "kind", "problems"), [
    ({"model": None, "error": ""}, ModelProbe, []),
    ({"model": "m.gguf", "error": "", "load_s": 1}, ModelProbe, []),  # an int is a float
    ({"error": ""}, ModelProbe, ["model: missing"]),
    ({"model": 5, "error": ""}, ModelProbe, ["model: 5 is not str or null"]),
    ({"model": None, "error": "", "load_s": True}, ModelProbe, ["load_s: True is not float"]),
    ({"model": None, "error": "", "extra": 1}, ModelProbe, ["extra: not a key of ModelProbe"]),
    ([], ModelProbe, ["the message: [] is not an object (ModelProbe)"]),
    ({"crash": "x"}, Crash, []),
])
def test_shape_problems(value: object, kind: Any, problems: list[str]) -> None:
    assert shape_problems(value, kind) == problems


def test_shape_problems_name_the_path_and_are_bounded() -> None:
    native = {"stubs": [], "real": {"libcuda.so.1": 7}, "errors": []}
    got = shape_problems({"native": native, "preload": {"modules": {}, "errors": []}, "load_s": 0.1,
                          "sys_path_head": ["a", 2]}, ImportResult)
    assert got == ["native.real.libcuda.so.1: 7 is not str", "sys_path_head[1]: 2 is not str"]
    many = shape_problems({"native": native, "preload": {"modules": {}, "errors": list(range(100))},
                           "load_s": 0.1, "sys_path_head": []}, ImportResult)
    assert len(many) == 5
    episodes = [{"lineup": [], "agents": [{"index": 0}], "violations": [], "steps": 1, "keyword": "k",
                 "category": "c", "seconds": 1.0, "rewards": [], "statuses": [], "rounds": []}]
    play = shape_problems({"native": native | {"real": {}}, "preload": {"modules": {}, "errors": []},
                           "kaggle_environments": "1.14.15", "episodes": episodes,
                           "latency": {"first_step_max_s": None, "turn_median_s": None, "turn_max_s": None,
                                       "turns": 0},
                           "agent_turns": {"lines": 0, "bad_lines": 0, "unattributed": 0}}, PlayResult)
    assert play[0] == "episodes[0].agents[0].durations: missing", play


def _runtime() -> Runtime:
    """This interpreter as the child's (the child is stdlib-only Python >= 3.10)."""
    return Runtime(root=Path(sys.prefix), python=Path(sys.executable), shims=runtime.SHIMS_DIR, requirements=(),
                   play=False, preload=())


def _agent_dir(tmp_path: Path, main: str) -> Path:
    agent = tmp_path / "kaggle_simulations" / "agent"
    agent.mkdir(parents=True)
    (agent / "main.py").write_text(main)
    return agent


def _request(agent: Path) -> ImportRequest:
    return {"agent_dir": str(agent), "main": str(agent / "main.py"), "preload": [], "stubs": [], "llama_cpp": False}


def test_the_child_answers_an_import_request_with_a_result_that_fits(tmp_path: Path, profile: Profile) -> None:
    agent = _agent_dir(tmp_path, "def helper():\n    pass\n\ndef agent(obs, cfg):\n    return 'no'\n")
    child = run_import(_runtime(), _request(agent), tmp_path / "run", timeout_s=60)
    assert child.failure() is None, (child.failure(), child.stderr_tail)
    assert child.result is not None and child.result["agent"]["name"] == "agent"
    assert level3(child, agent, profile).status == "passed"


def test_the_child_refuses_a_request_that_does_not_fit(tmp_path: Path) -> None:
    agent = _agent_dir(tmp_path, "def agent(obs, cfg):\n    return 'no'\n")
    request = cast(ImportRequest, {k: v for k, v in _request(agent).items() if k != "llama_cpp"})
    child = run_import(_runtime(), request, tmp_path / "run", timeout_s=60)
    assert child.result is None
    assert "the import request does not fit ImportRequest: llama_cpp: missing" in child.crash
    assert (child.failure() or "").startswith("the verify runner crashed: ")


def test_the_host_refuses_a_result_that_does_not_fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     profile: Profile) -> None:
    fake = tmp_path / "child"
    fake.mkdir()
    (fake / "__main__.py").write_text(
        "import json, sys\n"
        "json.dump({'native': {'stubs': [], 'real': {}, 'errors': []}, 'preload': {'modules': {}, 'errors': []},"
        " 'load_s': 'soon', 'sys_path_head': []}, open(sys.argv[3], 'w'))\n")
    monkeypatch.setattr(runtime, "CHILD", fake)
    agent = _agent_dir(tmp_path, "def agent(obs, cfg):\n    return 'no'\n")
    child = run_import(_runtime(), _request(agent), tmp_path / "run", timeout_s=60)
    assert child.result is None and child.misfit == ("load_s: 'soon' is not float",)
    verdict = level3(child, agent, profile)
    assert verdict.problems == ("main.py: the verify runner's result does not fit its protocol: "
                                "load_s: 'soon' is not float",)


def test_agent_report_lines_keep_only_values_that_fit(tmp_path: Path) -> None:
    lines = tmp_path / "turns.jsonl"
    raw = [
        json.dumps({"agent": "a", "turn": "ask", "round": 1, "load_error": None, "mine": 1}),
        json.dumps({"agent": "b", "round": "two", "load_error": "model failed"}),  # round of the wrong type
        "not json",
        json.dumps(["a list"]),
    ]
    lines.write_text("\n".join(raw) + "\n")
    code = ("import json, sys\nsys.path.insert(0, sys.argv[1])\nfrom verify_play import read_turns\n"
            "print(json.dumps(read_turns(sys.argv[2])))\n")
    proc = subprocess.run([sys.executable, "-I", "-c", code, str(CHILD), str(lines)], capture_output=True, text=True,
                          check=True)
    kept, report = json.loads(proc.stdout)
    assert kept == [  # each with the byte offset it starts at (what ties it to the move that wrote it)
        [0, {"agent": "a", "turn": "ask", "round": 1, "load_error": None}],
        [len(raw[0]) + 1, {"agent": "b", "load_error": "model failed"}],  # the load error is still seen
    ]
    assert report == {"lines": 4, "bad_lines": 3, "unattributed": 0}
