"""The archive and its sidecar replaced as a pair, and what a killed build left put right.

Two files cannot be renamed at once, so the replacement is journalled (the pending record:
:class:`.journal.Journal`, its one owner; the sidecar's name: :mod:`.contract`):

1. the new archive is complete in its temp file (``.NAME.PID.tmp``, flocked while written);
2. the journal records (atomically) the new sidecar and the temp's inode (:meth:`~.journal.Journal.begin`);
3. the temp is renamed over the archive: the commit point;
4. the sidecar is written (atomically) from the record, and the record removed
   (:meth:`~.journal.Journal.finish`).

Killed before 3 (SIGKILL included), the previous archive and sidecar are untouched; after
it, the record describes the archive in place (readers take it:
:meth:`~.journal.Journal.in_force`), and :func:`recover`, run by the next build before
anything else, settles it.  The replacement holds the journal's lock from 2 to 4 and so
does :func:`recover`, so a record it sees is never that of a build still running.  Then
:func:`recover` sweeps the temps of dead builds (:func:`builder.util.fs.sweep_temps`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..util.fs import sweep_temps
from .contract import pair_journal, report_path


def install(out: Path, tmp: Path, fd: int, sidecar_text: str) -> None:
    """Rename ``tmp`` (open as ``fd``, complete) over ``out`` and write its sidecar, as a pair.

    On an error before the rename the record is removed (the caller removes ``tmp``);
    after it the pair is finished here if possible, else by the next :func:`recover`."""
    pair = pair_journal(out)
    with pair.locked():
        record = pair.begin(tmp, fd, sidecar_text)
        try:
            os.replace(tmp, out)
        except BaseException:
            pair.clear()
            raise
        try:
            pair.finish(record)
        except BaseException:
            try:
                pair.settle()
            except OSError:
                pass  # the record stays: readers take it, the next build finishes
            raise


def recover(out: Path) -> list[Path]:
    """Finish or undo a replacement of ``out`` that a killed build left, then remove the
    temps dead builds left beside ``out`` (archive, sidecar, report, record); return them."""
    pair = pair_journal(out)
    with pair.locked():
        pair.settle()
        removed: list[Path] = []
        for target in (out, pair.sidecar, report_path(out), pair.path):
            removed += sweep_temps(target)
    return removed
