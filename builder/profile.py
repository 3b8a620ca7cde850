"""Target runtime profiles: what the machine that runs the submission already has.

A profile is data (``lockfiles/profiles/<name>.toml``): the Python version, the
platform and its glibc / libstdc++ versions, the shared libraries the system provides,
and the packages the runtime has already imported before ``main.py`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from . import _toml
from .errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvidedPackage:
    """A distribution the target runtime has installed and already imported."""

    name: NormalizedName
    version: str | None
    source: str

    @property
    def pin(self) -> str:
        return f"{self.name}=={self.version}" if self.version else str(self.name)


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

    @property
    def python_tuple(self) -> tuple[int, int]:
        major, minor = self.python_version.split(".")[:2]
        return int(major), int(minor)

    @property
    def glibc_tuple(self) -> tuple[int, int]:
        major, minor = self.glibc.split(".")[:2]
        return int(major), int(minor)

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


def profiles_dir(root: Path) -> Path:
    return root / "lockfiles" / "profiles"


def find_profile(root: Path, name: str) -> Path:
    candidate = Path(name)
    if candidate.suffix == ".toml" and candidate.exists():
        return candidate
    path = profiles_dir(root) / f"{name}.toml"
    if not path.exists():
        known = sorted(p.stem for p in profiles_dir(root).glob("*.toml"))
        raise ConfigError(path, f"no such profile '{name}' (known: {', '.join(known) or 'none'})")
    return path


def _version_str(path: Path, key: str, value: str, parts: int) -> str:
    try:
        v = Version(value)
    except InvalidVersion:
        raise ConfigError(path, f"key '{key}' is not a version: {value!r}") from None
    if len(v.release) < parts:
        raise ConfigError(path, f"key '{key}' needs {parts} parts: {value!r}")
    return value


def load_profile(path: Path) -> Profile:
    doc = _toml.Table(_toml.load(path), path)
    prof = doc.table("profile", required=True)
    name = prof.get("name", str, required=True)
    description = prof.get("description", str, "")
    agent_dir = prof.get("agent_dir", str, "/kaggle_simulations/agent")
    prof.get("agent_dir_source", str, "")
    prof.done()

    py = doc.table("python", required=True)
    python_version = _version_str(path, "python.version", py.get("version", str, required=True), 2)
    implementation = py.get("implementation", str, "cp")
    if implementation != "cp":
        raise ConfigError(path, f"key 'python.implementation' must be 'cp', got {implementation!r}")
    py.get("source", str, "")
    py.done()

    plat = doc.table("platform", required=True)
    machine = plat.get("machine", str, required=True)
    glibc = _version_str(path, "platform.glibc", plat.get("glibc", str, required=True), 2)
    glibcxx = _version_str(path, "platform.glibcxx", plat.get("glibcxx", str, required=True), 3)
    cpu_baseline = plat.get("cpu_baseline", str, "x86-64-v3")
    for key in ("glibc_source", "glibcxx_source", "cpu_baseline_source"):
        plat.get(key, str, "")
    plat.done()

    system = doc.table("system")
    libraries = system.strings("libraries")
    gpu_libraries = system.strings("gpu_libraries")
    system.get("libraries_source", str, "")
    system.done()
    missing = [lib for lib in gpu_libraries if lib not in libraries]
    if missing:
        raise ConfigError(path, f"'system.gpu_libraries' lists {missing[0]} which is not in 'system.libraries'")

    gpu: GpuSpec | None = None
    if "gpu" in doc.data:
        g = doc.table("gpu")
        gpu = GpuSpec(
            name=g.get("name", str, required=True),
            memory_gib=g.get("memory_gib", float, required=True),
            compute_capability=g.get("compute_capability", str, ""),
            source=g.get("source", str, ""),
        )
        g.done()
    else:
        doc.get("gpu", dict, {})

    t = doc.table("timeouts")
    timeouts = Timeouts(
        act_timeout_s=t.get("act_timeout_s", float, 60.0),
        overage_s=t.get("overage_s", float, 300.0),
        run_timeout_s=t.get("run_timeout_s", float, 9600.0),
    )
    t.get("source", str, "")
    t.done()

    provided: list[ProvidedPackage] = []
    seen: set[str] = set()
    for item in doc.tables("provided"):
        raw = item.get("name", str, required=True)
        pname = canonicalize_name(raw)
        if pname in seen:
            raise ConfigError(path, f"provided package '{raw}' is listed twice")
        seen.add(pname)
        version = item.opt("version", str)
        if version is not None:
            _version_str(path, f"provided '{raw}' version", version, 1)
        provided.append(ProvidedPackage(name=pname, version=version, source=item.get("source", str, "")))
        item.done()
    doc.done()
    return Profile(
        name=name,
        path=path,
        description=description,
        agent_dir=agent_dir,
        python_version=python_version,
        implementation=implementation,
        machine=machine,
        glibc=glibc,
        glibcxx=glibcxx,
        cpu_baseline=cpu_baseline,
        system_libraries=libraries,
        gpu_libraries=gpu_libraries,
        provided=tuple(provided),
        gpu=gpu,
        timeouts=timeouts,
    )
