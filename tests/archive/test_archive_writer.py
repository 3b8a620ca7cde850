from __future__ import annotations

import ctypes
import errno
import gzip
import hashlib
import json
import os
import struct
import subprocess
import sys
import tarfile
import threading
import time
import zlib
from pathlib import Path

import pytest

from builder.archive import (
    Member,
    Tuning,
    check_output_dir,
    gzstream,
    sidecar_path,
    source_date_epoch,
    write_archive,
    writer,
)
from builder.archive.contract import MANIFEST_NAME
from builder.archive.writer import AHEAD_MAX, DEFAULT_MTIME
from builder.errors import ArchiveError


def _tree(tmp: Path) -> list[Member]:
    src = tmp / "src"
    (src / "lib" / "pkg").mkdir(parents=True)
    (src / "main.py").write_text("def agent(obs):\n    return 'yes'\n")
    (src / "lib" / "pkg" / "__init__.py").write_text("X = 1\n" * 1000)
    (src / "run.sh").write_text("#!/bin/sh\n")
    weights = src / "model.gguf"
    weights.write_bytes(os.urandom(3 << 20))
    return [
        Member(arcname="model.gguf", source=weights, weights=True),
        Member(arcname="main.py", source=src / "main.py"),
        Member(arcname="lib/pkg/__init__.py", source=src / "lib" / "pkg" / "__init__.py"),
        Member(arcname="run.sh", source=src / "run.sh", executable=True),
    ]


