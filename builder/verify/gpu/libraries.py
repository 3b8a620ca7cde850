"""The target's CUDA runtime on a GPU machine: which file stands for each library.

On a machine with an NVIDIA driver and GPU, levels 3-4 run the archive's CUDA build with
the *target's* runtime libraries (the profile's ``[[native]]`` tables: cudart 12.1.105,
cuBLAS/cuBLASLt 12.1.3.1 for ``kaggle-2024``) and the machine's driver ``libcuda.so.1``.
For each library, in this order (:func:`choose`, a pure function):

1. ``verify --here`` (a Kaggle notebook: the image *is* the target): the image's own, as
   its loader finds it, whatever its version (the report says which);
2. ``--cuda-runtime DIR``: ``DIR/<soname>``, refused unless it is the profile's version
   (byte-identical to the pinned library, or named with its version) and exports every
   symbol of the profile's export list;
3. the machine's own, when it is the profile's version (byte-identical, its versioned file
   name, or the pinned wheel's metadata beside it);
4. the profile's pinned wheel (hash-checked, downloaded once into the cache by the same
   code that reads the export lists, :mod:`builder.profile.natives`), the library streamed
   out of it into ``cache/cuda-runtime/``;
5. otherwise missing: the report says which library and how to provide it.

A library a chosen one needs (``libcublas.so.12`` needs ``libcublasLt.so.12``) is chosen
the same way; the child loads them by path, those needed first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...errors import BuilderError, ConfigError
from ...native.elf import read_elf, read_exports
from ...pip import Pip
from ...profile import Profile
from ...profile.exports import ExportData, LibraryExports
from ...profile.model import NativeLibrary
from ...profile.natives import extract_library, package_file
from ...util.fs import build_folder_once
from ...util.hashing import sha256_file
from ..child.verify_protocol import MachineResult, RuntimeLibrary

Origin = Literal["image", "dir", "machine", "wheel"]
Log = Callable[[str], None]
#: The driver: always the machine's own (a runtime library is never stood in for it).
DRIVER = "libcuda.so.1"
#: How each origin is said in the report.
ORIGINS: Mapping[Origin, str] = {
    "image": "this image's own",
    "dir": "--cuda-runtime folder",
    "machine": "this machine's own",
    "wheel": "the profile's pinned wheel",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One of the target's runtime libraries, as the profile pins it."""

    soname: str
    version: str | None  # "12.1.105" (from the pinned wheel's version); None: not known
    package: str  # "nvidia-cuda-runtime-cu12==12.1.105", in words
    sha256: str | None  # of the library itself (the export list's file_sha256)
    exports: LibraryExports | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A file that could stand for a target library, and what is known of it."""

    soname: str
    path: Path
    version: str | None  # from its file name or its wheel's metadata; None: unknown
    identical: bool  # byte-identical to the target's pinned library
    lacks: tuple[str, ...] | None = None  # symbols of the target's export list it lacks; None: not read


@dataclass(frozen=True, slots=True, kw_only=True)
class Chosen:
    soname: str
    origin: Origin
    path: Path
    version: str | None
    note: str = ""  # e.g. the image's version differs from the profile's


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing:
    soname: str
    why: str


def misfit(c: Candidate, t: Target, *, need_exports: bool) -> str | None:
    """Why ``c`` is not ``t`` (None: it is): a byte-identical file is; otherwise its version
    must be the target's (an unknown version only where the export list is checked) and,
    with ``need_exports``, it must export every symbol of the target's list."""
    if c.identical:
        return None
    if c.version is not None and t.version is not None and c.version != t.version:
        return f"is version {c.version}; the target's is {t.version} ({t.package})"
    if c.version is None and not need_exports:
        return f"its version is not known (not byte-identical to {t.package}'s and not named with a version)"
    if need_exports:
        if c.lacks is None:
            return "its exports were not read"
        if c.lacks:
            more = f" and {len(c.lacks) - 3} more" if len(c.lacks) > 3 else ""
            return f"does not export {', '.join(c.lacks[:3])}{more} of the target's {t.soname} ({t.package})"
    return None


