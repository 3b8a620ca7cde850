"""Reading and writing profile TOML files.

:func:`load_profile` reads a profile strictly (unknown keys and wrong types are errors
naming the key and the file), one reader per table; :func:`dump_profile` writes a
:class:`~builder.profile.model.Profile` back with a TOML writer (``tomli-w``), so a
captured profile is data written by a library, never text glued together, and
``load(dump(p)) == p`` (tested).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import tomli_w
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import ConfigError
from ..layout import Project
from ..util import toml as _toml
from .model import NATIVE_KINDS, GpuSpec, NativeLibrary, Profile, ProvidedPackage, Timeouts

DEFAULT_AGENT_DIR = "/kaggle_simulations/agent"
#: The name of a profile's export-list file (beside it): ``<profile>.exports.json.gz``.
EXPORTS_SUFFIX = ".exports.json.gz"
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


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
    libraries, gpu_libraries, exports = _read_system(doc.table("system"), sources)
    gpu = _read_gpu(doc.table("gpu")) if "gpu" in doc.data else None
    timeouts = _read_timeouts(doc.table("timeouts"), sources)
    provided = _read_provided(doc.tables("provided"), path)
    natives = _read_natives(doc.tables("native"), path, libraries, exports)
    doc.done()
    return Profile(
        name=name, path=path, description=description, agent_dir=agent_dir, python_version=python_version,
        implementation="cp", machine=machine, glibc=glibc, glibcxx=glibcxx, cpu_baseline=cpu,
        system_libraries=libraries, gpu_libraries=gpu_libraries, provided=provided, gpu=gpu,
        timeouts=timeouts, sources=sources, natives=natives, exports=exports,
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


def _read_system(t: _toml.Table, sources: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    libraries = t.strings("libraries")
    gpu_libraries = t.strings("gpu_libraries")
    exports = t.get("exports", str, "")
    _source(t, "libraries_source", sources, "libraries")
    t.done()
    missing = [lib for lib in gpu_libraries if lib not in libraries]
    if missing:
        raise ConfigError(t.path, f"'system.gpu_libraries' lists {missing[0]} which is not in 'system.libraries'")
    if exports and ("/" in exports or not exports.endswith(EXPORTS_SUFFIX)):
        raise ConfigError(t.path, f"key 'system.exports' must be a file name beside the profile ending in "
                                  f"{EXPORTS_SUFFIX}, got {exports!r}")
    return libraries, gpu_libraries, exports


def _member_problem(member: str) -> str | None:
    p = PurePosixPath(member)
    if not member or p.is_absolute() or ".." in p.parts or member != p.as_posix():
        return "must be a normalised relative path inside the package"
    return None


def _native_problems(n: NativeLibrary, where: str) -> list[str]:
    """Every problem of one ``[[native]]`` entry (its keys were read already)."""
    out: list[str] = []
    if not _SHA256_RE.match(n.sha256):
        out.append(f"{where}: 'sha256' must be 64 lower-case hex digits")
    if n.kind == "wheel":
        try:
            req = Requirement(n.ref)
            pins = [s for s in req.specifier if s.operator == "=="]
            if len(pins) != 1 or len(req.specifier) != 1 or req.marker or req.url:
                raise InvalidRequirement("not a plain name==version pin")
        except InvalidRequirement as exc:
            out.append(f"{where}: 'wheel' must be a PyPI pin 'name==version' ({exc})")
    elif n.kind == "deb":
        if not n.ref.startswith("https://") or not n.ref.endswith(".deb"):
            out.append(f"{where}: 'deb' must be an https:// URL of a .deb, got {n.ref!r}")
        if n.size <= 0:
            out.append(f"{where}: a .deb needs its 'size' in bytes (pinned with its sha256)")
    elif not n.ref.startswith("/"):
        out.append(f"{where}: 'captured' must be the absolute path of the file on the image")
    if n.kind != "deb" and n.size:
        out.append(f"{where}: only a .deb has a 'size'")
    if n.kind == "captured":
        if n.member:
            out.append(f"{where}: a captured library has no 'member'")
    else:
        why = _member_problem(n.member)
        if why:
            out.append(f"{where}: 'member' {why}, got {n.member!r}")
    return out


def _read_natives(
    items: Iterable[_toml.Table], path: Path, libraries: tuple[str, ...], exports: str
) -> tuple[NativeLibrary, ...]:
    """The ``[[native]]`` tables; every problem of every entry is collected before raising."""
    natives: list[NativeLibrary] = []
    problems: list[str] = []
    for i, item in enumerate(items):
        soname = item.get("soname", str, required=True)
        where = f"[[native]] {i + 1} ({soname})"
        given = [(k, item.opt(k, str)) for k in NATIVE_KINDS]
        refs = [(k, v) for k, v in given if v is not None]
        n = NativeLibrary(
            soname=soname, kind=refs[0][0] if refs else "wheel", ref=(refs[0][1] or "") if refs else "",
            sha256=item.get("sha256", str, ""), member=item.get("member", str, ""),
            source=item.get("source", str, ""), size=item.get("size", int, 0),
        )
        item.done()
        if len(refs) != 1:
            problems.append(f"{where}: needs exactly one of {', '.join(repr(k) for k in NATIVE_KINDS)}")
        else:
            problems += _native_problems(n, where)
        if soname not in libraries:
            problems.append(f"{where}: {soname} is not in 'system.libraries'")
        if any(other.soname == soname for other in natives):
            problems.append(f"{where}: {soname} is listed twice")
        if not n.source:
            problems.append(f"{where}: 'source' must say where the library's version came from")
        natives.append(n)
    if natives and not exports:
        problems.append("[[native]] needs 'system.exports', the file of their export lists")
    if problems:
        raise ConfigError(path, f"{len(problems)} problem(s) in the native libraries:\n  - " + "\n  - ".join(problems))
    return tuple(natives)


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
        "system": with_source({"libraries": list(p.system_libraries), "gpu_libraries": list(p.gpu_libraries),
                               **({"exports": p.exports} if p.exports else {})},
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
    if p.natives:
        doc["native"] = [
            {"soname": n.soname, n.kind: n.ref, **({"size": n.size} if n.size else {}), "sha256": n.sha256,
             **({"member": n.member} if n.member else {}), "source": n.source}
            for n in p.natives
        ]
    return doc


def dump_profile(p: Profile, header: Iterable[str] = ()) -> str:
    """The TOML text of ``p``; ``header`` lines become leading comments."""
    comments = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header)
    return comments + ("\n" if comments else "") + tomli_w.dumps(profile_document(p))
