"""The archive stage: a reproducible ``submission.tar.gz`` with a manifest.

* Members are sorted (by path components), every mtime is fixed (``SOURCE_DATE_EPOCH``
  or 1980-01-01), uid/gid are 0 with empty names, modes are 0644/0755, and the gzip
  header has no name and mtime 0: the same inputs give the same bytes.
* ``MANIFEST.json`` (sha256 + size of every file) is the last member, and the same
  manifest plus the archive's own hash is written beside the archive.
* One gzip member, but two compression levels: the weights are deflated at
  ``weights_compresslevel`` (default 0, stored blocks at memory speed: ``make bench``
  shows gzip -1 saves ~6 % of a Q4 GGUF at a tenth of the speed), everything else at
  ``compresslevel``.  Switching is a sync flush and a fresh compressor; the deflate
  stream stays one valid stream.
* Each byte of the weights is read once: hashed while it is written.  The step is CPU
  bound (two sha256 passes over the weights, the kernel's copy, CRC-32), so the work is
  spread over threads: the main thread reads each 4 MiB chunk (one ``readv`` straight
  into the data slots of its stored blocks) and takes its CRC-32 (zlib-ng); ordered
  background threads hash the member, hash the archive and write it in 128 KiB pieces;
  runs of code members are deflated ahead on a worker and spliced in at a block edge.
  Buffers are a ring reused chunk after chunk: memory stays bounded (~40 MiB).
* The archive and the manifest are written to temp files beside the output and renamed
  only on success, so a failed or interrupted build leaves the previous ones untouched.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import io
import json
import os
import struct
import tarfile
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zlib_ng import zlib_ng

from .errors import ArchiveError

MANIFEST_NAME = "MANIFEST.json"
MANIFEST_FORMAT = 1
DEFAULT_MTIME = 315532800  # 1980-01-01T00:00:00Z
CHUNK = 4 << 20
#: Measured by ``make bench`` (see README): level 0 for the weights (gzip -1 saves ~6 % of a
#: Q4 GGUF at 1/20 of the speed), 1 for the rest (level 6 saves 0.3 MB of 3 MB at 3x the time).
DEFAULT_WEIGHTS_COMPRESSLEVEL = 0
DEFAULT_COMPRESSLEVEL = 1

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """One regular file to put into the archive."""

    arcname: str  # posix, relative
    source: Path
    executable: bool = False
    weights: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRecord:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveResult:
    path: Path
    manifest_path: Path
    size: int
    sha256: str
    files: tuple[FileRecord, ...]
    manifest: Mapping[str, Any]


def source_date_epoch(env: Mapping[str, str] | None = None) -> int:
    raw = (os.environ if env is None else env).get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return DEFAULT_MTIME
    try:
        value = int(raw)
    except ValueError:
        raise ArchiveError(f"SOURCE_DATE_EPOCH: not an integer: {raw!r}") from None
    if value < 0:
        raise ArchiveError(f"SOURCE_DATE_EPOCH: negative: {raw!r}")
    return value


def manifest_path_for(archive: Path) -> Path:
    name = archive.name
    for suffix in (".tar.gz", ".tgz"):
        if name.endswith(suffix):
            return archive.with_name(name[: -len(suffix)] + ".manifest.json")
    return archive.with_name(name + ".manifest.json")


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


_STORED_MAX = 0xFFFF
_STORED_HEADER = struct.Struct("<BHH")
#: Writes of at most this size: on the measured VM (kernel 6.18, ext4) a buffered 4 MiB
#: write cost 1.4-1.9 s of CPU per GiB once the host had reclaimed free memory, 128 KiB
#: writes 0.36-0.39 s (see README, "Measured").
_WRITE = 128 << 10
_BETWEEN_BLOCKS = -1  # a level no member has: set_level always starts a compressor
#: Threads that deflate the chunks of a large compressed member (pigz-style: each chunk
#: is an independent block ended by a sync flush, so they can run side by side).
DEFLATE_WORKERS = max(1, min(4, os.cpu_count() or 1))
_RING = 4  # chunks in flight: 2 x CHUNK bytes of buffers each


def _framed_size(n: int) -> int:
    return n + _STORED_HEADER.size * max(1, -(-n // _STORED_MAX))


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
    for i in range(0, n, _STORED_MAX):
        k = min(_STORED_MAX, n - i)
        _STORED_HEADER.pack_into(out, o, 0, k, k ^ 0xFFFF)
        pieces.append(view[o + 5 : o + 5 + k])
        o += 5 + k
    return view[:o], pieces


def _deflate_block(level: int, data: memoryview) -> bytes:
    """``data`` deflated by a fresh compressor and ended by a sync flush: a byte-aligned,
    non-final block edge, so the result splices into the stream anywhere."""
    comp = _DeflateWriter._new(level)
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


class _DeflateWriter:
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
    on :data:`DEFLATE_WORKERS` threads (see :meth:`copy_file`).
    """

    def __init__(self, fd: int, level: int) -> None:
        self._fd = fd
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
            view = view[os.write(self._fd, view[:_WRITE]) :]

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
            self._deflate_pool = ThreadPoolExecutor(max_workers=DEFLATE_WORKERS)
        future = self._deflate_pool.submit(_deflate_block, self._level, data)
        self._deflating.append(future)
        while len(self._deflating) > 2 * DEFLATE_WORKERS:
            self._emit_now(self._deflating.popleft().result())
        return future

    def _take_slot(self) -> _Slot:
        if len(self._ring) < _RING:
            slot = _Slot(bytearray(CHUNK), bytearray(_framed_size(CHUNK)), [])
            self._ring.append(slot)
            return slot
        slot = self._ring[self._next]
        self._next = (self._next + 1) % _RING
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
            want = min(CHUNK, size - done)
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
        """Emit a run of members deflated ahead (see :func:`_deflate_ahead`).  The stream
        is then between blocks: the next :meth:`set_level` starts a fresh compressor."""
        self._end_block()
        self._emit(segment)
        self._crc = zlib_ng.crc32_combine(self._crc, raw_crc, raw_size)
        self._size += raw_size
        self._level = _BETWEEN_BLOCKS
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


