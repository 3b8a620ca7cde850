"""The archive contract, owned here and only here: what a submission archive holds besides
the agent's own files, and the files written beside it.

* ``MANIFEST.json`` (format :data:`MANIFEST_FORMAT`) is a member at the archive root: the
  generator, the profile, the model's file name and the size and sha256 of every other file.
* Beside ``NAME.tar.gz`` (or ``NAME.tgz``; any other name keeps its full name as the stem):
  ``NAME.manifest.json`` (the same manifest plus the archive's identity, :class:`ArchiveIdentity`)
  and ``NAME.report.json`` (the build report).
* The sidecar names its archive without a hash of the archive (which would be a second
  pass over the weights, and could not be had at all when a rebuild copies them): its
  size, its gzip trailer (CRC-32 and length of the tar stream, checked by inflating) and
  the sha256 of its ``MANIFEST.json`` member, which holds the sha256 of every other member.
  ``verify`` hashes every member anyway, so any changed content, name, header or byte of
  the stream is caught (:func:`check_sidecar`); sidecars that carry the older
  ``sha256`` of the whole archive are checked by it.
* While the archive and its sidecar are replaced (two renames), a pending record beside
  them says which sidecar is in force: its name, format and meaning are owned by
  :class:`.journal.Journal` (:func:`pair_journal` binds it to the sidecar named here), and
  :func:`check_sidecar` takes the sidecar in force from it.

The archive writer, ``verify`` and the build report all take these names from here.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .journal import Journal

MANIFEST_NAME = "MANIFEST.json"
MANIFEST_FORMAT = 1
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
SIDECAR_SUFFIX = ".manifest.json"
REPORT_SUFFIX = ".report.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRecord:
    """One file of the archive as the manifest lists it."""

    path: str
    size: int
    sha256: str


def archive_stem(archive: Path) -> str:
    """``submission.tar.gz`` → ``submission``; a name without a known suffix is its own stem
    (``out.tar`` → ``out.tar``), so the files beside it can never collide with another archive's."""
    name = archive.name
    for suffix in ARCHIVE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def sidecar_path(archive: Path) -> Path:
    """The manifest written beside ``archive``."""
    return archive.with_name(archive_stem(archive) + SIDECAR_SUFFIX)


def report_path(archive: Path) -> Path:
    """The build report written beside ``archive``."""
    return archive.with_name(archive_stem(archive) + REPORT_SUFFIX)


def pair_journal(archive: Path) -> Journal:
    """The journal of replacing ``archive`` and its sidecar as a pair (the pending record)."""
    return Journal(archive=archive, sidecar=sidecar_path(archive))


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveIdentity:
    """What the sidecar says of its archive: the archive's size, its gzip trailer (CRC-32
    and length modulo 2**32 of the tar stream) and the sha256 of its ``MANIFEST.json``."""

    size: int
    crc32: int
    isize: int
    manifest_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "crc32": f"{self.crc32:08x}", "isize": self.isize,
                "manifest_sha256": self.manifest_sha256}


def manifest_doc(meta: Mapping[str, Any], records: Sequence[FileRecord]) -> dict[str, Any]:
    """The manifest document: format, ``meta`` (generator, profile, model_file), files."""
    doc: dict[str, Any] = {"format": MANIFEST_FORMAT}
    doc.update(meta)
    doc["files"] = [{"path": r.path, "size": r.size, "sha256": r.sha256} for r in records]
    return doc


def manifest_bytes(doc: Mapping[str, Any]) -> bytes:
    """The member's exact bytes (sorted keys, indented, newline-terminated: reproducible)."""
    return json.dumps(doc, indent=2, sort_keys=True).encode() + b"\n"


def sidecar_doc(manifest: Mapping[str, Any], *, name: str, identity: ArchiveIdentity) -> dict[str, Any]:
    """The beside-manifest: the member's document plus the archive's own identity."""
    doc = dict(manifest)
    doc["archive"] = {"name": name, **identity.to_json()}
    return doc


