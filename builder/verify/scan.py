"""Verify level 1: read a submission archive without trusting it.

The archive is streamed once: gzip is inflated by :mod:`.gzipstream` (a single stream, no
trailing data), the tar stream is walked block by block (:mod:`.tarstream`: every byte is
accounted for, a corrupt header is a problem and what hides behind it is reported, after
the end-of-archive marker only zeros), and every regular member is hashed while it is
read.  Each member's header is checked before any byte of it is written (``filter="data"``
semantics, stricter): only regular files, directories and symlinks that lead inside
(judged by where they lead through the links already in the archive); no absolute or
``..`` paths, no devices, fifos, hard links, sparse files, setuid/setgid/sticky bits,
duplicates, paths through a symlink or a file, a file or symlink where other members
need a folder, names that do not fit Linux's limits (:data:`PATH_MAX` and :data:`NAME_MAX`,
in bytes) or deeper than :data:`MAX_DEPTH`.  After the first such problem nothing more is
written, the scan goes on to collect every problem, and whatever was written is removed.

Honest archives made by hand pass: ``tar -czf X -C dir .`` (``./`` prefixes, the folder
itself as a member), any member order, folders only implied by their members (no
directory member: GNU tar and ``filter="data"`` make them, and so does the scan), and no
``MANIFEST.json`` at all (then the content hashes cannot be checked, and the scan says so).

With ``extract_to`` the same pass writes the members into that (private, empty) folder;
without it nothing is written except ELF files, which are spooled to anonymous temporary
files to read their dynamic section.  Memory stays bounded whatever the archive holds:
data moves in 1 MiB chunks; only the files level 2 reads are kept (bounded one by one
and in all); what is recorded per member is bounded by :data:`MAX_MEMBERS` and
:data:`NAMES_TOTAL` (past either the archive is refused and the rest is only hashed), the
ELF files read by :data:`MAX_ELF_FILES` and :data:`ELF_SYMBOLS_TOTAL`, and problems are
counted but only the first thousand kept (:class:`~builder.errors.ProblemList`).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from ..archive.contract import MANIFEST_LIMIT, MANIFEST_NAME, check_sidecar, read_manifest_files
from ..errors import ProblemList, clip
from ..native.elf import ElfInfo, is_elf, read_elf
from ..util.jsonio import JsonError, parse_json
from .gzipstream import CHUNK, GzipStream
from .tarstream import Member, Readable, TarStream

#: Free space left untouched when unpacking: a member that would eat into it is refused
#: (a decompression bomb or a too-small temp folder fails as a problem, not a full disk).
DISK_RESERVE = 256 << 20
#: Largest file kept in memory for the static level (the agent's modules, metadata files);
#: MANIFEST.json may be larger (it lists every file), and all kept files together are bounded.
TEXT_LIMIT = 4 << 20
TEXTS_TOTAL = 64 << 20
#: Linux's limits on names, in bytes of UTF-8 (what open() and mkdir() count, not
#: characters): a path of at most PATH_MAX - 1 bytes (PATH_MAX counts the terminating NUL),
#: the folder the target unpacks into included, and components of at most NAME_MAX.
PATH_MAX = 4096
NAME_MAX = 255
#: Components of a member name: deeper ones are refused before they are used (a name of
#: 1,500 components raised RecursionError).
MAX_DEPTH = 64
#: Symlinks followed through each other before a chain counts as a loop (Linux's limit).
MAX_LINK_HOPS = 40
#: Members read.  A submission has hundreds; the first member past this refuses the archive
#: and the rest of the tar stream is not read member by member (1,000,000 empty members
#: took 666 MiB when every one was recorded).
MAX_MEMBERS = 100_000
#: Bytes of names recorded in all: member paths, the folders they imply, symlink targets.
NAMES_TOTAL = 16 << 20
#: ELF files read for their dynamic section, and their dynamic symbols kept, in all.
MAX_ELF_FILES = 4096
ELF_SYMBOLS_TOTAL = 500_000

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
    problems: tuple[str, ...]  # the first of them (see :class:`~builder.errors.ProblemList`)
    notes: tuple[str, ...]
    #: what the scan could not check, and why (no MANIFEST.json: no content hashes)
    gaps: tuple[str, ...]
    #: small files kept for level 2: root ``*.py`` / ``*.json`` and dist-info metadata
    texts: Mapping[str, bytes]
    elfs: tuple[ElfInfo, ...]
    elf_problems: tuple[str, ...]
    #: the folder holding the unpacked members (``extract_to``), None when not extracted
    root: Path | None
    #: how many problems there were (``problems`` keeps the first)
    problems_total: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.problems_total

    @property
    def payload_bytes(self) -> int:
        return sum(f.size for f in self.files.values())


def member_path(raw: str) -> str:
    """The path a member unpacks to: ``./`` prefixes (``tar -C dir .``) and a trailing ``/`` dropped."""
    name = raw
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/") if name not in ("", ".", "./") else ""


def utf8_len(text: str) -> int:
    """Bytes of ``text`` on disk: names from the tar stream are decoded with
    ``surrogateescape``, so this gives back the archive's own bytes."""
    try:
        return len(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return len(text.encode("utf-8", "surrogatepass"))


def check_name(name: str, *, root: str = "") -> str | None:
    """Why a member name is refused, or None.  ``root``: the folder the target unpacks the
    archive into (its bytes count toward PATH_MAX)."""
    size = utf8_len(name)
    room = PATH_MAX - 1 - (utf8_len(root.rstrip("/")) + 1 if root else 0)
    if size > room:
        inside = f" inside {root.rstrip('/')}/" if root else ""
        return f"a name of {size:,} bytes (at most {room:,}{inside}: PATH_MAX is {PATH_MAX} bytes)"
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
    longest = max(parts, key=utf8_len)
    if utf8_len(longest) > NAME_MAX:
        return f"a component of {utf8_len(longest):,} bytes (at most {NAME_MAX}: NAME_MAX)"
    return None


LinkEnd = Literal["inside", "outside", "absolute", "loop"]


def link_target(link: str, symlinks: Mapping[str, str]) -> tuple[LinkEnd, str]:
    """Where the symlink ``link`` leads on disk, following every symlink on the way (those
    of the archive: on disk they are real): ``("inside", path in the archive)``,
    ``("outside", "")`` (above the archive's folder), ``("absolute", the absolute target
    met)``, or ``("loop", "")`` (more than :data:`MAX_LINK_HOPS` links: ELOOP on disk)."""
    parts: list[str] = []
    todo = [*reversed(symlinks[link].split("/")), *reversed(link.split("/")[:-1])]  # a stack
    hops = 0
    while todo:
        part = todo.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return "outside", ""
            parts.pop()
            continue
        here = "/".join([*parts, part])
        if here in symlinks:
            hops += 1
            if hops > MAX_LINK_HOPS:
                return "loop", ""
            target = symlinks[here]
            if target.startswith("/"):
                return "absolute", target
            todo.extend(reversed(target.split("/")))
            continue
        parts.append(part)
    return "inside", "/".join(parts)


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
    problems: ProblemList = field(default_factory=ProblemList)
    notes: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    files: dict[str, MemberFile] = field(default_factory=dict)
    #: folders: True for a directory member, False for one its members imply (GNU tar and
    #: ``filter="data"`` make those)
    dirs: dict[str, bool] = field(default_factory=dict)
    symlinks: dict[str, str] = field(default_factory=dict)
    texts: dict[str, bytes] = field(default_factory=dict)
    elfs: list[ElfInfo] = field(default_factory=list)
    elf_problems: list[str] = field(default_factory=list)
    elf_symbols: int = 0  # dynamic symbols kept in ``elfs``
    manifest_raw: bytes | None = None
    members: int = 0
    kept_bytes: int = 0
    name_bytes: int = 0  # of the names recorded in files, dirs and symlinks
    writing: bool = False
    stopped: bool = False  # a bound was reached: the rest of the stream is not read member by member


def _shown(name: str) -> str:
    return clip(repr(name), 200)


def _type_problems(m: Member, path: str) -> list[str]:
    """What the member's type and mode make of it (only files, folders and relative symlinks)."""
    out: list[str] = []
    if m.issym():
        target = m.linkname
        size = utf8_len(target)
        if not target or target.startswith("/"):
            out.append(f"{path}: symlink to absolute path {_shown(target)}")
        elif size >= PATH_MAX:
            out.append(f"{path}: symlink target of {size:,} bytes (at most {PATH_MAX - 1:,}: PATH_MAX)")
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
    return out


def _header_problems(m: Member, path: str, st: _State, root: str) -> list[str]:
    why = check_name(path, root=root)
    if why:
        return [f"{_shown(m.name)}: {why}"]
    out = _type_problems(m, path)
    if path in st.files or path in st.symlinks or (st.dirs.get(path) and not m.isdir()):
        out.append(f"{path}: member appears twice")
    elif path in st.dirs and not m.isdir():
        out.append(f"{path}: a {'symlink' if m.issym() else 'file'} where earlier members need a folder")
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


def _record_name(path: str, st: _State, extra: str = "") -> bool:
    """Charge ``path`` (and ``extra``, a symlink's target) and the folders it implies to the
    names' bound; False (and the scan stops) when it is reached."""
    parents = path.split("/")[:-1]
    new = ["/".join(parents[: i + 1]) for i in range(len(parents)) if "/".join(parents[: i + 1]) not in st.dirs]
    st.name_bytes += utf8_len(path) + utf8_len(extra) + sum(utf8_len(d) for d in new)
    if st.name_bytes > NAMES_TOTAL:
        _stop(st, f"member names of more than {NAMES_TOTAL:,} bytes in all (at {path[:200]!r})")
        return False
    for d in new:
        st.dirs[d] = False
    return True


def _stop(st: _State, why: str) -> None:
    st.problems.append(f"{why}: the archive is refused and the rest of it is not read member by member")
    st.stopped = True
    st.writing = False


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
                elf = is_elf(chunk) and _elf_wanted(path, st)
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
        if elf:
            _read_elf(path, dest / path if out is not None else spool, st)  # type: ignore[operator]
    finally:
        if out is not None and not out.closed:
            out.close()
        if spool is not None:
            spool.close()
    return MemberFile(path=path, size=size, sha256=digest.hexdigest(), executable=bool(m.mode & 0o111), head=head)


def _elf_wanted(path: str, st: _State) -> bool:
    """Whether this ELF file is read (at most :data:`MAX_ELF_FILES`; past it, one problem)."""
    read = len(st.elfs) + len(st.elf_problems)
    if read == MAX_ELF_FILES:
        st.elf_problems.append(f"{path}: more than {MAX_ELF_FILES:,} ELF files; it and those after it are not "
                               "read, so their libraries and symbols are not checked")
    return read < MAX_ELF_FILES


def _read_elf(path: str, source: Path | IO[bytes] | None, st: _State) -> None:
    left = ELF_SYMBOLS_TOTAL - st.elf_symbols
    try:
        if isinstance(source, Path):
            with open(source, "rb") as fh:
                info = read_elf(path, fh, max_symbols=left)
        elif source is not None:
            source.seek(0)
            info = read_elf(path, source, max_symbols=left)
        else:
            return
    except (ValueError, OSError, Exception) as exc:  # pyelftools raises assorted errors
        scope = f"; {ELF_SYMBOLS_TOTAL:,} are read from all ELF files together" if "dynamic symbols" in str(exc) else ""
        st.elf_problems.append(f"{path}: unreadable ELF file ({exc}){scope}")
        return
    st.elfs.append(info)
    st.elf_symbols += len(info.imports) + len(info.defines)


def _check_manifest(st: _State) -> Mapping[str, object] | None:
    if MANIFEST_NAME not in st.files:
        st.gaps.append(f"no {MANIFEST_NAME}: the members' content hashes were not checked (a hand-made "
                       "archive?); every other check ran")
        return None
    if st.manifest_raw is None:
        st.problems.append(f"{MANIFEST_NAME}: larger than {MANIFEST_LIMIT:,} bytes; not read")
        return None
    try:
        doc = parse_json(st.manifest_raw, max_bytes=MANIFEST_LIMIT)
    except JsonError as exc:
        st.problems.append(f"{MANIFEST_NAME}: {exc}")
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
    target_dir: str = "",
) -> ArchiveScan:
    """One pass over ``archive``; see the module docstring.  ``progress(n)`` hears of
    each ``n`` compressed bytes read.  ``target_dir``: the folder the target unpacks the
    archive into (the profile's ``agent_dir``): member names are judged with it in front.

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
            _one_member(m, data, st, extract_to, log, target_dir)
            if st.stopped:
                break
        st.problems.extend(tar.problems)
        if st.stopped:
            gz.skip_rest()
        else:
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
    _check_links(st)
    manifest: Mapping[str, object] | None = None
    if not st.stopped:  # else what was not read may hold them
        if "main.py" not in st.files:
            st.problems.append("main.py: not at the archive root (Kaggle runs /kaggle_simulations/agent/main.py)")
        manifest = _check_manifest(st) if st.members else None
    _check_sidecar(archive, gz.compressed, sha, st)
    root = _finish_extraction(extract_to, st) if extract_to is not None else None
    return _result(archive, gz.compressed, sha, st, manifest, root)


def _finish_extraction(extract_to: Path, st: _State) -> Path | None:
    """The symlinks made last (they were judged once every member was known), or, after any
    problem, the folder emptied: the unpacked archive's root, or None."""
    if not st.problems:
        for link, target in sorted(st.symlinks.items()):
            try:
                (extract_to / link).parent.mkdir(parents=True, exist_ok=True)  # a folder only implied
                os.symlink(target, extract_to / link)
            except OSError as exc:
                st.problems.append(f"{link}: symlink cannot be made ({exc.strerror})")
    if st.problems:
        _empty(extract_to)
        return None
    return extract_to


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _check_links(st: _State) -> None:
    """Every symlink judged by where it leads on disk, through the links before it."""
    for link in sorted(st.symlinks):
        end, where = link_target(link, st.symlinks)
        shown = _shown(st.symlinks[link])
        if end == "outside":
            st.problems.append(f"{link}: symlink {shown} leads out of the archive on disk "
                               "(followed through the archive's own links)")
        elif end == "absolute":
            st.problems.append(f"{link}: symlink {shown} leads to the absolute path {_shown(where)} "
                               "through the archive's own links")
        elif end == "loop":
            st.problems.append(f"{link}: symlink {shown} is a loop (more than {MAX_LINK_HOPS} links followed; "
                               "opening it fails with ELOOP)")


def _one_member(
    m: Member, data: Readable | None, st: _State, extract_to: Path | None, log: Log | None, target_dir: str
) -> None:
    """Judge one member's header, then record it (and write it while nothing was refused)."""
    path = member_path(m.name)
    if not path and m.isdir():
        return  # the archive's own folder ("./" of `tar -C dir .`)
    st.members += 1
    if st.members > MAX_MEMBERS:
        _stop(st, f"more than {MAX_MEMBERS:,} members (a submission has hundreds)")
        return
    bad = _header_problems(m, path, st, target_dir)
    if bad:
        st.problems.extend(bad)
        if st.writing and log:
            log("archive: refused a member header; nothing more is written")
        st.writing = False
        return
    if not _record_name(path, st, m.linkname if m.issym() else ""):
        return
    if m.isdir():
        st.dirs[path] = True
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
        files=st.files,
        dirs=frozenset(st.dirs),
        symlinks=st.symlinks,
        members=st.members,
        manifest=manifest,
        problems=tuple(st.problems),
        notes=tuple(st.notes),
        gaps=tuple(st.gaps),
        texts=st.texts,
        elfs=tuple(st.elfs),
        elf_problems=tuple(st.elf_problems),
        root=root,
        problems_total=st.problems.total,
    )
