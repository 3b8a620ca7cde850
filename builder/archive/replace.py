"""The archive and its sidecar replaced as a pair, and what a killed build left put right.

Two files cannot be renamed at once, so the replacement is journalled (names and format:
:mod:`.contract`):

1. the new archive is complete in its temp file (``.NAME.PID.tmp``, flocked while written);
2. ``.NAME.pending`` is written (atomically): the new sidecar and the temp's inode;
3. the temp is renamed over the archive: the commit point;
4. the sidecar is written (atomically) from the record, and the record removed.

Killed before 3 (SIGKILL included), the previous archive and sidecar are untouched; after
it, the record describes the archive in place (readers take it, :func:`~.contract.sidecar_in_force`),
and :func:`recover`, run by the next build before anything else, writes the sidecar. The
replacement holds an flock on the output folder from 2 to 4 and so does :func:`recover`,
so a record it sees is never that of a build still running.  Then :func:`recover` sweeps
the temps of dead builds (:func:`builder.util.fs.sweep_temps`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..util.fs import folder_lock, sweep_temps, write_text_atomic
from .contract import Pending, is_installed, pending_path, pending_text, read_pending, report_path, sidecar_path


def install(out: Path, tmp: Path, fd: int, sidecar_text: str) -> None:
    """Rename ``tmp`` (open as ``fd``, complete) over ``out`` and write its sidecar, as a pair.

    On an error before the rename the record is removed (the caller removes ``tmp``);
    after it the pair is finished here if possible, else by the next :func:`recover`."""
    pending = pending_path(out)
    sidecar = sidecar_path(out)
    st = os.fstat(fd)
    with folder_lock(out.parent):
        write_text_atomic(pending, pending_text(Pending(temp=tmp.name, dev=st.st_dev, ino=st.st_ino,
                                                         sidecar=sidecar_text)))
        committed = False
        try:
            os.replace(tmp, out)
            committed = True
            write_text_atomic(sidecar, sidecar_text)
            pending.unlink()
        except BaseException:
            if not committed:
                pending.unlink(missing_ok=True)
            else:
                try:
                    _settle(out)
                except OSError:
                    pass  # the record stays: readers take it, the next build finishes
            raise


def recover(out: Path) -> list[Path]:
    """Finish or undo a replacement of ``out`` that a killed build left, then remove the
    temps dead builds left beside ``out`` (archive, sidecar, report, record); return them."""
    with folder_lock(out.parent):
        _settle(out)
        removed: list[Path] = []
        for target in (out, sidecar_path(out), report_path(out), pending_path(out)):
            removed += sweep_temps(target)
    return removed


def _settle(out: Path) -> None:
    """Under the folder lock: a record whose archive is in place gets its sidecar written;
    one whose archive never got there (its temp is swept as a dead build's) is dropped."""
    pending = pending_path(out)
    if not pending.exists():
        return
    record = read_pending(out)
    if record is not None and is_installed(out, record):
        write_text_atomic(sidecar_path(out), record.sidecar)
    pending.unlink(missing_ok=True)
