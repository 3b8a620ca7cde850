"""What makes a wheel built from an sdist the same bytes on any machine.

Two builds of the same pins (sdist, flags, toolchain and CUDA locks) give byte-identical
wheels whatever the build folder, cache folder, user, clock or machine:

* **paths**: every compiler in the chain gets prefix maps (``-ffile-prefix-map``, which is
  ``-fdebug-prefix-map`` plus ``-fmacro-prefix-map``) for the two roots a build reads
  from, so ``__FILE__`` in an assert and any debug path say ``build/src/...`` and
  ``tools/...`` instead of the cache's absolute path: zig (clang) for the CPU build, gcc
  for the CUDA build's host code, and nvcc through ``-Xcompiler`` (its device pass
  preprocesses with the host compiler, so the same map reaches the device code);
* **nothing from the host**: the build runs with an environment made from scratch (no
  inherited ``CFLAGS``, ``CMAKE_ARGS``, ``CC``, locale, time zone, user or home), ``PATH``
  limited to the toolchain and ``/usr/bin:/bin``, and git unable to see a repository
  around the build folder (llama.cpp's build-info asks git for a commit);
* **symbols and sections**: libraries are linked with ``--strip-all`` by the pinned
  linker (scikit-build-core's install-time strip would run the host's ``strip``); the
  only per-build name nvcc makes (``tmpxft_<pid>_...``, the host object's file symbol)
  lives in the symbol table that strip removes, and the GNU build-id is a hash of the
  content;
* **time**: ``SOURCE_DATE_EPOCH`` is the sdist's own newest member time (never the
  caller's), every zip entry of the wheel has that time and normalised permissions,
  in sorted order with RECORD last (:func:`canonical_info`, :func:`ordered`), RECORD
  made anew from the bytes written;
* **a guard**: a built wheel that still holds the build folder's or the tools folder's
  path is refused (:func:`check_no_leak`).

Not covered: the wheel's *deflate* bytes come from the zlib the toolchain's Python links
(the members and RECORD do not); zlib 1.2/1.3 agree, zlib-ng does not
(:mod:`.record` names this case when a wheel differs only there).
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import tarfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import WheelError

#: The names the prefix maps give the build folder and the cache's tools folder.
BUILD_ALIAS = "build"
TOOLS_ALIAS = "tools"
#: The one folder a build compiles in, under the cache's build lock: the same absolute paths
#: from one build to the next, so the compiler cache hits; the prefix maps hide it.
WORK_NAME = ".work"
#: What the sdist may claim as its newest time (a bound on untrusted input): 1980..2107.
_ZIP_MIN, _ZIP_MAX = 315532800, 4354819199
#: Linker flags of every shared library: the pinned linker strips (the host's strip is not used).
LINK_FLAGS = ("-Wl,--strip-all",)
#: Config settings of every build: no host strip, reproducible zip times and modes.
REPRODUCIBLE_SETTINGS = {"install.strip": "false", "wheel.reproducible": "true"}


def prefix_maps(work: Path, cache: Path) -> tuple[str, ...]:
    """The gcc/clang options that hide the build's two roots (the tools folder first, the
    build folder last: gcc takes the last match, clang the longest)."""
    return (f"-ffile-prefix-map={cache / 'tools'}={TOOLS_ALIAS}", f"-ffile-prefix-map={work}={BUILD_ALIAS}")


def nvcc_prefix_maps(work: Path, cache: Path) -> tuple[str, ...]:
    """:func:`prefix_maps` for nvcc's host compiler (``-Xcompiler`` splits on commas)."""
    maps = prefix_maps(work, cache)
    bad = [m for m in maps if "," in m]
    if bad:
        raise WheelError(f"{bad[0].split('=', 1)[1]}: a CUDA build folder's path must not contain a comma")
    return tuple(f"-Xcompiler={m}" for m in maps)


def flags_string(flags: Sequence[str]) -> str:
    """One ``CMAKE_<LANG>_FLAGS`` value (ninja runs commands through ``sh``: each flag quoted)."""
    return " ".join(shlex.quote(f) for f in flags)


def source_epoch(sdist: Path) -> int:
    """The newest member time of ``sdist`` (a bounded tar read): the build's ``SOURCE_DATE_EPOCH``."""
    newest = 0
    try:
        with tarfile.open(sdist) as tf:
            for n, member in enumerate(tf):
                if n > 200_000:
                    raise WheelError(f"{sdist}: more than 200000 members")
                newest = max(newest, int(member.mtime))
    except (tarfile.TarError, OSError) as exc:
        raise WheelError(f"{sdist}: cannot read ({exc})") from None
    return min(max(newest, _ZIP_MIN), _ZIP_MAX)


def build_env(work: Path, toolchain_bin: Path, epoch: int, extra: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a build: nothing inherited but what names no machine."""
    for sub in ("home", "tmp"):
        (work / sub).mkdir(exist_ok=True)
    env = {
        "PATH": f"{toolchain_bin}:/usr/bin:/bin",
        "HOME": str(work / "home"),
        "TMPDIR": str(work / "tmp"),
        "LC_ALL": "C",
        "LANG": "C",
        "TZ": "UTC",
        "SOURCE_DATE_EPOCH": str(epoch),
        "GIT_DIR": str(work / "no-git"),  # llama.cpp's build-info: "unknown", not a repository around us
        "GIT_CEILING_DIRECTORIES": str(work),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra)
    return env


def _zip_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    t = time.gmtime(min(max(epoch, _ZIP_MIN), _ZIP_MAX))
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def _order(name: str) -> tuple[int, str]:
    """Members sorted by name, the .dist-info folder last and its RECORD at the very end."""
    top = name.split("/", 1)[0]
    if top.endswith(".dist-info"):
        return (2, name) if name == f"{top}/RECORD" else (1, name)
    return (0, name)


def canonical_info(name: str, external_attr: int, epoch: int) -> zipfile.ZipInfo:
    """A zip entry header that says nothing about the machine: fixed time, 0644/0755, deflated."""
    info = zipfile.ZipInfo(name, date_time=_zip_time(epoch))
    mode = (external_attr >> 16) & 0o777
    info.external_attr = ((0o755 if mode & 0o111 else 0o644) | stat.S_IFREG) << 16
    info.create_system = 3
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def ordered(names: Sequence[str]) -> list[str]:
    return sorted(names, key=_order)


def check_no_leak(wheel: Path, needles: Sequence[str]) -> list[str]:
    """Members of ``wheel`` whose bytes contain one of ``needles`` (this build's folders):
    what a prefix map missed.  Streamed: a 200 MB library is read in 1 MiB chunks."""
    found: list[str] = []
    raw = [n.encode() for n in needles if n]
    keep = max((len(n) for n in raw), default=1)
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            tail = b""
            with zf.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    buf = tail + chunk
                    if any(n in buf for n in raw):
                        found.append(info.filename)
                        break
                    tail = buf[-keep:]
    return found


def remove_tree(path: Path) -> None:
    """``rm -rf path`` that also removes read-only folders a build left."""
    if not path.exists():
        return
    for root, dirs, _files in os.walk(path):
        for d in dirs:
            try:
                os.chmod(os.path.join(root, d), 0o700)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)
