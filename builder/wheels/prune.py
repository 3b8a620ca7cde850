"""What of a wheel is never vendored (shared by the wheels and vendor stages).

* top-level folders of a wheel that hold no Python code (llama-cpp-python's stray
  ``lib/`` and ``include/``);
* bytecode, C headers, CMake and pkg-config files;
* duplicate copies of a shared library (llama-cpp-python ships each ``.so`` three times:
  ``libX.so``, ``libX.so.0``, ``libX.so.0.x.y``): a name is kept when Python code loads
  it through ctypes (``libX.so``) or another kept library NEEDs it (its SONAME).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Sequence

from ..native.elf import read_zip_elf, zip_member_is_elf

_PY_LOAD_RES = (
    re.compile(r"load_shared_library\(\s*[\"']([\w.+-]+)[\"']"),
    re.compile(r"_base_name\s*=\s*[\"']([\w.+-]+)[\"']"),
)
_DEV_DIRS = {"cmake", "pkgconfig", "include"}
_DEV_SUFFIXES = (".cmake", ".pc", ".h", ".hpp", ".pyc", ".pyo")


def plan_pruning(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map of wheel path -> reason, for every file of the wheel that is not vendored."""
    names = [i.filename for i in zf.infolist() if not i.is_dir()]
    dist_info = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    data_dir = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".data")}
    prune: dict[str, str] = {}
    top_has_py: dict[str, bool] = {}
    for n in names:
        top = n.split("/", 1)[0]
        if "/" in n:
            top_has_py[top] = top_has_py.get(top, False) or n.endswith(".py")
    for n in names:
        top, _, rest = n.partition("/")
        parts = n.split("/")
        if top in dist_info or top in data_dir:
            continue  # dist-info kept; data schemes filtered by the destination
        if rest and not top_has_py.get(top, False):
            prune[n] = f"top-level folder '{top}/' holds no Python code"
        elif "__pycache__" in parts or n.endswith(_DEV_SUFFIXES):
            prune[n] = "build/dev file (bytecode, header, cmake, pkg-config)"
        elif any(p in _DEV_DIRS for p in parts[1:-1]):
            prune[n] = "build/dev folder (cmake, pkgconfig, include)"
    prune.update(_duplicate_libraries(zf, [n for n in names if n not in prune]))
    return prune


def _sha256_member(zf: zipfile.ZipFile, name: str) -> str:
    h = hashlib.sha256()
    with zf.open(name) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _duplicate_libraries(zf: zipfile.ZipFile, names: Sequence[str]) -> dict[str, str]:
    loaded: set[str] = set()
    for n in names:
        if n.endswith(".py"):
            text = zf.read(n).decode("utf-8", errors="replace")
            for rx in _PY_LOAD_RES:
                loaded.update(f"lib{m}.so" for m in rx.findall(text))
    candidates: dict[tuple[str, int, int], list[str]] = {}
    needed: set[str] = set()
    for n in names:
        base = n.rsplit("/", 1)[-1]
        if ".so" not in base or not zip_member_is_elf(zf, n):
            continue
        try:
            info = read_zip_elf(zf, n, symbols=False)  # streamed: never read into memory whole
        except ValueError:
            continue
        needed.update(info.needed)
        zi = zf.getinfo(n)
        candidates.setdefault((n.rsplit("/", 1)[0] if "/" in n else "", zi.CRC, zi.file_size), []).append(n)
    groups: dict[tuple[str, str], list[str]] = {}
    for (folder, _crc, _size), members in candidates.items():
        for n in members:  # equal CRC and size: confirm by sha256 before calling them copies
            key = (folder, _sha256_member(zf, n) if len(members) > 1 else n)
            groups.setdefault(key, []).append(n)
    prune: dict[str, str] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        keep = [m for m in members if m.rsplit("/", 1)[-1] in needed or m.rsplit("/", 1)[-1] in loaded]
        if not keep:
            keep = [min(members, key=len)]
        for m in members:
            if m not in keep:
                prune[m] = f"duplicate of {keep[0].rsplit('/', 1)[-1]} (neither ctypes-loaded nor NEEDED)"
    return prune
