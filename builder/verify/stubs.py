"""Stub libraries: verify levels 3-4 of a CUDA build on a machine without the target's
GPU libraries (no NVIDIA driver, no CUDA runtime).

A stub stands for one provided library the machine cannot load: the same SONAME, the
same version nodes and exactly the symbols of the library's export list **in the
profile** (:mod:`builder.profile.exports`, read from the target's own packages), never
the symbols the archive happens to import (that would prove nothing).  Functions return
an error code (no device); the few that must answer differently have real bodies
(:data:`SPECIAL`: version queries, error strings, ``cuInit`` and ``cudaGetDeviceCount``
report no device, ``__cudaRegisterFatBinary`` returns a handle).  Data symbols are data
of their size.  Each stub is compiled with the host C compiler (``$CC``, else ``cc`` or
``gcc``; ``-nostdlib``: it needs no library itself), read back, and refused unless it
exports exactly its list; the set is cached by the lists' hash.

So when the child loads the archive's CUDA libraries against these stubs, every symbol
and version they import from the stubbed libraries exists in the target's libraries;
ggml then finds no CUDA device and llama.cpp runs on the CPU backend.  That the kernels
run on the GPU is *not* proven.  A library the machine has is never stubbed
(:func:`builder.verify.runtime.missing_gpu_libraries`, and the child checks again).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuilderError
from ..native.elf import read_exports
from ..profile import Profile
from ..profile.exports import ExportData, LibraryExports
from ..util.fs import build_folder_once
from .child.verify_protocol import NativeStub

Log = Callable[[str], None]

#: Bump when the generated C changes: part of the cache key.
GENERATOR = 1
#: Symbols the linker adds to every shared object (not in an export list).
LINKER_SYMBOLS = frozenset({"_init", "_fini", "_edata", "_end", "__bss_start"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class StubError(BuilderError):
    """Stub libraries could not be made on this machine (no C compiler, a compile error)."""


#: name -> (return type, parameters, body); emitted only when the name is in the list.
SPECIAL: dict[str, tuple[str, str, str]] = {
    "cuInit": ("int", "unsigned flags", "(void)flags; return 100; /* CUDA_ERROR_NO_DEVICE */"),
    "cuDriverGetVersion": ("int", "int *v", "if (v) *v = DRIVER_VERSION; return 0;"),
    "cuDeviceGetCount": ("int", "int *n", "if (n) *n = 0; return 100;"),
    "cuGetErrorString": ("int", "int e, const char **s",
                         '(void)e; if (s) *s = "no CUDA-capable device is detected (stub)"; return 0;'),
    "cuGetErrorName": ("int", "int e, const char **s", '(void)e; if (s) *s = "CUDA_ERROR_NO_DEVICE"; return 0;'),
    "cudaGetDeviceCount": ("int", "int *n", "if (n) *n = 0; return 100; /* cudaErrorNoDevice */"),
    "cudaRuntimeGetVersion": ("int", "int *v", "if (v) *v = RUNTIME_VERSION; return 0;"),
    "cudaDriverGetVersion": ("int", "int *v", "if (v) *v = 0; return 0;"),
    "cudaGetErrorString": ("const char *", "int e", '(void)e; return "no CUDA-capable device is detected (stub)";'),
    "cudaGetErrorName": ("const char *", "int e", '(void)e; return "cudaErrorNoDevice";'),
    "__cudaRegisterFatBinary": ("void **", "void *f", "(void)f; return fatbin_handle;"),
    "cublasGetStatusString": ("const char *", "int s", '(void)s; return "CUBLAS_STATUS_NOT_INITIALIZED (stub)";'),
    "cublasGetStatusName": ("const char *", "int s", '(void)s; return "CUBLAS_STATUS_NOT_INITIALIZED";'),
    "cublasLtGetStatusString": ("const char *", "int s",
                                '(void)s; return "CUBLAS_STATUS_NOT_INITIALIZED (stub)";'),
    "cublasLtGetStatusName": ("const char *", "int s", '(void)s; return "CUBLAS_STATUS_NOT_INITIALIZED";'),
}


def error_code(soname: str) -> int:
    """What every other function of the stub returns: "no device" / "not initialized"."""
    if soname.startswith(("libcuda.", "libcudart.")):
        return 100  # CUDA_ERROR_NO_DEVICE / cudaErrorNoDevice
    return 1  # CUBLAS_STATUS_NOT_INITIALIZED, and "an error" for anything else


def _runtime_version(lib: LibraryExports) -> int:
    """cudart's own version (12.1.105 -> 12010), from the package it was read from."""
    m = re.search(r"==(\d+)\.(\d+)", lib.package.ref)
    return int(m.group(1)) * 1000 + int(m.group(2)) * 10 if m else 12000


