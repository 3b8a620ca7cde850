"""Progress: the library reports the long steps to an injected factory and draws nothing;
the terminal renderer is silent when stderr is not a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from factories.projects import mini_project

from builder.__main__ import main
from builder.layout import Project
from builder.pipeline import build
from builder.progress import CompileProgress, RecordingProgress, TerminalProgress, no_progress
from builder.spec import Overrides, resolve_spec


def test_build_reports_the_weights_bytes(tmp_path: Path) -> None:
    p = mini_project(tmp_path / "proj")
    rec = RecordingProgress()
    build(resolve_spec(Project(p["root"]), None, Overrides(model=p["model"])), progress=rec)
    [task] = rec.tasks
    size = p["model"].stat().st_size
    assert task.description == "archive: hashing and writing tiny-chat.gguf"
    assert (task.total, task.unit, task.completed, task.closed) == (size, "B", size, True)


def test_compile_lines_drive_a_task_and_pass_through() -> None:
    rec = RecordingProgress()
    seen: list[str] = []
    with CompileProgress(seen.append, rec) as log:
        log("wheels: building llama-cpp-python==0.3.36")
        assert rec.tasks == []
        log("wheels: compiling 10/200 (5%)")
        log("wheels: compiling 200/200 (100%)")
        log("wheels: Successfully built")
    [task] = rec.tasks
    assert (task.description, task.total, task.completed, task.unit, task.closed) == (
        "compiling llama-cpp-python", 200, 200, "files", True)
    assert len(seen) == 4  # every line still reaches the log


def test_no_progress_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    """The library's default progress draws nothing: a library never prints."""
    with no_progress("x", None, "B") as task:
        task.advance(5)
        task.update(3, 10)
    assert capsys.readouterr() == ("", "")


def test_terminal_progress_is_quiet_off_a_terminal() -> None:
    stream = io.StringIO()  # isatty() is False
    term = TerminalProgress(stream)
    assert not term.enabled
    with term("archive", 100, "B") as task:
        task.advance(100)
    assert stream.getvalue() == ""
    term.log("* hello")
    assert stream.getvalue() == "* hello\n"


def test_terminal_progress_draws_when_enabled() -> None:
    stream = io.StringIO()
    term = TerminalProgress(stream, enabled=True)
    with term("archive", 4 << 20, "B") as task:
        task.advance(2 << 20)
        task.update(4 << 20)
    drawn = stream.getvalue()
    assert "archive" in drawn and "4.00M" in drawn and "\r" in drawn
    term.log("* line")
    assert stream.getvalue().endswith("* line\n")


def test_cli_output_has_no_bars_when_captured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = mini_project(tmp_path / "proj")
    assert main(["--root", str(p["root"]), "build", "--model", str(p["model"])]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "* archive: writing submission.tar.gz" in err
