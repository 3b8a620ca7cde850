"""A CUDA 12.4 toolkit folder assembled from pinned packages (no NVIDIA installer, no system
CUDA): NVIDIA's PyPI wheels give ptxas, libnvvm, libdevice, the headers and the libraries
to link against; Debian trixie's non-free ``nvidia-cuda-toolkit`` gives nvcc, cicc,
cudafe++, fatbinary, nvlink (no PyPI wheel ships them).  The layout is the one CMake's
FindCUDAToolkit accepts (``bin/``, ``nvvm/``, ``targets/x86_64-linux/{include,lib}`` with
``include`` and ``lib64`` links, a standard ``bin/nvcc.profile``), plus the three pitfalls
of CUDA.md: an empty ``libcudadevrt.a`` (CMake's compiler check links it), no
``libcudart_static.a`` (the build says ``-cudart shared``), and a driver link stub
``lib/stubs/libcuda.so`` (SONAME ``libcuda.so.1``) generated from ``cuda.h``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import WheelError
from ...pip import Pip
from ...util.deb import extract
from ...util.fs import build_folder_once
from .hostcc import HostCompiler, fetch_debs
from .lock import CudaLock

Log = Callable[[str], None]
TARGET = "targets/x86_64-linux"
#: member of the toolkit .deb -> place in the toolkit
DEB_MAP = {
    "usr/lib/nvidia-cuda-toolkit/bin/nvcc": "bin/nvcc",  # the ELF (usr/bin/nvcc is a shell wrapper)
    "usr/lib/nvidia-cuda-toolkit/bin/cicc": "nvvm/bin/cicc",
    "usr/lib/nvidia-cuda-toolkit/bin/crt/link.stub": "bin/crt/link.stub",
    "usr/lib/nvidia-cuda-toolkit/bin/crt/prelink.stub": "bin/crt/prelink.stub",
    "usr/bin/cudafe++": "bin/cudafe++",
    "usr/bin/fatbinary": "bin/fatbinary",
    "usr/bin/nvlink": "bin/nvlink",
    "usr/bin/bin2c": "bin/bin2c",
    "usr/bin/cuobjdump": "bin/cuobjdump",
    "usr/bin/nvprune": "bin/nvprune",
    "usr/bin/nvdisasm": "bin/nvdisasm",
    "usr/bin/cu++filt": "bin/cu++filt",
}
#: (member prefix inside a wheel, place in the toolkit); a prefix without "/" is one file
WHEEL_MAP = (
    ("nvidia/cuda_nvcc/bin/", "bin/"),
    ("nvidia/cuda_nvcc/nvvm/", "nvvm/"),
    ("nvidia/cuda_nvcc/include/", f"{TARGET}/include/"),
    ("nvidia/cuda_runtime/include/", f"{TARGET}/include/"),
    ("nvidia/cuda_runtime/lib/", f"{TARGET}/lib/"),
    ("nvidia/cuda_cccl/include/", f"{TARGET}/include/"),
    ("nvidia/cublas/include/", f"{TARGET}/include/"),
    ("nvidia/cublas/lib/libcublas.so.12", f"{TARGET}/lib/libcublas.so.12"),
    ("nvidia/cublas/lib/libcublasLt.so.12", f"{TARGET}/lib/libcublasLt.so.12"),
)
NVCC_PROFILE = """
TOP              = $(_HERE_)/..

NVVMIR_LIBRARY_DIR = $(TOP)/$(_NVVM_BRANCH_)/libdevice

LD_LIBRARY_PATH += $(TOP)/lib:
PATH            += $(TOP)/$(_NVVM_BRANCH_)/bin:$(_HERE_):

INCLUDES        +=  "-I$(TOP)/$(_TARGET_DIR_)/include" $(_SPACE_)

LIBRARIES        =+ $(_SPACE_) "-L$(TOP)/$(_TARGET_DIR_)/lib$(_TARGET_SIZE_)/stubs" \
"-L$(TOP)/$(_TARGET_DIR_)/lib$(_TARGET_SIZE_)"

CUDAFE_FLAGS    +=
PTXAS_FLAGS     +=
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Toolkit:
    root: Path
    version: str

    @property
    def nvcc(self) -> Path:
        return self.root / "bin" / "nvcc"


def fetch_wheels(lock: CudaLock, pip: Pip, cache: Path, log: Log) -> list[Path]:
    out: list[Path] = []
    for w in lock.wheels:
        dest = cache / "downloads" / w.sha256
        path = dest / w.file
        if not path.is_file():
            log(f"wheels: downloading {w.pin} ({w.size / 1e6:.0f} MB, hash-checked)")
            pip.download(w.pin, dest, what=f"downloading {w.pin} ({lock.path.name})", hashes=[w.sha256])
        if not path.is_file():
            raise WheelError(f"{w.pin}: pip downloaded no {w.file} into {dest}")
        out.append(path)
    return out


