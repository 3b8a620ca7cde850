"""Building llama-cpp-python from its locked sdist: what the CPU and CUDA builds share.

* the sdist is downloaded by the toolchain venv's pip with ``--require-hashes`` (the lock's
  hashes) and ``--no-build-isolation`` (its metadata step runs the pinned backend: no
  unpinned download), cached, and unpacked with ``filter="data"``;
* one build at a time per machine (``flock``): a second builder waits, then takes the
  first one's wheel from the cache;
* the build runs in a temp folder beside the cache and is moved in only when complete,
  with ``build.json`` saying what was built from what; a failed or interrupted build
  leaves nothing;
* the cache key hashes the sdist, the backend, the flags, the toolchain and the target:
  any change builds again;
* the wheel is re-tagged ``manylinux_<glibc>_<arch>`` once every library passed the
  profile's checks: the tag says what the wheel promises.

A :class:`Recipe` says what differs: the key material, the config settings, the
environment (compilers), and the checks and fixes after the build.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from packaging.utils import canonicalize_name

from ..errors import WheelError
from ..lock import LockEntry
from ..pip import Pip
from ..profile import Profile
from ..util.fs import exclusive
from ..util.hashing import sha256_file, write_pinned
from . import buildlog
from .ccache import CompilerCache, compiler_cache
from .frontend import ConfigSettings, build_wheel, check_requirements
from .reproducible import (
    REPRODUCIBLE_SETTINGS,
    WORK_NAME,
    build_env,
    canonical_info,
    check_no_leak,
    ordered,
    remove_tree,
    source_epoch,
)
from .toolchain import toolchain_pins, toolchain_python

LLAMA_CPP_PYTHON = canonicalize_name("llama-cpp-python")
BUILD_FORMAT = 3  # 3: reproducible builds (prefix maps, no host strip, canonical zip)
Backend = Literal["cpu", "cuda"]
BACKENDS: tuple[Backend, ...] = ("cpu", "cuda")
Log = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """What a build needs on this machine (folders made in the work dir, never in the key)."""

    settings: ConfigSettings
    env: Mapping[str, str] = field(default_factory=dict)
    tools: Mapping[str, str] = field(default_factory=dict)  # programs ``finish`` runs (patchelf)
    record: Mapping[str, Any] = field(default_factory=dict)  # extra build.json facts
    #: the languages whose compilers the compiler cache wraps, and what identifies those
    #: compilers (pins and lock digests, never a path): see :mod:`.ccache`
    languages: tuple[str, ...] = ("C", "CXX")
    compilers: tuple[str, ...] = ()
    epoch: int = 0  # SOURCE_DATE_EPOCH of the build (set by :func:`build_from_sdist`)


class Recipe(Protocol):
    """One kind of build (CPU, CUDA)."""

    @property
    def backend(self) -> Backend:
        """Which llama.cpp backend the wheel has."""

    def key_material(self, profile: Profile) -> Mapping[str, Any]:
        """Everything that decides the wheel's bytes besides the sdist (flags, target, tools)."""

    def prepare(self, work: Path, profile: Profile, *, toolchain: Path, cache: Path, log: Log) -> Prepared:
        """Compilers, toolkits and config settings for one build in ``work``, with the
        prefix maps of :mod:`.reproducible` for ``work`` and ``cache``."""

    def finish(self, wheel: Path, work: Path, profile: Profile, prepared: Prepared, log: Log) -> Path:
        """Check (and fix) the built wheel before it is cached; raise WheelError if it does not fit."""

    def describe(self, profile: Profile) -> str:
        """``for CPU only with zig (...)``: how the build is announced."""


