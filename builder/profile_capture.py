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
timeouts) is taken from a base profile and says so.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .errors import ConfigError
from .profile import Profile, find_profile, load_profile, profiles_dir

SNIPPET = Path(__file__).parent / "_runtime" / "capture_snippet.py"
CAPTURE_FORMAT = 1
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


def _q(value: str) -> str:
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    return json.dumps(value, ensure_ascii=True)


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split(".") if x.isdigit())


def _need(doc: Mapping[str, Any], key: str, kind: type, path: Path) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind):
        raise ConfigError(path, f"key '{key}' must be {kind.__name__}, got {type(value).__name__}: "
                                "was this file written by the capture snippet?")
    return value


def profile_toml(doc: Mapping[str, Any], *, name: str, base: Profile | None, path: Path) -> tuple[str, list[str]]:
    """The profile TOML for a captured ``doc``, and notes for the user."""
    if doc.get("format") != CAPTURE_FORMAT:
        raise ConfigError(path, f"key 'format' must be {CAPTURE_FORMAT}, got {doc.get('format')!r}: "
                                "not written by this builder's capture snippet")
    date = _need(doc, "captured", str, path)
    cap = f"captured on {date}"
    notes: list[str] = []
    py = _need(doc, "python", dict, path)
    version = _need(py, "version", str, path)
    if py.get("implementation") != "cpython":
        raise ConfigError(path, f"python.implementation is {py.get('implementation')!r}: only CPython is supported")
    major_minor = ".".join(version.split(".")[:2])
    tags = py.get("tags") or []
    glibc = doc.get("glibc")
    if not isinstance(glibc, str) or not glibc:
        raise ConfigError(path, "no glibc version was captured (not a glibc Linux?)")
    machine = _need(doc, "machine", str, path)
    stdcxx = [s for s in doc.get("libstdcxx", []) if isinstance(s, dict) and s.get("max")]
    loaded = [s for s in stdcxx if s.get("loaded")]
    if loaded:
        glibcxx, glibcxx_src = loaded[0]["max"], f"{cap}: the libstdc++ the interpreter loads ({loaded[0]['path']})"
    elif stdcxx:
        lowest = min(stdcxx, key=lambda s: _vkey(s["max"]))
        glibcxx, glibcxx_src = lowest["max"], f"{cap}: the oldest libstdc++ found ({lowest['path']})"
    else:
        raise ConfigError(path, "no libstdc++ was found by the capture")
    flags = set(doc.get("cpu_flags") or [])
    cpu = cpu_level(flags) if flags else (base.cpu_baseline if base else "x86-64-v3")
    cpu_src = f"{cap}: /proc/cpuinfo flags of the notebook's CPU" if flags else "not captured"

    base_libs = dict(doc.get("libraries") or {})
    cuda = dict(doc.get("cuda_libraries") or {})
    libraries = sorted(base_libs) + sorted(c for c in cuda if c not in base_libs)
    where = ", ".join(f"{k} at {v}" for k, v in sorted(cuda.items())) or "none found"
    gpus = [g for g in doc.get("gpus") or [] if isinstance(g, dict)]
    gpu_name = str(gpus[0]["name"]) if gpus else "no GPU"
    description = f"Captured runtime: Python {version}, glibc {glibc}, {gpu_name} ({date})"
    agent_dir = base.agent_dir if base else "/kaggle_simulations/agent"
    agent_dir_src = f"from profile {base.name}" if base else "built-in default"
    py_src = f"{cap}: Python {version}" + (f", most specific tag {tags[0]}" if tags else "")

    lines = [
        f"# Target runtime captured with `python -m builder profile capture` on {date}.",
        "# Generated by `python -m builder profile import`; values not observable in a notebook",
        f"# come from {'profile ' + base.name if base else 'the built-in defaults'} and say so.",
        "",
        "[profile]",
        f"name = {_q(name)}",
        f"description = {_q(description)}",
        f"agent_dir = {_q(agent_dir)}",
        f"agent_dir_source = {_q(agent_dir_src)}",
        "",
        "[python]",
        f"version = {_q(major_minor)}",
        'implementation = "cp"',
        f"source = {_q(py_src)}",
        "",
        "[platform]",
        f"machine = {_q(machine)}",
        f"glibc = {_q(glibc)}",
        f"glibc_source = {_q(f'{cap}: os.confstr(CS_GNU_LIBC_VERSION)')}",
        f"glibcxx = {_q(glibcxx)}",
        f"glibcxx_source = {_q(glibcxx_src)}",
        f"cpu_baseline = {_q(cpu)}",
        f"cpu_baseline_source = {_q(cpu_src)}",
        "",
        "[system]",
        "libraries = [" + ", ".join(_q(lib) for lib in libraries) + "]",
        f"libraries_source = {_q(f'{cap}: ldconfig -p and the loader; CUDA: {where}')}",
        "gpu_libraries = [" + ", ".join(_q(c) for c in sorted(cuda)) + "]",
        "",
    ]
    if gpus:
        g = gpus[0]
        gpu_src = f"{cap}: nvidia-smi (driver {g.get('driver') or '?'})"
        lines += [
            "[gpu]",
            f"name = {_q(str(g['name']))}",
            f"memory_gib = {round(int(g['memory_mib']) / 1024, 2)}",
            f"compute_capability = {_q(str(g.get('compute_capability', '')))}",
            f"source = {_q(gpu_src)}",
            "",
        ]
        if len(gpus) > 1:
            notes.append(f"{len(gpus)} GPUs captured; the profile describes the first ({g['name']})")
    else:
        notes.append("no GPU was captured (nvidia-smi found nothing): the profile has no [gpu]")
    t = base.timeouts if base else None
    t_src = f"from profile {base.name}: not observable in a notebook" if base else "built-in defaults"
    lines += [
        "[timeouts]",
        f"act_timeout_s = {t.act_timeout_s if t else 60.0}",
        f"overage_s = {t.overage_s if t else 300.0}",
        f"run_timeout_s = {t.run_timeout_s if t else 9600.0}",
        f"source = {_q(t_src)}",
        "",
    ]
    imported = doc.get("imported") or {}
    installed = {canonicalize_name(k): v for k, v in (doc.get("installed") or {}).items()}
    if not imported.get("ok"):
        notes.append(f"`import kaggle_environments` failed in the capture ({imported.get('error')}): "
                     "the profile lists no provided packages")
        lines.append("# No provided packages: `import kaggle_environments` failed where this was captured.")
    seen: set[str] = set()
    for dist in imported.get("dists") or []:
        pname = canonicalize_name(str(dist))
        if pname in seen:
            continue
        seen.add(pname)
        lines += ["[[provided]]", f"name = {_q(pname)}"]
        ver = installed.get(pname)
        try:
            if ver is not None:
                Version(ver)
        except InvalidVersion:
            notes.append(f"{pname}: installed version {ver!r} is not a PEP 440 version; left unpinned")
            ver = None
        if ver is not None:
            lines.append(f"version = {_q(ver)}")
        lines += [f"source = {_q(cap + ': imported by `import kaggle_environments`')}", ""]
    return "\n".join(lines).rstrip("\n") + "\n", notes


def import_profile(
    capture: Path, *, root: Path, name: str, base: str | None = "kaggle-2024", force: bool = False,
) -> ImportedProfile:
    """Write ``lockfiles/profiles/<name>.toml`` from a captured JSON; load it back to check it."""
    if not _NAME_RE.match(name):
        raise ConfigError("--name", f"a profile name is letters, digits, '.', '_' and '-': {name!r}")
    try:
        doc = json.loads(capture.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(capture, "capture file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(capture, f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(capture, "must be a JSON object")
    base_profile = load_profile(find_profile(root, base)) if base else None
    out = profiles_dir(root) / f"{name}.toml"
    if out.exists() and not force:
        raise ConfigError(out, "profile exists; pass --force to replace it or choose another --name")
    text, notes = profile_toml(doc, name=name, base=base_profile, path=capture)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        load_profile(tmp)  # never leave a profile that the builder cannot read
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return ImportedProfile(path=out, profile=load_profile(out), notes=tuple(notes))