def _put(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        with zf.open(info) as src, dest.open("rb") as have:
            if src.read() != have.read():
                raise WheelError(f"{dest.name}: two toolkit wheels ship it with different contents")
        return
    with zf.open(info) as src, dest.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    dest.chmod(((info.external_attr >> 16) & 0o777) or 0o644)


def _unpack_wheel(wheel: Path, root: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            name = info.filename
            if name.endswith(("/", "__init__.py")) or "__pycache__" in name:
                continue
            for prefix, place in WHEEL_MAP:
                if prefix.endswith("/") and name.startswith(prefix):
                    _put(zf, info, root / (place + name[len(prefix):]))
                    break
                if name == prefix:
                    _put(zf, info, root / place)
                    break


def driver_functions(cuda_h: Path) -> list[str]:
    """Every driver entry point cuda.h lets a program reference: the declared names, the
    targets of ``#define cuX cuX_v2`` aliases, and the per-thread-stream variants."""
    text = cuda_h.read_text(encoding="utf-8", errors="replace")
    names = set(re.findall(r"CUresult\s+CUDAAPI\s+(cu\w+)\s*\(", text))
    for a, b in re.findall(r"^\s*#\s*define\s+(cu\w+)\s+(cu\w+)\s*$", text, re.M):
        names.update((a, b))
    for a, kind, b in re.findall(r"^\s*#\s*define\s+(cu\w+)\s+__CUDA_API_PT(DS|SZ)\((cu\w+)\)", text, re.M):
        names.update((a, b, b + "_pt" + kind.lower()))
    return sorted(names)


def _driver_stub(root: Path, cc: Path) -> int:
    names = driver_functions(root / TARGET / "include" / "cuda.h")
    stubs = root / TARGET / "lib" / "stubs"
    stubs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="libcuda-stub-") as tmp:
        src = Path(tmp) / "libcuda_stub.c"
        src.write_text("/* link-time stub of the CUDA driver API, generated from cuda.h */\n"
                       + "".join(f"int {n}(void) {{ return 999; }}\n" for n in names), encoding="utf-8")
        proc = subprocess.run([str(cc), "-shared", "-fPIC", "-O0", "-nostdlib", "-Wl,-soname,libcuda.so.1",
                               "-o", str(stubs / "libcuda.so"), str(src)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise WheelError(f"{cc}: building the libcuda.so link stub failed: {proc.stderr.strip()[-400:]}")
    return len(names)


def _make(lock: CudaLock, wheels: list[Path], debs: list[Path], cc: Path, root: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="cuda-deb-", dir=root) as tmp:
        for deb in debs:
            extract(deb, Path(tmp), select=lambda rel: rel in DEB_MAP)
        for member, place in DEB_MAP.items():
            if not (Path(tmp) / member).is_file():
                raise WheelError(f"{debs[0].name}: has no {member}")
            (root / place).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(Path(tmp) / member), root / place)
    for wheel in wheels:
        _unpack_wheel(wheel, root)
    for tool in ("bin/nvcc", "bin/ptxas", "nvvm/bin/cicc", "bin/fatbinary", "bin/nvlink", "bin/cudafe++"):
        if not (root / tool).is_file():
            raise WheelError(f"the assembled CUDA toolkit has no {tool}: check {lock.path.name}")
        (root / tool).chmod(0o755)
    (root / "bin" / "nvcc.profile").write_text(NVCC_PROFILE, encoding="utf-8")
    (root / "version.json").write_text(json.dumps({"cuda": {"version": lock.cuda_version}}, indent=1) + "\n")
    (root / "include").symlink_to(f"{TARGET}/include")
    (root / "lib64").symlink_to(f"{TARGET}/lib")
    lib = root / TARGET / "lib"
    for so in ("libcudart.so.12", "libcublas.so.12", "libcublasLt.so.12"):
        (lib / so.rsplit(".", 1)[0]).symlink_to(so)
    (lib / "libcudadevrt.a").write_bytes(b"!<arch>\n")  # pitfall 1: an empty static archive
    _driver_stub(root, cc)  # pitfall 3; pitfall 2: no libcudart_static.a, on purpose


def cuda_toolkit(lock: CudaLock, pip: Pip, host: HostCompiler, cache: Path, log: Log) -> Toolkit:
    """The cached toolkit of ``lock`` (assembled once, ~780 MB)."""
    final = cache / "tools" / f"cuda-{lock.cuda_version}-{lock.digest[:12]}"
    if not (final / ".complete").is_file():
        wheels = fetch_wheels(lock, pip, cache, log)
        debs = fetch_debs(lock, "toolkit", cache, log)
        log(f"wheels: assembling the CUDA {lock.cuda_version} toolkit from pinned packages")
        build_folder_once(final, lambda tmp: _make(lock, wheels, debs, host.cc, tmp))
    return Toolkit(root=final, version=lock.cuda_version)
