"""The CUDA device code of a shared object: the headers of its ``.nv_fatbin`` section.

nvcc puts one *fatbin container* per compiled translation unit into the host object's
``.nv_fatbin`` section; the linker concatenates them.  A container is a 16-byte header
(magic ``0xBA55ED50``, version, header size, size of what follows) and then entries, each
with its own header: the kind (1 = PTX, 2 = an ELF cubin, i.e. SASS), the architecture
(``75`` for sm_75 / compute_75), flags (``0x2000``: the payload is compressed) and the
payload's size.  Only headers are read: the reader seeks over every payload, so a 200 MB
``libggml-cuda.so`` costs a few hundred small reads.  Sizes come from untrusted files and
are bounded by the section.

Which code runs on a GPU of compute capability X.Y (:func:`kernel_problems`): SASS built
for sm_X.y with y <= Y (binary compatibility within a major version), or PTX for
compute_Z with Z <= XY, which the driver compiles just in time.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Literal

FATBIN_SECTION = ".nv_fatbin"
FATBIN_MAGIC = 0xBA55ED50
KIND_PTX = 1
KIND_ELF = 2
FLAG_COMPRESSED = 0x2000
_MAGIC_BYTES = struct.pack("<I", FATBIN_MAGIC)
_CONTAINER = struct.Struct("<IHHQ")  # magic, version, header size, size of the entries
_ENTRY = struct.Struct("<HHIQ")  # kind, ?, header size, payload size
_ENTRY_ARCH_AT = 28  # u32 architecture (75 = sm_75 / compute_75)
_ENTRY_FLAGS_AT = 40  # u64 flags
#: More entries than this in one section is not a file nvcc wrote.
MAX_ENTRIES = 1_000_000

Kind = Literal["sass", "ptx"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Kernel:
    """One entry of a fatbin container: SASS (a cubin) or PTX, for one architecture."""

    kind: Kind
    arch: int  # 75 = sm_75 (SASS) or compute_75 (PTX)
    compressed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Fatbin:
    """The device code of one shared object, container by container."""

    containers: tuple[tuple[Kernel, ...], ...]

    def count(self, kind: Kind, arch: int) -> int:
        return sum(1 for c in self.containers for k in c if k.kind == kind and k.arch == arch)

    def summary(self) -> str:
        """``144 containers: 144 sm_75 SASS, 144 compute_75 PTX``."""
        seen = sorted({(k.kind, k.arch) for c in self.containers for k in c}, key=lambda t: (t[0] != "sass", t[1]))
        parts = [f"{self.count(kind, arch)} {_arch_name(kind, arch)} {'SASS' if kind == 'sass' else 'PTX'}"
                 for kind, arch in seen]
        n = len(self.containers)
        return f"{n} fatbin container{'s' if n != 1 else ''}: {', '.join(parts) or 'no entries'}"


def _arch_name(kind: Kind, arch: int) -> str:
    return f"sm_{arch}" if kind == "sass" else f"compute_{arch}"


def read_fatbin(stream: IO[bytes], offset: int, size: int) -> Fatbin:
    """The container and entry headers of a ``.nv_fatbin`` section at ``offset`` (``size``
    bytes) of ``stream``; raise ValueError with the reason for anything malformed.
    Zero bytes between containers (alignment) are skipped."""
    containers: list[tuple[Kernel, ...]] = []
    pos = 0
    entries = 0
    while pos < size:
        stream.seek(offset + pos)
        head = stream.read(min(_CONTAINER.size, size - pos))
        if len(head) < _CONTAINER.size or head[:4] != _MAGIC_BYTES:
            if head[:8].strip(b"\0"):
                raise ValueError(f"no fatbin container at offset {pos} (bytes {head[:8].hex()})")
            pos += 8  # alignment padding
            continue
        _magic, _version, header_size, body = _CONTAINER.unpack(head)
        stop = pos + header_size + body
        if header_size < _CONTAINER.size or stop > size:
            raise ValueError(f"container at offset {pos} claims {header_size}+{body} bytes, past the section end")
        kernels: list[Kernel] = []
        at = pos + header_size
        while at < stop:
            entries += 1
            if entries > MAX_ENTRIES:
                raise ValueError(f"more than {MAX_ENTRIES} entries")
            kernel, length = _read_entry(stream, offset, at, stop)
            kernels.append(kernel)
            at += length
        containers.append(tuple(kernels))
        pos = stop
    return Fatbin(containers=tuple(containers))


def _read_entry(stream: IO[bytes], offset: int, at: int, stop: int) -> tuple[Kernel, int]:
    """The entry whose header is at ``at``, and its length (header + payload)."""
    stream.seek(offset + at)
    raw = stream.read(min(64, stop - at))
    if len(raw) < _ENTRY_FLAGS_AT + 8:
        raise ValueError(f"truncated entry header at offset {at}")
    kind, _x, header_size, payload = _ENTRY.unpack_from(raw)
    if header_size < _ENTRY_FLAGS_AT + 8 or at + header_size + payload > stop:
        raise ValueError(f"entry at offset {at} claims {header_size}+{payload} bytes, past its container")
    if kind not in (KIND_PTX, KIND_ELF):
        raise ValueError(f"entry at offset {at} has unknown kind {kind}")
    (arch,) = struct.unpack_from("<I", raw, _ENTRY_ARCH_AT)
    (flags,) = struct.unpack_from("<Q", raw, _ENTRY_FLAGS_AT)
    kernel = Kernel(kind="ptx" if kind == KIND_PTX else "sass", arch=arch, compressed=bool(flags & FLAG_COMPRESSED))
    return kernel, header_size + payload


def compute_capability(text: str) -> int | None:
    """``"7.5"`` -> 75; None when ``text`` is not ``MAJOR.MINOR``."""
    major, sep, minor = text.strip().partition(".")
    if not sep or not major.isdigit() or not minor.isdigit() or len(minor) != 1:
        return None
    return int(major) * 10 + int(minor)


def runs_on(kernel: Kernel, cc: int) -> bool:
    """Whether ``kernel`` can run on a GPU of compute capability ``cc`` (75 = 7.5)."""
    if kernel.kind == "sass":
        return kernel.arch // 10 == cc // 10 and kernel.arch % 10 <= cc % 10
    return kernel.arch <= cc


def _why_not(kernels: Iterable[Kernel], cc: int) -> str:
    ks = list(kernels)
    sass = sorted({k.arch for k in ks if k.kind == "sass"})
    ptx = sorted({k.arch for k in ks if k.kind == "ptx"})
    head = f"SASS for {', '.join(f'sm_{a}' for a in sass)}" if sass else "no SASS"
    tail = f"no PTX at or below compute_{cc}"
    if ptx:
        tail += f" (PTX for {', '.join(f'compute_{a}' for a in ptx)})"
    return f"{head}; {tail}"


def kernel_problems(path: str, fatbin: Fatbin, cc: int) -> list[str]:
    """Why the device code of ``path`` would find no kernel on a GPU of compute capability
    ``cc``: every container (one per translation unit) needs one entry that runs there."""
    bare = [c for c in fatbin.containers if c and not any(runs_on(k, cc) for k in c)]
    if not bare:
        return []
    if len(bare) == sum(1 for c in fatbin.containers if c):
        everything = [k for c in bare for k in c]
        return [f"{path}: no kernel for sm_{cc} ({_why_not(everything, cc)})"]
    n = sum(1 for c in fatbin.containers if c)
    return [f"{path}: {len(bare)} of {n} fatbin containers have no kernel for sm_{cc} "
            f"(the first: {_why_not(bare[0], cc)})"]
