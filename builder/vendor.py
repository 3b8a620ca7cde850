"""The vendor stage: checked wheels into ``submission/lib`` with pypa ``installer``.

No resolver and no ``pip -t``: each wheel is unpacked by ``installer`` into a scheme
where purelib and platlib are ``lib/``.  What the target never uses is dropped as it
is written, and listed (with the bytes it saved) for the build report:

* no ``.pyc`` (bytecode compilation off), no scripts, headers or data-scheme files;
* top-level folders of a wheel that hold no Python code (llama-cpp-python's stray
  ``lib/`` and ``include/``);
* CMake and pkg-config files, and C headers inside packages;
* duplicate copies of a shared library (llama-cpp-python ships each ``.so`` three times:
  ``libX.so``, ``libX.so.0``, ``libX.so.0.x.y``): a name is kept when Python code loads
  it through ctypes (``libX.so``) or another kept library NEEDs it (its SONAME).

RECORD is rewritten to list exactly what is in ``lib/``.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.records import RecordEntry
from installer.sources import WheelFile
from installer.utils import Scheme

from .errors import WheelError
from .wheels.check import CheckedWheel
from .wheels.prune import plan_pruning

_KEEP_SCHEMES = ("purelib", "platlib")


@dataclass(frozen=True, slots=True, kw_only=True)
class Pruned:
    path: str
    size: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VendoredDist:
    name: str
    version: str
    wheel: str
    wheel_sha256: str
    files: int
    size: int
    pruned: tuple[Pruned, ...]

    @property
    def pruned_size(self) -> int:
        return sum(p.size for p in self.pruned)


class _PruningDestination(SchemeDictionaryDestination):
    def __init__(self, lib: Path, scratch: Path, prune: dict[str, str]) -> None:
        schemes = {s: str(lib) for s in _KEEP_SCHEMES}
        for s in ("headers", "scripts", "data"):
            schemes[s] = str(scratch / s)
        super().__init__(schemes, interpreter="/usr/bin/python3", script_kind="posix", bytecode_optimization_levels=())
        self.prune = prune
        self.pruned: list[Pruned] = []
        self.kept: set[str] = set()

    def write_file(
        self, scheme: Scheme, path: str | os.PathLike[str], stream: BinaryIO, is_executable: bool
    ) -> RecordEntry:
        p = str(path)
        if scheme not in _KEEP_SCHEMES:
            size = _drain(stream)
            self.pruned.append(Pruned(path=f"{scheme}/{p}", size=size, reason=f"'{scheme}' scheme file"))
            return RecordEntry(p, None, None)
        if p in self.prune and not p.endswith(".dist-info/RECORD"):
            size = _drain(stream)
            self.pruned.append(Pruned(path=p, size=size, reason=self.prune[p]))
            return RecordEntry(p, None, None)
        self.kept.add(p)
        return super().write_file(scheme, p, stream, is_executable)

    def write_script(self, name: str, module: str, attr: str, section: str) -> RecordEntry:
        self.pruned.append(Pruned(path=f"scripts/{name}", size=0, reason="console script"))
        return RecordEntry(f"../bin/{name}", None, None)

    def finalize_installation(
        self,
        scheme: Scheme,
        record_file_path: str,
        records: Iterable[tuple[Scheme, RecordEntry]],
    ) -> None:
        kept = [
            (s, r) for s, r in records if s in _KEEP_SCHEMES and (r.path in self.kept or r.path == record_file_path)
        ]
        super().finalize_installation(scheme, record_file_path, kept)


def _drain(stream: BinaryIO) -> int:
    size = 0
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        size += len(chunk)
    return size


def vendor(
    wheels: Sequence[CheckedWheel],
    lib: Path,
    *,
    log: Callable[[str], None] = lambda _m: None,
) -> tuple[VendoredDist, ...]:
    """Install ``wheels`` into a fresh ``lib`` folder; return what went in and what was pruned."""
    if lib.exists():
        shutil.rmtree(lib)
    lib.mkdir(parents=True)
    scratch = lib.parent / f".{lib.name}-scratch"
    out: list[VendoredDist] = []
    try:
        for w in wheels:
            try:
                with zipfile.ZipFile(w.path) as zf:
                    prune = plan_pruning(zf)
            except zipfile.BadZipFile as exc:
                raise WheelError(f"{w.path}: not a readable wheel: {exc}") from None
            dest = _PruningDestination(lib, scratch, prune)
            with WheelFile.open(w.path) as source:
                install(source, dest, additional_metadata={"INSTALLER": b"gguf-submission-builder\n"})
            size = sum(_size(lib / p) for p in dest.kept)
            out.append(
                VendoredDist(
                    name=str(w.entry.name),
                    version=w.entry.version,
                    wheel=w.path.name,
                    wheel_sha256=w.sha256,
                    files=len(dest.kept),
                    size=size,
                    pruned=tuple(dest.pruned),
                )
            )
            log(
                f"vendor: {w.entry.pin}: {len(dest.kept)} files, {size / 1e6:.1f} MB "
                f"({sum(p.size for p in dest.pruned) / 1e6:.1f} MB pruned)"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return tuple(out)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def lib_files(lib: Path) -> list[Path]:
    return sorted(p for p in lib.rglob("*") if p.is_file())
