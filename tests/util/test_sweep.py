"""Temps of killed processes are swept by the next run; a live writer's never are."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.util import fs
from builder.util.fs import owner_may_live, process_start_ns, sweep_temps, temp_path


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_dead_writers_files_and_folders_are_swept(tmp_path: Path) -> None:
    target = tmp_path / "submission.tar.gz"
    dead = _dead_pid()
    big = tmp_path / f".submission.tar.gz.{dead}.tmp"
    big.write_bytes(b"x" * 4096)
    folder = tmp_path / f".submission.tar.gz.{dead}.unpack"
    (folder / "lib").mkdir(parents=True)
    (folder / "lib" / "a.so").write_bytes(b"\x7fELF")
    outside = tmp_path / "keep.txt"
    outside.write_text("keep")
    link = tmp_path / f".submission.tar.gz.{dead}.link"
    link.symlink_to(outside)
    assert sorted(p.name for p in sweep_temps(target)) == sorted(p.name for p in (big, folder, link))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    assert outside.read_text() == "keep"  # the link went, not what it pointed at


def test_other_names_are_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "out"
    dead = _dead_pid()
    names = [f".out.{dead}", f".out.x{dead}.tmp", f".out.{dead}.tmp.x", f".outx.{dead}.tmp", f"out.{dead}.tmp",
             ".out.pending", f"..out.{dead}.tmp"]
    for n in names:
        (tmp_path / n).write_text("x")
    assert sweep_temps(target) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert sweep_temps(tmp_path / ".out.pending") == []  # the temps of a hidden target start with '..'
    (tmp_path / f"..out.pending.{dead}.tmp").write_text("x")
    assert [p.name for p in sweep_temps(tmp_path / ".out.pending")] == [f"..out.pending.{dead}.tmp"]


def test_a_live_writers_temp_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "submission.tar.gz"
    mine = temp_path(target)
    mine.write_text("being written")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.05)
        theirs = tmp_path / f".submission.tar.gz.{child.pid}.tmp"
        theirs.write_text("being written")  # after the process started: it may be its writer
        assert sweep_temps(target) == []
        assert mine.exists() and theirs.exists()
    finally:
        child.kill()
        child.wait()
    assert [p.name for p in sweep_temps(target)] == [theirs.name]


def test_a_reused_pid_is_not_taken_for_the_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A temp whose pid now runs a process that started after the temp last changed: the
    writer died and its pid was given to another process."""
    target = tmp_path / "out"
    stale = tmp_path / f".out.{os.getpid()}.tmp"
    stale.write_text("from a previous process with this pid")
    changed = stale.stat().st_ctime_ns
    assert owner_may_live(os.getpid(), changed)
    monkeypatch.setattr(fs, "process_start_ns", lambda _pid: changed + fs.START_SLACK_NS + 1)
    assert not owner_may_live(os.getpid(), changed)
    assert sweep_temps(target) == [stale]


def test_a_locked_temp_is_kept_whatever_its_pid(tmp_path: Path) -> None:
    """A writer in another pid namespace looks dead by its pid; its flock still says no."""
    target = tmp_path / "out"
    temp = tmp_path / f".out.{_dead_pid()}.tmp"
    temp.write_text("x")
    with temp.open("rb") as held:
        fs.lock_temp(held.fileno())
        assert sweep_temps(target) == []
        assert temp.exists()
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    assert sweep_temps(target) == [temp]


def test_process_start_time_is_about_right() -> None:
    t0 = time.time_ns()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        start = process_start_ns(child.pid)
    finally:
        child.kill()
        child.wait()
    assert start is not None
    assert t0 - fs.START_SLACK_NS <= start <= time.time_ns() + fs.START_SLACK_NS
    assert process_start_ns(_dead_pid()) is None


def test_a_temp_folder_is_private_locked_and_removed(tmp_path: Path) -> None:
    target = tmp_path / "verify"
    leftover = tmp_path / f".verify.{_dead_pid()}.unpack"
    (leftover / "agent").mkdir(parents=True)
    with fs.temp_folder(target, "unpack") as folder:
        assert folder == temp_path(target, "unpack") and folder.is_dir()
        assert not leftover.exists()  # a dead process's folder went first
        (folder / "main.py").write_text("x")
        with pytest.raises(BlockingIOError):  # held: a sweeper in another pid namespace keeps off
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            finally:
                os.close(fd)
    assert sorted(tmp_path.iterdir()) == []


def test_a_staging_folder_is_removed_once_its_project_is_gone_and_unlocked(tmp_path: Path) -> None:
    stages = tmp_path / "stage"
    project = tmp_path / "proj"
    project.mkdir()
    kept, gone, busy, unowned = (stages / n for n in ("kept", "gone", "busy", "unowned"))
    for folder, owner in ((kept, project), (gone, tmp_path / "deleted"), (busy, tmp_path / "deleted")):
        (folder / "lib").mkdir(parents=True)
        (folder / "project").write_text(f"{owner}\n")
    (unowned / "lib").mkdir(parents=True)
    with (busy / ".lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a build of it is running
        assert fs.sweep_orphans(stages, owner_file="project", lock_file=".lock") == [gone]
    assert sorted(p.name for p in stages.iterdir()) == ["busy", "kept", "unowned"]
    assert fs.sweep_orphans(stages, owner_file="project", lock_file=".lock") == [busy]
    assert fs.sweep_orphans(tmp_path / "missing", owner_file="project", lock_file=".lock") == []


_KILLED_MAKER = """
import sys, time
from pathlib import Path
from builder.util.fs import build_folder_once
def make(tmp):
    (tmp / "half.bin").write_bytes(b"x" * 65536)
    print("making", flush=True)
    time.sleep(60)
build_folder_once(Path(sys.argv[1]), make)
"""


def test_a_cache_folder_whose_maker_was_killed_is_swept_by_the_next_maker(tmp_path: Path) -> None:
    """The cache's once-made folders (toolkit, sysroot, stubs; the wheel build and the verify
    runtime use the same temp_folder): a SIGKILLed maker's half-made folder is gone once
    the next one has run, and what it made is the only folder left."""
    final = tmp_path / "cache" / "tools" / "thing"
    child = subprocess.Popen([sys.executable, "-c", _KILLED_MAKER, str(final)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "making"
    child.kill()
    child.communicate()
    left = [p.name for p in final.parent.iterdir() if p.is_dir()]
    assert left == [f".thing.{child.pid}.tmp"], left  # SIGKILL: nothing could clean up

    def make(tmp: Path) -> None:
        (tmp / "done.txt").write_text("ok")

    fs.build_folder_once(final, make)
    assert sorted(p.name for p in final.parent.iterdir()) == [".thing.lock", "thing"]
    assert (final / "done.txt").read_text() == "ok" and (final / ".complete").is_file()
