"""A tar reader that accounts for every byte of an untrusted tar stream (verify level 1).

:mod:`tarfile`'s stream mode stops at the first header it cannot read and takes it for
the end, while GNU tar warns, skips to the next valid header and extracts what follows:
a second ``main.py`` hidden behind one corrupt block replaces the agent on extraction.  So
this reader walks the stream block by block itself (each 512-byte header is parsed by
:meth:`tarfile.TarInfo.frombuf`, which checks its checksum), and

* a header that does not parse is a problem, and the walk goes on block by block, the way
  GNU tar resynchronises, so every member behind it is reported too;
* after the end-of-archive marker (two zero blocks) only zero padding may follow; a lone
  zero block inside the stream is a problem;
* every size it reads is bounded before anything is allocated: pax extended headers
  (:data:`MAX_PAX`), GNU long names (:data:`MAX_LONGNAME`); a member's data is handed out
  as a bounded stream and skipped when the caller does not read it.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

BLOCK = tarfile.BLOCKSIZE
ZERO = bytes(BLOCK)
#: The largest pax extended header read (a real one is a few hundred bytes: long names,
#: large sizes, UTF-8); a larger one is a problem and its data is skipped unread.
MAX_PAX = 1 << 16
#: The largest GNU long name (``././@LongLink``) read.
MAX_LONGNAME = 1 << 12
_SKIP = 1 << 20
_REGULAR = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)


class Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


@dataclass(slots=True)
class Member:
    """One member header as the stream says it (names not yet judged)."""

    name: str
    linkname: str
    type: bytes
    mode: int
    size: int
    offset: int  # of its header in the tar stream
    pax: dict[str, str] = field(default_factory=dict)

    def isreg(self) -> bool:
        return self.type in _REGULAR

    def isdir(self) -> bool:
        return self.type == tarfile.DIRTYPE

    def issym(self) -> bool:
        return self.type == tarfile.SYMTYPE

    def islnk(self) -> bool:
        return self.type == tarfile.LNKTYPE


class _Data:
    """The ``size`` bytes of one member's data, readable once, never past its end."""

    def __init__(self, stream: Readable, size: int) -> None:
        self._stream = stream
        self.left = size

    def read(self, n: int = -1) -> bytes:
        want = self.left if n < 0 else min(n, self.left)
        if want <= 0:
            return b""
        data = self._stream.read(want)
        self.left -= len(data)
        if len(data) < want:
            raise EOFError("the tar stream ends inside a member's data (truncated archive)")
        return data


