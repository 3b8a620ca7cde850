"""A portable CPU wheel of llama-cpp-python, built from the locked sdist.

PyPI serves llama-cpp-python as an sdist only, and its own CPU wheels need glibc 2.35.
This module builds one that runs on the profile's older glibc:

* the compiler is ``zig cc`` / ``zig c++`` (``ziglang`` from PyPI) targeting
  ``x86_64-linux-gnu.<profile glibc>``: every ``.so`` needs no newer ``GLIBC_*`` symbol,
  and zig links its libc++ statically, so no ``GLIBCXX_*`` is needed at all;
* ``-DGGML_NATIVE=OFF`` with the x86-64-v3 features (AVX2, FMA, F16C, BMI2) spelled out
  (an implicit default depends on ``SOURCE_DATE_EPOCH``), OpenMP off (no libgomp);
  tests, examples, tools and the server are not built;
* the build runs in a cached venv of the target interpreter holding exactly the
  hash-pinned ``builder/toolchain.txt`` (pip, the scikit-build-core backend with its
  dependencies, cmake, ninja, zig), without build isolation: a build next year, or on a
  machine with no cmake, uses the same toolchain instead of whatever PyPI or the OS has;
* the sdist is hash-checked against the lock; the wheel is built in a temp folder and
  moved into the cache only when complete; the cache key is llama-cpp-python's version,
  the sdist hash, the target glibc, the flags and the build requirements, so it is built
  once per machine;
* when every library passes the profile's ELF check the wheel is re-tagged
  ``manylinux_<glibc>_x86_64``: the tag says what the wheel promises.

Why zig rather than a Debian bullseye chroot (debootstrap, also measured): no root, no
mounts, a 50 MB PyPI download instead of a ~700 MB root with build-essential, no libstdc++
needed at run time, and the glibc target is one flag (README).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from packaging.utils import canonicalize_name

from .errors import LockError, WheelError
from .lock import LockEntry, compile_hashed, hashed_pins
from .pip_runner import Pip, tool_venv
from .profile import Profile
from .wheels import elf_problems, sha256_file

LLAMA_CPP_PYTHON = canonicalize_name("llama-cpp-python")
ZIG_REQUIREMENT = "ziglang==0.17.0"
#: The hash-pinned lock of the whole build toolchain (pip, the scikit-build-core backend
#: with its dependencies, cmake, ninja, zig), made from ``toolchain.in`` beside it by
#: ``python -m builder wheels --lock-toolchain``; installed with ``--require-hashes``.
TOOLCHAIN_IN = Path(__file__).with_name("toolchain.in")
TOOLCHAIN_LOCK = Path(__file__).with_name("toolchain.txt")
def toolchain_pins(lock: Path = TOOLCHAIN_LOCK) -> tuple[str, ...]:
    """The toolchain's ``name==version`` pins (a :class:`WheelError` naming the file when
    the lock is missing or empty)."""
    try:
        return hashed_pins(lock, "build toolchain")
    except LockError as exc:
        raise WheelError(str(exc)) from None


#: Part of the build key: changing any pin means a rebuild.
BUILD_REQUIREMENTS = toolchain_pins()
BUILD_FORMAT = 2

#: CMake options of the portable CPU build (x86-64-v3 baseline, no OpenMP, library only).
CMAKE_FLAGS = (
    "-DGGML_NATIVE=OFF",
    "-DGGML_AVX=ON",
    "-DGGML_AVX2=ON",
    "-DGGML_FMA=ON",
    "-DGGML_F16C=ON",
    "-DGGML_BMI2=ON",
    "-DGGML_AVX512=OFF",
    "-DGGML_OPENMP=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=OFF",
    "-DLLAMA_BUILD_SERVER=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAVA_BUILD=OFF",
)


def zig_target(profile: Profile) -> str:
    return f"{profile.machine}-linux-gnu.{profile.glibc}"


def build_key(entry: LockEntry, sdist_sha256: str, profile: Profile) -> str:
    doc = {
        "format": BUILD_FORMAT,
        "name": entry.name,
        "version": entry.version,
        "sdist_sha256": sdist_sha256,
        "target": zig_target(profile),
        "flags": CMAKE_FLAGS,
        "toolchain": sorted(BUILD_REQUIREMENTS),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def built_dir(cache: Path) -> Path:
    return cache / "built"


def find_built(entry: LockEntry, profile: Profile, cache: Path) -> Path | None:
    """A wheel built earlier from one of the lock's sdist hashes for this profile, if any."""
    for digest in entry.hashes:
        folder = built_dir(cache) / build_key(entry, digest, profile)
        record = folder / "build.json"
        if record.exists():
            wheel = folder / str(json.loads(record.read_text())["wheel"])
            if wheel.exists():
                return wheel
    return None


