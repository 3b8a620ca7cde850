"""ELF inspection of shared objects against a target profile (pyelftools).

Used by the wheels stage (a wheel's native libraries) and by verify's static level
(every ELF file in an archive).  Reads the dynamic section, the dynamic symbols with
their GNU versions, and the headers of the CUDA device code (:mod:`.fatbin`): nothing is
loaded or executed, and a file is read through a seekable file object, never whole.

:func:`check_elf` is what the dynamic linker needs of one object (machine, NEEDED
libraries, RUNPATH, the newest glibc / libstdc++ version); :func:`check_elfs` adds what
needs the whole set: every undefined symbol that binds to a library the target provides
must be in that library's export list (``[[native]]`` of the profile, :mod:`..profile.exports`),
and every CUDA library must carry a kernel for the profile's GPU.
"""

from __future__ import annotations

import io
import posixpath
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerDefSection, GNUVerNeedSection, GNUVerSymSection
from elftools.elf.sections import SymbolTableSection

from ..profile import Profile
from ..profile.exports import ExportData, LibraryExports, profile_exports
from ..util.versions import version_tuple
from .fatbin import FATBIN_SECTION, Fatbin, compute_capability, kernel_problems, read_fatbin

ELF_MAGIC = b"\x7fELF"
#: Zip members up to this size are read into memory; larger ones go to a temp file.
SPOOL_MAX = 8 << 20
#: More dynamic symbols than this is not a library a compiler made.
MAX_SYMBOLS = 2_000_000
#: Missing symbols reported per object and library before the rest are counted.
MAX_MISSING_SHOWN = 25
_ORIGIN = ("$ORIGIN", "${ORIGIN}")
#: What pyelftools raises besides ELFError on a damaged file.
_DAMAGED = (KeyError, IndexError, AttributeError, TypeError, ValueError, struct.error, OverflowError, EOFError)
#: Names the C API of CPython exports: an extension module's unversioned references to
#: them bind to the interpreter, which is no NEEDED library.
_PYTHON_API = ("Py", "_Py")


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


_EXPECTED_MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}


def _search_dirs(info: ElfInfo, problems: list[str]) -> list[str]:
    """The RUNPATH folders inside the archive; a problem for every other entry."""
    origin = posixpath.dirname(info.path)
    search: list[str] = []
    for entry in info.runpath:
        if not entry.startswith(_ORIGIN):
            what = "an empty entry (the current folder)" if not entry else f"entry {entry!r}"
            problems.append(f"{info.path}: {info.runpath_tag} has {what}, which is not $ORIGIN-relative: "
                            "the target's loader would search a folder of the machine first (only $ORIGIN is allowed)")
            continue
        rest = entry.split("ORIGIN", 1)[1].lstrip("}")
        where = posixpath.normpath(posixpath.join(origin, rest.lstrip("/")))
        if where == ".." or where.startswith("../"):
            problems.append(f"{info.path}: {info.runpath_tag} entry {entry!r} leads outside the archive")
            continue
        search.append("" if where == "." else where)
    return search


def check_elf(
    info: ElfInfo,
    profile: Profile,
    available: Mapping[str, Iterable[str]],
) -> list[str]:
    """Every problem that would stop the target's dynamic linker loading ``info``.

    ``available`` maps a directory (archive-relative, posix) to the file names in it;
    a NEEDED library resolves when it is in a RUNPATH directory (``$ORIGIN``-relative)
    or the profile's system libraries.  RUNPATH entries must be ``$ORIGIN``-relative and
    stay inside the archive.
    """
    problems: list[str] = []
    want_machine = _EXPECTED_MACHINE.get(profile.machine)
    if want_machine and info.machine != want_machine:
        problems.append(f"{info.path}: built for {info.machine}, the target is {profile.machine}")
    search = _search_dirs(info, problems)
    system = set(profile.system_libraries)
    for lib in info.needed:
        if lib in system:
            continue
        if any(lib in set(available.get(d, ())) for d in search):
            continue
        shown = [r for r in info.runpath if r]
        where = f" ({info.runpath_tag} {':'.join(shown)})" if shown else " (no RUNPATH)"
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


# ------------------------------------------------------------------ the set of objects


