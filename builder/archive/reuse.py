"""Rebuilds that never re-read the weights: what the archive step learnt about each weights
file, and where its framed bytes lie in the archives it wrote, kept in the build folder.

* An input is known by its identity: device, inode, size, mtime_ns and ctime_ns (a file
  rewritten in place gets a new ctime even when its mtime is set back).  Its sha256 and
  CRC-32 are kept only when it did not change while it was read and its ctime is older than
  :data:`RACY_NS` (a write within the same timestamp tick would leave both unchanged).
* A stored member's data is framed position-independently (:mod:`.gzstream`): stored
  blocks from a byte-aligned block edge, chunked from its first byte, starting at a
  :data:`SEGMENT_ALIGN` boundary of the archive.  Those bytes are the same in every archive
  that holds the file, so a rebuild copies them from an earlier archive with
  ``os.copy_file_range`` (a reflink on XFS and btrfs) instead of reading and framing them;
  the archive is byte-identical to a streamed one.
* An earlier archive is copied from only while its identity is the one taken right after it
  was installed, and its first and last stored blocks frame the file's first and last
  bytes.  Anything else — another cache format, builder version, chunk size or alignment,
  a weights level above 0, a missing, truncated, replaced or touched archive — streams.
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..util.fs import sweep_temps, write_text_atomic
from ..util.jsonio import read_json
from .gzstream import STORED_HEADER, STORED_MAX

CACHE_NAME = "archive-reuse.json"
CACHE_FORMAT = 1
#: The largest record read back (it holds a few inputs and archives: a few KB).
RECORD_LIMIT = 1 << 20
#: the framed data starts at a multiple of this in the archive: a reflink needs both
#: offsets block-aligned (4 KiB covers the common block sizes); it costs < 4 KiB of empty blocks
SEGMENT_ALIGN = 4096
#: a file changed this recently (ctime) may change again within the same timestamp tick
RACY_NS = 2_000_000_000
MAX_INPUTS = 8
MAX_ARCHIVES = 4


@dataclass(frozen=True, slots=True)
class FileId:
    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileId:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    @property
    def key(self) -> str:
        return f"{self.dev}:{self.ino}:{self.size}:{self.mtime_ns}:{self.ctime_ns}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    sha256: str
    crc32: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """Where an input's framed data lies in an archive."""

    input: str  # FileId.key
    offset: int
    length: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """An earlier archive, open and checked, to copy one input's framed data from."""

    fd: int
    offset: int
    length: int


