"""``python -m builder profile exports``: a profile's export lists, read from the pinned
packages its ``[[native]]`` tables name.

Each package is fetched once into the cache, hash-checked (``cache/downloads/<sha256>/``,
the layout the CUDA toolkit's downloads use, so a .deb both need is fetched once): a PyPI
wheel through :mod:`builder.pip` (``pip download --no-deps --only-binary :all:
--require-hashes``), a Debian package by URL with its pinned size and sha256
(:mod:`builder.util.download`).  The library is streamed out of the package into a temp
file (``libcublasLt.so.12`` is 515 MB: never held in memory), its SONAME must be the one
the profile says, and its dynamic symbols are read with their version nodes
(:func:`builder.native.elf.read_exports`).  The file is written atomically
(:func:`.exports.write_exports`); the same packages give the same bytes.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import ConfigError, WheelError
from ..native.elf import read_exports
from ..pip import Pip
from ..util.deb import DebError, extract_member
from ..util.download import fetch
from ..util.hashing import sha256_file
from .exports import ExportData, LibraryExports, PackageRef, write_exports
from .model import NativeLibrary, Profile

Log = Callable[[str], None]
Fetch = Callable[..., Path]
#: The largest library read out of a package (libcublasLt.so.12 12.1 is 515 MB).
MAX_LIBRARY_BYTES = 2 << 30


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshedExports:
    path: Path
    size: int  # bytes of the file written
    counts: Mapping[str, int]  # SONAME -> symbols
    packages: tuple[str, ...]  # what they were read from, in words


def _cached_wheel(folder: Path, sha256: str) -> Path | None:
    for path in sorted(folder.glob("*.whl")) if folder.is_dir() else ():
        if sha256_file(path) == sha256:
            return path
    return None


def package_file(native: NativeLibrary, *, pip: Pip, cache: Path, log: Log, fetcher: Fetch = fetch) -> Path:
    """The package of ``native`` in the cache, downloaded (hash-checked) when missing."""
    dest = cache / "downloads" / native.sha256
    if native.kind == "wheel":
        found = _cached_wheel(dest, native.sha256)
        if found is None:
            log(f"profile: downloading {native.ref} (hash-checked) for {native.soname}")
            pip.download(native.ref, dest, what=f"downloading {native.ref} for {native.soname}",
                         hashes=[native.sha256])
            found = _cached_wheel(dest, native.sha256)
        if found is None:
            raise WheelError(f"{native.ref}: pip downloaded no wheel with sha256 {native.sha256} into {dest}")
        return found
    if native.kind == "deb":
        name = native.ref.rsplit("/", 1)[-1]
        target = dest / name
        if not target.is_file():
            log(f"profile: downloading {name} ({native.size / 1e6:.1f} MB, hash-checked) for {native.soname}")
        return fetcher(native.ref, sha256=native.sha256, size=native.size, dest=target,
                       what=f"{native.package} for {native.soname}")
    raise ConfigError(native.ref, f"{native.soname} was captured on the image: refresh it there with "
                                  "`python -m builder profile capture`, then `profile import`")


def _copy_member(native: NativeLibrary, package: Path, out: IO[bytes]) -> None:
    if native.kind == "wheel":
        try:
            with zipfile.ZipFile(package) as zf:
                try:
                    info = zf.getinfo(native.member)
                except KeyError:
                    raise ConfigError(package, f"has no {native.member} (the profile's member for "
                                               f"{native.soname})") from None
                if info.file_size > MAX_LIBRARY_BYTES:
                    raise ConfigError(package, f"{native.member} is {info.file_size} bytes, more than "
                                               f"{MAX_LIBRARY_BYTES}")
                with zf.open(info) as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        except zipfile.BadZipFile as exc:
            raise ConfigError(package, f"not a readable wheel: {exc}") from None
    else:
        try:
            extract_member(package, native.member, out, max_bytes=MAX_LIBRARY_BYTES)
        except DebError as exc:
            raise ConfigError(package, f"{exc.message} (the profile's member for {native.soname})") from None
    out.flush()


def library_exports(native: NativeLibrary, package: Path) -> LibraryExports:
    """The export list of ``native``'s library, read out of ``package``."""

    with tempfile.NamedTemporaryFile(prefix="native-", suffix=".so") as tmp:
        _copy_member(native, package, tmp)
        try:
            with open(tmp.name, "rb") as fh:
                found = read_exports(fh)
        except ValueError as exc:
            raise ConfigError(package, f"{native.member}: {exc}") from None
        digest = sha256_file(Path(tmp.name))
    if found.soname != native.soname:
        raise ConfigError(package, f"{native.member} has SONAME {found.soname}, the profile says {native.soname}")
    return LibraryExports(soname=native.soname, package=PackageRef.of(native), file_sha256=digest,
                          versions=found.versions, data=found.data, tls=found.tls)


def refresh_exports(
    profile: Profile, *, pip: Pip, cache: Path, log: Log = lambda _m: None, fetcher: Fetch = fetch
) -> RefreshedExports:
    """Read every ``[[native]]`` library of ``profile`` from its package and write the
    profile's export file (``system.exports``, beside the profile)."""
    path = profile.exports_path
    if path is None or not profile.natives:
        raise ConfigError(profile.path, "has no [[native]] libraries (and no 'system.exports' file) to read")
    libraries: dict[str, LibraryExports] = {}
    for native in profile.natives:
        package = package_file(native, pip=pip, cache=cache, log=log, fetcher=fetcher)
        lib = library_exports(native, package)
        libraries[native.soname] = lib
        log(f"profile: {native.soname}: {lib.symbol_count} symbols in {len(lib.versions)} version node(s) "
            f"from {native.package}")
    size = write_exports(path, ExportData(libraries=libraries))
    return RefreshedExports(path=path, size=size, counts={s: lib.symbol_count for s, lib in libraries.items()},
                            packages=tuple(dict.fromkeys(n.package for n in profile.natives)))
