"""Finding the target interpreter: the running one when it matches, and an error that says
how to get one when there is none."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from builder.errors import InterpreterNotFound
from builder.util.interpreter import _candidates, find_target_python


def test_the_running_interpreter_is_the_target_when_it_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a Kaggle notebook (CPython 3.10 on Linux) no other interpreter is needed."""
    monkeypatch.delenv("TARGET_PYTHON", raising=False)
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert _candidates(mine)[0] == ("the running interpreter", Path(sys.executable))
    assert find_target_python(mine) == Path(sys.executable)
    other = "3.9" if mine != "3.9" else "3.8"
    assert all(origin != "the running interpreter" for origin, _ in _candidates(other))


def test_no_interpreter_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TARGET_PYTHON", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    with pytest.raises(InterpreterNotFound) as info:
        find_target_python("3.4")  # no CPython 3.4 anywhere
    message = str(info.value)
    assert "no CPython 3.4 found" in message
    for way in ("uv python install 3.4", "pyenv install 3.4", "TARGET_PYTHON=/path/to/python3.4"):
        assert way in message, message
