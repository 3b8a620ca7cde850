"""Runtime-profile capture (like pex's ``--complete-platform``).

``python -m builder profile capture`` prints :func:`capture_snippet`: a stdlib-only
cell to paste into a Kaggle notebook.  Run there, it writes ``runtime-profile.json``:
Python version and tags, glibc, the GLIBCXX versions of every libstdc++ it finds, the
CUDA libraries and their paths, the GPU, the CPU flags, what a fresh
``import kaggle_environments`` imports, and every installed distribution.

``python -m builder profile import FILE --name NAME`` turns that JSON into
``lockfiles/profiles/NAME.toml`` (:func:`import_profile`), in the schema that
:func:`builder.profile.load_profile` reads; every captured value's ``source`` says
``captured on <date>``.  What a notebook cannot observe (the agent folder, the game's
timeouts) is taken from a base profile and says so.  The export lists the snippet read
from the image's libraries (its own stdlib ELF reader) become the profile's
``[[native]]`` tables (``captured = <path on the image>``) and ``NAME.exports.json.gz``
beside it, so the symbol checks and verify's stubs follow the real image.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import ConfigError
from ..layout import DEFAULT_PROFILE, Project
from ..util.fs import atomic_path, write_bytes_atomic
from ..util.jsonio import JsonError, read_json
from .exports import ExportData, LibraryExports, decode_exports, encode_exports, library_from_document
from .io import DEFAULT_AGENT_DIR, EXPORTS_SUFFIX, dump_profile, find_profile, load_profile
from .model import GpuSpec, NativeLibrary, Profile, ProvidedPackage, Timeouts

SNIPPET = Path(__file__).with_name("capture_snippet.py")
CAPTURE_FORMAT = 1
#: A capture file larger than this is not one the snippet wrote (export lists included: ~1 MB).
MAX_CAPTURE_BYTES = 256 << 20
#: Values in it: the export lists of the image's libraries are its bulk (one per symbol).
MAX_CAPTURE_ITEMS = 8_000_000
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LEVELS = (
    ("x86-64-v4", {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
    ("x86-64-v3", {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
    ("x86-64-v2", {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"}),
)


def capture_snippet() -> str:
    """The notebook cell (stdlib only) that writes ``runtime-profile.json``."""
    return SNIPPET.read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedProfile:
    path: Path
    profile: Profile
    notes: tuple[str, ...]


def cpu_level(flags: set[str]) -> str:
    """The x86-64 micro-architecture level that ``flags`` (from /proc/cpuinfo) reach."""
    reached = "x86-64"
    for level, needed in reversed(_LEVELS):
        if not needed <= flags:
            break
        reached = level
    return reached


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split(".") if x.isdigit())


def _need(doc: Mapping[str, Any], key: str, kind: type, path: Path) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind):
        raise ConfigError(path, f"key '{key}' must be {kind.__name__}, got {type(value).__name__}: "
                                "was this file written by the capture snippet?")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class _Capture:
    """The captured document with its provenance words."""

    doc: Mapping[str, Any]
    path: Path
    date: str

    @property
    def cap(self) -> str:
        return f"captured on {self.date}"


def _python(c: _Capture, sources: dict[str, str]) -> str:
    py = _need(c.doc, "python", dict, c.path)
    version = _need(py, "version", str, c.path)
    if py.get("implementation") != "cpython":
        raise ConfigError(c.path, f"python.implementation is {py.get('implementation')!r}: only CPython is supported")
    tags = py.get("tags") or []
    sources["python"] = f"{c.cap}: Python {version}" + (f", most specific tag {tags[0]}" if tags else "")
    return ".".join(version.split(".")[:2])


def _glibcxx(c: _Capture, sources: dict[str, str]) -> str:
    stdcxx = [s for s in c.doc.get("libstdcxx", []) if isinstance(s, dict) and s.get("max")]
    loaded = [s for s in stdcxx if s.get("loaded")]
    if loaded:
        sources["glibcxx"] = f"{c.cap}: the libstdc++ the interpreter loads ({loaded[0]['path']})"
        return str(loaded[0]["max"])
    if stdcxx:
        lowest = min(stdcxx, key=lambda s: _vkey(s["max"]))
        sources["glibcxx"] = f"{c.cap}: the oldest libstdc++ found ({lowest['path']})"
        return str(lowest["max"])
    raise ConfigError(c.path, "no libstdc++ was found by the capture")


def _gpu(c: _Capture, notes: list[str]) -> GpuSpec | None:
    gpus = [g for g in c.doc.get("gpus") or [] if isinstance(g, dict)]
    if not gpus:
        notes.append("no GPU was captured (nvidia-smi found nothing): the profile has no [gpu]")
        return None
    g = gpus[0]
    if len(gpus) > 1:
        notes.append(f"{len(gpus)} GPUs captured; the profile describes the first ({g['name']})")
    return GpuSpec(
        name=str(g["name"]),
        memory_gib=round(int(g["memory_mib"]) / 1024, 2),
        compute_capability=str(g.get("compute_capability", "")),
        source=f"{c.cap}: nvidia-smi (driver {g.get('driver') or '?'})",
    )


def _provided(c: _Capture, notes: list[str]) -> tuple[ProvidedPackage, ...]:
    imported = c.doc.get("imported") or {}
    installed = {canonicalize_name(k): v for k, v in (c.doc.get("installed") or {}).items()}
    if not imported.get("ok"):
        notes.append(f"`import kaggle_environments` failed in the capture ({imported.get('error')}): "
                     "the profile lists no provided packages")
        return ()
    out: dict[str, ProvidedPackage] = {}
    for dist in imported.get("dists") or []:
        pname = canonicalize_name(str(dist))
        if pname in out:
            continue
        ver = installed.get(pname)
        try:
            if ver is not None:
                Version(ver)
        except InvalidVersion:
            notes.append(f"{pname}: installed version {ver!r} is not a PEP 440 version; left unpinned")
            ver = None
        source = f"{c.cap}: imported by `import kaggle_environments`"
        out[pname] = ProvidedPackage(name=pname, version=ver, source=source)
    return tuple(out.values())


def captured_exports(
    doc: Mapping[str, Any], *, libraries: tuple[str, ...], path: Path, notes: list[str]
) -> ExportData | None:
    """The export lists the snippet read on the image (its ``exports``), for ``libraries``."""
    found = doc.get("exports")
    if not isinstance(found, dict):
        notes.append("the capture has no export lists (an older snippet?): the profile has no [[native]] "
                     "libraries, so their symbols are not checked")
        return None
    problems: list[str] = []
    libs: dict[str, LibraryExports] = {}
    for soname, entry in sorted(found.items()):
        if soname not in libraries or not isinstance(entry, dict):
            continue
        if "error" in entry or not isinstance(entry.get("path"), str) or not isinstance(entry.get("sha256"), str):
            notes.append(f"{soname}: no export list captured ({entry.get('error', 'no path or sha256')})")
            continue
        if entry.get("soname") != soname:
            notes.append(f"{soname}: {entry['path']} has SONAME {entry.get('soname')}: left out")
            continue
        lib_doc = {"package": {"kind": "captured", "ref": entry["path"], "sha256": entry["sha256"], "member": ""},
                   "file_sha256": entry["sha256"], "versions": entry.get("versions"), "data": entry.get("data", {}),
                   "tls": entry.get("tls", {})}
        lib = library_from_document(soname, lib_doc, problems)
        if lib is not None:
            libs[soname] = lib
    if problems:
        raise ConfigError(path, "malformed export lists:\n  - " + "\n  - ".join(problems))
    return ExportData(libraries=libs) if libs else None


def _natives(data: ExportData | None, c: _Capture) -> tuple[NativeLibrary, ...]:
    if data is None:
        return ()
    return tuple(
        NativeLibrary(soname=s, kind="captured", ref=lib.package.ref, sha256=lib.package.sha256, member="",
                      source=f"{c.cap}: {lib.package.ref}")
        for s, lib in sorted(data.libraries.items())
    )


def captured_profile(
    doc: Mapping[str, Any], *, name: str, base: Profile | None, path: Path
) -> tuple[Profile, list[str]]:
    """The :class:`Profile` a captured ``doc`` describes, and notes for the user.  What a
    notebook cannot observe (the agent folder, the game's timeouts) comes from ``base``."""
    if doc.get("format") != CAPTURE_FORMAT:
        raise ConfigError(path, f"key 'format' must be {CAPTURE_FORMAT}, got {doc.get('format')!r}: "
                                "not written by this builder's capture snippet")
    c = _Capture(doc=doc, path=path, date=_need(doc, "captured", str, path))
    notes: list[str] = []
    sources: dict[str, str] = {}
    python_version = _python(c, sources)
    glibc = doc.get("glibc")
    if not isinstance(glibc, str) or not glibc:
        raise ConfigError(path, "no glibc version was captured (not a glibc Linux?)")
    sources["glibc"] = f"{c.cap}: os.confstr(CS_GNU_LIBC_VERSION)"
    glibcxx = _glibcxx(c, sources)
    flags = set(doc.get("cpu_flags") or [])
    cpu = cpu_level(flags) if flags else (base.cpu_baseline if base else "x86-64-v3")
    sources["cpu_baseline"] = f"{c.cap}: /proc/cpuinfo flags of the notebook's CPU" if flags else "not captured"
    base_libs = dict(doc.get("libraries") or {})
    cuda = dict(doc.get("cuda_libraries") or {})
    where = ", ".join(f"{k} at {v}" for k, v in sorted(cuda.items())) or "none found"
    sources["libraries"] = f"{c.cap}: ldconfig -p and the loader; CUDA: {where}"
    gpu = _gpu(c, notes)
    system_libraries = tuple(sorted(base_libs) + sorted(k for k in cuda if k not in base_libs))
    natives = _natives(captured_exports(doc, libraries=system_libraries, path=path, notes=notes), c)
    sources["agent_dir"] = f"from profile {base.name}" if base else "built-in default"
    sources["timeouts"] = f"from profile {base.name}: not observable in a notebook" if base else "built-in defaults"
    profile = Profile(
        name=name,
        path=path,
        description=f"Captured runtime: Python {_need(doc, 'python', dict, path)['version']}, glibc {glibc}, "
                    f"{gpu.name if gpu else 'no GPU'} ({c.date})",
        agent_dir=base.agent_dir if base else DEFAULT_AGENT_DIR,
        python_version=python_version,
        implementation="cp",
        machine=_need(doc, "machine", str, path),
        glibc=glibc,
        glibcxx=glibcxx,
        cpu_baseline=cpu,
        system_libraries=system_libraries,
        gpu_libraries=tuple(sorted(cuda)),
        provided=_provided(c, notes),
        gpu=gpu,
        timeouts=base.timeouts if base else Timeouts(act_timeout_s=60.0, overage_s=300.0, run_timeout_s=9600.0),
        sources=sources,
        natives=natives,
        exports=f"{name}{EXPORTS_SUFFIX}" if natives else "",
    )
    return profile, notes


def _header(doc: Mapping[str, Any], profile: Profile, base: Profile | None) -> list[str]:
    header = [
        f"Target runtime captured with `python -m builder profile capture` on {doc['captured']}.",
        "Generated by `python -m builder profile import`; values not observable in a notebook",
        f"come from {'profile ' + base.name if base else 'the built-in defaults'} and say so.",
    ]
    if not profile.provided:
        header.append("No provided packages: `import kaggle_environments` failed where this was captured.")
    return header


def profile_toml(doc: Mapping[str, Any], *, name: str, base: Profile | None, path: Path) -> tuple[str, list[str]]:
    """The profile TOML for a captured ``doc`` (written by ``tomli-w``), and notes for the user."""
    profile, notes = captured_profile(doc, name=name, base=base, path=path)
    return dump_profile(profile, _header(doc, profile, base)), notes


def import_profile(
    capture: Path, *, project: Project, name: str, base: str | None = DEFAULT_PROFILE, force: bool = False,
) -> ImportedProfile:
    """Write ``lockfiles/profiles/<name>.toml`` from a captured JSON; load it back to check it."""
    if not _NAME_RE.match(name):
        raise ConfigError("--name", f"a profile name is letters, digits, '.', '_' and '-': {name!r}")
    try:
        doc = read_json(capture, max_bytes=MAX_CAPTURE_BYTES, max_items=MAX_CAPTURE_ITEMS)
    except FileNotFoundError:
        raise ConfigError(capture, "capture file not found") from None
    except OSError as exc:
        raise ConfigError(capture, f"cannot read: {exc.strerror}") from None
    except JsonError as exc:
        raise ConfigError(capture, f"{exc}: not written by the capture snippet") from None
    if not isinstance(doc, dict):
        raise ConfigError(capture, "must be a JSON object")
    base_profile = load_profile(find_profile(project, base)) if base else None
    out = project.own_profiles_dir() / f"{name}.toml"
    if out.exists() and not force:
        raise ConfigError(out, "profile exists; pass --force to replace it or choose another --name")
    profile, notes = captured_profile(doc, name=name, base=base_profile, path=capture)
    text = dump_profile(profile, _header(doc, profile, base_profile))
    data = captured_exports(doc, libraries=profile.system_libraries, path=capture, notes=[])
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
        load_profile(tmp)  # never leave a profile that the builder cannot read
        if profile.exports and data is not None:
            raw = encode_exports(data)
            decode_exports(raw, out.with_name(profile.exports))  # nor export lists it cannot read
            write_bytes_atomic(out.with_name(profile.exports), raw)
    imported = load_profile(out)
    if imported.natives:
        from .exports import profile_exports

        profile_exports(imported)  # the two files agree
    return ImportedProfile(path=out, profile=imported, notes=tuple(notes))
