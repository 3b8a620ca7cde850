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
