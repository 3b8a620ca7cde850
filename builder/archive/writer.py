"""The archive stage's policy: which member goes at which level, what is deflated ahead,
and how the output replaces the previous one.

* Members are planned by :mod:`.tar` (the weights first, each part sorted; normalised
  headers, fixed mtime from ``SOURCE_DATE_EPOCH`` or 1980-01-01); the gzip header is fixed
  by :mod:`.gzstream`: the same inputs give the same bytes.
* ``MANIFEST.json`` is the last member and the same manifest plus the archive's identity
  (size, gzip trailer, the manifest's sha256) is written beside the archive (names and
  format: :mod:`.contract`).
* One gzip member, two compression levels: the weights at ``weights_compresslevel``
  (default 0, stored blocks at memory speed: ``make bench`` shows gzip -1 saves ~6 % of a
  Q4 GGUF at a tenth of the speed), everything else at ``compresslevel``.
* Each byte of the weights is read once, hashed once while it is written (:mod:`.gzstream`);
  runs of code members up to ``ahead_max`` bytes are deflated ahead on a worker while the
  weights stream, and spliced in at a block edge.
* With a build folder (``reuse_dir``), weights at level 0 that an earlier archive holds
  are copied from it by the kernel, not read, hashed or framed (:mod:`.reuse`): the
  archive is byte-identical to a streamed one.
* The archive is written to a temp file beside the output (flocked while written) and
  installed with its sidecar as a pair (:mod:`.replace`): a failed, interrupted or killed
  build leaves the previous pair untouched, or the new pair complete; the next build
  sweeps what a killed one left (:func:`check_output_dir`).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import io
import os
import tarfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zlib_ng import zlib_ng

from ..errors import ArchiveError
from ..util.fs import lock_temp, temp_path
from .contract import (
    MANIFEST_NAME,
    ArchiveIdentity,
    FileRecord,
    manifest_bytes,
    manifest_doc,
    sidecar_doc,
    sidecar_path,
    sidecar_text,
)
from .gzstream import STORED_HEADER, STORED_MAX, DeflateWriter, Progress, Tuning, deflate_block
from .replace import install, recover
from .reuse import SEGMENT_ALIGN, Digest, FileId, ReuseCache, Segment
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
    identity: ArchiveIdentity  # what the sidecar names the archive by (size, gzip trailer, manifest sha256)
    files: tuple[FileRecord, ...]
    manifest: Mapping[str, Any]
    reused: int = 0  # bytes of weights copied from an earlier archive (not read, hashed or framed)


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
    """Fail early (before any work) if ``out`` cannot be written; then finish or undo the
    replacement a killed build left beside it and sweep dead builds' temps (:func:`.replace.recover`)."""
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
    recover(out)


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
    reuse_dir: Path | None = None,
) -> ArchiveResult:
    """Write ``out`` and its sidecar as a pair; return what was written.  ``reuse_dir`` (the
    build folder, held by one build at a time) keeps what lets a rebuild copy the weights."""
    for level in (compresslevel, weights_compresslevel):
        if not 0 <= level <= 9:
            raise ArchiveError(f"compression level {level} is not in 0..9")
    planned = plan_members(members)
    check_output_dir(out)
    job = _Job(out=out, planned=planned, meta=meta, mtime=mtime, progress=progress, tuning=tuning,
               levels=_Levels(code=compresslevel, weights=weights_compresslevel, ahead_max=ahead_max))
    cache = None
    if reuse_dir is not None and weights_compresslevel == 0:  # only stored weights are copied
        cache = ReuseCache.load(reuse_dir, chunk=tuning.chunk)
    try:
        done = _write_and_install(job, cache)
    finally:
        if cache is not None:
            cache.close()
    if cache is not None:
        cache.record(out, done.installed, done.tar.segments)
        cache.save()
    return ArchiveResult(
        path=out,
        manifest_path=sidecar_path(out),
        size=done.identity.size,
        identity=done.identity,
        files=tuple(done.tar.records),
        manifest=done.manifest,
        reused=done.tar.reused,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Levels:
    code: int
    weights: int
    ahead_max: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Job:
    """What one archive is written from (the arguments of :func:`write_archive`, checked)."""

    out: Path
    planned: Sequence[Member]
    meta: Mapping[str, Any]
    mtime: int
    levels: _Levels
    progress: Progress | None
    tuning: Tuning


@dataclass(frozen=True, slots=True, kw_only=True)
class _Installed:
    tar: _Written
    identity: ArchiveIdentity
    manifest: Mapping[str, Any]
    installed: FileId  # the archive now in place (the reuse cache's key for where the weights lie)


def _write_and_install(job: _Job, cache: ReuseCache | None) -> _Installed:
    """The archive written to its temp file (flocked, its blocks reserved) and installed with
    its sidecar as a pair; on any error the temp is removed and the previous pair stands."""
    tmp = temp_path(job.out)
    fd = -1
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
            lock_temp(fd)
            _preallocate(fd, _size_bound(job.planned))
            gz = DeflateWriter(fd, job.levels.code, tuning=job.tuning)
            try:
                tar = _write_tar(gz, job.planned, job.mtime, job.levels, job.meta, job.progress, cache)
                size, crc, tar_size = gz.finish()
            except BaseException:
                gz.abort()
                raise
            os.ftruncate(fd, size)  # gives back the blocks reserved past the end
            identity = ArchiveIdentity(size=size, crc32=crc, isize=tar_size & 0xFFFFFFFF,
                                       manifest_sha256=tar.manifest_sha256)
            manifest = manifest_doc(job.meta, tar.records)
            install(job.out, tmp, fd, sidecar_text(sidecar_doc(manifest, name=job.out.name, identity=identity)))
            return _Installed(tar=tar, identity=identity, manifest=manifest, installed=FileId.of(os.fstat(fd)))
        except OSError as exc:  # reads are reported by _write_tar; this is the output side
            raise ArchiveError(f"{job.out}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if fd >= 0:
            os.close(fd)


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


@dataclass(slots=True)
class _Written:
    records: list[FileRecord]
    segments: list[Segment]  # where each weights file's framed data lies (for the cache)
    manifest_sha256: str = ""
    reused: int = 0


def _write_tar(
    gz: DeflateWriter,
    planned: Sequence[Member],
    mtime: int,
    levels: _Levels,
    meta: Mapping[str, Any],
    progress: Progress | None,
    cache: ReuseCache | None,
) -> _Written:
    done = _Written(records=[], segments=[])
    records = done.records
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
                raw_size, raw_crc, deflated, ahead_records = job.result()
                gz.splice(deflated, raw_size, raw_crc)
                tar.offset += raw_size
                records += ahead_records
                continue
            for dirs, m in run:
                gz.set_level(levels.weights if m.weights else levels.code)
                for d in dirs:
                    tar.header(dir_info(d, mtime))
                if m.weights and levels.weights == 0:
                    _stored_weights(tar, m, mtime, progress, cache, done)
                else:
                    records.append(_stream_member(tar, m, mtime, progress if m.weights else None))
    finally:
        ahead.shutdown(wait=True, cancel_futures=True)
    gz.set_level(levels.code)
    records.sort(key=lambda r: r.path.split("/"))  # listed by path, whatever the archive order
    body = manifest_bytes(manifest_doc(meta, records))
    done.manifest_sha256 = hashlib.sha256(body).hexdigest()
    tar.header(regular_info(MANIFEST_NAME, len(body), mtime))
    tar.data(body)
    tar.pad()
    tar.close()
    return done


def _open_member(m: Member) -> tuple[io.FileIO, os.stat_result]:
    try:
        fh = m.source.open("rb", buffering=0)
        return fh, os.fstat(fh.fileno())
    except OSError as exc:
        raise ArchiveError(f"{m.source}: cannot read ({exc.strerror})") from None


def _stream_member(tar: TarWriter, m: Member, mtime: int, progress: Progress | None) -> FileRecord:
    fh, st = _open_member(m)
    with fh:
        tar.header(file_info(m, st.st_size, mtime))
        streamed = tar.file(fh, st.st_size, progress)
        if streamed.size != st.st_size or fh.read(1):
            raise ArchiveError(f"{m.source}: changed size while being archived")
        tar.pad()
    return FileRecord(path=m.arcname, size=st.st_size, sha256=streamed.sha256)


def _stored_weights(
    tar: TarWriter, m: Member, mtime: int, progress: Progress | None, cache: ReuseCache | None, done: _Written
) -> None:
    """A weights member at level 0: its data framed at an aligned offset, position-independent
    (:mod:`.reuse`); copied from an earlier archive when the cache knows it, else streamed."""
    fh, st = _open_member(m)
    fid = FileId.of(st)
    size = st.st_size
    with fh:
        tar.header(file_info(m, size, mtime))
        known = cache.digest(fid) if cache is not None else None
        source = cache.source(fid, fh) if cache is not None and known is not None else None
        if cache is not None and known is not None and source is not None:
            start = tar.copied(source.fd, source.offset, source.length, size=size, crc32=known.crc32,
                               align=SEGMENT_ALIGN)
            if progress is not None:
                progress(size)
            tar.pad()
            cache.remember(fid, known)
            done.records.append(FileRecord(path=m.arcname, size=size, sha256=known.sha256))
            done.segments.append(Segment(input=fid.key, offset=start, length=source.length))
            done.reused += size
            return
        streamed = tar.file(fh, size, progress, align=SEGMENT_ALIGN)
        if streamed.size != size or fh.read(1):
            raise ArchiveError(f"{m.source}: changed size while being archived")
        tar.pad()
        done.records.append(FileRecord(path=m.arcname, size=size, sha256=streamed.sha256))
        if cache is not None and streamed.segment is not None and FileId.of(os.fstat(fh.fileno())) == fid:
            cache.remember(fid, Digest(sha256=streamed.sha256, crc32=streamed.crc32))
            done.segments.append(Segment(input=fid.key, offset=streamed.segment[0], length=streamed.segment[1]))
