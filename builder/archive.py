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
* Each byte of the weights is read once: hashed while it is written.
* The archive and the manifest are written to temp files beside the output and renamed
  only on success, so a failed or interrupted build leaves the previous ones untouched.
"""

from __future__ import annotations

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
_RING = 4  # chunks in flight: 2 x CHUNK bytes of buffers each


def _framed_size(n: int) -> int:
    return n + _STORED_HEADER.size * max(1, -(-n // _STORED_MAX))


def _frame_into(data: memoryview, out: bytearray) -> memoryview:
    """``data`` as deflate stored blocks (RFC 1951 3.2.4), written into ``out``."""
    view = memoryview(out)
    n, o = len(data), 0
    for i in range(0, n, _STORED_MAX):
        k = min(_STORED_MAX, n - i)
        _STORED_HEADER.pack_into(out, o, 0, k, k ^ 0xFFFF)
        view[o + 5 : o + 5 + k] = data[i : i + k]
        o += 5 + k
    return view[:o]


@dataclass(slots=True)
class _Slot:
    """One chunk's reusable buffers, and the background work still reading them."""

    data: bytearray
    framed: bytearray
    busy: list[Future[None]]

    def wait(self) -> None:
        for future in self.busy:
            future.result()
        self.busy.clear()


def _read_full(fh: io.RawIOBase, view: memoryview) -> int:
    """Fill ``view`` unless the file ends: chunk boundaries (and so the bytes of the
    archive) must not depend on how the kernel splits reads."""
    got = 0
    while got < len(view):
        n = fh.readinto(view[got:])
        if not n:
            break
        got += n
    return got


class _DeflateWriter:
    """A write-only gzip stream whose compression level can change between members.

    Level 0 is written as deflate *stored* blocks by this class itself (zlib's level 0
    runs at a fraction of memory speed); other levels go through zlib.  Switching level
    is a sync flush (byte-aligned, not final) and a fresh compressor, so the result is
    one valid deflate stream in one gzip member.

    Files are streamed through a ring of reusable buffers (:meth:`copy_file`): no
    allocation per chunk, and each byte is read from the file once.  On the main thread:
    read, CRC-32 (zlib-ng, ~20 GB/s) and framing; on three background threads, each in
    order: the member's sha256, the archive's sha256, and the write.
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
        if not data:
            return []
        self._written += len(data)
        return [self._write_pipe.submit(self._write_all, data), self._hash_pipe.submit(self._hash.update, data)]

    def set_level(self, level: int) -> None:
        if level == self._level:
            return
        if self._comp is not None:
            self._emit(self._comp.flush(zlib.Z_SYNC_FLUSH))
        self._comp = self._new(level)
        self._level = level

    def _take_slot(self) -> _Slot:
        if len(self._ring) < _RING:
            slot = _Slot(bytearray(CHUNK), bytearray(_framed_size(CHUNK)), [])
            self._ring.append(slot)
            return slot
        slot = self._ring[self._next]
        self._next = (self._next + 1) % _RING
        slot.wait()
        return slot

    def _deflate(self, data: memoryview, slot: _Slot | None) -> list[Future[None]]:
        self._crc = zlib_ng.crc32(data, self._crc)
        self._size += len(data)
        if self._comp is not None:
            return self._emit(self._comp.compress(data))
        if slot is None:
            return self._emit(_frame_into(data, bytearray(_framed_size(len(data)))))
        return self._emit(_frame_into(data, slot.framed))

    def write(self, data: bytes) -> None:
        """Small pieces (tar headers, padding, the manifest): copied, no ring slot."""
        if data:
            self._deflate(memoryview(data), None)

    def copy_file(self, fh: io.FileIO, size: int, progress: Progress | None = None) -> tuple[int, str]:
        """Stream up to ``size`` bytes of ``fh``; return the bytes read and their sha256."""
        member = hashlib.sha256()
        done = 0
        while done < size:
            slot = self._take_slot()
            view = memoryview(slot.data)[: min(CHUNK, size - done)]
            try:
                n = _read_full(fh, view)
            except OSError as exc:
                raise ArchiveError(f"{fh.name}: cannot read ({exc.strerror or exc})") from None
            if not n:
                break
            chunk = view[:n]
            slot.busy.append(self._member_pipe.submit(member.update, chunk))
            slot.busy.extend(self._deflate(chunk, slot))
            done += n
            if progress is not None:
                progress(n)
        self._member_pipe.drain()
        return done, member.hexdigest()

    def finish(self) -> tuple[int, str]:
        if self._comp is not None:
            self._emit(self._comp.flush(zlib.Z_FINISH))
        else:
            self._emit(b"\x01\x00\x00\xff\xff")  # an empty final stored block
        self._emit(struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF))
        for pipe in (self._member_pipe, self._write_pipe, self._hash_pipe):
            pipe.close()
        return self._written, self._hash.hexdigest()

    def abort(self) -> None:
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
        self._put(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))

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
                gz = _DeflateWriter(raw.fileno(), compresslevel)
                try:
                    records = _write_tar(gz, planned, mtime, compresslevel, weights_compresslevel, meta, progress)
                    size, digest = gz.finish()
                except BaseException:
                    gz.abort()
                    raise
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
    dirs_done: set[str] = set()
    tar = _TarWriter(gz)
    for m in planned:
        parts = m.arcname.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in dirs_done:
                dirs_done.add(d)
                tar.header(_dir_info(d, mtime))
        try:
            fh = m.source.open("rb", buffering=0)
            size = os.fstat(fh.fileno()).st_size
        except OSError as exc:
            raise ArchiveError(f"{m.source}: cannot read ({exc.strerror})") from None
        with fh:
            info = _normalise(tarfile.TarInfo(m.arcname), mtime)
            info.size = size
            info.mode = 0o755 if m.executable else 0o644
            gz.set_level(weights_level if m.weights else level)
            tar.header(info)
            done, digest = tar.file(fh, size, progress if m.weights else None)
            if done != size or fh.read(1):
                raise ArchiveError(f"{m.source}: changed size while being archived")
            tar.pad()
        records.append(FileRecord(path=m.arcname, size=size, sha256=digest))
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