def stub_source(lib: LibraryExports) -> tuple[str, str | None]:
    """The C source of ``lib``'s stub and its linker version script (None: unversioned)."""
    where: dict[str, str] = {}
    for node, names in lib.versions.items():
        for name in names:
            if name in where:
                raise StubError(f"{lib.soname}: {name} is in two version nodes ({where[name]!r}, {node!r}): "
                                "a stub cannot stand for it")
            where[name] = node
    lines = [
        f"/* Stub of {lib.soname}, generated by gguf-submission-builder from the export list of",
        f"   {lib.package.ref} ({lib.package.member or 'captured'}): same SONAME, version nodes and symbols. */",
        "#define DRIVER_VERSION 12040",
        f"#define RUNTIME_VERSION {_runtime_version(lib)}",
        "static void *fatbin_handle[4];",
    ]
    err = error_code(lib.soname)
    for i, name in enumerate(sorted(where)):
        label = json.dumps(name)  # a C string literal for the asm label (names need not be C identifiers)
        if name in lib.tls:
            lines.append(f"__thread char t{i}[{max(lib.tls[name], 1)}] __asm__({label});")
        elif name in lib.data:
            lines.append(f"char d{i}[{max(lib.data[name], 1)}] __asm__({label});")
        elif name in SPECIAL:
            ret, params, body = SPECIAL[name]
            lines.append(f"{ret} f{i}({params}) __asm__({label});\n{ret} f{i}({params}) {{ {body} }}")
        else:
            lines.append(f"int f{i}(void) __asm__({label});\nint f{i}(void) {{ return {err}; }}")
    nodes = sorted(n for n in lib.versions if n)
    if not nodes:
        return "\n".join(lines) + "\n", None
    script = "".join(
        f"{node} {{\n  global:\n" + "".join(f"    {_script_name(n)};\n" for n in sorted(lib.versions[node])) + "};\n"
        for node in nodes
    )
    return "\n".join(lines) + "\n", script


def _script_name(name: str) -> str:
    return name if _IDENT.match(name) else json.dumps(name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stub:
    soname: str
    path: Path
    #: what its export list was read from, in words ("libcuda1 550.163.01-2, best known")
    package: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NativePlan:
    """What levels 3-4 load for the GPU-only libraries the archive needs."""

    profile: str
    needed: tuple[str, ...]  # GPU-only libraries the archive's ELF files NEED
    stubs: tuple[Stub, ...]  # stand-ins for those this machine lacks (never for one it has)

    def request(self) -> list[NativeStub]:
        """The child's ``stubs`` request field: every needed library, with its stub's path
        ("" for one the machine has)."""
        return [{"soname": n, "path": str(s.path) if (s := self.stub(n)) else ""} for n in self.needed]

    def stub(self, soname: str) -> Stub | None:
        return next((s for s in self.stubs if s.soname == soname), None)


def find_cc(cc: str | None = None) -> str:
    """The host C compiler: ``cc``, else ``$CC``, else ``cc`` or ``gcc`` on PATH."""
    for candidate in (cc, os.environ.get("CC"), "cc", "gcc"):
        if candidate and shutil.which(candidate):
            return str(shutil.which(candidate))
    raise StubError("verify needs a C compiler to build stub libraries of the target's GPU libraries "
                    "(this machine lacks them): none found (set CC, or install gcc)")


def _compiler_id(cc: str) -> str:
    proc = subprocess.run([cc, "--version"], capture_output=True, text=True, check=False)
    return (proc.stdout.splitlines() or ["?"])[0]


def _compile(lib: LibraryExports, cc: str, folder: Path) -> Path:

    source, script = stub_source(lib)
    src = folder / f"{lib.soname}.c"
    src.write_text(source, encoding="utf-8")
    out = folder / lib.soname
    argv = [cc, "-shared", "-fPIC", "-O1", "-w", "-nostdlib", f"-Wl,-soname,{lib.soname}"]
    if script is not None:
        (folder / f"{lib.soname}.map").write_text(script, encoding="utf-8")
        argv.append(f"-Wl,--version-script={folder / (lib.soname + '.map')}")
    argv += ["-o", str(out), str(src)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise StubError(f"{src}: compiling the stub of {lib.soname} with {cc} failed: {proc.stderr.strip()[-600:]}")
    with open(out, "rb") as fh:
        got = read_exports(fh)
    versions = {node: names - LINKER_SYMBOLS if node == "" else names for node, names in got.versions.items()}
    versions = {node: names for node, names in versions.items() if names}
    if got.soname != lib.soname or versions != dict(lib.versions) or dict(got.data) != dict(lib.data):
        raise StubError(f"{out}: the stub does not export exactly the list of {lib.soname} (compiler {cc})")
    return out


def build_stubs(
    profile: Profile,
    exports: ExportData,
    sonames: Sequence[str],
    *,
    cache: Path,
    cc: str | None = None,
    log: Log | None = None,
) -> tuple[Stub, ...]:
    """Stubs of ``sonames`` (in that order) from ``exports``, built once per export
    lists, generator and compiler (``cache/verify-stubs/<key>``)."""
    libs = []
    for soname in sonames:
        lib = exports.get(soname)
        if lib is None:
            raise StubError(f"profile '{profile.name}' has no export list for {soname}: cannot stub it")
        libs.append(lib)
    compiler = find_cc(cc)
    key = hashlib.sha256(json.dumps({
        "generator": GENERATOR, "exports": exports.digest(sonames), "sonames": list(sonames),
        "cc": [compiler, _compiler_id(compiler)],
    }, sort_keys=True).encode()).hexdigest()[:20]

    def make(tmp: Path) -> None:
        if log:
            log(f"verify: building stubs of {', '.join(sonames)} from profile '{profile.name}' export lists")
        for lib in libs:
            _compile(lib, compiler, tmp)

    folder = build_folder_once(cache / "verify-stubs" / key, make)
    out = []
    for soname in sonames:
        native = profile.native(soname)
        out.append(Stub(soname=soname, path=folder / soname, package=native.label if native else soname))
    return tuple(out)
