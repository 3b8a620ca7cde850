"""Atomic outputs and the locks builds take turns on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.progress import RecordingProgress
from builder.util.fs import atomic_path, exclusive, write_text_atomic

_HOLD = """
import sys, time
from pathlib import Path
from builder.util.fs import exclusive
with exclusive(Path(sys.argv[1]), waiting=print, what="a test"):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_holder_says_it_waits_and_for_whom(tmp_path: Path) -> None:
    lock = tmp_path / "build" / ".lock"
    child = subprocess.Popen([sys.executable, "-c", _HOLD, str(lock), "1.5"], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "holding"
    said: list[str] = []
    rec = RecordingProgress()
    t0 = time.monotonic()
    with exclusive(lock, waiting=said.append, what="the build of profile 'p'", progress=rec):
        waited = time.monotonic() - t0
    child.wait(timeout=30)
    child.stdout.close()
    assert waited > 0.5
    assert said == [f"waiting for the build of profile 'p' of another process (pid {child.pid}) to finish ({lock})"]
    [task] = rec.tasks  # the wait is a task: a live bar, or a line every 30 s off a terminal
    assert (task.description, task.total, task.closed) == (f"waiting for the build of profile 'p' (pid {child.pid})",
                                                           None, True)


def test_an_uncontended_lock_says_nothing(tmp_path: Path) -> None:
    said: list[str] = []
    rec = RecordingProgress()
    with exclusive(tmp_path / ".lock", waiting=said.append, what="x", progress=rec):
        pass
    assert said == [] and rec.tasks == []


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    out = write_text_atomic(tmp_path / "r.json", "old\n")
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed halfway")
    assert out.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