def choose(
    t: Target,
    *,
    here: bool,
    machine: Candidate | None,
    folder: Candidate | None,
    wheel: Callable[[], Candidate | str],
    problems: list[str],
) -> Chosen | Missing:
    """The file for ``t`` (see the module docstring for the order).  A ``--cuda-runtime``
    file that is not the target's is added to ``problems`` (bad input: the caller refuses
    it); a machine's file of another version is passed over for the pinned wheel, which
    ``wheel()`` gives (or why it cannot)."""
    if here:
        if machine is None:
            return Missing(soname=t.soname, why="this image's loader does not find it")
        why = misfit(machine, t, need_exports=False)
        return Chosen(soname=t.soname, origin="image", path=machine.path, version=machine.version,
                      note=f"not the profile's: it {why}" if why else "")
    if folder is not None:
        why = misfit(folder, t, need_exports=True)
        if why is None:
            return Chosen(soname=t.soname, origin="dir", path=folder.path, version=folder.version or t.version)
        problems.append(f"{folder.path}: {why}")
    passed_over = ""
    if machine is not None:
        why = misfit(machine, t, need_exports=False)
        if why is None:
            return Chosen(soname=t.soname, origin="machine", path=machine.path, version=machine.version or t.version)
        passed_over = f"this machine's {machine.path} {why}; "
    got = wheel()
    if isinstance(got, Candidate):
        why = misfit(got, t, need_exports=False)
        if why is None:
            return Chosen(soname=t.soname, origin="wheel", path=got.path, version=t.version)
        return Missing(soname=t.soname, why=f"{passed_over}the file read from {t.package} {why}")
    return Missing(soname=t.soname, why=f"{passed_over}{got}")


def how_to_provide(t: Target) -> str:
    """The one-line advice for a missing library."""
    name, _, version = t.package.partition("==")
    pin = f"{name}=={version}" if version else name
    return (f"run verify once where PyPI is reachable (it caches {pin}), or `pip download --no-deps {pin}`, "
            f"unzip it and pass the folder holding {t.soname} with --cuda-runtime DIR")


# ------------------------------------------------------------------ reading the candidates

_VERSIONED = re.compile(r"\.so\.(\d+(?:\.\d+)+)$")


def version_of(path: Path, native: NativeLibrary | None) -> str | None:
    """A library file's version: its real file name (``libcudart.so.12.1.105`` -> 12.1.105,
    at least three parts), else the ``.dist-info`` of the profile's wheel it was installed
    from (``site-packages/nvidia/cuda_runtime/lib/libcudart.so.12``), else None."""
    real = path.resolve()
    m = _VERSIONED.search(real.name)
    if m and m.group(1).count(".") >= 2:
        return m.group(1)
    if native is not None and native.kind == "wheel":
        dist = re.sub(r"[-_.]+", "_", native.ref.partition("==")[0])
        for parent in list(real.parents)[:6]:
            for info in sorted(parent.glob(f"{dist}-*.dist-info"), key=lambda p: p.name):
                return info.name[len(dist) + 1 : -len(".dist-info")]
    return None


def candidate(soname: str, path: Path, t: Target, native: NativeLibrary | None, *, read: bool) -> Candidate:
    """What is known of ``path`` as ``t``: version, identity, and (``read``) the symbols of the
    target's export list it lacks."""
    identical = t.sha256 is not None and sha256_file(path.resolve()) == t.sha256
    lacks: tuple[str, ...] | None = None
    if read and not identical and t.exports is not None:
        try:
            with open(path, "rb") as fh:
                got = read_exports(fh)
        except (OSError, ValueError) as exc:
            raise ConfigError(path, f"not a readable shared library: {exc}") from None
        have = {(node, name) for node, names in got.versions.items() for name in names}
        lacks = tuple(sorted(name for node, names in t.exports.versions.items() for name in names
                             if (node, name) not in have))
    return Candidate(soname=soname, path=path, version=version_of(path, native), identical=identical, lacks=lacks)


def targets(profile: Profile, exports: ExportData | None, sonames: Iterable[str]) -> dict[str, Target]:
    out: dict[str, Target] = {}
    for soname in sonames:
        native = profile.native(soname)
        lib = exports.get(soname) if exports is not None else None
        version = None
        if native is not None and native.kind == "wheel":
            version = native.ref.partition("==")[2] or None  # "nvidia-cublas-cu12==12.1.3.1" -> 12.1.3.1
        out[soname] = Target(soname=soname, version=version,
                             package=native.ref if native is not None else f"profile '{profile.name}'",
                             sha256=lib.file_sha256 if lib is not None else None, exports=lib)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimePlan:
    """The files levels 3-4 load for the target's CUDA runtime, those needed first."""

    chosen: tuple[Chosen, ...]
    missing: tuple[Missing, ...]
    advice: Mapping[str, str]  # SONAME -> how to provide it (for the missing ones)

    def request(self) -> list[RuntimeLibrary]:
        """The files the child loads by path first.  The image's own (``--here``) are not: the
        child finds them as the target's process would, in the order its imports load them."""
        return [{"soname": c.soname, "path": str(c.path), "origin": c.origin} for c in self.chosen
                if c.origin != "image"]

    def why_not(self) -> str | None:
        """Why levels 3-4 cannot run on the GPU (a library is missing), or None."""
        if not self.missing:
            return None
        return "; ".join(f"the target's {m.soname} is missing: {m.why}; {self.advice[m.soname]}"
                         for m in self.missing)


