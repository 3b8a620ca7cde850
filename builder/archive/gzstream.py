"""The gzip stream engine: one deflate stream whose level can change between members.

Level 0 is written as deflate *stored* blocks by this module itself (zlib's level 0 runs
at a fraction of memory speed); other levels go through zlib.  Files are streamed through
a ring of reused buffers, each byte read once; the work is spread over threads (see
:class:`DeflateWriter`).  Nothing here knows about tar or manifests: :mod:`.tar` frames
members, :mod:`.writer` decides what goes where.

The tunables are a :class:`Tuning` passed by the caller (tests and the benchmark give
their own), never module globals to patch.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from zlib_ng import zlib_ng

from ..errors import ArchiveError

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Tuning:
    """How the stream reads, deflates and writes (measured defaults: see README, "Measured")."""

    #: bytes read per chunk; the unit of hashing, CRC and parallel deflate
    chunk: int = 4 << 20
    #: writes of at most this size: on the measured VM (kernel 6.18, ext4) a buffered 4 MiB
    #: write cost 1.4-1.9 s of CPU per GiB once the host had reclaimed free memory, 128 KiB
    #: writes 0.36-0.39 s
    write_size: int = 128 << 10
    #: chunks in flight (each holds 2 x ``chunk`` bytes of buffers)
    ring: int = 4
    #: threads that deflate the chunks of a large compressed member (pigz-style: each chunk
    #: is an independent block ended by a sync flush, so they can run side by side)
    deflate_workers: int = max(1, min(4, os.cpu_count() or 1))

    def __post_init__(self) -> None:
        if self.chunk < 1 or self.write_size < 1 or self.ring < 1 or self.deflate_workers < 1:
            raise ValueError(f"archive tuning values must be positive: {self}")


class _Pipe:
    """Runs ordered work on one background thread with a bounded queue.

    hashlib releases the GIL on large buffers and file writes release it in the system
    call, so hashing the weights, hashing the archive and writing it run beside the main
    thread's reading and framing (see ``make bench``).
    """

    def __init__(self, depth: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: deque[Future[None]] = deque()
        self._depth = depth

    def submit(self, fn: Callable[..., None], *args: object) -> Future[None]:
        future = self._pool.submit(fn, *args)
        self._pending.append(future)
        while len(self._pending) > self._depth:
            self._pending.popleft().result()
        return future

    def drain(self) -> None:
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        try:
            self.drain()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def abort(self) -> None:
        """Stop without raising: the caller is already handling an error."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()


STORED_MAX = 0xFFFF
STORED_HEADER = struct.Struct("<BHH")
BETWEEN_BLOCKS = -1  # a level no member has: set_level always starts a compressor