@dataclass(frozen=True, slots=True, kw_only=True)
class ElfFindings:
    """:func:`check_elfs`: the problems, and what was checked (for notes and details)."""

    problems: tuple[str, ...]
    notes: tuple[str, ...]
    #: provided SONAME -> how many imports of the archive were checked against its export list
    bound: Mapping[str, int]
    #: path -> a summary of its CUDA device code
    kernels: Mapping[str, str]


def _coarse(version: str, profile: Profile) -> bool:
    """Whether :func:`check_elf` already reports ``version`` as too new."""
    for prefix, have in (("GLIBCXX_", profile.glibcxx), ("GLIBC_", profile.glibc)):
        if version.startswith(prefix):
            return version_tuple(version[len(prefix) :]) > version_tuple(have)
    return False


@dataclass(slots=True)
class _Binder:
    """Binds the imports of one object to the profile's export lists."""

    profile: Profile
    exports: ExportData
    objects: Mapping[str, ElfInfo]  # file name and SONAME -> object of the archive
    archive_defines: frozenset[str]
    bound: dict[str, int]

    def lib_of(self, soname: str) -> LibraryExports | None:
        return self.exports.get(soname) if soname in self.profile.system_libraries else None

    def by(self, lib: LibraryExports) -> str:
        native = self.profile.native(lib.soname)
        return f"{lib.soname} of profile '{self.profile.name}' ({native.label if native else lib.package.ref})"

    def loaded_with(self, info: ElfInfo) -> tuple[list[LibraryExports], bool]:
        """The provided libraries loaded with ``info``: NEEDED by it or, through the
        archive's own libraries, by what it NEEDs (one load group: an unversioned symbol
        binds to any of them); and whether one of them has no export list."""
        seen: set[str] = set()
        todo = list(info.needed)
        libs: dict[str, LibraryExports] = {}
        unknown = False
        while todo:
            name = todo.pop(0)
            if name in seen:
                continue
            seen.add(name)
            if name in self.objects:
                todo += self.objects[name].needed
            elif name in self.profile.system_libraries:
                lib = self.lib_of(name)
                if lib is None:
                    unknown = True
                else:
                    libs.setdefault(name, lib)
        return list(libs.values()), unknown

    def check(self, info: ElfInfo) -> list[str]:
        missing: dict[str, list[str]] = {}  # library -> "name@version" (one problem each)
        nodes: dict[tuple[str, str], list[str]] = {}  # (library, version) -> names
        group, unknown = self.loaded_with(info)
        loose: list[str] = []
        for imp in info.imports:
            if imp.weak:
                continue  # may stay unresolved
            if imp.version is not None and imp.library is not None:
                lib = self.lib_of(imp.library)
                if lib is None:
                    continue  # a library of the archive, or one the profile has no export list for
                self.bound[lib.soname] = self.bound.get(lib.soname, 0) + 1
                if not lib.defines_version(imp.version):
                    if not _coarse(imp.version, self.profile):
                        nodes.setdefault((lib.soname, imp.version), []).append(imp.name)
                elif not lib.exports(imp.name, imp.version):
                    missing.setdefault(lib.soname, []).append(f"{imp.name}@{imp.version}")
                continue
            if imp.name in self.archive_defines or not group or unknown:
                continue  # bound inside the archive, or nothing provided to check it against
            if info.python_extension and imp.name.startswith(_PYTHON_API):
                continue  # the interpreter's C API
            owner = next((lib for lib in group if lib.exports(imp.name, None)), None)
            if owner is None:
                loose.append(imp.name)
            else:
                self.bound[owner.soname] = self.bound.get(owner.soname, 0) + 1
        return self._messages(info, missing, nodes, loose, group)

    def _messages(self, info: ElfInfo, missing: Mapping[str, list[str]], nodes: Mapping[tuple[str, str], list[str]],
                  loose: list[str], group: list[LibraryExports]) -> list[str]:
        out: list[str] = []
        for (soname, version), names in sorted(nodes.items()):
            lib = self.exports.libraries[soname]
            shown = ", ".join(sorted(names)[:5]) + (f", ... ({len(names)} symbols)" if len(names) > 5 else "")
            out.append(f"{info.path}: needs version {version} of {soname} ({shown}), which {self.by(lib)} "
                       "does not define")
        for soname, refs in sorted(missing.items()):
            lib = self.exports.libraries[soname]
            refs = sorted(refs)
            out += [f"{info.path}: needs {ref}, which {self.by(lib)} does not export"
                    for ref in refs[:MAX_MISSING_SHOWN]]
            if len(refs) > MAX_MISSING_SHOWN:
                out.append(f"{info.path}: ... and {len(refs) - MAX_MISSING_SHOWN} more symbols that {soname} "
                           "does not export")
        if loose:
            names = sorted(loose)
            if len(group) == 1:
                whom = self.by(group[0])
            else:
                whom = (f"the libraries of profile '{self.profile.name}' it loads "
                        f"({', '.join(sorted(lib.soname for lib in group))})")
            out += [f"{info.path}: needs {name} (unversioned), which neither the archive nor {whom} exports"
                    for name in names[:MAX_MISSING_SHOWN]]
            if len(names) > MAX_MISSING_SHOWN:
                out.append(f"{info.path}: ... and {len(names) - MAX_MISSING_SHOWN} more unresolved symbols")
        return out


