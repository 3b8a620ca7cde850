"""The export lists of the target's native libraries: which symbols, in which version
nodes, each provided library defines.

A profile's ``[[native]]`` tables say where each library is read from (a pinned PyPI
wheel or Debian package, or the file on a captured image); its export lists live in one
file beside the profile (``system.exports``, e.g. ``kaggle-2024.exports.json.gz``),
written by ``python -m builder profile exports`` (:mod:`.natives`) or ``profile import``.
The file is deterministic: canonical JSON (sorted keys and symbols), gzip with mtime 0
and no file name, so regenerating it from the same packages gives the same bytes::

    {"format": 1,
     "libraries": {
       "libcudart.so.12": {
         "package": {"kind": "wheel", "ref": "nvidia-cuda-runtime-cu12==12.1.105",
                     "sha256": "<of the wheel>", "member": "nvidia/cuda_runtime/lib/libcudart.so.12"},
         "file_sha256": "<of the library>",
         "versions": {"libcudart.so.12": ["cudaFree", "cudaMalloc", ...]},   # "" = unversioned
         "data": {"someTable": 64},                                          # OBJECT symbols: size
         "tls": {}}}}                                                        # TLS symbols: size

:func:`profile_exports` reads it for a profile (bounded: the decompressed size, the
number of libraries and symbols, the length of a name) and refuses a stale file: every
``[[native]]`` must be in it, read from the same package, and nothing else may be.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..util.fs import write_bytes_atomic
from ..util.jsonio import JsonError, parse_json
from .model import NATIVE_KINDS, NativeKind, NativeLibrary, Profile

FORMAT = 1
#: Bounds for a file read from disk (the committed one is ~0.1 MB gzipped).
MAX_JSON_BYTES = 64 << 20
MAX_LIBRARIES = 512
MAX_SYMBOLS = 4_000_000
MAX_NAME = 4096
#: How to make the file again, for messages.
REFRESH = "python -m builder profile exports"


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageRef:
    """Where a library's export list was read from (mirrors a ``[[native]]`` table)."""

    kind: NativeKind
    ref: str
    sha256: str
    member: str

    @staticmethod
    def of(native: NativeLibrary) -> PackageRef:
        return PackageRef(kind=native.kind, ref=native.ref, sha256=native.sha256, member=native.member)


@dataclass(frozen=True, slots=True, kw_only=True)
class LibraryExports:
    """The dynamic symbols one library defines, by version node ("" = unversioned)."""

    soname: str
    package: PackageRef
    file_sha256: str
    versions: Mapping[str, frozenset[str]]
    data: Mapping[str, int]
    tls: Mapping[str, int]

    @property
    def names(self) -> frozenset[str]:
        return frozenset().union(*self.versions.values()) if self.versions else frozenset()

    @property
    def symbol_count(self) -> int:
        return sum(len(v) for v in self.versions.values())

    def defines_version(self, version: str) -> bool:
        return version in self.versions

    def exports(self, name: str, version: str | None) -> bool:
        """Whether a reference ``name@version`` binds here (``None``: an unversioned
        reference, which binds to the symbol of any node)."""
        if version is None:
            return name in self.names
        return name in self.versions.get(version, frozenset())


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportData:
    """The export lists of a profile's native libraries, by SONAME."""

    libraries: Mapping[str, LibraryExports]

    def get(self, soname: str) -> LibraryExports | None:
        return self.libraries.get(soname)

    def digest(self, sonames: Iterable[str] | None = None) -> str:
        """sha256 of the canonical JSON of these libraries (all when None)."""
        keep = set(self.libraries) if sonames is None else set(sonames)
        doc = _document(ExportData(libraries={k: v for k, v in self.libraries.items() if k in keep}))
        return hashlib.sha256(_canonical(doc)).hexdigest()


def library_document(lib: LibraryExports) -> dict[str, Any]:
    p = lib.package
    return {
        "package": {"kind": p.kind, "ref": p.ref, "sha256": p.sha256, "member": p.member},
        "file_sha256": lib.file_sha256,
        "versions": {node: sorted(names) for node, names in sorted(lib.versions.items())},
        "data": dict(sorted(lib.data.items())),
        "tls": dict(sorted(lib.tls.items())),
    }


def _document(data: ExportData) -> dict[str, Any]:
    return {"format": FORMAT, "libraries": {s: library_document(lib) for s, lib in sorted(data.libraries.items())}}


