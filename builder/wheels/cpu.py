"""A portable CPU wheel of llama-cpp-python, built from the locked sdist.

PyPI serves llama-cpp-python as an sdist only, and its own CPU wheels need glibc 2.35.
This recipe (run by :mod:`.source` through pypa/build) builds one that runs on the
profile's older glibc:

* the compiler is ``zig cc`` / ``zig c++`` (``ziglang`` from the pinned toolchain)
  targeting ``x86_64-linux-gnu.<profile glibc>``: every ``.so`` needs no newer ``GLIBC_*``
  symbol, and zig links its libc++ statically, so no ``GLIBCXX_*`` is needed at all;
* ``-DGGML_NATIVE=OFF`` with the x86-64-v3 features (AVX2, FMA, F16C, BMI2) spelled out
  (an implicit default depends on ``SOURCE_DATE_EPOCH``), OpenMP off (no libgomp);
  tests, examples, tools and the server are not built;
* reproducible (:mod:`.reproducible`): zig gets the prefix maps of the build and tools
  folders, links with ``--strip-all``, and the sdist's stray top-level ``lib/`` and
  ``include/`` (CMake package files, a ``llama.pc`` naming the build's temp folder) are
  left out of the wheel.

Why zig rather than a Debian bullseye chroot (debootstrap, also measured): no root, no
mounts, a 50 MB PyPI download instead of a ~700 MB root with build-essential, no libstdc++
needed at run time, and the glibc target is one flag (README).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import WheelError
from ..lock import LockEntry
from ..profile import Profile
from .check import elf_problems
from .reproducible import LINK_FLAGS, flags_string, prefix_maps
from .source import Backend, Log, Prepared, build_from_sdist
from .toolchain import pinned, toolchain_pins

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
    f"-DCMAKE_SHARED_LINKER_FLAGS={' '.join(LINK_FLAGS)}",
)
#: The sdist's stray top-level folders (anchored: llama_cpp/lib stays).
WHEEL_EXCLUDE = "/lib/;/include/"


def defines(flags: tuple[str, ...]) -> dict[str, str]:
    """``-DNAME=VALUE`` flags as scikit-build-core ``cmake.define.NAME`` config settings."""
    out: dict[str, str] = {}
    for flag in flags:
        name, _, value = flag.removeprefix("-D").partition("=")
        out[f"cmake.define.{name}"] = value
    return out


def zig_target(profile: Profile) -> str:
    return f"{profile.machine}-linux-gnu.{profile.glibc}"


def _write_wrappers(folder: Path, zig_python: Path, target: str) -> tuple[Path, Path]:
    cc, cxx = folder / "zig-cc", folder / "zig-cxx"
    for path, tool in ((cc, "cc"), (cxx, "c++")):
        path.write_text(f'#!/bin/sh\nexec "{zig_python}" -m ziglang {tool} -target {target} "$@"\n')
        path.chmod(0o755)
    return cc, cxx


@dataclass(frozen=True, slots=True)
class CpuRecipe:
    """The portable CPU build (see the module docstring)."""

    jobs: int | None = None
    backend: Backend = "cpu"

    def key_material(self, profile: Profile) -> Mapping[str, Any]:
        return {"target": zig_target(profile), "flags": CMAKE_FLAGS, "wheel_exclude": WHEEL_EXCLUDE,
                "toolchain": sorted(toolchain_pins())}

    def describe(self, profile: Profile) -> str:
        return f"for CPU only with zig ({zig_target(profile)}); about 5-10 minutes on 2 cores"

    def prepare(self, work: Path, profile: Profile, *, toolchain: Path, cache: Path, log: Log) -> Prepared:
        cc, cxx = _write_wrappers(work, toolchain, zig_target(profile))
        env = {
            "CC": str(cc),
            "CXX": str(cxx),
            "CMAKE_BUILD_PARALLEL_LEVEL": str(self.jobs or os.cpu_count() or 2),
            "ZIG_GLOBAL_CACHE_DIR": str(cache / "tools" / "zig-cache"),
            "ZIG_LOCAL_CACHE_DIR": str(work / "zig-local"),
        }
        maps = flags_string(prefix_maps(work, cache))
        settings = {**defines(CMAKE_FLAGS), "cmake.define.CMAKE_C_FLAGS": maps, "cmake.define.CMAKE_CXX_FLAGS": maps,
                    "wheel.exclude": WHEEL_EXCLUDE, "build.verbose": "true"}
        return Prepared(settings=settings, env=env, record={"compiler": pinned("ziglang")},
                        compilers=(zig_target(profile), *sorted(toolchain_pins())))

    def finish(self, wheel: Path, work: Path, profile: Profile, prepared: Prepared, log: Log) -> Path:
        problems = elf_problems(wheel, profile)
        if problems:
            raise WheelError(f"{wheel.name}: the portable build does not fit profile '{profile.name}': {problems[0]}")
        log(f"wheels: built {wheel.name} (CPU only: llama.cpp will not offload to a GPU)")
        return wheel


def build_cpu_wheel(
    entry: LockEntry, profile: Profile, *, target_python: Path, cache: Path, log: Log = lambda _m: None,
    jobs: int | None = None,
) -> Path:
    """The cached portable CPU wheel of ``entry``; built (once) when missing."""
    return build_from_sdist(entry, profile, CpuRecipe(jobs=jobs), target_python=target_python, cache=cache, log=log)
