"""The journal of a pair replacement: the one owner of the pending record.

An archive and its sidecar cannot be renamed at once, so their replacement is journalled
in a record beside the archive, ``.NAME.pending`` (JSON, format :data:`PENDING_FORMAT`):
the new sidecar's text and the device and inode of the new archive's temp file, which the
rename keeps.  The record decides which pair is in force:

* no record, an unreadable one, or one that names another inode (the archive was never
  renamed into place): the archive and the sidecar file beside it;
* a record that names the archive's inode (the archive is in place, its sidecar not yet):
  the archive and the sidecar text the record holds.

Everything that writes, reads, clears or interprets the record is a method of
:class:`Journal`: :mod:`.replace` begins, finishes or clears it around the archive's
rename and settles what a killed build left; :func:`.contract.check_sidecar` asks which
sidecar is in force.  Writers hold an flock on the output folder (:meth:`Journal.locked`)
from :meth:`~Journal.begin` to :meth:`~Journal.finish` and while they settle, so a record
that :meth:`~Journal.settle` sees is never that of a build still running.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..util.fs import write_text_atomic

PENDING_FORMAT = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending:
    """An unfinished replacement: the new archive (its temp name, device and inode, which
    the rename keeps) and the sidecar text that describes it."""

    temp: str
    dev: int
    ino: int
    sidecar: str

    def text(self) -> str:
        """The record file's exact text."""
        return json.dumps({"format": PENDING_FORMAT, "temp": self.temp, "dev": self.dev, "ino": self.ino,
                           "sidecar": self.sidecar}, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class Journal:
    """The pending record of replacing ``archive`` and ``sidecar`` (the file that describes
    it; its name is :mod:`.contract`'s) as a pair."""

    archive: Path
    sidecar: Path

    @property
    def path(self) -> Path:
        """The record: hidden, beside the archive (``.NAME.pending``)."""
        return self.archive.with_name(f".{self.archive.name}.pending")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """An exclusive flock on the output folder itself (no lock file is left in it) for
        the ``with`` body; where the folder cannot be locked, the body runs unlocked."""
        try:
            fd = os.open(self.archive.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            yield
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                pass
            yield
        finally:
            os.close(fd)

    def begin(self, temp: Path, fd: int, sidecar_text: str) -> Pending:
        """Record (atomically) that ``temp``, complete and open as ``fd``, is about to be
        renamed over the archive and that ``sidecar_text`` describes it."""
        st = os.fstat(fd)
        record = Pending(temp=temp.name, dev=st.st_dev, ino=st.st_ino, sidecar=sidecar_text)
        write_text_atomic(self.path, record.text())
        return record

    def read(self) -> Pending | None:
        """The record; None when there is none or it is unreadable (then it speaks for nothing)."""
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if doc.get("format") != PENDING_FORMAT:
                return None
            return Pending(temp=str(doc["temp"]), dev=int(doc["dev"]), ino=int(doc["ino"]),
                           sidecar=str(doc["sidecar"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def installed(self, record: Pending) -> bool:
        """Whether the archive is the file ``record`` names (it was renamed into place)."""
        try:
            st = os.stat(self.archive)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == (record.dev, record.ino)

    def finish(self, record: Pending) -> None:
        """The archive ``record`` names is in place: write its sidecar, then drop the record."""
        write_text_atomic(self.sidecar, record.sidecar)
        self.path.unlink(missing_ok=True)

    def clear(self) -> None:
        """Drop the record (the archive it names never got into place)."""
        self.path.unlink(missing_ok=True)

    def settle(self) -> None:
        """Under :meth:`locked`: a record whose archive is in place is finished; one whose
        archive never got there (its temp is swept as a dead build's) is dropped."""
        if not self.path.exists():
            return
        record = self.read()
        if record is not None and self.installed(record):
            self.finish(record)
        else:
            self.clear()

    def in_force(self) -> tuple[str, str] | None:
        """The sidecar that describes the archive now, as (where it was found, its text): the
        record's, when it names the archive in place, else the file beside it.  None when
        there is none; OSError when it cannot be read."""
        record = self.read()
        if record is not None and self.installed(record):
            return self.path.name, record.sidecar
        try:
            return self.sidecar.name, self.sidecar.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
