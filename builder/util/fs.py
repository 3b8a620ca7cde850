"""Atomic outputs: a temp file beside the target, renamed over it only on success.

Every file the builder writes for a user (archive, manifest, report, lock, profile) goes
through here, so a failed or interrupted write leaves the previous file untouched and no
temp file behind.  Temp names start with ``.`` and carry the writer's pid
(``.NAME.PID.tmp``), so they are hidden and attributable: what a killed process left
(SIGKILL runs no cleanup) is removed by the next run's :func:`sweep_temps`, never a temp
whose writer may still be running.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: How much later than a temp's last change (ctime) its pid's process must have started to
#: be taken for a later process that reuses the pid: /proc gives the boot time in whole seconds.
START_SLACK_NS = 2_000_000_000
_TEMP_REST = re.compile(r"([0-9]{1,10})\.([A-Za-z0-9_-]+)")


def temp_path(target: Path, tag: str = "tmp") -> Path:
    """The temp name for ``target``: ``.NAME.PID.TAG`` in the same folder (same file system)."""
    return target.with_name(f".{target.name}.{os.getpid()}.{tag}")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces ``target``, on any error it is removed."""
    tmp = temp_path(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(target: Path, text: str) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def build_folder_once(final: Path, make: Callable[[Path], None]) -> Path:
    """``final``, made once by ``make(tmp)`` in a temp folder beside it and renamed into place
    with a ``.complete`` marker; concurrent callers take turns (flock), a failed or killed
    ``make`` leaves nothing the next call would trust."""
    marker = final / ".complete"
    if marker.is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with (final.parent / f".{final.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file():
            return final
        with temp_folder(final) as tmp:  # what a killed make() left is swept first
            make(tmp)
            (tmp / ".complete").write_text("ok\n", encoding="utf-8")
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
    return final


@contextmanager
def exclusive(lock_file: Path, *, waiting: Callable[[str], None], what: str) -> Iterator[None]:
    """Hold an exclusive flock on ``lock_file`` (made if missing) for the ``with`` body; when
    another process holds it, say so through ``waiting`` (naming its pid) and wait."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            owner = fh.read(32).strip() or "?"
            waiting(f"waiting for {what} of another process (pid {owner}) to finish ({lock_file})")
            fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield


@functools.cache
def _boot_time_s() -> int | None:
    try:
        with open("/proc/stat", "rb") as fh:
            for line in fh:
                if line.startswith(b"btime "):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def process_start_ns(pid: int) -> int | None:
    """When process ``pid`` started (ns since the epoch, to about a second), or None where
    that is unknown (no /proc, no such process)."""
    boot = _boot_time_s()
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
        ticks = int(raw[raw.rindex(b")") + 2 :].split()[19])  # field 22, starttime
    except (OSError, ValueError, IndexError):
        return None
    if boot is None:
        return None
    return boot * 10**9 + ticks * 10**9 // os.sysconf("SC_CLK_TCK")


def owner_may_live(pid: int, changed_ns: int) -> bool:
    """Whether the process that wrote a temp (``pid`` from its name; ``changed_ns`` its
    ctime, which nobody can set back) may still be running: a process ``pid`` exists and did
    not start after that change (one that did reuses the pid of a dead writer)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # a process of another user
    except (OverflowError, OSError):
        return False
    start = process_start_ns(pid)
    return start is None or start <= changed_ns + START_SLACK_NS


def lock_temp(fd: int) -> None:
    """Hold an flock on a temp being written (released when ``fd`` is closed, or its process
    dies): :func:`sweep_temps` never removes a locked temp, whatever its pid says."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # no flock on this file system: the pid check alone guards it


def sweep_temps(target: Path) -> list[Path]:
    """Remove the temp files and folders of ``target`` (``.NAME.PID.TAG``, see
    :func:`temp_path`) that dead processes left; return what was removed.

    A temp is kept while its pid runs a process that started before the temp last changed
    (:func:`owner_may_live`), or while its writer holds an flock on it (:func:`lock_temp`:
    a writer in another pid namespace); a symlink is removed, never followed."""
    prefix = f".{target.name}."
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(target.parent) if e.name.startswith(prefix)]
    except OSError:
        return removed
    for entry in entries:
        found = _TEMP_REST.fullmatch(entry.name[len(prefix) :])
        if found is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if owner_may_live(int(found.group(1)), st.st_ctime_ns):
            continue
        if _remove_unlocked(Path(entry.path), st):
            removed.append(Path(entry.path))
    return removed


def _remove_unlocked(path: Path, st: os.stat_result) -> bool:
    if stat.S_ISLNK(st.st_mode):
        path.unlink(missing_ok=True)
        return True
    folder = stat.S_ISDIR(st.st_mode)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_DIRECTORY if folder else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            return False  # replaced since it was looked at
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError:
            pass  # no flock on this file system: the pid check stands
        if folder:
            shutil.rmtree(path)
        else:
            path.unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


@contextmanager
def temp_folder(target: Path, tag: str = "tmp") -> Iterator[Path]:
    """A private folder ``.NAME.PID.TAG`` beside ``target`` (made after sweeping the ones
    dead processes left), flocked while the ``with`` body uses it and removed after it."""
    sweep_temps(target)
    path = temp_path(target, tag)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:  # left by an earlier process with this pid, unless it is ours and in use
        st = path.lstat()
        if not _remove_unlocked(path, st):
            raise
        path.mkdir(mode=0o700)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        lock_temp(fd)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def sweep_orphans(parent: Path, *, owner_file: str, lock_file: str) -> list[Path]:
    """Remove the folders under ``parent`` whose ``owner_file`` names a folder that no longer
    exists (a project deleted since its last build), unless a process holds their
    ``lock_file``; return them.  Folders without an owner file are left alone."""
    removed: list[Path] = []
    try:
        folders = sorted(p for p in parent.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return removed
    for folder in folders:
        try:
            owner = (folder / owner_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if not owner or Path(owner).is_dir():
            continue
        try:
            fd = os.open(folder / lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(folder)
    return removed
