"""The CUDA build's host compiler: Debian bullseye's gcc 10.2.1 with glibc 2.31 and binutils
2.35, unpacked from pinned ``.deb`` files into one sysroot and driven with ``--sysroot``.

No root, no chroot (CUDA.md measured gcc 10 in a debootstrap root; this is the same
compiler without the root): the compiler's own programs run on the build machine (they
need only its libc), while headers, crt files, libc, libstdc++ and libgcc come from the
sysroot, so what it links needs no ``GLIBC_*`` newer than 2.31.  nvcc 12.4 accepts gcc 10
as its host compiler.  The wrappers find their folder at run time: the cached copy can move.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import WheelError
from ...progress import ProgressFactory, no_progress
from ...util.deb import extract
from ...util.download import fetch
from ...util.fs import build_folder_once
from .lock import CudaLock

Log = Callable[[str], None]
#: Shared libraries the compiler's programs (cc1plus, as, ld) need from the sysroot, kept
#: apart from its glibc (which must never be loaded by a program of the build machine).
HOSTLIBS = ("libisl.so.23", "libmpc.so.3", "libmpfr.so.6", "libgmp.so.10", "libzstd.so.1", "libz.so.1",
            "libbfd-2.35.2-system.so", "libopcodes-2.35.2-system.so", "libctf.so.0", "libctf-nobfd.so.0")
_SKIP = ("usr/share/doc/", "usr/share/man/", "usr/share/info/", "usr/share/locale/", "usr/share/lintian/")
_TOOLS = ("ar", "ranlib", "nm", "objcopy", "objdump", "readelf", "strip", "as", "ld")

_WRAP = """#!/bin/sh
# bullseye {prog} 10 driven by --sysroot: what it links needs glibc <= 2.31 (builder/wheels/cuda/hostcc.py)
OUT=$(cd "$(dirname "$0")/.." && pwd -P)
SR="$OUT/sysroot"
LD_LIBRARY_PATH="$OUT/hostlib${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"
export LD_LIBRARY_PATH
exec "$SR/usr/bin/x86_64-linux-gnu-{prog}-10" --sysroot="$SR" -B"$OUT/tools/" "$@"
"""
_TOOLWRAP = """#!/bin/sh
OUT=$(cd "$(dirname "$0")/.." && pwd -P)
LD_LIBRARY_PATH="$OUT/hostlib${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"
export LD_LIBRARY_PATH
exec "$OUT/sysroot/usr/bin/x86_64-linux-gnu-{tool}" "$@"
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class HostCompiler:
    root: Path

    @property
    def cc(self) -> Path:
        return self.root / "bin" / "gcc"

    @property
    def cxx(self) -> Path:
        return self.root / "bin" / "g++"


def fetch_debs(lock: CudaLock, role: str, cache: Path, log: Log,
               progress: ProgressFactory = no_progress) -> list[Path]:
    debs = [d for d in lock.debs if d.role == role]
    missing = [d for d in debs if not (cache / "downloads" / d.sha256 / d.file).is_file()]
    if not missing:  # each is hashed again, never trusted by name
        return [fetch(d.url, sha256=d.sha256, size=d.size, dest=cache / "downloads" / d.sha256 / d.file,
                      what=f"{d.package} {d.version} from {lock.path.name}") for d in debs]
    size = sum(d.size for d in missing)
    log(f"wheels: downloading {len(missing)} pinned Debian package(s) for the CUDA build "
        f"({size / 1e6:.0f} MB, sha256-checked)")
    with progress(f"downloading the {role} .deb packages", size, "B") as task:
        return [fetch(d.url, sha256=d.sha256, size=d.size, dest=cache / "downloads" / d.sha256 / d.file,
                      what=f"{d.package} {d.version} from {lock.path.name}",
                      progress=task.advance if d in missing else None) for d in debs]


def _write_exec(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def _link(src: Path, dst: Path) -> None:
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    dst.symlink_to(os.path.relpath(src, dst.parent))


def _make(debs: list[Path], out: Path) -> None:
    sysroot = out / "sysroot"
    sysroot.mkdir()
    for deb in debs:
        extract(deb, sysroot, select=lambda rel: not rel.startswith(_SKIP))
    real = sysroot.resolve()
    for link in (p for p in sysroot.rglob("*") if p.is_symlink()):
        if os.readlink(link).startswith("/") or not str(link.resolve()).startswith(str(real)):
            raise WheelError(f"{link}: a symlink of the host compiler's sysroot leaves it ({os.readlink(link)})")
    hostlib, tools, bin_dir = out / "hostlib", out / "tools", out / "bin"
    for folder in (hostlib, tools, bin_dir):
        folder.mkdir()
    for lib in HOSTLIBS:
        found = [sysroot / d / lib for d in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")
                 if (sysroot / d / lib).is_symlink() or (sysroot / d / lib).exists()]
        if not found:
            raise WheelError(f"{lib}: not in the host compiler's packages (see the lock's [[deb]] role = 'hostcc')")
        _link(found[0], hostlib / lib)
    for tool in ("as", "ld", "ld.bfd"):  # gcc looks in its -B folder before PATH: bullseye binutils
        _link(sysroot / "usr" / "bin" / f"x86_64-linux-gnu-{tool}", tools / tool)
    for name, prog in (("gcc", "gcc"), ("cc", "gcc"), ("x86_64-linux-gnu-gcc", "gcc"),
                       ("g++", "g++"), ("c++", "g++"), ("x86_64-linux-gnu-g++", "g++")):
        _write_exec(bin_dir / name, _WRAP.format(prog=prog))
    for tool in _TOOLS:
        _write_exec(bin_dir / tool, _TOOLWRAP.format(tool=tool))


def host_compiler(lock: CudaLock, cache: Path, log: Log, progress: ProgressFactory = no_progress) -> HostCompiler:
    """The cached host compiler of ``lock`` (unpacked once, ~190 MB)."""
    final = cache / "tools" / f"hostcc-{lock.digest[:12]}"
    if not (final / ".complete").is_file():
        debs = fetch_debs(lock, "hostcc", cache, log, progress)
        log(f"wheels: unpacking the host compiler ({lock.host_compiler}) into a sysroot")
        build_folder_once(final, lambda tmp: _make(debs, tmp))
    return HostCompiler(root=final)