def framed_length(size: int, chunk: int) -> int:
    """The stored-block framing of ``size`` bytes read in chunks of ``chunk``."""
    def framed(n: int) -> int:
        return n + STORED_HEADER.size * max(1, -(-n // STORED_MAX))
    full, rest = divmod(size, chunk)
    return full * framed(chunk) + (framed(rest) if rest else 0)


def _edge_blocks(size: int, chunk: int) -> list[tuple[int, int, int]]:
    """(offset in the framed data, offset in the file, length) of the first and last stored
    block of ``size`` > 0 bytes framed in chunks of ``chunk``."""
    first = (0, 0, min(STORED_MAX, chunk, size))
    last_chunk = size - chunk * ((size - 1) // chunk)
    blocks_before = (last_chunk - 1) // STORED_MAX
    n = last_chunk - blocks_before * STORED_MAX
    start = framed_length(size, chunk) - framed_length(last_chunk, chunk)
    last = (start + blocks_before * (STORED_MAX + STORED_HEADER.size), size - n, n)
    return [first, last]


def _frames_file(archive_fd: int, offset: int, model: io.FileIO, size: int, chunk: int) -> bool:
    for rel, at, n in _edge_blocks(size, chunk):
        block = os.pread(archive_fd, STORED_HEADER.size + n, offset + rel)
        if block[: STORED_HEADER.size] != STORED_HEADER.pack(0, n, n ^ 0xFFFF):
            return False
        if block[STORED_HEADER.size :] != os.pread(model.fileno(), n, at):
            return False
    return True


class ReuseCache:
    """The cache file of one build folder (a build holds the folder's lock while using it)."""

    def __init__(self, path: Path, *, chunk: int, doc: dict[str, Any] | None = None) -> None:
        self.path = path
        self.chunk = chunk
        self._signature = {"format": CACHE_FORMAT, "builder": __version__, "chunk": chunk, "align": SEGMENT_ALIGN}
        self._inputs: dict[str, dict[str, Any]] = {}
        self._archives: list[dict[str, Any]] = []
        self._opened: list[int] = []
        if doc is not None and all(doc.get(k) == v for k, v in self._signature.items()):
            inputs, archives = doc.get("inputs"), doc.get("archives")
            if isinstance(inputs, dict):
                self._inputs = {str(k): v for k, v in inputs.items() if isinstance(v, dict)}
            if isinstance(archives, list):
                self._archives = [a for a in archives if isinstance(a, dict)]

    @classmethod
    def load(cls, folder: Path, *, chunk: int) -> ReuseCache:
        path = folder / CACHE_NAME
        sweep_temps(path)
        try:
            doc = read_json(path, max_bytes=RECORD_LIMIT)
        except (OSError, ValueError):
            doc = None
        return cls(path, chunk=chunk, doc=doc if isinstance(doc, dict) else None)

    def digest(self, fid: FileId) -> Digest | None:
        entry = self._inputs.get(fid.key)
        try:
            return Digest(sha256=str(entry["sha256"]), crc32=int(entry["crc32"])) if entry else None
        except (KeyError, TypeError, ValueError):
            return None

    def source(self, fid: FileId, model: io.FileIO) -> Source | None:
        """An earlier archive holding ``model``'s framed data, checked (identity, edges)."""
        want = framed_length(fid.size, self.chunk)
        for record in reversed(self._archives):
            try:
                seg = next(s for s in record["segments"] if s["input"] == fid.key)
                offset, length, path, ident = int(seg["offset"]), int(seg["length"]), str(record["path"]), record["id"]
            except (StopIteration, KeyError, TypeError, ValueError):
                continue
            if length != want or fid.size == 0:
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                st = os.fstat(fd)
                if (FileId.of(st).key == ident and offset + length <= st.st_size
                        and _frames_file(fd, offset, model, fid.size, self.chunk)):
                    self._opened.append(fd)
                    return Source(fd=fd, offset=offset, length=length)
            except OSError:
                pass
            os.close(fd)
        return None

    def remember(self, fid: FileId, digest: Digest, *, now_ns: int | None = None) -> None:
        """Keep ``digest`` of the input ``fid`` (read while its identity held), unless its
        last change is too recent to tell a later one from it."""
        now = time.time_ns() if now_ns is None else now_ns
        if now - fid.ctime_ns < RACY_NS:
            return
        self._inputs.pop(fid.key, None)
        self._inputs[fid.key] = {"sha256": digest.sha256, "crc32": digest.crc32}
        while len(self._inputs) > MAX_INPUTS:
            self._inputs.pop(next(iter(self._inputs)))

    def record(self, archive: Path, archive_id: FileId, segments: list[Segment]) -> None:
        """``archive`` (just installed, identity ``archive_id``) holds ``segments``."""
        path = os.path.abspath(archive)
        self._archives = [a for a in self._archives if a.get("path") != path]
        known = [s for s in segments if s.input in self._inputs]
        if known:
            self._archives.append({"path": path, "id": archive_id.key, "segments": [
                {"input": s.input, "offset": s.offset, "length": s.length} for s in known]})
        del self._archives[:-MAX_ARCHIVES]

    def save(self) -> None:
        """Best effort: the cache only saves time, a build never fails for it."""
        doc = dict(self._signature, inputs=self._inputs, archives=self._archives)
        try:
            write_text_atomic(self.path, json.dumps(doc, indent=1, sort_keys=True) + "\n")
        except OSError:
            pass

    def close(self) -> None:
        for fd in self._opened:
            os.close(fd)
        self._opened.clear()