def _framed_size(n: int) -> int:
    return n + STORED_HEADER.size * max(1, -(-n // STORED_MAX))


def _frame_into(data: memoryview, out: bytearray) -> memoryview:
    """``data`` as deflate stored blocks (RFC 1951 3.2.4), copied into ``out``."""
    framed, pieces = _stored_layout(out, len(data))
    i = 0
    for piece in pieces:
        piece[:] = data[i : i + len(piece)]
        i += len(piece)
    return framed


def _stored_layout(out: bytearray, n: int) -> tuple[memoryview, list[memoryview]]:
    """Write the stored-block headers for ``n`` bytes into ``out``; return the framed
    bytes and the views where the data goes (a file is read straight into them)."""
    view = memoryview(out)
    pieces: list[memoryview] = []
    o = 0
    for i in range(0, n, STORED_MAX):
        k = min(STORED_MAX, n - i)
        STORED_HEADER.pack_into(out, o, 0, k, k ^ 0xFFFF)
        pieces.append(view[o + 5 : o + 5 + k])
        o += 5 + k
    return view[:o], pieces


def deflate_block(level: int, data: memoryview) -> bytes:
    """``data`` deflated by a fresh compressor and ended by a sync flush: a byte-aligned,
    non-final block edge, so the result splices into the stream anywhere."""
    comp = DeflateWriter._new(level)
    return comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)  # type: ignore[no-any-return]


def _update_all(digest: Any, pieces: Sequence[memoryview]) -> None:
    for piece in pieces:
        digest.update(piece)


@dataclass(slots=True)
class _Slot:
    """One chunk's reusable buffers, and the background work still reading them."""

    data: bytearray
    framed: bytearray
    busy: list[Future[Any]]

    def wait(self) -> None:
        for future in self.busy:
            future.result()
        self.busy.clear()


def _read_full(fd: int, pieces: Sequence[memoryview]) -> int:
    """Fill ``pieces`` in order (one readv when the kernel allows) unless the file ends:
    chunk boundaries, and so the archive's bytes, must not depend on how reads split."""
    total = 0
    rest = list(pieces)
    while rest:
        n = os.readv(fd, rest)
        if not n:
            break
        total += n
        while rest and n >= len(rest[0]):
            n -= len(rest.pop(0))
        if n:
            rest[0] = rest[0][n:]
    return total


class DeflateWriter:
    """A write-only gzip stream whose compression level can change between members.

    Level 0 is written as deflate *stored* blocks by this class itself (zlib's level 0
    runs at a fraction of memory speed); other levels go through zlib.  Switching level
    is a sync flush (byte-aligned, not final) and a fresh compressor, so the result is
    one valid deflate stream in one gzip member.

    Files are streamed through a ring of reusable buffers (:meth:`copy_file`): no
    allocation per chunk, and each byte is read from the file once.  On the main thread:
    the read (at level 0 straight into the stored blocks) and CRC-32 (zlib-ng, ~20 GB/s);
    on three background threads, each in order: the member's sha256, the archive's
    sha256, and the write.  At a level above 0, large members are deflated chunk by chunk
    on ``tuning.deflate_workers`` threads (see :meth:`copy_file`).
    """

    def __init__(self, fd: int, level: int, *, tuning: Tuning) -> None:
        self._fd = fd
        self._tuning = tuning
        self._hash = hashlib.sha256()
        self._write_pipe = _Pipe()
        self._hash_pipe = _Pipe()
        self._member_pipe = _Pipe()
        self._ring: list[_Slot] = []
        self._next = 0
        self._crc = 0
        self._size = 0
        self._written = 0
        self._deflating: deque[Future[bytes]] = deque()  # chunks being deflated, in stream order
        self._deflate_pool: ThreadPoolExecutor | None = None
        self._comp_fed = False
        # RFC 1952 header: no name, mtime 0, XFL 0, OS 255 (unknown): fixed bytes.
        self._emit(b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x00\xff")
        self._level = level
        self._comp: Any = self._new(level)

    @staticmethod
    def _new(level: int) -> Any:
        return zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 9) if level else None

    def _write_all(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view[: self._tuning.write_size]) :]

    def _emit(self, data: bytes | memoryview) -> list[Future[None]]:
        """Queue ``data`` for writing and hashing, after the chunks still being deflated."""
        while self._deflating:
            self._emit_now(self._deflating.popleft().result())
        return self._emit_now(data)

    def _emit_now(self, data: bytes | memoryview) -> list[Future[None]]:
        if not data:
            return []
        self._written += len(data)
        return [self._write_pipe.submit(self._write_all, data), self._hash_pipe.submit(self._hash.update, data)]

    def _end_block(self) -> None:
        """End what the streaming compressor holds at a byte boundary (sync flush)."""
        if self._comp is not None and self._comp_fed:
            self._emit(self._comp.flush(zlib.Z_SYNC_FLUSH))
        self._comp_fed = False

    def set_level(self, level: int) -> None:
        if level == self._level:
            return
        self._end_block()
        self._comp = self._new(level)
        self._level = level

    def _deflate_chunk(self, data: memoryview) -> Future[bytes]:
        """Deflate ``data`` as independent blocks on a worker; emitted in order later.
        The streaming compressor is restarted: its history would not match the stream's."""
        if self._comp_fed:
            self._end_block()
            self._comp = self._new(self._level)
        if self._deflate_pool is None:
            self._deflate_pool = ThreadPoolExecutor(max_workers=self._tuning.deflate_workers)
        future = self._deflate_pool.submit(deflate_block, self._level, data)
        self._deflating.append(future)
        while len(self._deflating) > 2 * self._tuning.deflate_workers:
            self._emit_now(self._deflating.popleft().result())
        return future

    def _take_slot(self) -> _Slot:
        chunk = self._tuning.chunk
        if len(self._ring) < self._tuning.ring:
            slot = _Slot(bytearray(chunk), bytearray(_framed_size(chunk)), [])
            self._ring.append(slot)
            return slot
        slot = self._ring[self._next]
        self._next = (self._next + 1) % self._tuning.ring
        slot.wait()
        return slot

    def write(self, data: bytes) -> None:
        """Small pieces (tar headers, padding, the manifest): copied, no ring slot."""
        if not data:
            return
        self._crc = zlib_ng.crc32(data, self._crc)
        self._size += len(data)
        if self._comp is not None:
            self._comp_fed = True
            self._emit(self._comp.compress(data))
        else:
            self._emit(_frame_into(memoryview(data), bytearray(_framed_size(len(data)))))

    def copy_file(self, fh: io.FileIO, size: int, progress: Progress | None = None) -> tuple[int, str]:
        """Stream ``size`` bytes of ``fh``; return the bytes read and their sha256.

        At level 0 the file is read straight into the stored blocks' data slots (one copy
        into user memory, none for framing); otherwise into a plain buffer, and each chunk
        is deflated on a worker as its own blocks (a fresh compressor ended by a sync
        flush), so chunks deflate side by side: pigz's scheme, without its dictionaries
        (4 MiB chunks lose ~0.1 % to them)."""
        member = hashlib.sha256()
        done = 0
        while done < size:
            slot = self._take_slot()
            want = min(self._tuning.chunk, size - done)
            if self._comp is None:
                framed, pieces = _stored_layout(slot.framed, want)
            else:
                pieces = [memoryview(slot.data)[:want]]
            try:
                got = _read_full(fh.fileno(), pieces)
            except OSError as exc:
                raise ArchiveError(f"{fh.name}: cannot read ({exc.strerror or exc})") from None
            if got != want:
                break  # shrank: the caller reports it
            slot.busy.append(self._member_pipe.submit(_update_all, member, pieces))
            for piece in pieces:
                self._crc = zlib_ng.crc32(piece, self._crc)
            self._size += want
            if self._comp is None:
                slot.busy.extend(self._emit(framed))
            else:
                slot.busy.append(self._deflate_chunk(pieces[0]))
            done += want
            if progress is not None:
                progress(want)
        self._member_pipe.drain()
        return done, member.hexdigest()

    def splice(self, segment: bytes, raw_size: int, raw_crc: int) -> None:
        """Emit a run of members deflated ahead (see :func:`builder.archive.writer.deflate_ahead`).  The stream
        is then between blocks: the next :meth:`set_level` starts a fresh compressor."""
        self._end_block()
        self._emit(segment)
        self._crc = zlib_ng.crc32_combine(self._crc, raw_crc, raw_size)
        self._size += raw_size
        self._level = BETWEEN_BLOCKS
        self._comp = None

    def finish(self) -> tuple[int, str]:
        if self._comp is not None:
            self._emit(self._comp.flush(zlib.Z_FINISH))
        else:
            self._emit(b"\x01\x00\x00\xff\xff")  # an empty final stored block
        self._emit(struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF))
        for pipe in (self._member_pipe, self._write_pipe, self._hash_pipe):
            pipe.close()
        if self._deflate_pool is not None:
            self._deflate_pool.shutdown(wait=True)
        return self._written, self._hash.hexdigest()

    def abort(self) -> None:
        if self._deflate_pool is not None:
            self._deflate_pool.shutdown(wait=True, cancel_futures=True)
        self._deflating.clear()
        for pipe in (self._member_pipe, self._write_pipe, self._hash_pipe):
            pipe.abort()
