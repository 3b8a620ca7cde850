"""Atomic outputs: a temp file beside the target, renamed over it only on success.

Every file the builder writes for a user (archive, manifest, report, lock, profile) goes
through here, so a failed or interrupted write leaves the previous file untouched and no
temp file behind.  Temp names start with ``.`` and carry the writer's pid
(``.NAME.PID.tmp``), so they are hidden and attributable.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


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
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
        try:
            make(tmp)
            (tmp / ".complete").write_text("ok\n", encoding="utf-8")
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
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