def sidecar_text(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestFiles:
    """What a manifest document lists, read without trusting it."""

    files: Mapping[str, FileRecord]
    problems: tuple[str, ...]


def read_manifest_files(doc: object) -> ManifestFiles:
    """The file entries of a parsed manifest, with every malformed part as a problem."""
    problems: list[str] = []
    if not isinstance(doc, dict):
        return ManifestFiles(files={}, problems=(f"{MANIFEST_NAME}: not a JSON object",))
    if doc.get("format") != MANIFEST_FORMAT:
        problems.append(f"{MANIFEST_NAME}: unknown format {doc.get('format')!r:.40} (expected {MANIFEST_FORMAT})")
        return ManifestFiles(files={}, problems=tuple(problems))
    entries = doc.get("files")
    if not isinstance(entries, list):
        return ManifestFiles(files={}, problems=(f"{MANIFEST_NAME}: 'files' is not a list",))
    listed: dict[str, FileRecord] = {}
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("path"), str)
            or not isinstance(entry.get("size"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            problems.append(f"{MANIFEST_NAME}: malformed entry {entry!r:.120}")
            continue
        path = str(entry["path"])
        if path in listed:
            problems.append(f"{MANIFEST_NAME}: {path:.200} listed twice")
        listed[path] = FileRecord(path=path, size=int(entry["size"]), sha256=str(entry["sha256"]).lower())
    return ManifestFiles(files=listed, problems=tuple(problems))


def gzip_trailer(archive: Path) -> tuple[int, int] | None:
    """The CRC-32 and ISIZE of the gzip trailer (the file's last 8 bytes)."""
    try:
        with archive.open("rb") as fh:
            fh.seek(-8, os.SEEK_END)
            crc, isize = struct.unpack("<II", fh.read(8))
    except (OSError, struct.error):
        return None
    return crc, isize


@dataclass(frozen=True, slots=True, kw_only=True)
class SidecarCheck:
    problems: tuple[str, ...]
    notes: tuple[str, ...]


def check_sidecar(archive: Path, *, size: int, sha256: str, manifest_sha256: str | None) -> SidecarCheck:
    """Compare the sidecar in force (:meth:`.journal.Journal.in_force`) with what a reader found:
    ``size`` bytes whose sha256 is ``sha256`` and whose ``MANIFEST.json`` member hashed to
    ``manifest_sha256`` (None: no such member), and the gzip trailer at the file's end."""
    name = sidecar_path(archive).name
    try:
        found = pair_journal(archive).in_force()
    except (OSError, UnicodeDecodeError) as exc:
        return SidecarCheck(problems=(f"{name}: unreadable ({exc})",), notes=())
    if found is None:
        return SidecarCheck(problems=(), notes=(f"no {name} beside the archive (archive not cross-checked)",))
    where, text = found
    try:
        info = json.loads(text)["archive"]
        want_size = int(info["size"])
        want_sha = str(info["sha256"]).lower() if "sha256" in info else None
        want_trailer = (int(str(info["crc32"]), 16), int(info["isize"])) if "crc32" in info else None
        want_manifest = str(info["manifest_sha256"]).lower() if "manifest_sha256" in info else None
    except (ValueError, KeyError, TypeError) as exc:
        return SidecarCheck(problems=(f"{where}: unreadable ({exc!r:.100})",), notes=())
    if want_sha is None and (want_trailer is None or want_manifest is None):
        return SidecarCheck(problems=(f"{where}: names no archive sha256 nor gzip trailer and manifest hash",),
                            notes=())
    differ: list[str] = []
    if want_size != size:
        differ.append(f"size {size} (sidecar {want_size})")
    if want_sha is not None and want_sha != sha256:
        differ.append(f"sha256 {sha256[:16]}… (sidecar {want_sha[:16]}…)")
    if want_trailer is not None:
        got = gzip_trailer(archive)
        if got != want_trailer:
            shown = f"{got[0]:08x}/{got[1]}" if got else "none"
            differ.append(f"gzip trailer CRC-32/length {shown} (sidecar {want_trailer[0]:08x}/{want_trailer[1]})")
    if want_manifest is not None and want_manifest != manifest_sha256:
        shown = f"{manifest_sha256[:16]}…" if manifest_sha256 else "none"
        differ.append(f"{MANIFEST_NAME} sha256 {shown} (sidecar {want_manifest[:16]}…)")
    if differ:
        return SidecarCheck(problems=(
            f"{archive.name}: {'; '.join(differ)} differ from {where}: the archive changed after it was built",
        ), notes=())
    how = "archive hash" if want_sha is not None else f"archive (size, gzip CRC-32 and length, {MANIFEST_NAME} sha256)"
    note = f"{how} matches {name}"
    if where != name:
        note += f" (held by {where}: a build was stopped before it wrote {name}; the next build writes it)"
    return SidecarCheck(problems=(), notes=(note,))