def _canonical(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n").encode("ascii")


def encode_exports(data: ExportData) -> bytes:
    """The file's bytes: canonical JSON, gzip level 9 with mtime 0 and no name."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(_canonical(_document(data)))
    return buf.getvalue()


def write_exports(path: Path, data: ExportData) -> int:
    """Write the export file atomically; return its size in bytes."""
    raw = encode_exports(data)
    write_bytes_atomic(path, raw)
    return len(raw)


# ------------------------------------------------------------------------------ reading


def _inflate(raw: bytes, path: Path) -> bytes:
    z = zlib.decompressobj(wbits=31)
    try:
        out = z.decompress(raw, MAX_JSON_BYTES + 1)
    except zlib.error as exc:
        raise ConfigError(path, f"not a gzip file ({exc})") from None
    if len(out) > MAX_JSON_BYTES:
        raise ConfigError(path, f"decompresses to more than {MAX_JSON_BYTES} bytes")
    if not z.eof:
        raise ConfigError(path, "truncated gzip stream")
    return out


def _names(value: Any, where: str, problems: list[str]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(n, str) and 0 < len(n) <= MAX_NAME for n in value):
        problems.append(f"{where}: must be a list of symbol names")
        return frozenset()
    return frozenset(value)


def _sizes(value: Any, where: str, problems: list[str]) -> dict[str, int]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and 0 < len(k) <= MAX_NAME and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in value.items()
    ):
        problems.append(f"{where}: must map symbol names to sizes")
        return {}
    return dict(value)


def library_from_document(soname: str, doc: Any, problems: list[str]) -> LibraryExports | None:
    """One library of the file (or of a capture); its shape problems go to ``problems``."""
    where = f"libraries.{soname}"
    if not isinstance(doc, dict) or set(doc) != {"package", "file_sha256", "versions", "data", "tls"}:
        problems.append(f"{where}: must have exactly package, file_sha256, versions, data, tls")
        return None
    pkg = doc["package"]
    if (
        not isinstance(pkg, dict)
        or set(pkg) != {"kind", "ref", "sha256", "member"}
        or pkg["kind"] not in NATIVE_KINDS
        or not all(isinstance(pkg[k], str) for k in ("ref", "sha256", "member"))
    ):
        problems.append(f"{where}.package: must have kind ({'/'.join(NATIVE_KINDS)}), ref, sha256, member")
        return None
    versions_doc = doc["versions"]
    if not isinstance(versions_doc, dict):
        problems.append(f"{where}.versions: must map version nodes to symbol lists")
        return None
    versions = {str(node): _names(names, f"{where}.versions.{node}", problems) for node, names in versions_doc.items()}
    return LibraryExports(
        soname=soname,
        package=PackageRef(kind=pkg["kind"], ref=pkg["ref"], sha256=pkg["sha256"], member=pkg["member"]),
        file_sha256=str(doc["file_sha256"]),
        versions=versions,
        data=_sizes(doc["data"], f"{where}.data", problems),
        tls=_sizes(doc["tls"], f"{where}.tls", problems),
    )


def decode_exports(raw: bytes, path: Path) -> ExportData:
    """Parse the file's bytes; every problem of its shape is collected before raising."""
    try:
        doc = parse_json(_inflate(raw, path), max_bytes=MAX_JSON_BYTES, max_items=MAX_SYMBOLS + MAX_LIBRARIES * 64)
    except JsonError as exc:
        raise ConfigError(path, f"{exc} (regenerate it: {REFRESH})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("libraries"), dict):
        raise ConfigError(path, f"not an export-list file of format {FORMAT} (regenerate it: {REFRESH})")
    libs_doc: dict[str, Any] = doc["libraries"]
    if len(libs_doc) > MAX_LIBRARIES:
        raise ConfigError(path, f"more than {MAX_LIBRARIES} libraries")
    problems: list[str] = []
    libraries: dict[str, LibraryExports] = {}
    for soname, lib_doc in libs_doc.items():
        lib = library_from_document(soname, lib_doc, problems)
        if lib is not None:
            libraries[soname] = lib
    if sum(lib.symbol_count for lib in libraries.values()) > MAX_SYMBOLS:
        problems.append(f"more than {MAX_SYMBOLS} symbols")
    if problems:
        raise ConfigError(path, "malformed export lists:\n  - " + "\n  - ".join(problems))
    return ExportData(libraries=libraries)


def read_exports_file(path: Path) -> ExportData:
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise ConfigError(path, f"larger than {MAX_JSON_BYTES} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, f"missing: make it with `{REFRESH}`") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from None
    return decode_exports(raw, path)


def stale_problems(profile: Profile, data: ExportData) -> list[str]:
    """How the export file disagrees with the profile's ``[[native]]`` tables."""
    problems: list[str] = []
    for native in profile.natives:
        lib = data.get(native.soname)
        if lib is None:
            problems.append(f"{native.soname}: not in the file")
        elif lib.package != PackageRef.of(native):
            problems.append(f"{native.soname}: read from {lib.package.ref} ({lib.package.member or 'the file'}), "
                            f"the profile now names {native.ref} ({native.member or 'the file'})")
    listed = {n.soname for n in profile.natives}
    problems += [f"{soname}: in the file but not a [[native]] of the profile"
                 for soname in sorted(set(data.libraries) - listed)]
    return problems


@lru_cache(maxsize=16)
def _cached(path: Path, _stamp: tuple[int, int]) -> ExportData:
    return read_exports_file(path)


def profile_exports(profile: Profile) -> ExportData | None:
    """The export lists of ``profile`` (None when it has none), checked against its
    ``[[native]]`` tables; cached while the file is unchanged."""
    path = profile.exports_path
    if path is None:
        return None
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError(path, f"missing: make it with `{REFRESH} --profile {profile.name}`") from None
    data = _cached(path, (st.st_mtime_ns, st.st_size))
    problems = stale_problems(profile, data)
    if problems:
        raise ConfigError(path, f"stale for profile '{profile.name}' (regenerate it: `{REFRESH} --profile "
                                f"{profile.name}`):\n  - " + "\n  - ".join(problems))
    return data
