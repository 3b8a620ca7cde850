"""The archive contract, owned here and only here: what a submission archive holds besides
the agent's own files, and the files written beside it.

* ``MANIFEST.json`` (format :data:`MANIFEST_FORMAT`) is a member at the archive root: the
  generator, the profile, the model's file name and the size and sha256 of every other file.
* Beside ``NAME.tar.gz`` (or ``NAME.tgz``; any other name keeps its full name as the stem):
  ``NAME.manifest.json`` (the same manifest plus the archive's own size and sha256) and
  ``NAME.report.json`` (the build report).

The archive writer, ``verify`` and the build report all take these names from here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def manifest_doc(meta: Mapping[str, Any], records: Sequence[FileRecord]) -> dict[str, Any]:
    """The manifest document: format, ``meta`` (generator, profile, model_file), files."""
    doc: dict[str, Any] = {"format": MANIFEST_FORMAT}
    doc.update(meta)
    doc["files"] = [{"path": r.path, "size": r.size, "sha256": r.sha256} for r in records]
    return doc


def manifest_bytes(doc: Mapping[str, Any]) -> bytes:
    """The member's exact bytes (sorted keys, indented, newline-terminated: reproducible)."""
    return json.dumps(doc, indent=2, sort_keys=True).encode() + b"\n"


def sidecar_doc(manifest: Mapping[str, Any], *, name: str, size: int, sha256: str) -> dict[str, Any]:
    """The beside-manifest: the member's document plus the archive's own identity."""
    doc = dict(manifest)
    doc["archive"] = {"name": name, "size": size, "sha256": sha256}
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