def plan_runtime(
    profile: Profile,
    exports: ExportData | None,
    needed: Sequence[str],
    machine: MachineResult,
    *,
    here: bool,
    folder: Path | None,
    fetch_wheel: Callable[[NativeLibrary], Path],
) -> RuntimePlan:
    """The runtime libraries for ``needed`` (the GPU libraries the archive's ELF files need,
    the driver aside) and those they need in turn, chosen on this machine.
    ``fetch_wheel(native)`` is the library extracted from its pinned wheel (raising a
    :class:`BuilderError` when it cannot be had).  A ``--cuda-runtime`` file that is not
    the target's is a :class:`ConfigError` naming it."""
    found = {lib["soname"]: Path(lib["path"]) for lib in machine["libraries"] if lib["path"]}
    gpu = [s for s in profile.gpu_libraries if s != DRIVER]
    todo = [s for s in needed if s != DRIVER]
    chosen: dict[str, Chosen] = {}
    missing: dict[str, Missing] = {}
    problems: list[str] = []
    while todo:
        soname = todo.pop(0)
        if soname in chosen or soname in missing:
            continue
        t = targets(profile, exports, [soname])[soname]
        native = profile.native(soname)
        mine = candidate(soname, found[soname], t, native, read=False) if soname in found else None
        given = folder / soname if folder is not None else None
        theirs = candidate(soname, given, t, native, read=True) if given is not None and given.exists() else None

        def wheel(native: NativeLibrary | None = native, t: Target = t) -> Candidate | str:
            if native is None or native.kind != "wheel":
                return f"profile '{profile.name}' pins no wheel for {t.soname}"
            try:
                path = fetch_wheel(native)
            except BuilderError as exc:
                return f"{native.ref} could not be had: {str(exc)[:300]}"
            return candidate(t.soname, path, t, native, read=False)

        got = choose(t, here=here, machine=mine, folder=theirs, wheel=wheel, problems=problems)
        if isinstance(got, Missing):
            missing[soname] = got
            continue
        chosen[soname] = got
        todo += [n for n in _needed(got.path) if n in gpu and n not in chosen]
    if problems:
        raise ConfigError(folder, "--cuda-runtime: " + "; ".join(problems))
    every = targets(profile, exports, missing)
    return RuntimePlan(chosen=_dependencies_first(chosen), missing=tuple(missing.values()),
                       advice={s: how_to_provide(t) for s, t in every.items()})


def _needed(path: Path) -> tuple[str, ...]:
    try:
        with open(path, "rb") as fh:
            return read_elf(str(path), fh, symbols=False).needed
    except (OSError, ValueError):
        return ()


def _dependencies_first(chosen: Mapping[str, Chosen]) -> tuple[Chosen, ...]:
    """The chosen libraries, each after those of them it needs (ties: SONAME order)."""
    needs = {s: set(_needed(c.path)) & set(chosen) for s, c in chosen.items()}
    out: list[Chosen] = []
    while needs:
        ready = sorted(s for s, deps in needs.items() if not deps - {c.soname for c in out})
        ready = ready or sorted(needs)[:1]  # a cycle: break it
        for s in ready:
            out.append(chosen[s])
            del needs[s]
    return tuple(out)


def wheel_fetcher(profile: Profile, *, pip: Pip, cache: Path, log: Log) -> Callable[[NativeLibrary], Path]:
    """``fetch_wheel`` of :func:`plan_runtime`: the pinned wheel (hash-checked, cached under
    ``cache/downloads``), its library extracted once into ``cache/cuda-runtime/<sha256>-<soname>/``."""

    def fetch(native: NativeLibrary) -> Path:
        def make(tmp: Path) -> None:
            package = package_file(native, pip=pip, cache=cache, log=log)
            log(f"verify: {native.soname} from {native.package} (the target's own, pinned in profile "
                f"'{profile.name}')")
            extract_library(native, package, tmp / native.soname)

        folder = cache / "cuda-runtime" / f"{native.sha256[:20]}-{native.soname}"
        return build_folder_once(folder, make) / native.soname

    return fetch
