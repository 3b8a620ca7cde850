# Runtime-profile capture for gguf-submission-builder (`python -m builder profile capture`).
# Paste this cell into a Kaggle notebook with the competition's settings (GPU T4, internet off)
# and run it.  It writes OUTPUT (a JSON runtime profile); download it and run
#     python -m builder profile import runtime-profile.json --name NAME
# Standard library only.  It reads; it installs and changes nothing.
from __future__ import annotations

import ctypes
import ctypes.util
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import struct
import subprocess
import sys
import sysconfig
from typing import Any

OUTPUT = "runtime-profile.json"
FORMAT = 1
BASE_LIBRARIES = [
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2",
    "libstdc++.so.6", "libgcc_s.so.1", "libgomp.so.1",
]
CUDA_LIBRARIES = ["cudart", "cublas", "cublasLt", "cuda"]
CUDA_DIRS = ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu",
             "/usr/local/nvidia/lib64", "/usr/lib64"]


def _run(argv: list[str], timeout: float = 60) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _ldconfig() -> dict[str, str]:
    found: dict[str, str] = {}
    text = _run(["ldconfig", "-p"]) or _run(["/sbin/ldconfig", "-p"])
    for line in text.splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and "x86-64" in m.group(2):
            found.setdefault(m.group(1), m.group(3))
    return found


def _loaded_path(name: str) -> str | None:
    """The file the dynamic loader picks for ``name`` (read back from /proc/self/maps)."""
    try:
        ctypes.CDLL(name)
    except OSError:
        return None
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                fields = line.split()
                path = fields[-1] if len(fields) >= 6 else ""
                if os.path.basename(path).startswith(name.split(".so")[0] + ".so"):
                    return os.path.realpath(path)
    except OSError:
        pass
    return name


