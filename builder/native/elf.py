"""Reading ELF shared objects (pyelftools): what the dynamic linker would see, and nothing else.

Shared by the profile (export tables read from the target's packages), the wheels stage
(a wheel's native libraries) and verify (every ELF file in an archive).  Reads the dynamic
section, the dynamic symbols with their GNU versions, and the headers of the CUDA device
code (:mod:`.fatbin`): nothing is loaded or executed, and a file is read through a
seekable file object, never whole.  What a profile needs of these facts is judged by
:mod:`builder.wheels.native_checks`.
"""

from __future__ import annotations

import io
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerDefSection, GNUVerNeedSection, GNUVerSymSection
from elftools.elf.sections import SymbolTableSection

from ..util.versions import version_tuple
from .fatbin import FATBIN_SECTION, Fatbin, read_fatbin

ELF_MAGIC = b"\x7fELF"
#: Zip members up to this size are read into memory; larger ones go to a temp file.
SPOOL_MAX = 8 << 20
#: More dynamic symbols than this is not a library a compiler made.
MAX_SYMBOLS = 2_000_000
#: Missing symbols reported per object and library before the rest are counted.
ORIGIN_TOKENS = ("$ORIGIN", "${ORIGIN}")
#: What pyelftools raises besides ELFError on a damaged file.
_DAMAGED = (KeyError, IndexError, AttributeError, TypeError, ValueError, struct.error, OverflowError, EOFError)
#: Names the C API of CPython exports: an extension module's unversioned references to
#: them bind to the interpreter, which is no NEEDED library.
PYTHON_API_PREFIXES = ("Py", "_Py")


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    """An undefined dynamic symbol: what the object needs from a library."""

    name: str
    version: str | None  # the version node it requires, e.g. "GLIBC_2.14"; None: unversioned
    library: str | None  # the file that version is needed from (.gnu.version_r), e.g. "libc.so.6"
    weak: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ElfInfo:
    """What the dynamic linker needs to load one shared object."""

    path: str  # archive-relative, posix
    soname: str | None
    needed: tuple[str, ...]
    #: the search path entries as written ("" entries are the current directory)
    runpath: tuple[str, ...]
    # (library file, version name) e.g. ("libc.so.6", "GLIBC_2.34")
    version_needs: tuple[tuple[str, str], ...]
    machine: str
    runpath_tag: str = "RUNPATH"  # or "RPATH" (DT_RPATH)
    imports: tuple[Import, ...] = ()
    defines: frozenset[str] = field(default_factory=frozenset)
    fatbin: Fatbin | None = None
    fatbin_error: str | None = None

    @property
    def python_extension(self) -> bool:
        return any(name.startswith("PyInit_") for name in self.defines)


@dataclass(frozen=True, slots=True, kw_only=True)
class ElfExports:
    """The dynamic symbols a library defines (what :mod:`..profile.exports` stores)."""

    soname: str | None
    versions: Mapping[str, frozenset[str]]  # version node -> names; "" = unversioned
    data: Mapping[str, int]  # OBJECT symbols -> size
    tls: Mapping[str, int]  # TLS symbols -> size


def is_elf(head: bytes) -> bool:
    return head[:4] == ELF_MAGIC


@dataclass(frozen=True, slots=True)
class _Symbol:
    name: str
    defined: bool
    weak: bool
    kind: str  # STT_*
    size: int
    version: int  # the .gnu.version index, hidden bit cleared; 1 when there is none


def _version_index(raw: object) -> int:
    if isinstance(raw, int):
        return raw & 0x7FFF
    return 0 if raw == "VER_NDX_LOCAL" else 1


def _symbols(elf: ELFFile) -> Iterator[_Symbol]:
    dynsym = next((s for s in elf.iter_sections() if s["sh_type"] == "SHT_DYNSYM"), None)
    if not isinstance(dynsym, SymbolTableSection):
        return
    count = dynsym.num_symbols()
    if count > MAX_SYMBOLS:
        raise ValueError(f"{count} dynamic symbols (more than {MAX_SYMBOLS})")
    versym = next((s for s in elf.iter_sections() if isinstance(s, GNUVerSymSection)), None)
    for i, sym in enumerate(dynsym.iter_symbols()):
        if i == 0 or not sym.name:
            continue
        info = sym["st_info"]
        if info["bind"] == "STB_LOCAL" or sym["st_other"]["visibility"] in ("STV_HIDDEN", "STV_INTERNAL"):
            continue
        shndx = sym["st_shndx"]
        if shndx == "SHN_ABS":
            continue  # version-node markers and linker constants, not code or data
        version = _version_index(versym.get_symbol(i)["ndx"]) if versym is not None else 1
        yield _Symbol(name=str(sym.name), defined=shndx != "SHN_UNDEF", weak=info["bind"] == "STB_WEAK",
                      kind=str(info["type"]), size=int(sym["st_size"]), version=version)


def _verdefs(elf: ELFFile) -> dict[int, str]:
    out: dict[int, str] = {}
    for section in elf.iter_sections():
        if isinstance(section, GNUVerDefSection):
            for verdef, aux_iter in section.iter_versions():
                aux = next(iter(aux_iter), None)
                if aux is not None and not verdef["vd_flags"] & 1:  # VER_FLG_BASE: the file's own name
                    out[int(verdef["vd_ndx"])] = str(aux.name)
    return out