def check_elfs(
    infos: Iterable[ElfInfo],
    profile: Profile,
    available: Mapping[str, Iterable[str]],
    *,
    exports: ExportData | None = None,
) -> ElfFindings:
    """:func:`check_elf` of every object, then the checks that need the profile's export
    lists and GPU: see the module docstring.  ``exports`` defaults to the profile's
    (:func:`~builder.profile.exports.profile_exports`; a stale file is a ConfigError).

    A symbol binds to a provided library when its version requirement names that
    library's file, or, unversioned, when no object of the archive defines it and
    provided libraries are loaded with the object (NEEDED by it, or by the archive's
    libraries it NEEDs): then one of those must export it.  An extension module's
    ``Py*`` references bind to the interpreter; weak references may stay unresolved.
    """
    objects = list(infos)
    problems: list[str] = []
    notes: list[str] = []
    for info in objects:
        problems += check_elf(info, profile, available)
    data = exports if exports is not None or not objects else profile_exports(profile)
    bound: dict[str, int] = {}
    if data is None:
        if objects:
            notes.append(f"profile '{profile.name}' has no export lists: the symbols of its libraries are not checked")
    else:
        index: dict[str, ElfInfo] = {}
        for i in objects:
            index.setdefault(posixpath.basename(i.path), i)
            if i.soname:
                index.setdefault(i.soname, i)
        binder = _Binder(profile=profile, exports=data, objects=index, bound=bound,
                         archive_defines=frozenset().union(*(i.defines for i in objects)))
        for info in objects:
            problems += binder.check(info)
        unlisted = sorted({n for i in objects for n in i.needed
                           if n in profile.system_libraries and data.get(n) is None})
        if unlisted:
            notes.append(f"no export list for {', '.join(unlisted)} in profile '{profile.name}': "
                         "symbols bound to it are not checked")
        if bound:
            notes.append("imports checked against the profile's export lists: "
                         + ", ".join(f"{soname} {n}" for soname, n in sorted(bound.items())))
    kernels = _kernel_findings(objects, profile, problems, notes)
    return ElfFindings(problems=tuple(problems), notes=tuple(notes), bound=dict(bound), kernels=kernels)


def _kernel_findings(objects: list[ElfInfo], profile: Profile, problems: list[str], notes: list[str]) -> dict[str, str]:
    kernels: dict[str, str] = {}
    cc = compute_capability(profile.gpu.compute_capability) if profile.gpu else None
    for info in objects:
        if info.fatbin_error:
            problems.append(f"{info.path}: unreadable {FATBIN_SECTION} section ({info.fatbin_error})")
        if info.fatbin is None:
            continue
        kernels[info.path] = info.fatbin.summary()
        if cc is None:
            notes.append(f"{info.path}: CUDA device code not checked: profile '{profile.name}' names no GPU "
                         "compute capability")
            continue
        found = kernel_problems(info.path, info.fatbin, cc)
        problems += found
        if not found:
            notes.append(f"{info.path}: kernels for sm_{cc} ({kernels[info.path]})")
    return kernels
