"""The gzip stream engine: one deflate stream whose level can change between members.

Level 0 is written as deflate *stored* blocks by this module itself (zlib's level 0 runs
at a fraction of memory speed); other levels go through zlib.  Files are streamed through
a ring of reused buffers, each byte read and hashed once; the work is spread over threads
(see :class:`DeflateWriter`).  A stored member's data is framed from a byte-aligned block
edge, chunk by chunk from its first byte, and can start at an aligned offset of the output
(:func:`noop_blocks` fill the gap): its framed bytes are then the same wherever it lies, so
a later archive copies them from this one (:meth:`DeflateWriter.copy_segment`).  Nothing
here knows about tar or manifests: :mod:`.tar` frames members, :mod:`.writer` decides what
goes where.

The tunables are a :class:`Tuning` passed by the caller (tests and the benchmark give
their own), never module globals to patch.
"""

from __future__ import annotations

import errno
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
class Streamed:
    """What :meth:`DeflateWriter.copy_file` read: the bytes, their sha256 and CRC-32, and
    where their framed bytes lie in the output (``(offset, length)``; None unless stored)."""

    size: int
    sha256: str
    crc32: int
    segment: tuple[int, int] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Tuning:
    """How the stream reads, deflates and writes (measured defaults: see README, "Measured")."""

    #: bytes read per chunk; the unit of hashing, CRC and parallel deflate
    chunk: int = 4 << 20
    #: writes of at most this size: on the measured VM (kernel 6.18, ext4) a buffered 4 MiB
    #: write cost 1.4-1.9 s of CPU per GiB once the host had reclaimed free memory, 128 KiB
    #: writes 0.36-0.39 s
    write_size: int = 128 << 10
    #: chunks in flight (each holds ``chunk`` bytes): the reads may run this far ahead of
    #: the slower of the hash and the write, which the host slows down at times
    ring: int = 8
    #: threads that deflate the chunks of a large compressed member (pigz-style: each chunk
    #: is an independent block ended by a sync flush, so they can run side by side)
    deflate_workers: int = max(1, min(4, os.cpu_count() or 1))

    def __post_init__(self) -> None:
        if self.chunk < 1 or self.write_size < 1 or self.ring < 1 or self.deflate_workers < 1:
            raise ValueError(f"archive tuning values must be positive: {self}")


