"""Unpacking Debian packages in pure Python (no dpkg).

A ``.deb`` is an ``ar`` archive: ``debian-binary``, ``control.tar.*`` and
``data.tar.{xz,gz,bz2}``.  The ar headers are walked by seeking (a member that is not
needed is never read) and ``data.tar.*`` is streamed through :mod:`tarfile`; every size
read from the package is bounded by the package's own size.

* :func:`extract` unpacks the files a predicate selects into a folder (a sysroot, a
  toolkit): members that would leave the folder are refused, absolute symlinks are
  rewritten relative to it (so they never point into the host's ``/usr/lib``), hard
  links become copies;
* :func:`extract_member` copies one regular file into an open file (an export list is
  read from it), bounded by ``max_bytes``.
"""

from __future__ import annotations

import gzip
import io
import lzma
import os
import posixpath
import shutil
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ..errors import BuilderError

AR_MAGIC = b"!<arch>\n"
_AR_HEADER = 60
_COMPRESSION = {"data.tar.xz": "xz", "data.tar.gz": "gz", "data.tar.bz2": "bz2", "data.tar": ""}


class DebError(BuilderError):
    """A Debian package is malformed or lacks the file asked for."""


class _Slice(io.RawIOBase):
    """A read-only window of ``size`` bytes of ``raw`` from ``start``."""

    def __init__(self, raw: IO[bytes], start: int, size: int) -> None:
        self._raw, self._start, self._size, self._pos = raw, start, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview | bytearray) -> int:  # type: ignore[override]
        n = min(len(buf), self._size - self._pos)
        if n <= 0:
            return 0
        self._raw.seek(self._start + self._pos)
        data = self._raw.read(n)
        buf[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _data_member(fh: IO[bytes], deb: Path, total: int) -> tuple[str, int, int]:
    """(name, offset, size) of the ``data.tar*`` member."""
    if fh.read(len(AR_MAGIC)) != AR_MAGIC:
        raise DebError(f"{deb}: not a Debian package (no ar magic)")
    pos = len(AR_MAGIC)
    while pos + _AR_HEADER <= total:
        fh.seek(pos)
        header = fh.read(_AR_HEADER)
        if header[58:60] != b"`\n":
            raise DebError(f"{deb}: malformed ar header at offset {pos}")
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise DebError(f"{deb}: ar member {name!r} has no size") from None
        start = pos + _AR_HEADER
        if size < 0 or start + size > total:
            raise DebError(f"{deb}: ar member {name!r} claims {size} bytes, past the end of the file")
        if name.startswith("data.tar"):
            if name not in _COMPRESSION:
                raise DebError(f"{deb}: {name} is not supported (xz, gz, bz2 or plain tar)")
            return name, start, size
        pos = start + size + (size & 1)
    raise DebError(f"{deb}: no data.tar member")


@contextmanager
def _data_tar(deb: Path) -> Iterator[tarfile.TarFile]:
    """The package's ``data.tar*``, streamed."""
    try:
        total = deb.stat().st_size
        fh = open(deb, "rb")
    except OSError as exc:
        raise DebError(f"{deb}: cannot read ({exc.strerror})") from None
    with fh:
        name, start, size = _data_member(fh, deb, total)
        mode = f"r|{_COMPRESSION[name]}" if _COMPRESSION[name] else "r|"
        stream = io.BufferedReader(_Slice(fh, start, size), 1 << 20)
        try:
            with tarfile.open(fileobj=stream, mode=mode) as tf:  # type: ignore[call-overload]
                yield tf
        except (tarfile.TarError, EOFError, lzma.LZMAError, zlib.error, gzip.BadGzipFile) as exc:
            raise DebError(f"{deb}: cannot read {name} ({type(exc).__name__}: {exc})") from None


def _clean(deb: Path, name: str) -> str:
    """A member's path relative to the destination; a path that would leave it is refused."""
    rel = name[2:] if name.startswith("./") else name.lstrip("/")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise DebError(f"{deb}: member {name!r} leaves the destination")
    return "/".join(parts)


def extract(deb: Path, dest: Path, select: Callable[[str], bool] | None = None) -> int:
    """Unpack the members of ``deb`` that ``select(path)`` accepts (all when None; paths
    like ``usr/bin/nvcc``) into ``dest``; return how many files and links were written."""
    count = 0
    dest.mkdir(parents=True, exist_ok=True)
    with _data_tar(deb) as tf:
        for m in tf:
            rel = _clean(deb, m.name)
            if not rel or (select is not None and not select(rel)):
                continue
            out = dest / rel
            if m.isdir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.is_symlink() or out.exists():
                if out.is_dir() and not out.is_symlink():
                    continue
                out.unlink()
            if m.issym():
                target = m.linkname
                if target.startswith("/"):  # never the host's file: the same path inside dest
                    target = posixpath.relpath(target, "/" + posixpath.dirname(rel))
                elif posixpath.normpath(posixpath.join(posixpath.dirname(rel), target)).startswith("../"):
                    raise DebError(f"{deb}: symlink {rel} -> {m.linkname} leaves the destination")
                os.symlink(target, out)
            elif m.islnk():
                shutil.copy2(dest / _clean(deb, m.linkname), out)
            elif m.isreg():
                src = tf.extractfile(m)
                if src is None:  # pragma: no cover - a regular member always has data
                    continue
                with src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                os.chmod(out, m.mode & 0o755)
            else:
                continue  # devices and fifos: none in a library package
            count += 1
    return count


def _normal(name: str) -> str:
    name = name[2:] if name.startswith("./") else name
    return posixpath.normpath(name.lstrip("/")) if name else ""


def extract_member(deb: Path, member: str, out: IO[bytes], *, max_bytes: int) -> int:
    """Copy the regular file ``member`` (e.g. ``usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0``)
    of ``deb`` into ``out``; return its size.  A symlink is refused with its target named
    (name the file itself)."""
    want = _normal(member)
    with _data_tar(deb) as tf:
        for m in tf:
            if _normal(m.name) != want:
                continue
            if m.issym() or m.islnk():
                raise DebError(f"{deb}: {member} is a link to {m.linkname}; name the file itself")
            if not m.isreg():
                raise DebError(f"{deb}: {member} is not a regular file")
            if m.size > max_bytes:
                raise DebError(f"{deb}: {member} is {m.size} bytes, more than the {max_bytes} allowed")
            src = tf.extractfile(m)
            if src is None:  # pragma: no cover - a regular member always has data
                break
            with src:
                shutil.copyfileobj(src, out, 1 << 20)
            return int(m.size)
    raise DebError(f"{deb}: has no file {member}")