def _sdist(entry: LockEntry, pip: Pip, cache: Path, log: Callable[[str], None]) -> tuple[Path, str]:
    dest = cache / "sdists" / entry.name / entry.version
    for cand in sorted(dest.glob("*.tar.gz")) if dest.is_dir() else []:
        digest = sha256_file(cand)
        if digest in entry.hashes:
            return cand, digest
    log(f"wheels: downloading the {entry.pin} sdist (hash-checked)")
    reqfile_dir = Path(tempfile.mkdtemp(prefix="sdist-req-"))
    try:
        reqfile = reqfile_dir / "req.txt"
        reqfile.write_text(entry.pin + "".join(f" --hash=sha256:{h}" for h in entry.hashes) + "\n")
        pip.run(
            "download",
            "--no-deps",
            "--no-binary",
            str(entry.name),
            "--dest",
            str(dest),
            "--require-hashes",
            "-r",
            str(reqfile),
            what=f"downloading the {entry.pin} sdist",
        )
    finally:
        shutil.rmtree(reqfile_dir, ignore_errors=True)
    for cand in sorted(dest.glob("*.tar.gz")):
        digest = sha256_file(cand)
        if digest in entry.hashes:
            return cand, digest
    raise WheelError(f"{entry.pin}: pip downloaded no sdist whose sha256 is in the lock into {dest}")


def _build_python(target_python: Path, cache: Path, log: Callable[[str], None]) -> Path:
    """The cached venv holding the pinned toolchain (its folder is named by its pins)."""
    digest = hashlib.sha256("\n".join(sorted(BUILD_REQUIREMENTS)).encode()).hexdigest()[:12]
    venv = cache / "tools" / f"build-{digest}"
    if not (venv / ".complete").exists():
        log("wheels: installing the pinned build toolchain (scikit-build-core, cmake, ninja, zig)")
    python, _ = tool_venv(
        target_python, venv, ["--require-hashes", "-r", str(TOOLCHAIN_LOCK)], what="installing the build toolchain"
    )
    return python


def lock_toolchain(
    target_python: Path, cache: Path, *, out: Path = TOOLCHAIN_LOCK, log: Callable[[str], None] = lambda _m: None
) -> tuple[str, ...]:
    """Resolve :data:`TOOLCHAIN_IN` for the target interpreter into a hash-pinned lock."""
    return compile_hashed(TOOLCHAIN_IN, out, target_python=target_python, cache=cache,
                          regenerate="python -m builder wheels --lock-toolchain", log=log)


def _write_wrappers(folder: Path, zig_python: Path, target: str) -> tuple[Path, Path]:
    cc, cxx = folder / "zig-cc", folder / "zig-cxx"
    for path, tool in ((cc, "cc"), (cxx, "c++")):
        path.write_text(f'#!/bin/sh\nexec "{zig_python}" -m ziglang {tool} -target {target} "$@"\n')
        path.chmod(0o755)
    return cc, cxx


def retag(wheel: Path, platform_tag: str) -> Path:
    """Rewrite a ``py3-none-linux_*`` wheel's platform tag (WHEEL, RECORD, file name)."""
    name_parts = wheel.name[: -len(".whl")].split("-")
    new_name = "-".join([*name_parts[:-1], platform_tag]) + ".whl"
    out = wheel.with_name(new_name)
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        infos = src.infolist()
        wheel_file = next(i.filename for i in infos if i.filename.endswith(".dist-info/WHEEL"))
        record_file = wheel_file[: -len("WHEEL")] + "RECORD"
        text = src.read(wheel_file).decode()
        lines = []
        for line in text.splitlines():
            if line.startswith("Tag: "):
                py, abi, _plat = line[5:].split("-")
                line = f"Tag: {py}-{abi}-{platform_tag}"
            lines.append(line)
        new_wheel = ("\n".join(lines) + "\n").encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(new_wheel).digest()).rstrip(b"=").decode()
        for info in infos:
            if info.filename == record_file:
                continue
            data = new_wheel if info.filename == wheel_file else src.read(info.filename)
            dst.writestr(info, data)
        record = []
        for line in src.read(record_file).decode().splitlines():
            if line.startswith(wheel_file + ","):
                line = f"{wheel_file},sha256={digest},{len(new_wheel)}"
            record.append(line)
        dst.writestr(src.getinfo(record_file), ("\n".join(record) + "\n").encode())
    wheel.unlink()
    return out


