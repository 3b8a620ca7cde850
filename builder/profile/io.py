"""Reading and writing profile TOML files.

:func:`load_profile` reads a profile strictly (unknown keys and wrong types are errors
naming the key and the file), one reader per table; :func:`dump_profile` writes a
:class:`~builder.profile.model.Profile` back with a TOML writer (``tomli-w``), so a
captured profile is data written by a library, never text glued together, and
``load(dump(p)) == p`` (tested).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tomli_w
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import ConfigError
from ..layout import Project
from ..util import toml as _toml
from .model import GpuSpec, Profile, ProvidedPackage, Timeouts

DEFAULT_AGENT_DIR = "/kaggle_simulations/agent"


def find_profile(project: Project, name: str) -> Path:
    """A profile by name (the project's, else the packaged one) or by the path of a ``.toml``."""
    candidate = Path(name)
    if candidate.suffix == ".toml" and candidate.exists():
        return candidate
    path = project.profile_file(name)
    if not path.exists():
        known = project.profile_names()
        raise ConfigError(path, f"no such profile '{name}' (known: {', '.join(known) or 'none'})")
    return path


def resolve_profile(project: Project, name: str) -> Profile:
    return load_profile(find_profile(project, name))


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
    sources: dict[str, str] = {}
    name, description, agent_dir = _read_head(doc.table("profile", required=True), sources)
    python_version = _read_python(doc.table("python", required=True), sources)
    machine, glibc, glibcxx, cpu = _read_platform(doc.table("platform", required=True), sources)
    libraries, gpu_libraries = _read_system(doc.table("system"), sources)
    gpu = _read_gpu(doc.table("gpu")) if "gpu" in doc.data else None
    timeouts = _read_timeouts(doc.table("timeouts"), sources)
    provided = _read_provided(doc.tables("provided"), path)
    doc.done()
    return Profile(
        name=name, path=path, description=description, agent_dir=agent_dir, python_version=python_version,
        implementation="cp", machine=machine, glibc=glibc, glibcxx=glibcxx, cpu_baseline=cpu,
        system_libraries=libraries, gpu_libraries=gpu_libraries, provided=provided, gpu=gpu,
        timeouts=timeouts, sources=sources,
    )


def _source(t: _toml.Table, key: str, sources: dict[str, str], name: str) -> None:
    value = t.get(key, str, "")
    if value:
        sources[name] = value


def _read_head(t: _toml.Table, sources: dict[str, str]) -> tuple[str, str, str]:
    name = t.get("name", str, required=True)
    description = t.get("description", str, "")
    agent_dir = t.get("agent_dir", str, DEFAULT_AGENT_DIR)
    _source(t, "agent_dir_source", sources, "agent_dir")
    t.done()
    return name, description, agent_dir


def _read_python(t: _toml.Table, sources: dict[str, str]) -> str:
    version = _version_str(t.path, "python.version", t.get("version", str, required=True), 2)
    implementation = t.get("implementation", str, "cp")
    if implementation != "cp":
        raise ConfigError(t.path, f"key 'python.implementation' must be 'cp', got {implementation!r}")
    _source(t, "source", sources, "python")
    t.done()
    return version


def _read_platform(t: _toml.Table, sources: dict[str, str]) -> tuple[str, str, str, str]:
    machine = t.get("machine", str, required=True)
    glibc = _version_str(t.path, "platform.glibc", t.get("glibc", str, required=True), 2)
    glibcxx = _version_str(t.path, "platform.glibcxx", t.get("glibcxx", str, required=True), 3)
    cpu_baseline = t.get("cpu_baseline", str, "x86-64-v3")
    for key in ("glibc", "glibcxx", "cpu_baseline"):
        _source(t, f"{key}_source", sources, key)
    t.done()
    return machine, glibc, glibcxx, cpu_baseline


def _read_system(t: _toml.Table, sources: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    libraries = t.strings("libraries")
    gpu_libraries = t.strings("gpu_libraries")
    _source(t, "libraries_source", sources, "libraries")
    t.done()
    missing = [lib for lib in gpu_libraries if lib not in libraries]
    if missing:
        raise ConfigError(t.path, f"'system.gpu_libraries' lists {missing[0]} which is not in 'system.libraries'")
    return libraries, gpu_libraries


def _read_gpu(t: _toml.Table) -> GpuSpec:
    gpu = GpuSpec(
        name=t.get("name", str, required=True),
        memory_gib=t.get("memory_gib", float, required=True),
        compute_capability=t.get("compute_capability", str, ""),
        source=t.get("source", str, ""),
    )
    t.done()
    return gpu


def _read_timeouts(t: _toml.Table, sources: dict[str, str]) -> Timeouts:
    timeouts = Timeouts(
        act_timeout_s=t.get("act_timeout_s", float, 60.0),
        overage_s=t.get("overage_s", float, 300.0),
        run_timeout_s=t.get("run_timeout_s", float, 9600.0),
    )
    _source(t, "source", sources, "timeouts")
    t.done()
    return timeouts


def _read_provided(items: Iterable[_toml.Table], path: Path) -> tuple[ProvidedPackage, ...]:
    provided: list[ProvidedPackage] = []
    seen: set[str] = set()
    for item in items:
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
    return tuple(provided)


# ------------------------------------------------------------------------------ writing


def profile_document(p: Profile) -> dict[str, Any]:
    """``p`` as the TOML document :func:`load_profile` reads (empty sources left out)."""

    def with_source(table: dict[str, Any], key: str, source_key: str) -> dict[str, Any]:
        if p.sources.get(source_key):
            table[key] = p.sources[source_key]
        return table

    doc: dict[str, Any] = {
        "profile": with_source({"name": p.name, "description": p.description, "agent_dir": p.agent_dir},
                               "agent_dir_source", "agent_dir"),
        "python": with_source({"version": p.python_version, "implementation": p.implementation}, "source", "python"),
        "platform": {"machine": p.machine, "glibc": p.glibc, "glibcxx": p.glibcxx, "cpu_baseline": p.cpu_baseline},
        "system": with_source({"libraries": list(p.system_libraries), "gpu_libraries": list(p.gpu_libraries)},
                              "libraries_source", "libraries"),
        "timeouts": with_source({"act_timeout_s": p.timeouts.act_timeout_s, "overage_s": p.timeouts.overage_s,
                                 "run_timeout_s": p.timeouts.run_timeout_s}, "source", "timeouts"),
    }
    for key in ("glibc", "glibcxx", "cpu_baseline"):
        with_source(doc["platform"], f"{key}_source", key)
    if p.gpu is not None:
        doc["gpu"] = {"name": p.gpu.name, "memory_gib": p.gpu.memory_gib,
                      "compute_capability": p.gpu.compute_capability, "source": p.gpu.source}
    doc["provided"] = [
        {"name": str(pkg.name), **({"version": pkg.version} if pkg.version else {}), "source": pkg.source}
        for pkg in p.provided
    ]
    if not doc["provided"]:
        del doc["provided"]
    return doc


def dump_profile(p: Profile, header: Iterable[str] = ()) -> str:
    """The TOML text of ``p``; ``header`` lines become leading comments."""
    comments = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header)
    return comments + ("\n" if comments else "") + tomli_w.dumps(profile_document(p))
