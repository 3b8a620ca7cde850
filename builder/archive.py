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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ArchiveError

MANIFEST_NAME = "MANIFEST.json"
MANIFEST_FORMAT = 1
DEFAULT_MTIME = 315532800  # 1980-01-01T00:00:00Z
CHUNK = 1 << 20
#: Measured by ``make bench`` (see README): level 0 for the weights, 6 for the rest.
DEFAULT_WEIGHTS_COMPRESSLEVEL = 0
DEFAULT_COMPRESSLEVEL = 6

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


class _DeflateWriter(io.RawIOBase):
    """A write-only gzip stream whose compression level can change between members."""

    def __init__(self, raw: io.BufferedWriter, level: int) -> None:
        super().__init__()
        self._raw = raw
        self._hash = hashlib.sha256()
        self._crc = 0
        self._size = 0
        self._written = 0
        # RFC 1952 header: no name, mtime 0, XFL 0, OS 255 (unknown): fixed bytes.
        self._emit(b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x00\xff")
        self._level = level
        self._comp = self._new(level)

    @staticmethod
    def _new(level: int) -> Any:
        return zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 9)

    def _emit(self, data: bytes) -> None:
        if data:
            self._raw.write(data)
            self._hash.update(data)
            self._written += len(data)

    def set_level(self, level: int) -> None:
        if level == self._level:
            return
        self._emit(self._comp.flush(zlib.Z_SYNC_FLUSH))
        self._comp = self._new(level)
        self._level = level

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self._crc = zlib.crc32(view, self._crc)
        self._size += len(view)
        self._emit(self._comp.compress(view))
        return len(view)

    def tell(self) -> int:
        return self._size

    def finish(self) -> tuple[int, str]:
        self._emit(self._comp.flush(zlib.Z_FINISH))
        self._emit(struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF))
        return self._written, self._hash.hexdigest()


class _HashingReader(io.RawIOBase):
    """Reads a file once, feeding a sha256 and a progress callback."""

    def __init__(self, fh: io.BufferedReader, progress: Progress | None) -> None:
        super().__init__()
        self._fh = fh
        self.hash = hashlib.sha256()
        self.size = 0
        self._progress = progress

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self.hash.update(data)
        self.size += len(data)
        if self._progress is not None and data:
            self._progress(len(data))
        return data


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
        with tmp.open("wb") as raw:
            gz = _DeflateWriter(raw, compresslevel)
            records = _write_tar(gz, planned, mtime, compresslevel, weights_compresslevel, meta, progress)
            size, digest = gz.finish()
            raw.flush()
            os.fsync(raw.fileno())
        manifest = _manifest(meta, records)
        beside = dict(manifest)
        beside["archive"] = {"name": out.name, "size": size, "sha256": digest}
        tmp_manifest.write_text(json.dumps(beside, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, out)
        os.replace(tmp_manifest, manifest_out)
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
    with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, copybufsize=CHUNK) as tar:  # type: ignore[call-overload]
        for m in planned:
            parts = m.arcname.split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in dirs_done:
                    dirs_done.add(d)
                    tar.addfile(_dir_info(d, mtime))
            try:
                fh = m.source.open("rb")
                size = os.fstat(fh.fileno()).st_size
            except OSError as exc:
                raise ArchiveError(f"{m.source}: cannot read ({exc.strerror})") from None
            with fh:
                info = _normalise(tarfile.TarInfo(m.arcname), mtime)
                info.size = size
                info.mode = 0o755 if m.executable else 0o644
                gz.set_level(weights_level if m.weights else level)
                reader = _HashingReader(fh, progress if m.weights else None)
                tar.addfile(info, reader)
                if reader.size != size:
                    raise ArchiveError(f"{m.source}: changed size while being archived")
            records.append(FileRecord(path=m.arcname, size=size, sha256=reader.hash.hexdigest()))
        gz.set_level(level)
        body = json.dumps(_manifest(meta, records), indent=2, sort_keys=True).encode() + b"\n"
        info = _normalise(tarfile.TarInfo(MANIFEST_NAME), mtime)
        info.size = len(body)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(body))
    return records
