"""ELF inspection of shared objects against a target profile (pyelftools).

Used by the wheels stage (a wheel's native libraries) and by verify's static level
(every ELF file in an archive).  Reads only the dynamic section and the GNU version
requirements: nothing is loaded or executed.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

from ..profile import Profile
from ..util.versions import version_tuple

ELF_MAGIC = b"\x7fELF"


@dataclass(frozen=True, slots=True, kw_only=True)
class ElfInfo:
    """What the dynamic linker needs to load one shared object."""

    path: str  # archive-relative, posix
    soname: str | None
    needed: tuple[str, ...]
    runpath: tuple[str, ...]
    # (library file, version name) e.g. ("libc.so.6", "GLIBC_2.34")
    version_needs: tuple[tuple[str, str], ...]
    machine: str


def is_elf(head: bytes) -> bool:
    return head[:4] == ELF_MAGIC


def read_elf(path: str, data: bytes | IO[bytes]) -> ElfInfo:
    """Parse one ELF file; raise ValueError with a readable reason if it is not one."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        elf = ELFFile(stream)
        soname: str | None = None
        needed: list[str] = []
        runpath: list[str] = []
        needs: list[tuple[str, str]] = []
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                for raw_tag in section.iter_tags():
                    tag: Any = raw_tag  # pyelftools adds needed/soname/runpath per tag kind
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(str(tag.needed))
                    elif tag.entry.d_tag == "DT_SONAME":
                        soname = str(tag.soname)
                    elif tag.entry.d_tag == "DT_RUNPATH":
                        runpath.extend(str(tag.runpath).split(":"))
                    elif tag.entry.d_tag == "DT_RPATH":
                        runpath.extend(str(tag.rpath).split(":"))
            elif isinstance(section, GNUVerNeedSection):
                for verneed, aux_iter in section.iter_versions():
                    for aux in aux_iter:
                        needs.append((str(verneed.name), str(aux.name)))
        return ElfInfo(
            path=path,
            soname=soname,
            needed=tuple(needed),
            runpath=tuple(r for r in runpath if r),
            version_needs=tuple(needs),
            machine=str(elf["e_machine"]),
        )
    except ELFError as exc:
        raise ValueError(f"unreadable ELF: {exc}") from None


def newest_needed(info: ElfInfo, prefix: str) -> str | None:
    """Highest version named ``PREFIX_x.y`` that the object requires (e.g. GLIBC_)."""
    best: tuple[tuple[int, ...], str] | None = None
    for _lib, name in info.version_needs:
        if name.startswith(prefix):
            v = version_tuple(name[len(prefix) :])
            if v and (best is None or v > best[0]):
                best = (v, name)
    return best[1] if best else None


_EXPECTED_MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}


def check_elf(
    info: ElfInfo,
    profile: Profile,
    available: Mapping[str, Iterable[str]],
) -> list[str]:
    """Every problem that would stop the target's dynamic linker loading ``info``.

    ``available`` maps a directory (archive-relative, posix) to the file names in it;
    a NEEDED library resolves when it is in a RUNPATH directory (``$ORIGIN``-relative)
    or the profile's system libraries.
    """
    problems: list[str] = []
    want_machine = _EXPECTED_MACHINE.get(profile.machine)
    if want_machine and info.machine != want_machine:
        problems.append(f"{info.path}: built for {info.machine}, the target is {profile.machine}")
    origin = posixpath.dirname(info.path)
    search: list[str] = []
    for entry in info.runpath:
        if entry.startswith("$ORIGIN") or entry.startswith("${ORIGIN}"):
            rest = entry.split("ORIGIN", 1)[1].lstrip("}")
            search.append(posixpath.normpath(posixpath.join(origin, rest.lstrip("/"))))
    system = set(profile.system_libraries)
    for lib in info.needed:
        if lib in system:
            continue
        if any(lib in set(available.get(d, ())) for d in search):
            continue
        where = f" (RUNPATH {':'.join(info.runpath)})" if info.runpath else " (no RUNPATH)"
        problems.append(
            f"{info.path}: needs {lib}, which is neither in the archive{where} nor provided by profile '{profile.name}'"
        )
    glibc = newest_needed(info, "GLIBC_")
    if glibc and version_tuple(glibc[6:]) > version_tuple(profile.glibc):
        problems.append(f"{info.path}: needs {glibc}, the target has glibc {profile.glibc}")
    glibcxx = newest_needed(info, "GLIBCXX_")
    if glibcxx and version_tuple(glibcxx[8:]) > version_tuple(profile.glibcxx):
        problems.append(f"{info.path}: needs {glibcxx}, the target's libstdc++ has GLIBCXX_{profile.glibcxx}")
    return problems


def needs_gpu_driver(infos: Iterable[ElfInfo], profile: Profile) -> tuple[str, ...]:
    """The GPU-only system libraries (e.g. libcuda.so.1) that any of ``infos`` needs."""
    gpu = set(profile.gpu_libraries)
    return tuple(sorted({lib for info in infos for lib in info.needed if lib in gpu}))
