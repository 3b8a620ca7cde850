"""The archive stage's policy: which member goes at which level, what is deflated ahead,
and how the output replaces the previous one.

* Members are planned by :mod:`.tar` (sorted, normalised headers, fixed mtime from
  ``SOURCE_DATE_EPOCH`` or 1980-01-01); the gzip header is fixed by :mod:`.gzstream`:
  the same inputs give the same bytes.
* ``MANIFEST.json`` is the last member and the same manifest plus the archive's own hash
  is written beside the archive (names and format: :mod:`.contract`).
* One gzip member, two compression levels: the weights at ``weights_compresslevel``
  (default 0, stored blocks at memory speed: ``make bench`` shows gzip -1 saves ~6 % of a
  Q4 GGUF at a tenth of the speed), everything else at ``compresslevel``.
* Each byte of the weights is read once, hashed while it is written (:mod:`.gzstream`);
  runs of code members up to ``ahead_max`` bytes are deflated ahead on a worker while the
  weights stream, and spliced in at a block edge.
* The archive and the manifest are written to temp files beside the output and renamed
  only on success, so a failed or interrupted build leaves the previous ones untouched.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import os
import tarfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zlib_ng import zlib_ng

from ..errors import ArchiveError
from ..util.fs import temp_path
from .contract import (
    MANIFEST_NAME,
    FileRecord,
    manifest_bytes,
    manifest_doc,
    sidecar_doc,
    sidecar_path,
    sidecar_text,
)
from .gzstream import STORED_HEADER, STORED_MAX, DeflateWriter, Progress, Tuning, deflate_block
from .tar import Entry, Member, TarWriter, dir_info, entries, file_info, header_bytes, plan_members, regular_info, runs

DEFAULT_MTIME = 315532800  # 1980-01-01T00:00:00Z
#: Measured by ``make bench`` (see README): level 0 for the weights (gzip -1 saves ~6 % of a
#: Q4 GGUF at 1/20 of the speed), 1 for the rest (level 6 saves 0.3 MB of 3 MB at 3x the time).
DEFAULT_WEIGHTS_COMPRESSLEVEL = 0
DEFAULT_COMPRESSLEVEL = 1
#: Runs of code/library members up to this many bytes in all are deflated ahead on a
#: worker thread while the weights stream (their zlib time would otherwise be serial).
AHEAD_MAX = 64 << 20
DEFAULT_TUNING = Tuning()


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


def check_output_dir(out: Path) -> None:
    """Fail early (before any work) if ``out`` cannot be written."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise ArchiveError(f"{parent}: output directory does not exist")
    if not parent.is_dir():
        raise ArchiveError(f"{parent}: output directory is not a directory")
    probe = temp_path(parent / out.name, "probe")
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
    return total + STORED_HEADER.size * (total // STORED_MAX + 1) + 2048 * (len(planned) + 8) + (1 << 16)


def write_archive(
    out: Path,
    members: Sequence[Member],
    *,
    meta: Mapping[str, Any],
    mtime: int = DEFAULT_MTIME,
    compresslevel: int = DEFAULT_COMPRESSLEVEL,
    weights_compresslevel: int = DEFAULT_WEIGHTS_COMPRESSLEVEL,
    progress: Progress | None = None,
    tuning: Tuning = DEFAULT_TUNING,
    ahead_max: int = AHEAD_MAX,
) -> ArchiveResult:
    """Write ``out`` and its manifest atomically; return what was written."""
    for level in (compresslevel, weights_compresslevel):
        if not 0 <= level <= 9:
            raise ArchiveError(f"compression level {level} is not in 0..9")
    planned = plan_members(members)
    check_output_dir(out)
    manifest_out = sidecar_path(out)
    tmp = temp_path(out)
    tmp_manifest = temp_path(manifest_out)
    levels = _Levels(code=compresslevel, weights=weights_compresslevel, ahead_max=ahead_max)
    try:
        try:
            with tmp.open("wb", buffering=0) as raw:
                _preallocate(raw.fileno(), _size_bound(planned))
                gz = DeflateWriter(raw.fileno(), compresslevel, tuning=tuning)
                try:
                    records = _write_tar(gz, planned, mtime, levels, meta, progress)
                    size, digest = gz.finish()
                except BaseException:
                    gz.abort()
                    raise
                os.ftruncate(raw.fileno(), size)  # gives back the blocks reserved past the end
            manifest = manifest_doc(meta, records)
            beside = sidecar_doc(manifest, name=out.name, size=size, sha256=digest)
            tmp_manifest.write_text(sidecar_text(beside), encoding="utf-8")
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


@dataclass(frozen=True, slots=True, kw_only=True)
class _Levels:
    code: int
    weights: int
    ahead_max: int


def deflate_ahead(run: Sequence[Entry], level: int, mtime: int) -> tuple[int, int, bytes, list[FileRecord]]:
    """One run's tar bytes deflated by a fresh compressor and ended by a sync flush (a
    byte-aligned, non-final block edge, so it splices into the stream anywhere):
    (raw size, raw CRC-32, deflated bytes, records)."""
    raw = bytearray()
    records: list[FileRecord] = []
    for dirs, m in run:
        for d in dirs:
            raw += header_bytes(dir_info(d, mtime))
        try:
            with m.source.open("rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                data = fh.read(size + 1)
        except OSError as exc:
            raise ArchiveError(f"{m.source}: cannot read ({exc.strerror})") from None
        if len(data) != size:
            raise ArchiveError(f"{m.source}: changed size while being archived")
        raw += header_bytes(file_info(m, size, mtime))
        raw += data
        raw += b"\0" * (-size % tarfile.BLOCKSIZE)
        records.append(FileRecord(path=m.arcname, size=size, sha256=hashlib.sha256(data).hexdigest()))
    return len(raw), zlib_ng.crc32(raw), deflate_block(level, memoryview(raw)), records


def _ahead_size(run: Sequence[Entry]) -> int | None:
    try:
        return sum(m.source.stat().st_size for _dirs, m in run)
    except OSError:
        return None  # streamed, which reports the problem with the file's name


def _write_tar(
    gz: DeflateWriter,
    planned: Sequence[Member],
    mtime: int,
    levels: _Levels,
    meta: Mapping[str, Any],
    progress: Progress | None,
) -> list[FileRecord]:
    records: list[FileRecord] = []
    tar = TarWriter(gz)
    member_runs = runs(entries(planned))
    ahead = ThreadPoolExecutor(max_workers=1)
    try:
        jobs: dict[int, Future[tuple[int, int, bytes, list[FileRecord]]]] = {}
        budget = levels.ahead_max
        for i, run in enumerate(member_runs):
            size = _ahead_size(run)
            if levels.code > 0 and not run[0][1].weights and size is not None and size <= budget:
                jobs[i] = ahead.submit(deflate_ahead, run, levels.code, mtime)
                budget -= size
        for i, run in enumerate(member_runs):
            job = jobs.get(i)
            if job is not None:
                raw_size, raw_crc, segment, done = job.result()
                gz.splice(segment, raw_size, raw_crc)
                tar.offset += raw_size
                records += done
                continue
            for dirs, m in run:
                gz.set_level(levels.weights if m.weights else levels.code)
                for d in dirs:
                    tar.header(dir_info(d, mtime))
                records.append(_stream_member(tar, m, mtime, progress if m.weights else None))
    finally:
        ahead.shutdown(wait=True, cancel_futures=True)
    gz.set_level(levels.code)
    body = manifest_bytes(manifest_doc(meta, records))
    tar.header(regular_info(MANIFEST_NAME, len(body), mtime))
    tar.data(body)
    tar.pad()
    tar.close()
    return records


def _stream_member(tar: TarWriter, m: Member, mtime: int, progress: Progress | None) -> FileRecord:
    try:
        fh = m.source.open("rb", buffering=0)
        size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise ArchiveError(f"{m.source}: cannot read ({exc.strerror})") from None
    with fh:
        tar.header(file_info(m, size, mtime))
        done, digest = tar.file(fh, size, progress)
        if done != size or fh.read(1):
            raise ArchiveError(f"{m.source}: changed size while being archived")
        tar.pad()
    return FileRecord(path=m.arcname, size=size, sha256=digest)