def build_key(entry: LockEntry, sdist_sha256: str, profile: Profile, recipe: Recipe) -> str:
    doc = {
        "format": BUILD_FORMAT,
        "name": entry.name,
        "version": entry.version,
        "sdist_sha256": sdist_sha256,
        **recipe.key_material(profile),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def built_dir(cache: Path) -> Path:
    return cache / "built"


def find_built(entry: LockEntry, profile: Profile, cache: Path, recipe: Recipe) -> Path | None:
    """A wheel built earlier from one of the lock's sdist hashes for this recipe, if any."""
    for digest in entry.hashes:
        folder = built_dir(cache) / build_key(entry, digest, profile, recipe)
        record = folder / "build.json"
        if record.exists():
            wheel = folder / str(json.loads(record.read_text())["wheel"])
            if wheel.exists():
                return wheel
    return None


def built_facts(wheel: Path) -> dict[str, Any]:
    """``build.json`` beside a built wheel (empty when there is none or it is unreadable)."""
    try:
        record = json.loads((wheel.parent / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def built_backend(wheel: Path) -> str:
    """What ``build.json`` beside a built wheel says it is: ``CPU only`` or ``CUDA 12.4.1, sm_75``."""
    record = built_facts(wheel)
    if record.get("backend") == "cuda":
        return f"CUDA {record.get('cuda', '?')}, sm_{record.get('architectures', '?')}"
    return "CPU only"


def fetch_sdist(entry: LockEntry, pip: Pip, cache: Path, log: Log) -> tuple[Path, str]:
    """The cached sdist of ``entry`` whose sha256 is in the lock; downloaded when missing."""
    dest = cache / "sdists" / entry.name / entry.version
    for cand in sorted(dest.glob("*.tar.gz")) if dest.is_dir() else []:
        digest = sha256_file(cand)
        if digest in entry.hashes:
            return cand, digest
    log(f"wheels: downloading the {entry.pin} sdist (hash-checked)")
    with tempfile.TemporaryDirectory(prefix="sdist-req-") as tmp:
        reqfile = write_pinned(Path(tmp) / "req.txt", entry.pin, entry.hashes)
        pip.run("download", "--no-deps", "--no-build-isolation", "--no-binary", str(entry.name), "--dest", str(dest),
                "--require-hashes", "-r", str(reqfile), what=f"downloading the {entry.pin} sdist")
    for cand in sorted(dest.glob("*.tar.gz")):
        digest = sha256_file(cand)
        if digest in entry.hashes:
            return cand, digest
    raise WheelError(f"{entry.pin}: pip downloaded no sdist whose sha256 is in the lock into {dest}")


def unpack_sdist(sdist: Path, dest: Path) -> Path:
    """The sdist's source tree under ``dest`` (PEP 706's ``data`` filter: no links out, no devices)."""
    try:
        with tarfile.open(sdist) as tf:
            members = tf.getmembers()
            tops = {m.name.split("/", 1)[0] for m in members}
            if len(tops) != 1:
                raise WheelError(f"{sdist}: an sdist has one top folder, this one has {len(tops)}")
            if hasattr(tarfile, "data_filter"):
                tf.extractall(dest, filter="data")
            else:  # pragma: no cover - Python 3.10 before 3.10.12 has no extraction filters
                bad = [m.name for m in members if not (m.isfile() or m.isdir()) or m.name.startswith("/")
                       or ".." in m.name.split("/")]
                if bad:
                    raise WheelError(f"{sdist}: refused member {bad[0]!r:.100} (only files and folders inside)")
                tf.extractall(dest)
    except (tarfile.TarError, OSError) as exc:
        raise WheelError(f"{sdist}: cannot unpack ({exc})") from None
    return dest / tops.pop()


def _rewrite(
    wheel: Path, out: Path, replace: Mapping[str, Path], wheel_text: Callable[[str], str], epoch: int
) -> Path:
    """Copy ``wheel`` to ``out`` in canonical form (:mod:`.reproducible`: sorted members,
    fixed times and modes, RECORD last and made anew from the bytes written), with members
    replaced by files and the WHEEL file rewritten by ``wheel_text``."""
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        infos = {i.filename: i for i in src.infolist() if not i.is_dir()}
        wheel_file = next(n for n in infos if n.endswith(".dist-info/WHEEL") and n.count("/") == 1)
        record_file = wheel_file[: -len("WHEEL")] + "RECORD"
        rows: list[str] = []
        for name in ordered([n for n in infos if n != record_file]):
            info = canonical_info(name, infos[name].external_attr, epoch)
            digest = hashlib.sha256()
            size = 0
            if name == wheel_file:
                data = wheel_text(src.read(name).decode()).encode()
                dst.writestr(info, data)
                digest.update(data)
                size = len(data)
            else:
                with (replace[name].open("rb") if name in replace else src.open(infos[name])) as fh, \
                        dst.open(info, "w") as out_fh:
                    while chunk := fh.read(1 << 20):
                        out_fh.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            rows.append(f"{name},sha256={base64.urlsafe_b64encode(digest.digest()).rstrip(b'=').decode()},{size}")
        rows.append(f"{record_file},,")
        dst.writestr(canonical_info(record_file, 0o644 << 16, epoch), ("\n".join(rows) + "\n").encode())
    os.replace(tmp, out)
    if out != wheel:
        wheel.unlink()
    return out


def retag(wheel: Path, platform_tag: str, epoch: int) -> Path:
    """Rewrite a ``py3-none-linux_*`` wheel's platform tag (WHEEL, RECORD, file name), canonical."""
    name_parts = wheel.name[: -len(".whl")].split("-")
    out = wheel.with_name("-".join([*name_parts[:-1], platform_tag]) + ".whl")

    def tags(text: str) -> str:
        lines = []
        for line in text.splitlines():
            if line.startswith("Tag: "):
                py, abi, _plat = line[5:].split("-")
                line = f"Tag: {py}-{abi}-{platform_tag}"
            lines.append(line)
        return "\n".join(lines) + "\n"

    return _rewrite(wheel, out, {}, tags, epoch)


def rewrite_members(wheel: Path, replace: Mapping[str, Path], epoch: int) -> Path:
    """``wheel`` with members replaced by the given files (RECORD made anew), in place."""
    return _rewrite(wheel, wheel, replace, lambda text: text, epoch)


class BuildProgress:
    """Turns ninja's ``[n/N]`` lines into a few ``wheels: compiling n/N`` log lines (the
    CLI's compile progress bar reads them)."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.last = -10
        self.total = 0

    def __call__(self, line: str) -> None:
        text = line.strip()
        if text.startswith("[") and "/" in text.split("]", 1)[0]:
            done, total = text[1:].split("]", 1)[0].split("/", 1)
            if done.isdigit() and total.isdigit() and int(total):
                self.total = int(total)
                pct = int(done) * 100 // int(total)
                if pct >= self.last + 10 or done == total:
                    self.last = pct
                    self.log(f"wheels: compiling {done}/{total} ({pct}%)")
        elif text.startswith("*** ") or text.startswith("Successfully built"):
            self.log(f"wheels: {text.lstrip('* ')}")


def build_from_sdist(
    entry: LockEntry, profile: Profile, recipe: Recipe, *, target_python: Path, cache: Path, log: Log
) -> Path:
    """The cached wheel of ``entry`` built by ``recipe`` for ``profile``; built (once) when missing."""
    if entry.name != LLAMA_CPP_PYTHON:
        raise WheelError(f"{entry.pin}: the builder only builds llama-cpp-python from source")
    found = find_built(entry, profile, cache, recipe)
    if found is not None:
        return found
    # One build per machine: a second builder (another terminal, a test session) waits
    # for the first one and then takes its wheel from the cache.
    with exclusive(built_dir(cache) / ".lock", waiting=log, what=f"the wheel build of {entry.pin}"):
        found = find_built(entry, profile, cache, recipe)
        if found is not None:
            return found
        return _build_locked(entry, profile, recipe, target_python=target_python, cache=cache, log=log)


def _build_locked(
    entry: LockEntry, profile: Profile, recipe: Recipe, *, target_python: Path, cache: Path, log: Log
) -> Path:
    toolchain = toolchain_python(target_python, cache, log)
    sdist, sdist_sha = fetch_sdist(entry, Pip(toolchain), cache, log)
    key = build_key(entry, sdist_sha, profile, recipe)
    built_dir(cache).mkdir(parents=True, exist_ok=True)
    # One folder for every build (we hold the build lock): the compiler cache sees the same
    # paths each time; what a killed build left there is removed first.
    work = built_dir(cache) / WORK_NAME
    remove_tree(work)
    work.mkdir(mode=0o700)
    try:
        wheel, facts = _compile(entry, profile, recipe, sdist, toolchain=toolchain, cache=cache, work=work, log=log)
        stage = work / "final"
        stage.mkdir()
        shutil.move(str(wheel), stage / wheel.name)
        record = {
            "wheel": wheel.name,
            "sha256": sha256_file(stage / wheel.name),
            "size": (stage / wheel.name).stat().st_size,
            "backend": recipe.backend,
            "package": entry.name,
            "version": entry.version,
            "key": key,
            "sdist": sdist.name,
            "sdist_sha256": sdist_sha,
            "frontend": "python -m build --wheel --no-isolation",
            "toolchain": list(toolchain_pins()),
            "profile": profile.name,
            **recipe.key_material(profile),
            **facts,
        }
        (stage / "build.json").write_text(json.dumps(record, indent=2, sort_keys=True, default=list) + "\n")
        final_dir = built_dir(cache) / key
        if final_dir.exists():
            shutil.rmtree(final_dir)
        os.replace(stage, final_dir)
        return final_dir / wheel.name
    finally:
        remove_tree(work)


def _compile(
    entry: LockEntry, profile: Profile, recipe: Recipe, sdist: Path, *, toolchain: Path, cache: Path, work: Path,
    log: Log,
) -> tuple[Path, dict[str, Any]]:
    """Build, check and canonicalise the wheel in ``work``; with what the build measured."""
    src = unpack_sdist(sdist, work / "src")
    epoch = source_epoch(sdist)
    prepared = replace(recipe.prepare(work, profile, toolchain=toolchain, cache=cache, log=log), epoch=epoch)
    ccache = compiler_cache(toolchain.parent, cache, prepared.compilers)
    env = build_env(work, toolchain.parent, epoch, {**prepared.env, **(ccache.env(work / "tmp") if ccache else {})})
    launchers = [str(buildlog.write_timer(work)), *([str(ccache.program)] if ccache else [])]
    settings: dict[str, str | Sequence[str]] = {
        **prepared.settings, **REPRODUCIBLE_SETTINGS, "build-dir": str(work / "build"),
        **{f"cmake.define.CMAKE_{lang}_COMPILER_LAUNCHER": ";".join(launchers) for lang in prepared.languages},
    }
    check_requirements(toolchain, src, settings, what=f"{entry.pin} ({sdist.name})")
    log(f"wheels: building {entry.pin} {recipe.describe(profile)}; once per machine, then cached"
        + ("" if ccache else " (compiler cache off)"))
    if ccache:
        ccache.zero(env)
    cpu0, t0, load0 = buildlog.cpu_seconds_of_children(), buildlog.now(), _loadavg()
    with buildlog.TreePeak() as peak:
        wheel = build_wheel(toolchain, src, work / "dist", settings, env=env, on_line=BuildProgress(log),
                            what=f"building {entry.pin}")
    facts = _measured(work, (t0, cpu0, load0), peak, ccache, env)
    wheel = recipe.finish(wheel, work, profile, prepared, log)
    major, minor = profile.glibc_tuple
    wheel = retag(wheel, f"manylinux_{major}_{minor}_{profile.machine}", epoch)
    leaks = check_no_leak(wheel, [str(work), str(cache / "tools")])
    if leaks:
        raise WheelError(f"{wheel.name}: the build folder's path is in {', '.join(leaks[:5])}: a prefix map "
                         "missed it, the wheel would not be reproducible (nothing was cached)")
    settings_shown = {k: v for k, v in settings.items() if str(work) not in str(v) and str(cache) not in str(v)}
    return wheel, {"source_date_epoch": epoch, "config_settings": settings_shown, **facts, **prepared.record}


def _measured(
    work: Path, start: tuple[float, float, float], peak: buildlog.TreePeak, ccache: CompilerCache | None,
    env: Mapping[str, str],
) -> dict[str, Any]:
    """What :func:`_compile` keeps of a build's cost (build.json's ``measured``) and its
    per-object log (``compile`` in build.json: the families of :mod:`.buildlog`)."""
    t0, cpu0, load0 = start
    steps = buildlog.read_ninja_log(work / "build" / ".ninja_log")
    cpu = buildlog.read_cpu_times(work / buildlog.TIMES_FILE)
    measured: dict[str, Any] = {
        "wall_s": round(buildlog.now() - t0, 1),
        "cpu_s": round(buildlog.cpu_seconds_of_children() - cpu0, 1),
        "peak_tree_rss_mib": round(peak.peak_kib / 1024),
        "max_process_rss_mib": round(buildlog.max_child_rss_mib()),
        "jobs": env.get("CMAKE_BUILD_PARALLEL_LEVEL", ""),
        "cores": os.cpu_count() or 0,
        "load_1min_before": load0,
        "compiler_cache": ccache.stats(env) if ccache else "off",
    }
    return {"measured": measured, "compile": {
        **buildlog.summarize(steps, cpu),
        "objects": [[s.output, s.start_ms, s.end_ms, round(cpu.get(s.output, -1.0), 2)] for s in steps]}}


def _loadavg() -> float:
    try:
        return float(os.getloadavg()[0])
    except OSError:
        return -1.0
