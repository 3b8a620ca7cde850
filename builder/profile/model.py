"""The target runtime as data: the dataclasses of a profile (read and written by :mod:`.io`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import NormalizedName, canonicalize_name

from ..util.versions import major_minor

#: The keys of :attr:`Profile.sources`: where each value of a profile came from.
SOURCE_KEYS = ("agent_dir", "python", "glibc", "glibcxx", "cpu_baseline", "libraries", "timeouts")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvidedPackage:
    """A distribution the target runtime has installed and already imported."""

    name: NormalizedName
    version: str | None
    source: str

    @property
    def pin(self) -> str:
        return f"{self.name}=={self.version}" if self.version else str(self.name)


NativeKind = Literal["wheel", "deb", "captured"]
#: The keys of a ``[[native]]`` table that name where its library is read from.
NATIVE_KINDS: tuple[NativeKind, ...] = ("wheel", "deb", "captured")


@dataclass(frozen=True, slots=True, kw_only=True)
class NativeLibrary:
    """A shared library the target provides, and the package its export list is read from
    (``python -m builder profile exports``), or the file it was captured from on the image."""

    soname: str
    kind: NativeKind
    #: wheel: ``name==version`` on PyPI; deb: the package's URL; captured: the file's path on the image
    ref: str
    #: of the wheel or .deb (pinned: every downloaded byte is checked); of the file itself when captured
    sha256: str
    #: the library's path inside the package ("" when captured)
    member: str
    source: str
    #: the .deb's size in bytes (pinned with its sha256: a download stops there); 0 otherwise
    size: int = 0

    @property
    def package(self) -> str:
        """What it was read from, in words: ``nvidia-cuda-runtime-cu12 12.1.105``, ``libcuda1 550.163.01-2``."""
        if self.kind == "wheel":
            name, _, version = self.ref.partition("==")
            return f"{name} {version}".strip()
        if self.kind == "deb":
            base = unquote(self.ref.rsplit("/", 1)[-1]).removesuffix(".deb")
            parts = base.split("_")
            return " ".join(parts[:2]) if len(parts) >= 2 else base
        return f"captured {self.ref}"

    @property
    def label(self) -> str:
        """``package``, with ", best known" when the profile could not pin the target's exact library."""
        return self.package + (", best known" if self.source.startswith("best known") else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuSpec:
    name: str
    memory_gib: float
    compute_capability: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    act_timeout_s: float
    overage_s: float
    run_timeout_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    name: str
    path: Path
    description: str
    agent_dir: str
    python_version: str  # "3.10"
    implementation: str  # "cp"
    machine: str  # "x86_64"
    glibc: str  # "2.31"
    glibcxx: str  # "3.4.28"
    cpu_baseline: str
    system_libraries: tuple[str, ...]
    gpu_libraries: tuple[str, ...]
    provided: tuple[ProvidedPackage, ...]
    gpu: GpuSpec | None
    timeouts: Timeouts
    #: where each value came from ("documented: ...", "best known: ...", "captured on ..."),
    #: by :data:`SOURCE_KEYS`
    sources: Mapping[str, str] = field(default_factory=dict)
    #: the provided libraries whose exported symbols the profile knows (``[[native]]``)
    natives: tuple[NativeLibrary, ...] = ()
    #: the file of their export lists, beside the profile ("" when it has none)
    exports: str = ""

    @property
    def exports_path(self) -> Path | None:
        return self.path.parent / self.exports if self.exports else None

    def native(self, soname: str) -> NativeLibrary | None:
        return next((n for n in self.natives if n.soname == soname), None)

    @property
    def python_tuple(self) -> tuple[int, int]:
        return major_minor(self.python_version)

    @property
    def glibc_tuple(self) -> tuple[int, int]:
        return major_minor(self.glibc)

    @property
    def provided_names(self) -> frozenset[NormalizedName]:
        return frozenset(p.name for p in self.provided)

    def provided_by_name(self, name: str) -> ProvidedPackage | None:
        key = canonicalize_name(name)
        for pkg in self.provided:
            if pkg.name == key:
                return pkg
        return None

    def platforms(self) -> list[str]:
        """Platform tags the target accepts, most specific first."""
        major, minor = self.glibc_tuple
        arch = self.machine
        plats = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, 4, -1)]
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        out: list[str] = []
        for plat in plats:
            out.append(plat)
            m = int(plat.split("_")[2])
            if m in legacy:
                out.append(f"{legacy[m]}_{arch}")
        out.append(f"linux_{arch}")
        return out

    def supported_tags(self) -> list[Tag]:
        """Wheel tags that fit the target, in packaging's priority order."""
        py = self.python_tuple
        abi = f"cp{py[0]}{py[1]}"
        plats = self.platforms()
        tags = list(cpython_tags(py, abis=[abi, "abi3", "none"], platforms=plats))
        tags += list(compatible_tags(py, interpreter=abi, platforms=plats))
        return tags
