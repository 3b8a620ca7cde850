"""The pending record of a pair replacement has one owner, the journal: it writes, reads and
clears the record and says which sidecar is in force; verify and the next build ask it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from factories.archives import write_pair

from builder.archive import check_output_dir, sidecar_path
from builder.archive.contract import pair_journal
from builder.archive.journal import Journal, Pending
from builder.verify.scan import scan_archive


def _stopped_between_the_renames(tmp_path: Path) -> tuple[Path, str, str]:
    """A new archive in place beside the previous sidecar (what a build killed between the
    renames leaves, less the record): the archive, the old and the new sidecar's text."""
    out = write_pair(tmp_path)
    old_sidecar = sidecar_path(out).read_text()
    write_pair(tmp_path, executable=True)
    new_sidecar = sidecar_path(out).read_text()
    sidecar_path(out).write_text(old_sidecar)
    assert not scan_archive(out).ok
    return out, old_sidecar, new_sidecar


def test_a_pending_record_speaks_only_for_the_archive_it_names(tmp_path: Path) -> None:
    """A build stopped between its two renames: the record holds the new sidecar and the
    new archive's inode; a record for another inode (the rename never happened) is ignored."""
    out, _old, new_sidecar = _stopped_between_the_renames(tmp_path)
    journal = pair_journal(out)
    st = os.stat(out)
    journal.path.write_text(Pending(temp="x", dev=st.st_dev, ino=st.st_ino, sidecar=new_sidecar).text())
    scan = scan_archive(out)
    assert scan.ok and any(f"held by {journal.path.name}" in n for n in scan.notes), (scan.problems, scan.notes)
    journal.path.write_text(Pending(temp="x", dev=st.st_dev, ino=st.st_ino + 1, sidecar=new_sidecar).text())
    assert not scan_archive(out).ok
    journal.path.write_text(Pending(temp="x", dev=st.st_dev, ino=st.st_ino, sidecar=new_sidecar).text())
    check_output_dir(out)  # the next build finishes the replacement
    assert sidecar_path(out).read_text() == new_sidecar and not journal.path.exists()
    assert scan_archive(out).ok


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", '{"format": 2, "temp": "x", "dev": 0, "ino": 0, "sidecar": "{}"}', '{"format": 1}',
     '{"format": 1, "temp": "x", "dev": "d", "ino": 0, "sidecar": "{}"}'],
    ids=["empty", "not-json", "a-list", "another-format", "no-fields", "bad-device"],
)
def test_an_unreadable_record_speaks_for_nothing_and_the_next_build_drops_it(tmp_path: Path, text: str) -> None:
    out, old_sidecar, _new = _stopped_between_the_renames(tmp_path)
    journal = pair_journal(out)
    journal.path.write_text(text)
    assert journal.read() is None
    assert journal.in_force() == (sidecar_path(out).name, old_sidecar)
    assert not scan_archive(out).ok  # the file beside the archive speaks, and it is the old one
    check_output_dir(out)
    assert not journal.path.exists() and sidecar_path(out).read_text() == old_sidecar


def test_begin_finish_and_what_is_in_force_at_each_step(tmp_path: Path) -> None:
    """The steps :mod:`builder.archive.replace` takes, one by one: the record names the temp's
    inode, speaks only once the temp is the archive, and is gone once the sidecar is written."""
    out = write_pair(tmp_path)
    old_sidecar = sidecar_path(out).read_text()
    journal = Journal(archive=out, sidecar=sidecar_path(out))
    assert journal.path == tmp_path / ".submission.tar.gz.pending" and journal.read() is None
    tmp = tmp_path / ".submission.tar.gz.123.tmp"
    tmp.write_bytes(b"the new archive")
    fd = os.open(tmp, os.O_RDONLY)
    try:
        with journal.locked():
            record = journal.begin(tmp, fd, "new sidecar\n")
            assert journal.read() == record and record.temp == tmp.name
            assert (record.dev, record.ino) == (os.fstat(fd).st_dev, os.fstat(fd).st_ino)
            assert not journal.installed(record)
            assert journal.in_force() == (sidecar_path(out).name, old_sidecar)  # before the commit point
            os.replace(tmp, out)
            assert journal.installed(record)
            assert journal.in_force() == (journal.path.name, "new sidecar\n")  # after it
            journal.finish(record)
    finally:
        os.close(fd)
    assert not journal.path.exists() and journal.in_force() == (sidecar_path(out).name, "new sidecar\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.gguf", "main.py", "submission.manifest.json",
                                                          "submission.tar.gz"]


def test_no_sidecar_and_no_record_is_none(tmp_path: Path) -> None:
    journal = pair_journal(tmp_path / "submission.tar.gz")
    assert journal.in_force() is None
    journal.settle()  # nothing to settle
    assert list(tmp_path.iterdir()) == []
