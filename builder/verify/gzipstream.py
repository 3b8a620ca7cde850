"""The gzip layer of verify level 1: exactly one gzip stream, inflated as it is read.

:class:`GzipStream` is the raw stream :class:`.tarstream.TarStream` reads the tar blocks
from.  It inflates with :mod:`zlib` in bounded steps (never more than a read's worth of
output at once: a decompression bomb costs time, not memory), hashes and counts the
compressed bytes as they pass (the sidecar names the archive by them), and after the end
of the gzip data tells a second stream (the contract is one) from other trailing bytes.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Callable
from typing import BinaryIO

#: Bytes read from the file, and inflated at least, per step.
CHUNK = 1 << 20


class GzipStream(io.RawIOBase):
    """Inflate exactly one gzip stream from ``raw``; hash and count the compressed bytes
    (``compressed``, ``sha256``), report them to ``progress``, and say what follows the
    stream (``trailing``: "" for nothing, else what is wrong) once it is read to the end."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None] | None = None) -> None:
        self._raw = raw
        self._progress = progress
        self._z = zlib.decompressobj(wbits=31)  # gzip header required
        self._pending = b""
        self.compressed = 0
        self.sha256 = hashlib.sha256()
        self.trailing: str | None = None
        self._first = True

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview | bytearray) -> int:  # type: ignore[override]
        want = len(buf)
        while True:
            if self._pending:
                n = min(want, len(self._pending))
                buf[:n] = self._pending[:n]
                self._pending = self._pending[n:]
                return n
            if self._z.eof:
                self._check_trailing()
                return 0
            data = self._z.unconsumed_tail or self._read_raw()
            if not data:
                if not self._z.eof:
                    raise EOFError("the gzip stream ends early (truncated archive)")
                return 0
            self._pending = self._z.decompress(data, max(want, CHUNK))

    def _read_raw(self) -> bytes:
        data = self._raw.read(CHUNK)
        if self._first:
            self._first = False
            if data[:2] != b"\x1f\x8b":
                raise zlib.error("not a gzip file (no gzip magic)")
        self.compressed += len(data)
        self.sha256.update(data)
        if self._progress is not None and data:
            self._progress(len(data))
        return data

    def _check_trailing(self) -> None:
        if self.trailing is not None:
            return
        rest = self._z.unused_data
        more = self._raw.read(CHUNK)
        while more:
            self.compressed += len(more)
            self.sha256.update(more)
            if len(rest) < 4:
                rest += more
            more = self._raw.read(CHUNK)
        if not rest:
            self.trailing = ""
        elif rest[:2] == b"\x1f\x8b":
            self.trailing = "the file holds more than one gzip stream (the contract is a single stream)"
        else:
            self.trailing = "the file has data after the gzip stream"

    def drain(self) -> None:
        """Read to the end (after tar's end-of-archive blocks) to check and hash the rest."""
        while self.readinto(bytearray(CHUNK)):
            pass