def build_cpu_wheel(
    entry: LockEntry,
    profile: Profile,
    *,
    target_python: Path,
    cache: Path,
    log: Callable[[str], None] = lambda _m: None,
    jobs: int | None = None,
) -> Path:
    """The cached portable CPU wheel of ``entry``; built (once) when missing."""
    if entry.name != LLAMA_CPP_PYTHON:
        raise WheelError(f"{entry.pin}: the builder only builds llama-cpp-python from source")
    found = find_built(entry, profile, cache)
    if found is not None:
        return found
    pip = Pip(target_python)
    built_dir(cache).mkdir(parents=True, exist_ok=True)
    # One build per machine: a second builder (another terminal, a test session) waits
    # for the first one and then takes its wheel from the cache.
    with (built_dir(cache) / ".lock").open("w") as lock_fh:
        fcntl.flock(lock_fh, fcntl.LOCK_EX)
        found = find_built(entry, profile, cache)
        if found is not None:
            return found
        return _build_locked(entry, profile, pip, target_python=target_python, cache=cache, log=log, jobs=jobs)


def _build_locked(
    entry: LockEntry,
    profile: Profile,
    pip: Pip,
    *,
    target_python: Path,
    cache: Path,
    log: Callable[[str], None],
    jobs: int | None,
) -> Path:
    sdist, sdist_sha = _sdist(entry, pip, cache, log)
    key = build_key(entry, sdist_sha, profile)
    final_dir = built_dir(cache) / key
    build_python = _build_python(target_python, cache, log)
    work = Path(tempfile.mkdtemp(prefix=f".build-{key}-", dir=built_dir(cache)))
    try:
        cc, cxx = _write_wrappers(work, build_python, zig_target(profile))
        out = work / "dist"
        log(
            f"wheels: building {entry.pin} for CPU only with zig ({zig_target(profile)}); "
            "about 5-10 minutes on 2 cores, once per machine"
        )
        env = {
            "CC": str(cc),
            "CXX": str(cxx),
            "CMAKE_ARGS": " ".join(CMAKE_FLAGS),
            "CMAKE_BUILD_PARALLEL_LEVEL": str(jobs or os.cpu_count() or 2),
            "ZIG_GLOBAL_CACHE_DIR": str(cache / "tools" / "zig-cache"),
            "ZIG_LOCAL_CACHE_DIR": str(work / "zig-local"),
        }
        progress = _BuildProgress(log)
        Pip(build_python).run_streaming(
            "wheel",
            "--no-deps",
            "--no-build-isolation",  # the venv's pinned backend, cmake and ninja
            "--no-cache-dir",
            "--verbose",
            "--wheel-dir",
            str(out),
            str(sdist),
            what=f"building {entry.pin}",
            on_line=progress,
            extra_env=env,
        )
        wheels = sorted(out.glob("*.whl"))
        if len(wheels) != 1:
            raise WheelError(f"{entry.pin}: the build produced {len(wheels)} wheels in {out}")
        wheel = wheels[0]
        problems = elf_problems(wheel, profile)
        if problems:
            raise WheelError(f"{wheel.name}: the portable build does not fit profile '{profile.name}': {problems[0]}")
        major, minor = profile.glibc_tuple
        wheel = retag(wheel, f"manylinux_{major}_{minor}_{profile.machine}")
        stage = work / "final"
        stage.mkdir()
        shutil.move(str(wheel), stage / wheel.name)
        (stage / "build.json").write_text(
            json.dumps(
                {
                    "wheel": wheel.name,
                    "sha256": sha256_file(stage / wheel.name),
                    "sdist": sdist.name,
                    "sdist_sha256": sdist_sha,
                    "compiler": ZIG_REQUIREMENT,
                    "toolchain": list(BUILD_REQUIREMENTS),
                    "target": zig_target(profile),
                    "cmake_flags": list(CMAKE_FLAGS),
                    "profile": profile.name,
                },
                indent=2,
            )
            + "\n"
        )
        if final_dir.exists():
            shutil.rmtree(final_dir)
        os.replace(stage, final_dir)
        log(f"wheels: built {wheel.name} (CPU only: llama.cpp will not offload to a GPU)")
        return final_dir / wheel.name
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _BuildProgress:
    """Turns the CMake/ninja output into a few progress lines."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.last = -10

    def __call__(self, line: str) -> None:
        text = line.strip()
        if text.startswith("[") and "/" in text.split("]", 1)[0]:
            done, total = text[1:].split("]", 1)[0].split("/", 1)
            if done.isdigit() and total.isdigit() and int(total):
                pct = int(done) * 100 // int(total)
                if pct >= self.last + 10 or done == total:
                    self.last = pct
                    self.log(f"wheels: compiling {done}/{total} ({pct}%)")
        elif text.startswith("*** ") or text.startswith("Successfully built"):
            self.log(f"wheels: {text.lstrip('* ')}")