class _TarWriter:
    """Just enough of a tar writer: headers from :meth:`tarfile.TarInfo.tobuf`, data,
    NUL padding to 512 bytes, and the end-of-archive blocks padded to 10240."""

    def __init__(self, out: _DeflateWriter) -> None:
        self.out = out
        self.offset = 0

    def _put(self, data: bytes) -> None:
        self.out.write(data)
        self.offset += len(data)

    def header(self, info: tarfile.TarInfo) -> None:
        self._put(_header_bytes(info))

    def data(self, chunk: bytes) -> None:
        self._put(chunk)

    def file(self, fh: io.FileIO, size: int, progress: Progress | None) -> tuple[int, str]:
        done, digest = self.out.copy_file(fh, size, progress)
        self.offset += done
        return done, digest

    def pad(self) -> None:
        rest = -self.offset % tarfile.BLOCKSIZE
        if rest:
            self._put(b"\0" * rest)

    def close(self) -> None:
        self._put(b"\0" * (2 * tarfile.BLOCKSIZE))
        rest = -self.offset % tarfile.RECORDSIZE
        if rest:
            self._put(b"\0" * rest)


def _header_bytes(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _sort_key(name: str) -> tuple[str, ...]:
    return tuple(name.split("/"))


def _check_arcname(name: str) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ArchiveError(f"{name!r}: not a clean relative archive path")


def _dir_info(name: str, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return _normalise(info, mtime)


def _normalise(info: tarfile.TarInfo, mtime: int) -> tarfile.TarInfo:
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def plan_members(members: Iterable[Member]) -> list[Member]:
    """Members sorted, with duplicates and unclean paths refused."""
    out: dict[str, Member] = {}
    for m in members:
        _check_arcname(m.arcname)
        if m.arcname in out or m.arcname == MANIFEST_NAME:
            raise ArchiveError(f"{m.arcname}: listed twice in the archive plan")
        out[m.arcname] = m
    return [out[k] for k in sorted(out, key=_sort_key)]


def check_output_dir(out: Path) -> None:
    """Fail early (before any work) if ``out`` cannot be written."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise ArchiveError(f"{parent}: output directory does not exist")
    if not parent.is_dir():
        raise ArchiveError(f"{parent}: output directory is not a directory")
    probe = parent / f".{out.name}.{os.getpid()}.probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ArchiveError(f"{parent}: output directory is not writable ({exc.strerror})") from None
    os.close(fd)
    probe.unlink()
    if out.exists() and out.is_dir():
        raise ArchiveError(f"{out}: output path is a directory")


_FALLOC_FL_KEEP_SIZE = 1


@functools.cache
def _fallocate_call() -> Callable[[int, int, int, int], int] | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).fallocate
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    fn.restype = ctypes.c_int
    return fn


def _preallocate(fd: int, size: int) -> None:
    """Reserve the archive's blocks before writing (fallocate(2), keeping the file's size):
    a full disk fails here, before any work, and ext4 then skips its per-page block
    reservation while writing (0.25 -> 0.18 s of CPU per GiB measured).  Best effort:
    where the call or the file system's support is missing, nothing happens (not
    posix_fallocate, whose fallback writes a byte into every block)."""
    fn = _fallocate_call()
    if fn is None or size <= 0:
        return
    if fn(fd, _FALLOC_FL_KEEP_SIZE, 0, size) != 0:
        err = ctypes.get_errno()
        if err in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise OSError(err, os.strerror(err))


def _size_bound(planned: Sequence[Member]) -> int:
    """An upper bound of the archive's size: data, stored-block framing, tar headers."""
    total = 0
    for m in planned:
        try:
            total += m.source.stat().st_size
        except OSError:
            return 0  # the write reports it, with the file's name
    return total + _STORED_HEADER.size * (total // _STORED_MAX + 1) + 2048 * (len(planned) + 8) + (1 << 16)


def write_archive(
    out: Path,
    members: Sequence[Member],
    *,
    meta: Mapping[str, Any],
    mtime: int = DEFAULT_MTIME,
    compresslevel: int = DEFAULT_COMPRESSLEVEL,
    weights_compresslevel: int = DEFAULT_WEIGHTS_COMPRESSLEVEL,
    progress: Progress | None = None,
) -> ArchiveResult:
    """Write ``out`` and its manifest atomically; return what was written."""
    for level in (compresslevel, weights_compresslevel):
        if not 0 <= level <= 9:
            raise ArchiveError(f"compression level {level} is not in 0..9")
    planned = plan_members(members)
    check_output_dir(out)
    manifest_out = manifest_path_for(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp_manifest = manifest_out.with_name(f".{manifest_out.name}.{os.getpid()}.tmp")
    try:
        try:
            with tmp.open("wb", buffering=0) as raw:
                _preallocate(raw.fileno(), _size_bound(planned))
                gz = _DeflateWriter(raw.fileno(), compresslevel)
                try:
                    records = _write_tar(gz, planned, mtime, compresslevel, weights_compresslevel, meta, progress)
                    size, digest = gz.finish()
                except BaseException:
                    gz.abort()
                    raise
                os.ftruncate(raw.fileno(), size)  # gives back the blocks reserved past the end
            manifest = _manifest(meta, records)
            beside = dict(manifest)
            beside["archive"] = {"name": out.name, "size": size, "sha256": digest}
            tmp_manifest.write_text(json.dumps(beside, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, out)
            os.replace(tmp_manifest, manifest_out)
        except OSError as exc:  # reads are reported by _write_tar; this is the output side
            raise ArchiveError(f"{out}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        tmp_manifest.unlink(missing_ok=True)
        raise
    return ArchiveResult(
        path=out,
        manifest_path=manifest_out,
        size=size,
        sha256=digest,
        files=tuple(records),
        manifest=manifest,
    )


def _manifest(meta: Mapping[str, Any], records: Sequence[FileRecord]) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": MANIFEST_FORMAT}
    doc.update(meta)
    doc["files"] = [{"path": r.path, "size": r.size, "sha256": r.sha256} for r in records]
    return doc


#: Runs of code/library members up to this many bytes in all are deflated ahead on a
#: worker thread while the weights stream (their zlib time would otherwise be serial).
AHEAD_MAX = 64 << 20

_Entry = tuple[tuple[str, ...], Member]  # new parent directories, then the member


def _entries(planned: Sequence[Member]) -> list[_Entry]:
    dirs_done: set[str] = set()
    out: list[_Entry] = []
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


def _runs(entries: Sequence[_Entry]) -> list[list[_Entry]]:
    """Consecutive entries with the same ``weights`` flag (and so the same level)."""
    runs: list[list[_Entry]] = []
    for entry in entries:
        if runs and runs[-1][-1][1].weights == entry[1].weights:
            runs[-1].append(entry)
        else:
            runs.append([entry])
    return runs


def _file_info(m: Member, size: int, mtime: int) -> tarfile.TarInfo:
    info = _normalise(tarfile.TarInfo(m.arcname), mtime)
    info.size = size
    info.mode = 0o755 if m.executable else 0o644
    return info


def _deflate_ahead(run: Sequence[_Entry], level: int, mtime: int) -> tuple[int, int, bytes, list[FileRecord]]:
    """One run's tar bytes deflated by a fresh compressor and ended by a sync flush (a
    byte-aligned, non-final block edge, so it splices into the stream anywhere):
    (raw size, raw CRC-32, deflated bytes, records)."""
    raw = bytearray()
    records: list[FileRecord] = []
    for dirs, m in run:
        for d in dirs:
            raw += _header_bytes(_dir_info(d, mtime))
        try:
            with m.source.open("rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                data = fh.read(size + 1)
        except OSError as exc:
            raise ArchiveError(f"{m.source}: cannot read ({exc.strerror})") from None
        if len(data) != size:
            raise ArchiveError(f"{m.source}: changed size while being archived")
        raw += _header_bytes(_file_info(m, size, mtime))
        raw += data
        raw += b"\0" * (-size % tarfile.BLOCKSIZE)
        records.append(FileRecord(path=m.arcname, size=size, sha256=hashlib.sha256(data).hexdigest()))
    return len(raw), zlib_ng.crc32(raw), _deflate_block(level, memoryview(raw)), records


def _ahead_size(run: Sequence[_Entry]) -> int | None:
    try:
        return sum(m.source.stat().st_size for _dirs, m in run)
    except OSError:
        return None  # streamed, which reports the problem with the file's name


def _write_tar(
    gz: _DeflateWriter,
    planned: Sequence[Member],
    mtime: int,
    level: int,
    weights_level: int,
    meta: Mapping[str, Any],
    progress: Progress | None,
) -> list[FileRecord]:
    records: list[FileRecord] = []
    tar = _TarWriter(gz)
    runs = _runs(_entries(planned))
    ahead = ThreadPoolExecutor(max_workers=1)
    try:
        jobs: dict[int, Future[tuple[int, int, bytes, list[FileRecord]]]] = {}
        budget = AHEAD_MAX
        for i, run in enumerate(runs):
            size = _ahead_size(run)
            if level > 0 and not run[0][1].weights and size is not None and size <= budget:
                jobs[i] = ahead.submit(_deflate_ahead, run, level, mtime)
                budget -= size
        for i, run in enumerate(runs):
            job = jobs.get(i)
            if job is not None:
                raw_size, raw_crc, segment, done = job.result()
                gz.splice(segment, raw_size, raw_crc)
                tar.offset += raw_size
                records += done
                continue
            for dirs, m in run:
                gz.set_level(weights_level if m.weights else level)
                for d in dirs:
                    tar.header(_dir_info(d, mtime))
                records.append(_stream_member(tar, m, mtime, progress if m.weights else None))
    finally:
        ahead.shutdown(wait=True, cancel_futures=True)
    gz.set_level(level)
    body = json.dumps(_manifest(meta, records), indent=2, sort_keys=True).encode() + b"\n"
    info = _normalise(tarfile.TarInfo(MANIFEST_NAME), mtime)
    info.size = len(body)
    info.mode = 0o644
    tar.header(info)
    tar.data(body)
    tar.pad()
    tar.close()
    return records


def _stream_member(tar: _TarWriter, m: Member, mtime: int, progress: Progress | None) -> FileRecord:
    try:
        fh = m.source.open("rb", buffering=0)
        size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise ArchiveError(f"{m.source}: cannot read ({exc.strerror})") from None
    with fh:
        tar.header(_file_info(m, size, mtime))
        done, digest = tar.file(fh, size, progress)
        if done != size or fh.read(1):
            raise ArchiveError(f"{m.source}: changed size while being archived")
        tar.pad()
    return FileRecord(path=m.arcname, size=size, sha256=digest)
