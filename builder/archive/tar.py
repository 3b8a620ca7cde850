"""Tar framing: reproducible ustar/pax headers, padding and the end-of-archive blocks,
written into a :class:`~builder.archive.gzstream.DeflateWriter`, and the plan of members
(the weights first, then the rest, each sorted by path components with parent folders
first; duplicates and unclean names refused).  The weights lead so that their place in the
archive never depends on the code: a rebuild starts copying them at once, while the code
is deflated beside the copy (:mod:`.reuse`).

Every header is normalised the same way (poetry-core's ``clean_tarinfo``): a fixed mtime,
uid/gid 0 with empty names, modes 0644/0755.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiveError
from .contract import MANIFEST_NAME
from .gzstream import DeflateWriter, Progress, Streamed


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """One regular file to put into the archive."""

    arcname: str  # posix, relative
    source: Path
    executable: bool = False
    weights: bool = False


#: new parent directories of a member, then the member
Entry = tuple[tuple[str, ...], Member]


class TarWriter:
    """Just enough of a tar writer: headers from :meth:`tarfile.TarInfo.tobuf`, data,
    NUL padding to 512 bytes, and the end-of-archive blocks padded to 10240."""

    def __init__(self, out: DeflateWriter) -> None:
        self.out = out
        self.offset = 0

    def _put(self, data: bytes) -> None:
        self.out.write(data)
        self.offset += len(data)

    def header(self, info: tarfile.TarInfo) -> None:
        self._put(header_bytes(info))

    def data(self, chunk: bytes) -> None:
        self._put(chunk)

    def file(self, fh: io.FileIO, size: int, progress: Progress | None, *, align: int = 0) -> Streamed:
        streamed = self.out.copy_file(fh, size, progress, align=align)
        self.offset += streamed.size
        return streamed

    def copied(self, src_fd: int, offset: int, length: int, *, size: int, crc32: int, align: int) -> int:
        """A member's data framed by an earlier archive, copied from it (see
        :meth:`~builder.archive.gzstream.DeflateWriter.copy_segment`)."""
        start = self.out.copy_segment(src_fd, offset, length, size=size, crc32=crc32, align=align)
        self.offset += size
        return start

    def pad(self) -> None:
        rest = -self.offset % tarfile.BLOCKSIZE
        if rest:
            self._put(b"\0" * rest)

    def close(self) -> None:
        self._put(b"\0" * (2 * tarfile.BLOCKSIZE))
        rest = -self.offset % tarfile.RECORDSIZE
        if rest:
            self._put(b"\0" * rest)


def header_bytes(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def normalise(info: tarfile.TarInfo, mtime: int) -> tarfile.TarInfo:
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def dir_info(name: str, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return normalise(info, mtime)


def file_info(m: Member, size: int, mtime: int) -> tarfile.TarInfo:
    info = normalise(tarfile.TarInfo(m.arcname), mtime)
    info.size = size
    info.mode = 0o755 if m.executable else 0o644
    return info


def regular_info(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = normalise(tarfile.TarInfo(name), mtime)
    info.size = size
    info.mode = 0o644
    return info


def _sort_key(name: str) -> tuple[str, ...]:
    return tuple(name.split("/"))


def _check_arcname(name: str) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ArchiveError(f"{name!r}: not a clean relative archive path")


def plan_members(members: Iterable[Member]) -> list[Member]:
    """Members in archive order (the weights first, each part sorted), with duplicates and
    unclean paths refused."""
    out: dict[str, Member] = {}
    for m in members:
        _check_arcname(m.arcname)
        if m.arcname in out or m.arcname == MANIFEST_NAME:
            raise ArchiveError(f"{m.arcname}: listed twice in the archive plan")
        out[m.arcname] = m
    return [out[k] for k in sorted(out, key=lambda k: (not out[k].weights, _sort_key(k)))]


def entries(planned: Sequence[Member]) -> list[Entry]:
    """Each member with the parent folders that precede it in the archive."""
    dirs_done: set[str] = set()
    out: list[Entry] = []
    for m in planned:
        parts = m.arcname.split("/")
        new: list[str] = []
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in dirs_done:
                dirs_done.add(d)
                new.append(d)
        out.append((tuple(new), m))
    return out


def runs(items: Sequence[Entry]) -> list[list[Entry]]:
    """Consecutive entries with the same ``weights`` flag (and so the same level)."""
    out: list[list[Entry]] = []
    for entry in items:
        if out and out[-1][-1][1].weights == entry[1].weights:
            out[-1].append(entry)
        else:
            out.append([entry])
    return out