def _verneeds(elf: ELFFile) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for section in elf.iter_sections():
        if isinstance(section, GNUVerNeedSection):
            for verneed, aux_iter in section.iter_versions():
                for aux in aux_iter:
                    out[int(aux["vna_other"]) & 0x7FFF] = (str(verneed.name), str(aux.name))
    return out


def _open(data: bytes | IO[bytes]) -> ELFFile:
    return ELFFile(io.BytesIO(data) if isinstance(data, bytes) else data)


def read_elf(path: str, data: bytes | IO[bytes], *, symbols: bool = True) -> ElfInfo:
    """Parse one ELF file; raise ValueError with a readable reason if it is not one.
    ``symbols=False`` reads only the dynamic section (no imports, definitions, fatbin)."""
    try:
        elf = _open(data)
        soname: str | None = None
        needed: list[str] = []
        runpath: list[str] = []
        runpath_tag = "RUNPATH"
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
                        runpath_tag = "RPATH"
        verneed = _verneeds(elf)
        imports: list[Import] = []
        defines: set[str] = set()
        for sym in _symbols(elf) if symbols else ():
            if sym.defined:
                defines.add(sym.name)
                continue
            lib_version = verneed.get(sym.version) if sym.version > 1 else None
            imports.append(Import(name=sym.name, version=lib_version[1] if lib_version else None,
                                  library=lib_version[0] if lib_version else None, weak=sym.weak))
        fatbin, fatbin_error = _fatbin(elf) if symbols else (None, None)
        return ElfInfo(
            path=path,
            soname=soname,
            needed=tuple(needed),
            runpath=tuple(runpath),
            version_needs=tuple(sorted(set(verneed.values()), key=lambda fv: (fv[0], fv[1]))),
            machine=str(elf["e_machine"]),
            runpath_tag=runpath_tag,
            imports=tuple(imports),
            defines=frozenset(defines),
            fatbin=fatbin,
            fatbin_error=fatbin_error,
        )
    except ELFError as exc:
        raise ValueError(f"unreadable ELF: {exc}") from None
    except _DAMAGED as exc:  # pyelftools on a damaged file
        raise ValueError(f"unreadable ELF: {type(exc).__name__}: {exc}") from None


def _fatbin(elf: ELFFile) -> tuple[Fatbin | None, str | None]:
    section = elf.get_section_by_name(FATBIN_SECTION)
    if section is None or section["sh_type"] == "SHT_NOBITS":
        return None, None
    try:
        return read_fatbin(elf.stream, int(section["sh_offset"]), int(section["sh_size"])), None
    except ValueError as exc:
        return None, str(exc)


def read_exports(data: bytes | IO[bytes]) -> ElfExports:
    """The dynamic symbols a shared library defines, by version node; raise ValueError
    with a readable reason if it is not an ELF file."""
    try:
        elf = _open(data)
        soname: str | None = None
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                for raw_tag in section.iter_tags():
                    tag: Any = raw_tag
                    if tag.entry.d_tag == "DT_SONAME":
                        soname = str(tag.soname)
        verdef = _verdefs(elf)
        versions: dict[str, set[str]] = {}
        data_sizes: dict[str, int] = {}
        tls: dict[str, int] = {}
        for sym in _symbols(elf):
            if not sym.defined or sym.version == 0:
                continue
            node = verdef.get(sym.version, "") if sym.version > 1 else ""
            versions.setdefault(node, set()).add(sym.name)
            if sym.kind in ("STT_OBJECT", "STT_COMMON"):
                data_sizes[sym.name] = max(sym.size, data_sizes.get(sym.name, 0))
            elif sym.kind == "STT_TLS":
                tls[sym.name] = max(sym.size, tls.get(sym.name, 0))
        return ElfExports(soname=soname, versions={k: frozenset(v) for k, v in versions.items()},
                          data=data_sizes, tls=tls)
    except ELFError as exc:
        raise ValueError(f"unreadable ELF: {exc}") from None
    except _DAMAGED as exc:  # pyelftools on a damaged file
        raise ValueError(f"unreadable ELF: {type(exc).__name__}: {exc}") from None


def zip_member_is_elf(zf: zipfile.ZipFile, name: str) -> bool:
    with zf.open(name) as fh:
        return is_elf(fh.read(4))


def read_zip_elf(zf: zipfile.ZipFile, name: str, *, symbols: bool = True) -> ElfInfo:
    """:func:`read_elf` of a zip member, streamed into a temp file when it is large (a
    CUDA library is 200 MB: it is never held in memory)."""
    with zf.open(name) as src, tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX) as tmp:
        shutil.copyfileobj(src, tmp, 1 << 20)
        tmp.seek(0)
        return read_elf(name, tmp, symbols=symbols)


def newest_needed(info: ElfInfo, prefix: str) -> str | None:
    """Highest version named ``PREFIX_x.y`` that the object requires (e.g. GLIBC_)."""
    best: tuple[tuple[int, ...], str] | None = None
    for _lib, name in info.version_needs:
        if name.startswith(prefix):
            v = version_tuple(name[len(prefix) :])
            if v and (best is None or v > best[0]):
                best = (v, name)
    return best[1] if best else None
