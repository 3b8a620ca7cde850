"""Tiny native libraries built in a test with gcc: libraries with version nodes (a fake
``libcudart.so.12`` to link against), libraries that import from them, CUDA-like device
code (a hand-made ``.nv_fatbin`` section, no CUDA toolkit needed), Debian packages."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pytest

from builder.verify.child.verify_protocol import MachineResult

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is needed to build test shared objects")

#: (kind, arch, flags) of one fatbin entry: kind 1 = PTX, 2 = ELF (SASS); flags 0x2000 = compressed
Entry = tuple[int, int, int]


def fatbin_blob(containers: Sequence[Sequence[Entry]], *, payload: int = 24) -> bytes:
    """The bytes of a ``.nv_fatbin`` section: one container per item, each with its entries
    (headers laid out as nvcc writes them, a ``payload``-byte dummy payload each)."""
    out = bytearray()
    for entries in containers:
        body = bytearray()
        for kind, arch, flags in entries:
            header_size = 72
            head = struct.pack("<HHIQIIHHIIIQ", kind, 0x101, header_size, payload, 0, 0, 1, 7, arch, 0, 0, flags)
            body += head + bytes(header_size - len(head)) + bytes(payload)
        out += struct.pack("<IHHQ", 0xBA55ED50, 1, 16, len(body)) + body
    return bytes(out)


def c_bytes(name: str, data: bytes, section: str) -> str:
    """A C definition placing ``data`` in ``section`` (how nvcc's host code holds a fatbin)."""
    values = ",".join(str(b) for b in data) or "0"
    return (f'__attribute__((section("{section}"), used, aligned(8))) '
            f"const unsigned char {name}[] = {{{values}}};\n")


def build_lib(
    tmp: Path,
    name: str,
    source: str,
    *,
    soname: str | None = None,
    version_script: str | None = None,
    link: Iterable[str] = (),
    args: Iterable[str] = (),
) -> Path:
    """``tmp/name``, a shared object compiled from ``source`` (C) with gcc."""
    src = tmp / f"{name}.c"
    src.write_text(source, encoding="utf-8")
    out = tmp / name
    argv = ["gcc", "-shared", "-fPIC", "-o", str(out), str(src)]
    if soname:
        argv.append(f"-Wl,-soname,{soname}")
    if version_script is not None:
        vs = tmp / f"{name}.map"
        vs.write_text(version_script, encoding="utf-8")
        argv.append(f"-Wl,--version-script={vs}")
    argv += [*args, *link]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return out


def fake_provided(tmp: Path, soname: str, functions: Iterable[str], *, node: str | None = None) -> Path:
    """A stand-in for a provided library, to link against: ``functions`` (returning 0), in
    version node ``node`` (None: unversioned), SONAME ``soname``; in ``tmp/<soname>/`` with
    a ``lib<x>.so`` link for ``-l``."""
    folder = tmp / soname
    folder.mkdir(parents=True, exist_ok=True)
    names = list(functions)
    src = "".join(f"int {f}(void) {{ return 0; }}\n" for f in names)
    script = f"{node} {{ global: {' '.join(n + ';' for n in names)} }};\n" if node else None
    lib = build_lib(folder, soname, src, soname=soname, version_script=script)
    stem = soname.split(".so")[0]
    (folder / f"{stem}.so").symlink_to(soname)
    return lib


def user_of(tmp: Path, name: str, calls: Mapping[str, Path], *, extra: str = "", args: Iterable[str] = ()) -> Path:
    """A library calling each function of ``calls`` (function -> the library that defines
    it, linked with ``-L`` / ``-l``)."""
    decls = "".join(f"int {f}(void);\n" for f in calls)
    body = "int use_all(void) { return 0" + "".join(f" + {f}()" for f in calls) + "; }\n"
    link: list[str] = []
    for lib in dict.fromkeys(calls.values()):
        link += ["-L", str(lib.parent), f"-l:{lib.name}"]
    return build_lib(tmp, name, decls + body + extra, link=link, args=args)


def deb(path: Path, members: Mapping[str, bytes | str]) -> Path:
    """A tiny .deb: ar(debian-binary, control.tar.xz, data.tar.xz); str values are symlinks."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:xz") as tf:
        for name, body in members.items():
            info = tarfile.TarInfo("./" + name)
            if isinstance(body, str):
                info.type, info.linkname = tarfile.SYMTYPE, body
                tf.addfile(info)
            else:
                info.size, info.mode = len(body), 0o644
                tf.addfile(info, io.BytesIO(body))
    parts = [("debian-binary", b"2.0\n"), ("control.tar.xz", b""), ("data.tar.xz", data.getvalue())]
    out = bytearray(b"!<arch>\n")
    for name, blob in parts:
        out += f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(blob):<10}`\n".encode()
        out += blob + (b"\n" if len(blob) % 2 else b"")
    path.write_bytes(bytes(out))
    return path


def machine(
    libraries: Sequence[str],
    *,
    found: Mapping[str, str] | None = None,
    devices: Sequence[tuple[str, str, int]] = (),
    driver: str = "",
    driver_version: str = "",
) -> MachineResult:
    """What verify's machine probe reports (:class:`MachineResult`): ``found`` maps the
    SONAMEs the loader finds to their files (the others are missing); ``devices`` are
    (name, compute capability, memory bytes).  No devices: no GPU, as on this machine."""
    found = found or {}
    return {
        "libraries": [{"soname": s, "path": found.get(s, ""), "error": "" if s in found else f"{s}: not found"}
                      for s in libraries],
        "driver": driver, "driver_version": driver_version,
        "devices": [{"index": i, "name": n, "compute_capability": cc, "memory": mem,
                     "pci_bus_id": f"00000000:{i + 1:02X}:00.0"} for i, (n, cc, mem) in enumerate(devices)],
        "error": "" if devices else "no NVIDIA driver: libcuda.so.1 is not on this machine",
    }


# ------------------------------------------------------------- a fake NVIDIA machine

#: A stand-in for the NVIDIA driver's ``libcuda.so.1``: the functions verify's machine probe
#: calls, answering with one device (``DEVICE``, ``CC_MAJOR``.``CC_MINOR``, ``MEMORY`` bytes).
FAKE_DRIVER = r"""
#include <string.h>
#include <stddef.h>
int cuInit(unsigned flags) { (void)flags; return 0; }
int cuDriverGetVersion(int *v) { *v = 12040; return 0; }
int cuDeviceGetCount(int *n) { *n = 1; return 0; }
int cuDeviceGet(int *d, int i) { *d = i; return 0; }
int cuDeviceGetAttribute(int *v, int a, int d) { (void)d; *v = a == 75 ? CC_MAJOR : a == 76 ? CC_MINOR : 0; return 0; }
int cuDeviceTotalMem_v2(size_t *b, int d) { (void)d; *b = (size_t)MEMORY; return 0; }
int cuDeviceGetName(char *s, int n, int d) { (void)d; strncpy(s, DEVICE, n); return 0; }
int cuDeviceGetPCIBusId(char *s, int n, int d) { (void)d; strncpy(s, "00000000:01:00.0", n); return 0; }
int cuGetErrorName(int e, const char **s) { (void)e; *s = "CUDA_ERROR_FAKE"; return 0; }
"""

#: A stand-in for ``libcudart.so.12`` (version node libcudart.so.12): one device of ``MEMORY``
#: bytes of which ``cudaMalloc`` uses what it is asked (and 300 MiB for the context).
FAKE_CUDART = r"""
#include <string.h>
#include <stddef.h>
static size_t used = (size_t)300 << 20;
int cudaGetDeviceCount(int *n) { *n = 1; return 0; }
int cudaGetDevice(int *d) { *d = 0; return 0; }
int cudaSetDevice(int d) { (void)d; return 0; }
int cudaMemGetInfo(size_t *f, size_t *t) { *t = (size_t)MEMORY; *f = (size_t)MEMORY - used; return 0; }
int cudaDeviceGetPCIBusId(char *s, int n, int d) { (void)d; strncpy(s, "00000000:01:00.0", n); return 0; }
int cudaMalloc(void **p, size_t n) { used += n; if (p) *p = 0; return 0; }
int cudaRuntimeGetVersion(int *v) { *v = 12010; return 0; }
"""
CUDART_FUNCTIONS = ("cudaGetDeviceCount", "cudaGetDevice", "cudaSetDevice", "cudaMemGetInfo",
                    "cudaDeviceGetPCIBusId", "cudaMalloc", "cudaRuntimeGetVersion")


def _defines(device: str, cc: str, memory: int) -> list[str]:
    major, minor = cc.split(".")
    return [f'-DDEVICE="{device}"', f"-DCC_MAJOR={major}", f"-DCC_MINOR={minor}", f"-DMEMORY={memory}ULL"]


def fake_driver(folder: Path, *, device: str = "Tesla T4", cc: str = "7.5", memory: int = 15 << 30) -> Path:
    """``folder/libcuda.so.1``: a fake NVIDIA driver with one GPU (for LD_LIBRARY_PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    return build_lib(folder, "libcuda.so.1", FAKE_DRIVER, soname="libcuda.so.1", args=_defines(device, cc, memory))


def fake_cudart(folder: Path, *, name: str = "libcudart.so.12", memory: int = 15 << 30) -> Path:
    """``folder/name``: a fake ``libcudart.so.12`` (its SONAME and version node) whose device
    memory ``cudaMalloc`` fills; ``name`` may carry a version (``libcudart.so.12.1.105``)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = "libcudart.so.12 { global: " + " ".join(f + ";" for f in CUDART_FUNCTIONS) + " };\n"
    return build_lib(folder, name, FAKE_CUDART, soname="libcudart.so.12", version_script=script,
                     args=_defines("x", "7.5", memory))

#: A stand-in for the driver's NVML (``libnvidia-ml.so.1``): its version, and 123 MiB in use on
#: the device at PCI bus 00000000:01:00.0 before anything of ours.
FAKE_NVML = r"""
#include <string.h>
typedef struct { unsigned long long total, free, used; } nvml_memory;
int nvmlInit_v2(void) { return 0; }
int nvmlSystemGetDriverVersion(char *s, unsigned n) { strncpy(s, "550.54.15", n); return 0; }
int nvmlDeviceGetHandleByPciBusId_v2(const char *bus, void **h) {
    *h = (void *)1; return strcmp(bus, "00000000:01:00.0") == 0 ? 0 : 1; }
int nvmlDeviceGetMemoryInfo(void *h, nvml_memory *m) {
    (void)h; m->total = MEMORY; m->used = (unsigned long long)123 << 20; m->free = MEMORY - m->used; return 0; }
"""


def fake_nvml(folder: Path, *, memory: int = 15 << 30) -> Path:
    """``folder/libnvidia-ml.so.1``: a fake NVML (for LD_LIBRARY_PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    return build_lib(folder, "libnvidia-ml.so.1", FAKE_NVML, soname="libnvidia-ml.so.1",
                     args=_defines("x", "7.5", memory))