def python_info() -> dict[str, Any]:
    tags: list[str] = []
    try:  # optional: packaging is not stdlib, but nearly always installed
        from packaging import tags as ptags  # type: ignore[import-not-found, unused-ignore]
        tags = [str(t) for t in list(ptags.sys_tags())[:40]]
    except Exception:
        pass
    return {
        "version": ".".join(str(n) for n in sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "soabi": sysconfig.get_config_var("SOABI"),
        "platform": sysconfig.get_platform(),
        "executable": sys.executable,
        "tags": tags,
    }


def glibc_version() -> str | None:
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
        if text.startswith("glibc "):
            return text.split()[1]
    except (ValueError, OSError, AttributeError):
        pass
    try:
        fn = ctypes.CDLL("libc.so.6").gnu_get_libc_version
        fn.restype = ctypes.c_char_p
        return str(fn().decode())
    except (OSError, AttributeError):
        return None


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def glibcxx_versions() -> list[dict[str, Any]]:
    """Every libstdc++ found (loaded one first) with the GLIBCXX_ versions it defines."""
    paths: list[str] = []
    loaded = _loaded_path("libstdc++.so.6")
    if loaded and os.path.isfile(loaded):
        paths.append(loaded)
    ld = _ldconfig().get("libstdc++.so.6")
    for p in [ld, *glob.glob(os.path.join(sys.prefix, "lib", "libstdc++.so.6*"))]:
        if p and os.path.isfile(p) and os.path.realpath(p) not in paths:
            paths.append(os.path.realpath(p))
    out: list[dict[str, Any]] = []
    for path in paths:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        found = {m.decode() for m in re.findall(rb"GLIBCXX_(\d+\.\d+(?:\.\d+)?)\x00", data)}
        versions = sorted(found, key=_vkey)
        out.append({"path": path, "loaded": path == loaded, "max": versions[-1] if versions else None,
                    "versions": versions})
    return out


def libraries() -> tuple[dict[str, str], dict[str, str]]:
    cache = _ldconfig()
    base: dict[str, str] = {}
    for name in BASE_LIBRARIES:
        path = cache.get(name) or _loaded_path(name)
        if path:
            base[name] = path
    cuda: dict[str, str] = {}
    for short in CUDA_LIBRARIES:
        prefix = f"lib{short}.so."
        for soname, path in cache.items():
            if soname.startswith(prefix) and soname.count(".") == 2:
                cuda.setdefault(soname, path)
        for d in CUDA_DIRS:
            for path in sorted(glob.glob(os.path.join(d, prefix + "*"))):
                soname = os.path.basename(path)
                if soname.count(".") == 2 and soname.split(".")[-1].isdigit():
                    cuda.setdefault(soname, path)
        found = ctypes.util.find_library(short)
        if found and found.startswith(prefix):
            cuda.setdefault(found, cache.get(found, found))
    return base, cuda


# --- export lists: a small ELF reader (.dynsym + .gnu.version + .gnu.version_d), bounded
MAX_SYMBOLS = 2_000_000
MAX_SECTION = 256 << 20
SHT_DYNAMIC, SHT_DYNSYM, SHT_VERDEF, SHT_VERSYM = 6, 11, 0x6FFFFFFD, 0x6FFFFFFF


def _section(fh: Any, sh: tuple[int, ...], size_limit: int = MAX_SECTION) -> bytes:
    offset, size = sh[4], sh[5]
    if size > size_limit:
        raise ValueError(f"section of {size} bytes")
    fh.seek(offset)
    data: bytes = fh.read(size)
    if len(data) != size:
        raise ValueError("truncated section")
    return data


def _cstr(table: bytes, at: int) -> str:
    end = table.find(b"\0", at)
    return table[at:end if end >= 0 else len(table)].decode("utf-8", "replace")


def elf_exports(path: str) -> dict[str, Any]:
    """The dynamic symbols a 64-bit little-endian shared library defines, by version node
    ("" = unversioned), with the sizes of its data and TLS symbols: what
    `python -m builder profile exports` reads from a package, read here from the image."""
    with open(path, "rb") as fh:
        ident = fh.read(64)
        if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
            raise ValueError("not a 64-bit little-endian ELF file")
        shoff, = struct.unpack_from("<Q", ident, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", ident, 0x3A)
        if shentsize != 64 or shnum > 65535:
            raise ValueError("unexpected section headers")
        fh.seek(shoff)
        raw = fh.read(64 * shnum)
        sections = [struct.unpack_from("<IIQQQQIIQQ", raw, 64 * i) for i in range(len(raw) // 64)]
        by_type: dict[int, tuple[int, ...]] = {}
        for sh in sections:
            by_type.setdefault(sh[1], sh)
        dynsym = by_type.get(SHT_DYNSYM)
        if dynsym is None:
            raise ValueError("no .dynsym")
        strtab = _section(fh, sections[dynsym[6]])
        syms = _section(fh, dynsym)
        count = len(syms) // 24
        if count > MAX_SYMBOLS:
            raise ValueError(f"{count} symbols")
        versym = by_type.get(SHT_VERSYM)
        vers = struct.unpack(f"<{count}H", _section(fh, versym)[: 2 * count]) if versym else (1,) * count
        nodes: dict[int, str] = {}
        verdef = by_type.get(SHT_VERDEF)
        if verdef is not None:
            vd, vstr, at = _section(fh, verdef), _section(fh, sections[verdef[6]]), 0
            for _ in range(verdef[7]):  # sh_info: the number of entries
                _v, flags, ndx, cnt, _h, aux, nxt = struct.unpack_from("<HHHHIII", vd, at)
                if cnt and not flags & 1:  # VER_FLG_BASE names the file itself
                    nodes[ndx] = _cstr(vstr, struct.unpack_from("<I", vd, at + aux)[0])
                if not nxt:
                    break
                at += nxt
        soname = None
        dyn = by_type.get(SHT_DYNAMIC)
        if dyn is not None:
            table, dstr = _section(fh, dyn), _section(fh, sections[dyn[6]])
            for i in range(len(table) // 16):
                tag, val = struct.unpack_from("<qQ", table, 16 * i)
                if tag == 14:  # DT_SONAME
                    soname = _cstr(dstr, val)
    versions: dict[str, set[str]] = {}
    data: dict[str, int] = {}
    tls: dict[str, int] = {}
    for i in range(1, count):
        name_at, info, other, shndx, _value, size = struct.unpack_from("<IBBHQQ", syms, 24 * i)
        bind, kind = info >> 4, info & 0xF
        if bind == 0 or other & 3 in (1, 2) or shndx in (0, 0xFFF1):  # local, hidden/internal, UND, ABS
            continue
        name = _cstr(strtab, name_at)
        ndx = vers[i] & 0x7FFF
        if not name or ndx == 0:
            continue
        versions.setdefault(nodes.get(ndx, "") if ndx > 1 else "", set()).add(name)
        if kind in (1, 5):  # OBJECT, COMMON
            data[name] = max(size, data.get(name, 0))
        elif kind == 6:  # TLS
            tls[name] = max(size, tls.get(name, 0))
    return {"soname": soname, "versions": {k: sorted(v) for k, v in sorted(versions.items())},
            "data": dict(sorted(data.items())), "tls": dict(sorted(tls.items()))}


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def exports(base: dict[str, str], cuda: dict[str, str]) -> dict[str, Any]:
    """The export list of every library found, by SONAME (the file the loader picks)."""
    out: dict[str, Any] = {}
    for soname, found in sorted({**base, **cuda}.items()):
        path = _loaded_path(soname) if soname in base else found
        path = os.path.realpath(path) if path and os.path.isfile(path) else os.path.realpath(found)
        try:
            doc = elf_exports(path)
            doc.update(path=path, sha256=_sha256(path))
        except (OSError, ValueError, struct.error) as exc:
            doc = {"path": path, "error": str(exc)}
        out[soname] = doc
    return out


def gpu() -> list[dict[str, Any]]:
    out = _run(["nvidia-smi", "--query-gpu=name,memory.total,compute_cap,driver_version",
                "--format=csv,noheader,nounits"])
    gpus: list[dict[str, Any]] = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2 and parts[1].isdigit():
            gpus.append({"name": parts[0], "memory_mib": int(parts[1]),
                         "compute_capability": parts[2] if len(parts) > 2 else "",
                         "driver": parts[3] if len(parts) > 3 else ""})
    return gpus


def cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return sorted(line.split(":", 1)[1].split())
    except OSError:
        pass
    return []


#: Run in a child.  Module -> distribution: ``top_level.txt`` where a distribution has one,
#: else the top-level names of the files in its RECORD (Python 3.10's
#: ``packages_distributions`` reads only ``top_level.txt``, which flit, hatchling and poetry
#: wheels do not write: ``packaging`` itself would be missed on the target's Python).
_IMPORTED = (
    "import json, sys\n"
    "before = set(sys.modules)\n"
    "import kaggle_environments\n"
    "from importlib import metadata\n"
    "names = sorted({m.split('.')[0] for m in set(sys.modules) - before})\n"
    "dists = {}\n"
    "for dist in metadata.distributions():\n"
    "    tops = set((dist.read_text('top_level.txt') or '').split())\n"
    "    if not tops:\n"
    "        for f in dist.files or ():\n"
    "            top = f.parts[0] if len(f.parts) > 1 else f.name.rsplit('.', 1)[0]\n"
    "            if top and '.' not in top and '-' not in top:\n"
    "                tops.add(top)\n"
    "    for top in tops:\n"
    "        dists.setdefault(top, set()).add(dist.metadata['Name'])\n"
    "std = set(getattr(sys, 'stdlib_module_names', ()))\n"
    "found = sorted({d for n in names if n not in std for d in dists.get(n, ())})\n"
    "print(json.dumps({'modules': names, 'dists': found}))\n"
)


def imported() -> dict[str, Any]:
    """What a fresh ``import kaggle_environments`` imports (run in a child: the notebook's own
    modules must not count)."""
    try:
        proc = subprocess.run([sys.executable, "-c", _IMPORTED], capture_output=True, text=True, timeout=300,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return {"ok": False, "error": str(exc), "modules": [], "dists": []}
    if proc.returncode != 0:
        return {"ok": False, "error": proc.stderr.strip().splitlines()[-1:] or ["failed"],
                "modules": [], "dists": []}
    doc: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    doc["ok"] = True
    return doc


def installed() -> dict[str, str]:
    from importlib.metadata import distributions

    out: dict[str, str] = {}
    for d in distributions():
        name = d.metadata["Name"]
        if name:
            out.setdefault(name, d.version)
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


def capture() -> dict[str, Any]:
    base, cuda = libraries()
    return {
        "format": FORMAT,
        "captured": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "python": python_info(),
        "machine": platform.machine(),
        "glibc": glibc_version(),
        "libstdcxx": glibcxx_versions(),
        "libraries": base,
        "cuda_libraries": cuda,
        "exports": exports(base, cuda),
        "gpus": gpu(),
        "cpu_flags": cpu_flags(),
        "imported": imported(),
        "installed": installed(),
    }


_doc = capture()
with open(OUTPUT, "w") as _fh:
    json.dump(_doc, _fh, indent=2, sort_keys=True)
_gpu = _doc["gpus"][0]["name"] if _doc["gpus"] else "none"
print(f"wrote {os.path.abspath(OUTPUT)}: Python {_doc['python']['version']}, glibc {_doc['glibc']}, "
      f"{len(_doc['cuda_libraries'])} CUDA libraries, "
      f"{sum(1 for e in _doc['exports'].values() if 'versions' in e)} export lists, GPU {_gpu}, "
      f"{len(_doc['imported']['dists'])} packages imported by kaggle_environments")
