"""llama.cpp's load log, read back: what the pinned llama.cpp (llama-cpp-python 0.3.36's
vendor/llama.cpp) says when it finds devices, loads a model and makes a context.

The formats, from its source (``verbose=True`` prints every level, DEBUG included)::

    ggml-cuda.cu     ggml_cuda_init: found %d CUDA devices (Total VRAM: %zu MiB):
                       Device %d: %s, compute capability %d.%d, VMM: %s, VRAM: %zu MiB
                     ggml_cuda_init: failed to initialize CUDA: %s
                     ggml_backend_cuda_buffer_type_alloc_buffer: allocating %.2f MiB on device %d: cudaMalloc failed: %s
                     CUDA error: %s
    llama.cpp        llama_model_load_from_file_impl: using device %s (%s) (%s) - %zu MiB free
    llama-model.cpp  load_tensors: layer %3d assigned to device %s, is_swa = %d
                     load_tensors: offloaded %d/%d layers to GPU
                     load_tensors: %12s model buffer size = %8.2f MiB
                     unable to allocate %s buffer
    llama-kv-cache   llama_kv_cache: %10s KV buffer size = %8.2f MiB
    llama-context    llama_context: n_ctx                 = %u
                     llama_context: flash_attn            = %s
                     llama_context: %10s  output buffer size = %8.2f MiB
                     llama_context: %10s compute buffer size = %8.2f MiB
                     llama_context: graph: nodes = %s, splits = %s, ...
                     ...: layer %d is assigned to device %s but %s is assigned to device %s
                          (usually due to missing support)
    ggml-alloc.c     ...: failed to allocate %s buffer of size %zu

Buffer names are the backend's: ``CUDA0``, ``CUDA_Host``, ``CPU``, ``CPU_Mapped`` (the
mmap'd weights), ``CPU_REPACK``.  The log is read line by line, bounded (a line is cut at
:data:`LINE_LIMIT`, at most :data:`MAX_LINES` are read); only what matches is kept.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..child.verify_protocol import LOAD_BEGIN, LOAD_END

MIB = 1 << 20
LINE_LIMIT = 2000
MAX_LINES = 200_000
_KEPT = 20  # errors and warnings kept

_DEVICE = re.compile(r"^\s*Device (\d+): (.+?), compute capability (\d+)\.(\d+), VMM: (yes|no)(?:, VRAM: (\d+) MiB)?")
_FOUND = re.compile(r"ggml_cuda_init: found (\d+) CUDA devices")
_INIT_FAILED = re.compile(r"ggml_cuda_init: failed to initialize CUDA: (.*)")
_USING = re.compile(r"using device (\S+) \((.*?)\) \((.*?)\) - (\d+) MiB free")
_LAYER = re.compile(r"layer\s+(\d+) assigned to device (\S+?),")
_OFFLOADED = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")
_BUFFER = re.compile(r"(\S+)\s+(model|KV|output|compute) buffer size =\s*([\d.]+) MiB")
_N_CTX = re.compile(r"llama_context: n_ctx\s+= (\d+)")
_FLASH = re.compile(r"llama_context: flash_attn\s+= (\w+)")
_SPLITS = re.compile(r"llama_context: graph.*?: nodes = [\d /]+, splits = (\d+)")
_MISPLACED = re.compile(r"layer \d+ is assigned to device \S+ but .* \(usually due to missing support\)")
#: Allocation failures: the device ran out of memory (or llama.cpp could not allocate a buffer).
_OOM = re.compile(r"cudaMalloc failed: (.*)|unable to allocate (\S+) buffer|failed to allocate (\S+) buffer of size"
                  r"|CUDA error: out of memory|failed to allocate buffer for kv cache|out of memory", re.IGNORECASE)
_ERROR = re.compile(r"error|failed|abort", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    index: int
    name: str
    compute_capability: str  # "7.5"
    vram_mib: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadLog:
    """What the log says (empty values: it did not say)."""

    devices: tuple[Device, ...] = ()
    cuda_failed: str | None = None  # ggml_cuda_init's reason, when it found no device
    using: tuple[str, ...] = ()  # the devices llama.cpp loads the model on ("CUDA0")
    offloaded: tuple[int, int] | None = None  # (X, Y) of "offloaded X/Y layers to GPU"
    layers: Mapping[str, int] = field(default_factory=dict)  # device -> layers assigned to it
    #: kind ("model", "KV", "output", "compute") -> buffer name -> bytes (the last value printed)
    buffers: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    n_ctx: int | None = None
    flash_attn: str | None = None  # "enabled" / "disabled" / "auto"
    splits: int | None = None  # graph splits (the last graph reserved)
    misplaced: tuple[str, ...] = ()  # ops that run on another device than their layer
    oom: tuple[str, ...] = ()  # allocation failures
    errors: tuple[str, ...] = ()  # other lines saying error/failed (the last few)

    def on_device(self, kind: str) -> dict[str, int]:
        """Bytes of ``kind`` buffers on GPU devices (names that are not the CPU's or a host buffer)."""
        return {name: size for name, size in self.buffers.get(kind, {}).items() if is_device_buffer(name)}

    def on_host(self, kind: str) -> dict[str, int]:
        return {name: size for name, size in self.buffers.get(kind, {}).items() if not is_device_buffer(name)}


def is_device_buffer(name: str) -> bool:
    """``CUDA0`` is a device; ``CPU``, ``CPU_Mapped``, ``CPU_REPACK`` and ``CUDA_Host`` (pinned host memory) are not."""
    return not name.startswith("CPU") and not name.endswith("_Host")


def parse(lines: Iterable[str]) -> LoadLog:
    """The facts of a log (lines as llama.cpp wrote them)."""
    devices: dict[int, Device] = {}
    using: list[str] = []
    layers: dict[str, int] = {}
    buffers: dict[str, dict[str, int]] = {}
    oom: list[str] = []
    errors: deque[str] = deque(maxlen=_KEPT)  # the last ones
    misplaced: list[str] = []
    offloaded: tuple[int, int] | None = None
    cuda_failed = flash = None
    n_ctx = splits = None
    for raw in lines:
        line = raw.rstrip("\n")[:LINE_LIMIT]
        if m := _DEVICE.match(line):
            devices[int(m[1])] = Device(index=int(m[1]), name=m[2], compute_capability=f"{m[3]}.{m[4]}",
                                        vram_mib=int(m[6]) if m[6] else None)
        elif m := _INIT_FAILED.search(line):
            cuda_failed = m[1].strip()
        elif m := _USING.search(line):
            using.append(m[1])
        elif m := _LAYER.search(line):
            layers[m[2]] = layers.get(m[2], 0) + 1
        elif m := _OFFLOADED.search(line):
            offloaded = (int(m[1]), int(m[2]))
        elif m := _BUFFER.search(line):
            buffers.setdefault(m[2], {})[m[1]] = round(float(m[3]) * MIB)
        elif m := _N_CTX.search(line):
            n_ctx = int(m[1])
        elif m := _FLASH.search(line):
            flash = m[1]
        elif m := _SPLITS.search(line):
            splits = int(m[1])
        elif _MISPLACED.search(line):
            if len(misplaced) < _KEPT:
                misplaced.append(line.strip())
        elif _OOM.search(line):
            if len(oom) < _KEPT:
                oom.append(line.strip())
        elif _ERROR.search(line) and not _FOUND.search(line):
            errors.append(line.strip())
    return LoadLog(devices=tuple(devices[k] for k in sorted(devices)), cuda_failed=cuda_failed, using=tuple(using),
                   offloaded=offloaded, layers=layers, buffers=buffers, n_ctx=n_ctx, flash_attn=flash,
                   splits=splits, misplaced=tuple(misplaced), oom=tuple(oom), errors=tuple(errors))


def section(path: Path, *, load: bool) -> Iterator[str]:
    """The child's stderr, streamed and bounded: the lines of level 3's model load (between
    :data:`LOAD_BEGIN` and :data:`LOAD_END`, or the end of the file when the child died in
    the middle; ``load=True``) or the lines outside it."""
    inside = False
    try:
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh):
                if n >= MAX_LINES:
                    return
                line = raw[:LINE_LIMIT].decode("utf-8", "replace").rstrip("\n")
                if line.strip() in (LOAD_BEGIN, LOAD_END):
                    inside = line.strip() == LOAD_BEGIN
                elif inside == load:
                    yield line
    except OSError:
        return


def read_logs(path: Path) -> tuple[LoadLog, LoadLog]:
    """(what the child's stderr says outside the model load, what it says of the load)."""
    return parse(section(path, load=False)), parse(section(path, load=True))