def test_reproducible_and_normalised(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    a = write_archive(tmp_path / "a.tar.gz", members, meta={"profile": "p"})
    # touch the sources: mtimes must not matter
    for m in members:
        os.utime(m.source, (1, 1))
    b = write_archive(tmp_path / "b.tar.gz", list(reversed(members)), meta={"profile": "p"})
    assert a.identity == b.identity
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    raw = (tmp_path / "a.tar.gz").read_bytes()
    assert (len(raw), raw[-8:]) == (a.size, struct.pack("<II", a.identity.crc32, a.identity.isize))
    assert a.identity.isize == len(gzip.decompress(raw)) and a.identity.crc32 == zlib.crc32(gzip.decompress(raw))
    assert raw[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        infos = tar.getmembers()
    names = [i.name for i in infos]
    assert names == ["model.gguf", "lib", "lib/pkg", "lib/pkg/__init__.py", "main.py", "run.sh", MANIFEST_NAME]
    for i in infos:
        assert (i.mtime, i.uid, i.gid, i.uname, i.gname) == (DEFAULT_MTIME, 0, 0, "", "")
        assert i.mode == (0o755 if i.isdir() or i.name == "run.sh" else 0o644)


def test_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert source_date_epoch() == 1700000000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ArchiveError, match="SOURCE_DATE_EPOCH: not an integer"):
        source_date_epoch()


def test_manifest_inside_and_beside(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    res = write_archive(tmp_path / "submission.tar.gz", members, meta={"profile": "p", "model_file": "model.gguf"})
    beside = json.loads(sidecar_path(tmp_path / "submission.tar.gz").read_text())
    assert res.manifest_path == tmp_path / "submission.manifest.json"
    with tarfile.open(tmp_path / "submission.tar.gz") as tar:
        inside = json.loads(tar.extractfile(MANIFEST_NAME).read())  # type: ignore[union-attr]
        for f in inside["files"]:
            data = tar.extractfile(f["path"]).read()  # type: ignore[union-attr]
            assert (len(data), hashlib.sha256(data).hexdigest()) == (f["size"], f["sha256"])
    assert [f["path"] for f in inside["files"]] == ["lib/pkg/__init__.py", "main.py", "model.gguf", "run.sh"]
    assert beside["files"] == inside["files"]
    with tarfile.open(tmp_path / "submission.tar.gz") as tar:
        manifest_sha = hashlib.sha256(tar.extractfile(MANIFEST_NAME).read()).hexdigest()  # type: ignore[union-attr]
    assert beside["archive"] == {"name": "submission.tar.gz", "size": res.size, "crc32": f"{res.identity.crc32:08x}",
                                 "isize": res.identity.isize, "manifest_sha256": manifest_sha}
    assert inside["profile"] == "p" and "archive" not in inside


def test_two_levels_one_valid_gzip_stream(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    stored = write_archive(tmp_path / "s.tar.gz", members, meta={}, compresslevel=9, weights_compresslevel=0)
    squeezed = write_archive(tmp_path / "z.tar.gz", members, meta={}, compresslevel=9, weights_compresslevel=9)
    # random weights do not compress: level 0 stores them, level 9 gains nothing either;
    # the text member compresses in both
    assert stored.size < 3.1 * (1 << 20)
    assert subprocess.run(["gzip", "-t", str(tmp_path / "s.tar.gz")]).returncode == 0
    with gzip.open(tmp_path / "s.tar.gz") as a, gzip.open(tmp_path / "z.tar.gz") as b:
        assert a.read() == b.read()  # same tar, different deflate
    assert squeezed.size != stored.size and squeezed.identity.crc32 == stored.identity.crc32  # same tar
    allstored = write_archive(tmp_path / "0.tar.gz", members, meta={}, compresslevel=0, weights_compresslevel=0)
    assert subprocess.run(["gzip", "-t", str(tmp_path / "0.tar.gz")]).returncode == 0
    with gzip.open(tmp_path / "0.tar.gz") as c, gzip.open(tmp_path / "s.tar.gz") as a:
        assert c.read() == a.read()
    assert allstored.size > stored.size


def test_weights_read_once_with_progress(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    seen: list[int] = []
    write_archive(tmp_path / "p.tar.gz", members, meta={}, progress=seen.append)
    assert sum(seen) == 3 << 20  # every byte of the weights, once


def test_interrupt_leaves_previous_archive(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    out = tmp_path / "submission.tar.gz"
    first = write_archive(out, members, meta={})
    before = out.read_bytes(), first.manifest_path.read_bytes()

    def boom(_n: int) -> None:
        raise KeyboardInterrupt

    (tmp_path / "src" / "main.py").write_text("changed\n")
    with pytest.raises(KeyboardInterrupt):
        write_archive(out, members, meta={}, progress=boom)
    assert (out.read_bytes(), first.manifest_path.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "submission.manifest.json", "submission.tar.gz"]


def test_output_dir_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ArchiveError, match=r"file: output directory is not a directory"):
        check_output_dir(afile / "submission.tar.gz")
    with pytest.raises(ArchiveError, match=r"nope: output directory does not exist"):
        check_output_dir(tmp_path / "nope" / "submission.tar.gz")
    real_open = os.open

    def denied(path: str, *a: object, **k: object) -> int:
        if str(path).endswith(".probe"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ArchiveError, match=r"output directory is not writable \(Permission denied\)"):
        check_output_dir(tmp_path / "submission.tar.gz")


def test_unclean_and_duplicate_names(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    with pytest.raises(ArchiveError, match="not a clean relative archive path"):
        write_archive(tmp_path / "x.tar.gz", [Member(arcname="../evil", source=members[1].source)], meta={})
    with pytest.raises(ArchiveError, match="listed twice"):
        write_archive(tmp_path / "x.tar.gz", [members[1], members[1]], meta={})
    assert not (tmp_path / "x.tar.gz").exists()


def _members_match(archive: Path, members: list[Member]) -> None:
    with tarfile.open(archive) as tar:
        for m in members:
            assert tar.extractfile(m.arcname).read() == m.source.read_bytes()  # type: ignore[union-attr]


@pytest.mark.parametrize("chunk", [70_000, 65_535, 4096])
def test_ring_reuse_and_odd_chunk_sizes(tmp_path: Path, chunk: int) -> None:
    """Small chunks cycle the buffer ring hundreds of times and put stored-block edges
    everywhere; the archive must still be one valid stream with the right bytes."""
    members = _tree(tmp_path)
    reference = write_archive(tmp_path / "ref.tar.gz", members, meta={})
    res = write_archive(tmp_path / "small.tar.gz", members, meta={}, tuning=Tuning(chunk=chunk))
    assert subprocess.run(["gzip", "-t", str(tmp_path / "small.tar.gz")]).returncode == 0
    _members_match(tmp_path / "small.tar.gz", members)
    assert (tmp_path / "small.tar.gz").stat().st_size == res.size
    assert res.identity.crc32 == reference.identity.crc32  # the same tar stream
    assert res.files == reference.files  # same member hashes, whatever the chunking


def test_short_reads_fill_the_chunk() -> None:
    """A pipe returns what has been written so far: reads come back short, and the
    pieces must still be filled in order (chunk edges decide the archive's bytes)."""
    data = os.urandom(10_000)
    r, w = os.pipe()

    def trickle() -> None:
        for i in range(0, len(data), 1000):
            os.write(w, data[i : i + 1000])
            time.sleep(0.002)
        os.close(w)

    writer = threading.Thread(target=trickle)
    writer.start()
    try:
        first = [memoryview(bytearray(3000)), memoryview(bytearray(65)), memoryview(bytearray(5127))]
        assert gzstream._read_full(r, first) == 8192
        assert b"".join(bytes(p) for p in first) == data[:8192]
        rest = memoryview(bytearray(8192))
        assert gzstream._read_full(r, [rest]) == 10_000 - 8192  # the end of the file
        assert bytes(rest[: 10_000 - 8192]) == data[8192:]
    finally:
        writer.join()
        os.close(r)


_FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from builder.archive import Member, write_archive
from builder.errors import ArchiveError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))
src = Path(sys.argv[1])
try:
    write_archive(Path(sys.argv[2]), [Member(arcname="model.gguf", source=src, weights=True)], meta={})
except ArchiveError as exc:
    print(exc)
    sys.exit(3)
"""


def test_write_error_is_one_line_and_keeps_previous(tmp_path: Path) -> None:
    """A real failing write (the file size limit: EFBIG, as a full disk gives ENOSPC) on
    the background writer thread comes back as one ArchiveError naming the output."""
    weights = tmp_path / "model.gguf"
    weights.write_bytes(os.urandom(3 << 20))
    out = tmp_path / "submission.tar.gz"
    out.write_bytes(b"previous")
    proc = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(weights), str(out)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.strip() == f"{out}: cannot write (File too large)"
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.gguf", "submission.tar.gz"]


def test_code_deflated_ahead_or_streamed_is_the_same_tar(tmp_path: Path) -> None:
    """Runs of code members are deflated on a worker while the weights stream; over the
    budget they are streamed on the main thread. Same tar, same records, both valid."""
    members = _tree(tmp_path)
    ahead = write_archive(tmp_path / "ahead.tar.gz", members, meta={})
    streamed = write_archive(tmp_path / "streamed.tar.gz", members, meta={}, ahead_max=0)
    for name in ("ahead.tar.gz", "streamed.tar.gz"):
        assert subprocess.run(["gzip", "-t", str(tmp_path / name)]).returncode == 0
    with gzip.open(tmp_path / "ahead.tar.gz") as a, gzip.open(tmp_path / "streamed.tar.gz") as b:
        assert a.read() == b.read()
    assert ahead.files == streamed.files
    assert (tmp_path / "ahead.tar.gz").read_bytes() != (tmp_path / "streamed.tar.gz").read_bytes()  # cut differently
    _members_match(tmp_path / "ahead.tar.gz", members)


def test_unreadable_code_member_named(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    odd = tmp_path / "src" / "lib" / "adir"
    odd.mkdir()
    members.append(Member(arcname="lib/zz.py", source=odd))
    out = tmp_path / "submission.tar.gz"
    with pytest.raises(ArchiveError, match=r"adir: cannot read \(Is a directory\)"):
        write_archive(out, members, meta={})
    assert not out.exists()


def test_full_disk_fails_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive's blocks are reserved first: a disk without room fails at once, with
    the output's name, and the previous archive stays."""
    members = _tree(tmp_path)
    out = tmp_path / "submission.tar.gz"
    out.write_bytes(b"previous")

    def full(_fd: int, _mode: int, _offset: int, _size: int) -> int:
        ctypes.set_errno(errno.ENOSPC)
        return -1

    monkeypatch.setattr(writer, "_fallocate_call", lambda: full)
    with pytest.raises(ArchiveError, match=r"submission.tar.gz: cannot write \(No space left on device\)$"):
        write_archive(out, members, meta={})
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "submission.tar.gz"]


def test_reserved_blocks_given_back(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    res = write_archive(tmp_path / "a.tar.gz", members, meta={})
    st = os.stat(res.path)
    assert st.st_size == res.size
    assert st.st_blocks * 512 < res.size + 8192  # the reserved tail (~90 KB here) was given back


def test_compressed_chunks_deflate_side_by_side(tmp_path: Path) -> None:
    """At a level above 0 each chunk is deflated on a worker as its own blocks (pigz's
    scheme): many chunks, code streamed rather than deflated ahead, weights compressed;
    one valid stream, the same tar, the same bytes on a rebuild, and smaller than stored."""
    members = _tree(tmp_path)
    weights = tmp_path / "src" / "model.gguf"
    weights.write_bytes(bytes(range(256)) * (3 << 12) + os.urandom(1 << 20))  # half compressible
    stored = write_archive(tmp_path / "stored.tar.gz", members, meta={}, weights_compresslevel=0)
    small = Tuning(chunk=70_000)
    a = write_archive(tmp_path / "a.tar.gz", members, meta={}, weights_compresslevel=1, tuning=small, ahead_max=0)
    b = write_archive(tmp_path / "b.tar.gz", members, meta={}, weights_compresslevel=1, tuning=small, ahead_max=0)
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    assert subprocess.run(["gzip", "-t", str(tmp_path / "a.tar.gz")]).returncode == 0
    with gzip.open(tmp_path / "a.tar.gz") as x, gzip.open(tmp_path / "stored.tar.gz") as y:
        assert x.read() == y.read()
    _members_match(tmp_path / "a.tar.gz", members)
    assert a.files == stored.files and a.identity == b.identity
    assert a.size < stored.size - (1 << 20)  # the compressible half was compressed


@pytest.mark.parametrize(("level", "ahead"), [(0, 0), (1, 0), (1, AHEAD_MAX)])
def test_empty_members(tmp_path: Path, level: int, ahead: int) -> None:
    """Empty files (an empty __init__.py, an empty weights file) on every path: stored,
    deflated on the main thread, deflated ahead."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("main.py", "empty.py", "w.gguf"):
        (src / name).write_bytes(b"" if name != "main.py" else b"def agent(o, c):\n    return 'yes'\n")
    members = [
        Member(arcname="lib/empty.py", source=src / "empty.py"),
        Member(arcname="main.py", source=src / "main.py"),
        Member(arcname="w.gguf", source=src / "w.gguf", weights=True),
    ]
    res = write_archive(tmp_path / "e.tar.gz", members, meta={}, compresslevel=level, weights_compresslevel=level,
                        ahead_max=ahead)
    assert subprocess.run(["gzip", "-t", str(tmp_path / "e.tar.gz")]).returncode == 0
    _members_match(tmp_path / "e.tar.gz", members)
    empty = hashlib.sha256(b"").hexdigest()
    assert [(f.path, f.size, f.sha256 == empty) for f in res.files] == [
        ("lib/empty.py", 0, True), ("main.py", 34, False), ("w.gguf", 0, True)
    ]
