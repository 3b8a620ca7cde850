"""The native libraries of a wheel or an archive judged against a target profile.

Used by the wheels stage (a wheel's native libraries) and by verify's static level (every
ELF file in an archive), on the facts :mod:`builder.native.elf` reads.
:func:`check_elf` is what the dynamic linker needs of one object (machine, NEEDED
libraries, RUNPATH, the newest glibc / libstdc++ version); :func:`check_elfs` adds what
needs the whole set: every undefined symbol that binds to a library the target provides
must be in that library's export list (``[[native]]`` of the profile,
:mod:`builder.profile.exports`), and every CUDA library must carry a kernel for the
profile's GPU.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..native.elf import ORIGIN_TOKENS, PYTHON_API_PREFIXES, ElfInfo, newest_needed
from ..native.fatbin import FATBIN_SECTION, compute_capability, kernel_problems
from ..profile import Profile
from ..profile.exports import ExportData, LibraryExports, profile_exports
from ..util.versions import version_tuple

#: Missing symbols shown per library before "... and N more".
MAX_MISSING_SHOWN = 25

_EXPECTED_MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}


def _search_dirs(info: ElfInfo, problems: list[str]) -> list[str]:
    """The RUNPATH folders inside the archive; a problem for every other entry."""
    origin = posixpath.dirname(info.path)
    search: list[str] = []
    for entry in info.runpath:
        if not entry.startswith(ORIGIN_TOKENS):
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
    """:func:`check_elfs`: the problems, what was checked (for notes and details), and what
    could not be (``unchecked``: the profile lacks the data, said with the reason)."""

    problems: tuple[str, ...]
    notes: tuple[str, ...]
    unchecked: tuple[str, ...]
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
            if info.python_extension and imp.name.startswith(PYTHON_API_PREFIXES):
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
    unchecked: list[str] = []
    for info in objects:
        problems += check_elf(info, profile, available)
    data = exports if exports is not None or not objects else profile_exports(profile)
    bound: dict[str, int] = {}
    if data is None:
        if objects:
            unchecked.append(f"the symbols the archive's libraries import were not checked: profile "
                             f"'{profile.name}' has no export lists")
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
            unchecked.append(f"the symbols bound to {', '.join(unlisted)} were not checked: profile "
                             f"'{profile.name}' has no export list for it")
        if bound:
            notes.append("imports checked against the profile's export lists: "
                         + ", ".join(f"{soname} {n}" for soname, n in sorted(bound.items())))
    kernels = _kernel_findings(objects, profile, problems, notes, unchecked)
    return ElfFindings(problems=tuple(problems), notes=tuple(notes), unchecked=tuple(unchecked), bound=dict(bound),
                       kernels=kernels)


def _kernel_findings(objects: list[ElfInfo], profile: Profile, problems: list[str], notes: list[str],
                     unchecked: list[str]) -> dict[str, str]:
    kernels: dict[str, str] = {}
    cc = compute_capability(profile.gpu.compute_capability) if profile.gpu else None
    for info in objects:
        if info.fatbin_error:
            problems.append(f"{info.path}: unreadable {FATBIN_SECTION} section ({info.fatbin_error})")
        if info.fatbin is None:
            continue
        kernels[info.path] = info.fatbin.summary()
        if cc is None:
            unchecked.append(f"{info.path}: its CUDA device code was not checked: profile '{profile.name}' "
                             "names no GPU compute capability")
            continue
        found = kernel_problems(info.path, info.fatbin, cc)
        problems += found
        if not found:
            notes.append(f"{info.path}: kernels for sm_{cc} ({kernels[info.path]})")
    return kernels