class _Pipe:
    """Runs ordered work on one background thread with a bounded queue.

    hashlib releases the GIL on large buffers and file writes release it in the system
    call, so hashing the weights and writing the archive run beside the main thread's
    reading and framing (see ``make bench``).
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


def _noop_group(fixed: int) -> bytes:
    """``fixed`` empty fixed-Huffman blocks (10 bits each: BFINAL 0, BTYPE 01, end-of-block)
    then an empty stored block, which ends the group on a byte edge."""
    bits = sum(1 << (10 * k + 1) for k in range(fixed))
    return bits.to_bytes(-(-(10 * fixed + 3) // 8), "little") + b"\x00\x00\xff\xff"


def _noop_size(fixed: int) -> int:
    return -(-(10 * fixed + 3) // 8) + 4


def noop_blocks(n: int) -> bytes:
    """Exactly ``n`` bytes of empty, non-final deflate blocks that start and end on a byte
    edge (they inflate to nothing); ``n`` is 0 or at least 5, and not 8 (see :func:`noop_gap`)."""
    if n == 0:
        return b""
    for head in (0, 6):  # one group, else an empty fixed block + stored block, then one group
        rest = n - head
        fixed = max(0, (8 * (rest - 4) - 3) // 10)  # the group sizes grow by 1-2 bytes per block
        for f in (fixed, fixed + 1):
            if rest >= 5 and _noop_size(f) == rest:
                return (_noop_group(1) if head else b"") + _noop_group(f)
    raise ValueError(f"no run of empty deflate blocks is {n} bytes long")


def noop_gap(offset: int, align: int) -> int:
    """How many bytes of :func:`noop_blocks` bring ``offset`` to a multiple of ``align``."""
    gap = -offset % align
    return gap + align if gap in (1, 2, 3, 4, 8) else gap


def deflate_block(level: int, data: memoryview) -> bytes:
    """``data`` deflated by a fresh compressor and ended by a sync flush: a byte-aligned,
    non-final block edge, so the result splices into the stream anywhere."""
    comp = DeflateWriter._new(level)
    return comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)  # type: ignore[no-any-return]


_FULL_BLOCK = STORED_HEADER.pack(0, STORED_MAX, 0)


def _stored_iovecs(data: memoryview, group: int) -> list[list[memoryview | bytes]]:
    """``data`` as stored blocks (RFC 1951 3.2.4) without copying it: the headers and views
    of ``data``, in groups of about ``group`` bytes for :func:`os.writev`."""
    groups: list[list[memoryview | bytes]] = []
    current: list[memoryview | bytes] = []
    size = 0
    for i in range(0, len(data), STORED_MAX):
        k = min(STORED_MAX, len(data) - i)
        current += [_FULL_BLOCK if k == STORED_MAX else STORED_HEADER.pack(0, k, k ^ 0xFFFF), data[i : i + k]]
        size += STORED_HEADER.size + k
        if size >= group:
            groups.append(current)
            current, size = [], 0
    if current:
        groups.append(current)
    return groups


@dataclass(slots=True)
class _Slot:
    """One chunk's reusable buffer, and the background work still reading it."""

    data: bytearray
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
    the read and CRC-32 (zlib-ng, ~20 GB/s); on two background threads, each in order:
    the member's sha256 and the write (at level 0 a ``writev`` that frames the buffer).  The
    archive itself is not hashed (its sidecar names it by size, gzip trailer and the
    manifest's sha256: :mod:`.contract`).  At a level above 0, large members are deflated
    chunk by chunk on ``tuning.deflate_workers`` threads (see :meth:`copy_file`).
    """

    def __init__(self, fd: int, level: int, *, tuning: Tuning) -> None:
        self._fd = fd
        self._tuning = tuning
        self._write_pipe = _Pipe(depth=tuning.ring)
        self._member_pipe = _Pipe(depth=tuning.ring)
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
        """Queue ``data`` for writing, after the chunks still being deflated."""
        self._flush_deflating()
        return self._emit_now(data)

    def _flush_deflating(self) -> None:
        while self._deflating:
            self._emit_now(self._deflating.popleft().result())

    def _emit_now(self, data: bytes | memoryview) -> list[Future[None]]:
        if not data:
            return []
        self._written += len(data)
        return self._write(self._write_all, data)

    def _write(self, fn: Callable[..., None], *args: Any) -> list[Future[None]]:
        return [self._write_pipe.submit(fn, *args)]

    def _emit_stored(self, data: memoryview) -> list[Future[None]]:
        """Queue ``data`` for writing as stored blocks, framed by ``writev`` (no copy)."""
        self._flush_deflating()
        self._written += _framed_size(len(data))
        return self._write(self._writev_all, _stored_iovecs(data, self._tuning.write_size))

    def _writev_all(self, groups: list[list[memoryview | bytes]]) -> None:
        for group in groups:
            n = os.writev(self._fd, group)
            if n < sum(len(b) for b in group):  # a short write: the rest, plainly
                self._write_all(memoryview(b"".join(group))[n:])

    def _align(self, align: int) -> None:
        """Pad the output to a multiple of ``align`` with empty blocks (stored mode only:
        the stream is then at a byte-aligned block edge)."""
        if align > 1 and self._comp is None:
            self._flush_deflating()
            self._emit_now(noop_blocks(noop_gap(self._written, align)))

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
            slot = _Slot(bytearray(chunk), [])
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

    def copy_file(
        self, fh: io.FileIO, size: int, progress: Progress | None = None, *, align: int = 0
    ) -> Streamed:
        """Stream ``size`` bytes of ``fh``; return the bytes read, their sha256 and CRC-32.

        Each chunk is read into a ring buffer (one copy into user memory), hashed and
        CRC'd in one call each.  At level 0 it is written as stored blocks by ``writev``
        of the block headers and views of the buffer (no copy for framing), after padding
        the output to a multiple of ``align``; the framed bytes' place is returned, to be
        copied by a later archive.  Otherwise each chunk is deflated on a worker as its
        own blocks (a fresh compressor ended by a sync flush), so chunks deflate side by
        side: pigz's scheme, without its dictionaries (4 MiB chunks lose ~0.1 % to them)."""
        member = hashlib.sha256()
        crc = 0
        done = 0
        self._align(align)
        start = self._written
        stored = self._comp is None
        while done < size:
            slot = self._take_slot()
            want = min(self._tuning.chunk, size - done)
            data = memoryview(slot.data)[:want]
            try:
                got = _read_full(fh.fileno(), [data])
            except OSError as exc:
                raise ArchiveError(f"{fh.name}: cannot read ({exc.strerror or exc})") from None
            if got != want:
                break  # shrank: the caller reports it
            slot.busy.append(self._member_pipe.submit(member.update, data))
            crc = zlib_ng.crc32(data, crc)
            if stored:
                slot.busy.extend(self._emit_stored(data))
            else:
                slot.busy.append(self._deflate_chunk(data))
            done += want
            if progress is not None:
                progress(want)
        self._crc = zlib_ng.crc32_combine(self._crc, crc, done)
        self._size += done
        self._member_pipe.drain()
        segment = (start, self._written - start) if stored else None
        return Streamed(size=done, sha256=member.hexdigest(), crc32=crc, segment=segment)

    def copy_segment(self, src_fd: int, offset: int, length: int, *, size: int, crc32: int, align: int) -> int:
        """Copy ``length`` framed bytes at ``offset`` of ``src_fd`` (an earlier output that
        framed the same ``size`` bytes of data, whose CRC-32 is ``crc32``, as
        :meth:`copy_file` would) with the kernel's copy, nothing read into user memory;
        return where they start in this output.  Stored mode only."""
        if self._comp is not None:
            raise ArchiveError("internal: a segment is copied only between stored blocks")
        self._align(align)
        self._flush_deflating()
        start = self._written
        self._write(self._copy_range, src_fd, offset, length)
        self._written += length
        self._crc = zlib_ng.crc32_combine(self._crc, crc32, size)
        self._size += size
        return start

    def _copy_range(self, src_fd: int, offset: int, length: int) -> None:
        """``os.copy_file_range`` (a reflink where the file system shares blocks and both
        offsets are block-aligned), or reads and writes where the kernel has no such copy."""
        done = 0
        while done < length:
            try:
                n = os.copy_file_range(src_fd, self._fd, length - done, offset + done)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                    raise
                break
            if n == 0:
                raise ArchiveError("the earlier archive being copied ended early")
            done += n
        while done < length:
            data = os.pread(src_fd, min(self._tuning.write_size, length - done), offset + done)
            if not data:
                raise ArchiveError("the earlier archive being copied ended early")
            self._write_all(data)
            done += len(data)

    def splice(self, segment: bytes, raw_size: int, raw_crc: int) -> None:
        """Emit a run of members deflated ahead (see :func:`builder.archive.writer.deflate_ahead`).  The stream
        is then between blocks: the next :meth:`set_level` starts a fresh compressor."""
        self._end_block()
        self._emit(segment)
        self._crc = zlib_ng.crc32_combine(self._crc, raw_crc, raw_size)
        self._size += raw_size
        self._level = BETWEEN_BLOCKS
        self._comp = None

    def finish(self) -> tuple[int, int, int]:
        """End the stream; return its size, and the CRC-32 and size of what it holds (the
        gzip trailer holds the CRC and the size modulo 2**32)."""
        if self._comp is not None:
            self._emit(self._comp.flush(zlib.Z_FINISH))
        else:
            self._emit(b"\x01\x00\x00\xff\xff")  # an empty final stored block
        self._emit(struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF))
        for pipe in (self._member_pipe, self._write_pipe):
            pipe.close()
        if self._deflate_pool is not None:
            self._deflate_pool.shutdown(wait=True)
        return self._written, self._crc & 0xFFFFFFFF, self._size

    def abort(self) -> None:
        if self._deflate_pool is not None:
            self._deflate_pool.shutdown(wait=True, cancel_futures=True)
        self._deflating.clear()
        for pipe in (self._member_pipe, self._write_pipe):
            pipe.abort()
