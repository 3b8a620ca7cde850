"""Verify level 1: read a submission archive without trusting it.

The archive is streamed once: gzip is inflated by :mod:`.gzipstream` (a single stream, no
trailing data), the tar stream is walked block by block (:mod:`.tarstream`: every byte is
accounted for, a corrupt header is a problem and what hides behind it is reported, after
the end-of-archive marker only zeros), and every regular member is hashed while it is
read.  Each member's header is checked before any byte of it is written (``filter="data"``
semantics, stricter): only regular files, directories and symlinks that lead inside
(judged by where they lead through the links already in the archive); no absolute or
``..`` paths, no devices, fifos, hard links, sparse files, setuid/setgid/sticky bits,
duplicates, paths through a symlink, names longer than :data:`MAX_NAME` or deeper than
:data:`MAX_DEPTH`.  After the first such problem nothing more is written, the scan goes on
to collect every problem, and whatever was written is removed.

Honest archives made by hand pass: ``tar -czf X -C dir .`` (``./`` prefixes, the folder
itself as a member), any member order, and no ``MANIFEST.json`` at all (then the content
hashes cannot be checked, and the scan says so).

With ``extract_to`` the same pass writes the members into that (private, empty) folder;
without it nothing is written except ELF files, which are spooled to anonymous temporary
files to read their dynamic section.  Memory stays bounded: data moves in 1 MiB chunks,
and only the files level 2 reads are kept (bounded one by one and in all).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..archive.contract import MANIFEST_NAME, check_sidecar, read_manifest_files
from ..errors import clip
from ..native.elf import ElfInfo, is_elf, read_elf
from .gzipstream import CHUNK, GzipStream
from .tarstream import Member, Readable, TarStream

#: Free space left untouched when unpacking: a member that would eat into it is refused
#: (a decompression bomb or a too-small temp folder fails as a problem, not a full disk).
DISK_RESERVE = 256 << 20
#: Largest file kept in memory for the static level (the agent's modules, metadata files);
#: MANIFEST.json may be larger (it lists every file), and all kept files together are bounded.
TEXT_LIMIT = 4 << 20
MANIFEST_LIMIT = 32 << 20
TEXTS_TOTAL = 64 << 20
#: Member names: longer or deeper ones are refused before they are used (a name of 1,500
#: components raised RecursionError).
MAX_NAME = 4096
MAX_DEPTH = 64
#: Symlinks followed through each other before a chain counts as a loop (Linux's limit).
MAX_LINK_HOPS = 40

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberFile:
    """One regular file of the archive, as read (not as claimed)."""

    path: str
    size: int
    sha256: str
    executable: bool
    head: bytes  # first bytes (file magic)


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveScan:
    """What level 1 learnt from one pass over the archive."""

    archive: Path
    archive_size: int
    archive_sha256: str
    files: Mapping[str, MemberFile]
    dirs: frozenset[str]
    symlinks: Mapping[str, str]
    members: int
    manifest: Mapping[str, object] | None
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    #: what the scan could not check, and why (no MANIFEST.json: no content hashes)
    gaps: tuple[str, ...]
    #: small files kept for level 2: root ``*.py`` / ``*.json`` and dist-info metadata
    texts: Mapping[str, bytes]
    elfs: tuple[ElfInfo, ...]
    elf_problems: tuple[str, ...]
    #: the folder holding the unpacked members (``extract_to``), None when not extracted
    root: Path | None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def payload_bytes(self) -> int:
        return sum(f.size for f in self.files.values())


def member_path(raw: str) -> str:
    """The path a member unpacks to: ``./`` prefixes (``tar -C dir .``) and a trailing ``/`` dropped."""
    name = raw
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/") if name not in ("", ".", "./") else ""


def check_name(name: str) -> str | None:
    """Why a member name is refused, or None."""
    if len(name) > MAX_NAME:
        return f"a name of {len(name):,} characters (at most {MAX_NAME})"
    if not name or "\x00" in name:
        return "empty or NUL in name"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    stripped = name[:-1] if name.endswith("/") else name
    parts = stripped.split("/")
    if len(parts) > MAX_DEPTH:
        return f"a path of {len(parts):,} components (at most {MAX_DEPTH})"
    if ".." in parts:
        return "path with '..'"
    if any(p in ("", ".") for p in parts):
        return "path is not normalised (empty or '.' component)"
    if "\\" in name:
        return "backslash in path"
    return None


def link_target(link: str, symlinks: Mapping[str, str]) -> str | None:
    """Where the symlink ``link`` leads inside the archive, following every symlink on the
    way (those of the archive: on disk they are real); None when it leaves the archive,
    is absolute, or loops."""
    parts: list[str] = []
    todo = [*link.split("/")[:-1], *symlinks[link].split("/")]
    hops = 0
    while todo:
        part = todo.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        here = "/".join([*parts, part])
        if here in symlinks:
            hops += 1
            target = symlinks[here]
            if hops > MAX_LINK_HOPS or target.startswith("/"):
                return None
            todo = [*target.split("/"), *todo]
            continue
        parts.append(part)
    return "/".join(parts)


def _keep_text(path: str) -> bool:
    """Kept for level 2: the agent's own modules (every ``.py`` outside ``lib/``), the two
    root JSON files it reads, and the wheel metadata of ``lib/``."""
    if "/" not in path:
        return path.endswith(".py") or path in (MANIFEST_NAME, "agent_settings.json")
    if not path.startswith("lib/"):
        return path.endswith(".py")
    parts = path.split("/")
    return (
        len(parts) == 3
        and parts[0] == "lib"
        and parts[1].endswith(".dist-info")
        and parts[2] in ("METADATA", "WHEEL", "RECORD", "top_level.txt")
    )


@dataclass(slots=True)
class _State:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    files: dict[str, MemberFile] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    symlinks: dict[str, str] = field(default_factory=dict)
    texts: dict[str, bytes] = field(default_factory=dict)
    elfs: list[ElfInfo] = field(default_factory=list)
    elf_problems: list[str] = field(default_factory=list)
    too_large: list[str] = field(default_factory=list)  # files level 2 would read, not kept
    manifest_raw: bytes | None = None
    members: int = 0
    kept_bytes: int = 0
    writing: bool = False


def _shown(name: str) -> str:
    return clip(repr(name), 200)


def _header_problems(m: Member, path: str, st: _State) -> list[str]:
    out: list[str] = []
    why = check_name(path)
    if why:
        return [f"{_shown(m.name)}: {why}"]
    if m.issym():
        target = m.linkname
        if not target or target.startswith("/"):
            out.append(f"{path}: symlink to absolute path {_shown(target)}")
        elif len(target) > MAX_NAME:
            out.append(f"{path}: symlink target of {len(target):,} characters (at most {MAX_NAME})")
    elif m.islnk():
        target = m.linkname
        where = "outside the archive" if check_name(member_path(target)) else f"to {member_path(target)}"
        out.append(f"{path}: hard link {where} (the contract has no links)")
    elif m.type in (tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE):
        out.append(f"{path}: device or fifo member")
    elif m.type == tarfile.GNUTYPE_SPARSE or "GNU.sparse.map" in m.pax or "GNU.sparse.major" in m.pax:
        out.append(f"{path}: sparse file member")
    elif not (m.isreg() or m.isdir()):
        out.append(f"{path}: unsupported member type {m.type!r}")
    if m.mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX):
        out.append(f"{path}: setuid/setgid/sticky mode {oct(m.mode)}")
    if path in st.files or path in st.symlinks or (path in st.dirs and not m.isdir()):
        out.append(f"{path}: member appears twice")
    parts = path.split("/")
    for i in range(1, len(parts)):
        anc = "/".join(parts[:i])
        if anc in st.symlinks:
            out.append(f"{path}: path goes through the symlink {anc}")
            break
        if anc in st.files:
            out.append(f"{path}: parent {anc} is a file")
            break
    return out


def _copy_member(data: Readable, m: Member, path: str, st: _State, dest: Path | None) -> MemberFile:
    digest = hashlib.sha256()
    size = 0
    head = b""
    limit = MANIFEST_LIMIT if path == MANIFEST_NAME else TEXT_LIMIT
    keep = _keep_text(path) and m.size <= limit and st.kept_bytes + m.size <= TEXTS_TOTAL
    kept: list[bytes] = []
    out: IO[bytes] | None = None
    spool: IO[bytes] | None = None
    elf = False
    try:
        if dest is not None:
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            out = open(target, "xb")
        while True:
            chunk = data.read(CHUNK)
            if not chunk:
                break
            if size == 0:
                head = chunk[:8]
                elf = is_elf(chunk)
                if elf and out is None:
                    spool = tempfile.TemporaryFile()
            size += len(chunk)
            digest.update(chunk)
            if out is not None:
                out.write(chunk)
            if spool is not None:
                spool.write(chunk)
            if keep:
                kept.append(chunk)
        if out is not None:
            out.close()
            os.chmod(dest / path, 0o755 if m.mode & 0o111 else 0o644)  # type: ignore[operator]
        if keep:
            st.texts[path] = b"".join(kept)
            st.kept_bytes += size
        elif _keep_text(path):
            st.too_large.append(path)
        if elf:
            _read_elf(path, dest / path if out is not None else spool, st)  # type: ignore[operator]
    finally:
        if out is not None and not out.closed:
            out.close()
        if spool is not None:
            spool.close()
    return MemberFile(path=path, size=size, sha256=digest.hexdigest(), executable=bool(m.mode & 0o111), head=head)


def _read_elf(path: str, source: Path | IO[bytes] | None, st: _State) -> None:
    try:
        if isinstance(source, Path):
            with open(source, "rb") as fh:
                st.elfs.append(read_elf(path, fh))
        elif source is not None:
            source.seek(0)
            st.elfs.append(read_elf(path, source))
    except (ValueError, OSError, Exception) as exc:  # pyelftools raises assorted errors
        st.elf_problems.append(f"{path}: unreadable ELF file ({exc})")


def _check_manifest(st: _State) -> Mapping[str, object] | None:
    if MANIFEST_NAME not in st.files:
        st.gaps.append(f"no {MANIFEST_NAME}: the members' content hashes were not checked (a hand-made "
                       "archive?); every other check ran")
        return None
    if st.manifest_raw is None:
        st.problems.append(f"{MANIFEST_NAME}: larger than {MANIFEST_LIMIT:,} bytes; not read")
        return None
    try:
        doc = json.loads(st.manifest_raw)
    except ValueError as exc:
        st.problems.append(f"{MANIFEST_NAME}: not valid JSON ({exc})")
        return None
    found = read_manifest_files(doc)
    st.problems.extend(found.problems)
    if not isinstance(doc, dict):
        return None
    if not found.files and found.problems:
        return doc
    listed = found.files
    actual = {p: f for p, f in st.files.items() if p != MANIFEST_NAME}
    for p in sorted(set(listed) - set(actual)):
        st.problems.append(f"{p}: listed in {MANIFEST_NAME} but missing from the archive")
    for p in sorted(set(actual) - set(listed)):
        st.problems.append(f"{p}: in the archive but not listed in {MANIFEST_NAME} (extra member)")
    for p in sorted(set(actual) & set(listed)):
        want, got = listed[p], actual[p]
        if want.size != got.size:
            st.problems.append(f"{p}: size {got.size} differs from {MANIFEST_NAME} ({want.size})")
        elif want.sha256 != got.sha256:
            st.problems.append(f"{p}: sha256 {got.sha256[:16]}… differs from {MANIFEST_NAME} ({want.sha256[:16]}…)")
    return doc


def _check_sidecar(archive: Path, size: int, sha: str, st: _State) -> None:
    """The sidecar's claims (the contract's to make and check: size, gzip trailer and
    MANIFEST.json sha256, or the older archive sha256) against what this pass read."""
    manifest = st.files.get(MANIFEST_NAME)
    check = check_sidecar(archive, size=size, sha256=sha, manifest_sha256=manifest.sha256 if manifest else None)
    st.problems.extend(check.problems)
    st.notes.extend(check.notes)


def scan_archive(
    archive: Path,
    *,
    extract_to: Path | None = None,
    log: Log | None = None,
    progress: Callable[[int], None] | None = None,
) -> ArchiveScan:
    """One pass over ``archive``; see the module docstring.  ``progress(n)`` hears of
    each ``n`` compressed bytes read.

    ``extract_to`` must be an empty folder private to the caller.  On any problem its
    contents are removed and ``ArchiveScan.root`` is None.
    """
    st = _State(writing=extract_to is not None)
    if extract_to is not None and any(extract_to.iterdir()):
        raise ValueError(f"{extract_to}: extraction folder is not empty")
    try:
        raw = open(archive, "rb")
    except OSError as exc:
        st.problems.append(f"{archive}: cannot open ({exc.strerror})")
        return _result(archive, 0, "", st, None)
    gz = GzipStream(raw, progress)
    try:
        tar = TarStream(io.BufferedReader(gz, CHUNK))
        for m, data in tar:
            _one_member(m, data, st, extract_to, log)
        st.problems.extend(tar.problems)
        gz.drain()
    except (zlib.error, EOFError, OSError, ValueError) as exc:
        st.problems.append(f"{archive.name}: corrupt archive ({type(exc).__name__}: {exc})")
    finally:
        raw.close()
    if gz.trailing:
        st.problems.append(f"{archive.name}: {gz.trailing}")
    sha = gz.sha256.hexdigest()
    if st.members == 0 and not st.problems:
        st.problems.append(f"{archive.name}: empty archive")
    for link in sorted(st.symlinks):
        if link_target(link, st.symlinks) is None:
            st.problems.append(f"{link}: symlink {_shown(st.symlinks[link])} leads out of the archive on disk "
                               "(followed through the archive's own links)")
    if "main.py" not in st.files:
        st.problems.append("main.py: not at the archive root (Kaggle runs /kaggle_simulations/agent/main.py)")
    manifest = _check_manifest(st) if st.members else None
    _check_sidecar(archive, gz.compressed, sha, st)
    root: Path | None = None
    if extract_to is not None:
        if st.problems:
            _empty(extract_to)
        else:
            for link, target in sorted(st.symlinks.items()):
                try:
                    os.symlink(target, extract_to / link)
                except OSError as exc:
                    st.problems.append(f"{link}: symlink cannot be made ({exc.strerror})")
            if st.problems:
                _empty(extract_to)
            else:
                root = extract_to
    return _result(archive, gz.compressed, sha, st, manifest, root)


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _one_member(m: Member, data: Readable | None, st: _State, extract_to: Path | None, log: Log | None) -> None:
    """Judge one member's header, then record it (and write it while nothing was refused)."""
    path = member_path(m.name)
    if not path and m.isdir():
        return  # the archive's own folder ("./" of `tar -C dir .`)
    st.members += 1
    bad = _header_problems(m, path, st)
    if bad:
        st.problems.extend(bad)
        if st.writing and log:
            log("archive: refused a member header; nothing more is written")
        st.writing = False
        return
    if m.isdir():
        st.dirs.add(path)
        if st.writing and extract_to is not None:
            (extract_to / path).mkdir(parents=True, exist_ok=True)
    elif m.issym():
        st.symlinks[path] = m.linkname
    elif m.isreg() and data is not None:
        if st.writing and extract_to is not None:
            free = shutil.disk_usage(extract_to).free
            if m.size + DISK_RESERVE > free:
                st.problems.append(
                    f"{path}: needs {m.size} bytes to unpack, only {free} are free under "
                    f"{extract_to} (keeping {DISK_RESERVE} in reserve); nothing more is written"
                )
                st.writing = False
        try:
            rec = _copy_member(data, m, path, st, extract_to if st.writing else None)
        except OSError as exc:
            st.problems.append(f"{path}: cannot be written ({exc.strerror})")
            st.writing = False
            return
        if rec.size != m.size:
            st.problems.append(f"{path}: truncated member ({rec.size} of {m.size} bytes)")
        st.files[path] = rec
        if path == MANIFEST_NAME:
            st.manifest_raw = st.texts.get(path)


def _result(
    archive: Path,
    size: int,
    sha: str,
    st: _State,
    manifest: Mapping[str, object] | None,
    root: Path | None = None,
) -> ArchiveScan:
    return ArchiveScan(
        archive=archive,
        archive_size=size,
        archive_sha256=sha,
        files=dict(st.files),
        dirs=frozenset(st.dirs),
        symlinks=dict(st.symlinks),
        members=st.members,
        manifest=manifest,
        problems=tuple(st.problems),
        notes=tuple(st.notes),
        gaps=tuple(st.gaps),
        texts=dict(st.texts),
        elfs=tuple(st.elfs),
        elf_problems=tuple(st.elf_problems),
        root=root,
    )