class TarStream:
    """Iterate members of the tar stream ``stream`` (decompressed bytes); what was wrong
    with the stream itself is in :attr:`problems`, with the tar offset of each."""

    def __init__(self, stream: Readable) -> None:
        self._stream: Readable = stream
        self.offset = 0
        self.problems: list[str] = []
        self.corrupt = False  # a header did not parse: what follows it is suspect
        self.ended = False  # the end-of-archive marker was seen

    def _read(self, n: int) -> bytes:
        data = self._stream.read(n)
        self.offset += len(data)
        return data

    def _skip(self, n: int) -> None:
        while n > 0:
            got = len(self._read(min(n, _SKIP)))
            if not got:
                raise EOFError("the tar stream ends inside a member's data (truncated archive)")
            n -= got

    def _payload(self, size: int, limit: int, what: str, at: int) -> bytes | None:
        """The data of an extension header, or None (skipped, a problem) when over ``limit``."""
        padded = size + (-size % BLOCK)
        if size > limit:
            self.problems.append(f"{what} at offset {at} is {size:,} bytes (at most {limit:,} are read); skipped")
            self._skip(padded)
            return None
        data = self._read(padded)
        if len(data) < padded:
            raise EOFError("the tar stream ends inside an extended header (truncated archive)")
        return data[:size]

    def __iter__(self) -> Iterator[tuple[Member, _Data | None]]:
        pax: dict[str, str] = {}
        longname: str | None = None
        longlink: str | None = None
        while True:
            at = self.offset
            block = self._read(BLOCK)
            if not block:
                self.problems.append(f"the tar stream ends at offset {at} without its end-of-archive marker")
                return
            if len(block) < BLOCK:
                self.problems.append(f"the tar stream ends inside a header at offset {at} (truncated archive)")
                return
            if block == ZERO:
                if self._end(at):
                    return
                continue
            try:
                info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
            except tarfile.HeaderError as exc:
                if not self.corrupt:
                    self.problems.append(f"bad tar header at offset {at} ({exc}); GNU tar skips it and "
                                         "extracts what follows")
                self.corrupt = True
                continue
            if self.corrupt:
                self.problems.append(f"{info.name[:200]!r} at offset {at} follows a corrupt header: a member "
                                     "hidden from tarfile that GNU tar extracts")
            kind = info.type
            if kind in (tarfile.XHDTYPE, tarfile.XGLTYPE):
                data = self._payload(info.size, MAX_PAX, "a pax extended header", at)
                if kind == tarfile.XGLTYPE:
                    self.problems.append(f"a global pax header at offset {at} (it would apply to every member "
                                         "after it; the contract has none)")
                elif data is not None:
                    pax.update(self._pax_records(data, at))
                continue
            if kind in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
                data = self._payload(info.size, MAX_LONGNAME, "a GNU long name", at)
                text = data.rstrip(b"\0").decode("utf-8", "surrogateescape") if data is not None else None
                if kind == tarfile.GNUTYPE_LONGNAME:
                    longname = text
                else:
                    longlink = text
                continue
            member = self._member(info, at, pax, longname, longlink)
            pax, longname, longlink = {}, None, None
            size = member.size
            if size and not member.isreg():
                self.problems.append(f"{member.name[:200]!r} at offset {at}: a member of type {kind!r} declares "
                                     f"{size:,} bytes of data")
            data_stream = _Data(self, size) if member.isreg() else None
            yield member, data_stream
            left = data_stream.left if data_stream is not None else size
            self._skip(left + (-size % BLOCK))

    def read(self, n: int) -> bytes:  # for _Data: member bytes count toward the offset
        return self._read(n)

    def _member(self, info: tarfile.TarInfo, at: int, pax: dict[str, str], longname: str | None,
                longlink: str | None) -> Member:
        name = pax.get("path", longname if longname is not None else info.name)
        linkname = pax.get("linkpath", longlink if longlink is not None else info.linkname)
        size = info.size
        if "size" in pax:
            try:
                size = int(pax["size"])
            except ValueError:
                self.problems.append(f"{name[:200]!r} at offset {at}: pax size {pax['size'][:40]!r} is no number")
        if size < 0:
            self.problems.append(f"{name[:200]!r} at offset {at}: negative size")
            size = 0
        return Member(name=name, linkname=linkname, type=info.type, mode=info.mode, size=size, offset=at, pax=pax)

    def _pax_records(self, data: bytes, at: int) -> dict[str, str]:
        """``"%d %s=%s\\n"`` records (POSIX pax); a malformed one is a problem."""
        out: dict[str, str] = {}
        pos = 0
        while pos < len(data):
            space = data.find(b" ", pos, pos + 20)
            try:
                length = int(data[pos:space])
            except ValueError:
                length = 0
            record = data[pos : pos + length]
            if space < 0 or length <= space - pos or not record.endswith(b"\n") or b"=" not in record:
                self.problems.append(f"a malformed pax record at offset {at}")
                break
            key, _, value = record[space - pos + 1 : -1].partition(b"=")
            out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
            pos += length
        return out

    def _end(self, at: int) -> bool:
        """At a zero block: True at the end-of-archive marker (checking that only zeros
        follow it), False for a lone zero block (a problem; the walk goes on)."""
        second = self._read(BLOCK)
        if second == ZERO:
            self.ended = True
            stray = 0
            first_at = None
            while chunk := self._read(_SKIP):
                if chunk.count(0) != len(chunk):
                    if first_at is None:
                        first_at = self.offset - len(chunk) + next(i for i, b in enumerate(chunk) if b)
                    stray += len(chunk) - chunk.count(0)
            if first_at is not None:
                self.problems.append(f"data after the end-of-archive marker: {stray:,} non-zero bytes from offset "
                                     f"{first_at} (GNU tar ignores them; a member may hide there)")
            return True
        self.problems.append(f"a lone zero block at offset {at} inside the tar stream")
        if len(second) < BLOCK:
            self.problems.append(f"the tar stream ends at offset {self.offset} without its end-of-archive marker")
            return True
        # the second block was a header: hand it back by re-reading through a one-block buffer
        self._stream = _Prefixed(second, self._stream)
        self.offset -= BLOCK
        return False


class _Prefixed:
    """``head`` then ``rest``: a block read ahead, given back."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head = head
        self._rest = rest

    def read(self, n: int) -> bytes:
        if self._head:
            out, self._head = self._head[:n], self._head[n:]
            if len(out) < n:
                out += self._rest.read(n - len(out))
            return out
        return self._rest.read(n)
