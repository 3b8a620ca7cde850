"""llama.cpp load logs for tests, written with the pinned llama.cpp's own format strings
(llama-cpp-python 0.3.36, vendor/llama.cpp: ggml-cuda.cu, llama.cpp, llama-model.cpp,
llama-kv-cache.cpp, llama-context.cpp, ggml-alloc.c), C ``printf`` formats turned into
Python's."""

from __future__ import annotations

import re

# ggml/src/ggml-cuda/ggml-cuda.cu
CUDA_FOUND = "%s: found %d CUDA devices (Total VRAM: %zu MiB):\n"
CUDA_DEVICE = "  Device %d: %s, compute capability %d.%d, VMM: %s, VRAM: %zu MiB\n"
CUDA_FAILED = "%s: failed to initialize CUDA: %s\n"
CUDA_MALLOC_FAILED = "%s: allocating %.2f MiB on device %d: cudaMalloc failed: %s\n"
# src/llama.cpp
USING_DEVICE = "%s: using device %s (%s) (%s) - %zu MiB free\n"
LOAD_ERROR = "%s: error loading model: %s\n"
# src/llama-model.cpp
LAYER = "%s: layer %3d assigned to device %s, is_swa = %d\n"
OFFLOADING_OUTPUT = "%s: offloading output layer to GPU\n"
OFFLOADING = "%s: offloading %d repeating layers to GPU\n"
OFFLOADED = "%s: offloaded %d/%d layers to GPU\n"
MODEL_BUFFER = "%s: %12s model buffer size = %8.2f MiB\n"
# src/llama-kv-cache.cpp
KV_BUFFER = "%s: %10s KV buffer size = %8.2f MiB\n"
KV_SIZE = "%s: size = %7.2f MiB (%6u cells, %3d layers, %2u/%u seqs), K (%s): %7.2f MiB, V (%s): %7.2f MiB\n"
# src/llama-context.cpp
N_CTX = "%s: n_ctx                 = %u\n"
FLASH_ATTN = "%s: flash_attn            = %s\n"
OUTPUT_BUFFER = "%s: %10s  output buffer size = %8.2f MiB\n"
COMPUTE_BUFFER = "%s: %10s compute buffer size = %8.2f MiB\n"
GRAPH = "%s: graph%s: nodes = %s, splits = %s, input objects = %s, input tensors = %s\n"
MISPLACED = "%s: layer %d is assigned to device %s but %s is assigned to device %s (usually due to missing support)\n"
# ggml/src/ggml-alloc.c
ALLOC_FAILED = "%s: failed to allocate %s buffer of size %zu\n"


def c(fmt: str, *args: object) -> str:
    """``fmt`` (a C printf format) applied to ``args``."""
    return re.sub(r"%(\d*)(?:zu|u)", r"%\1d", fmt) % args


def t4_load(*, layers: int = 32, offloaded: int | None = None, kv_device: str = "CUDA0", n_ctx: int = 8192,
            model_mib: float = 7605.33, kv_mib: float = 1024.0, compute_mib: float = 560.0) -> str:
    """The log of Llama 3 8B Q8_0 loaded on a T4 with ``n_gpu_layers = offloaded`` (all when None)."""
    n = layers + 1
    got = n if offloaded is None else offloaded
    first_gpu = n - got
    out = [c(USING_DEVICE, "llama_model_load_from_file_impl", "CUDA0", "Tesla T4", "0000:00:04.0", 14810)]
    out += [c(LAYER, "load_tensors", i, "CUDA0" if i >= first_gpu else "CPU", 0) for i in range(n)]
    if got:
        out.append(c(OFFLOADING_OUTPUT, "load_tensors"))
    out.append(c(OFFLOADING, "load_tensors", max(got - 1, 0)))
    out.append(c(OFFLOADED, "load_tensors", got, n))
    share = got / n
    if share:
        out.append(c(MODEL_BUFFER, "load_tensors", "CUDA0", model_mib * share))
    out.append(c(MODEL_BUFFER, "load_tensors", "CPU_Mapped", 532.31 + model_mib * (1 - share)))
    out += [c(N_CTX, "llama_context", n_ctx), c(FLASH_ATTN, "llama_context", "disabled"),
            c(OUTPUT_BUFFER, "llama_context", "CUDA_Host", 0.49),
            c(KV_BUFFER, "llama_kv_cache", kv_device, kv_mib),
            c(KV_SIZE, "llama_kv_cache", kv_mib, n_ctx, layers, 1, 1, "f16", kv_mib / 2, "f16", kv_mib / 2),
            c(COMPUTE_BUFFER, "llama_context", "CUDA0", compute_mib),
            c(COMPUTE_BUFFER, "llama_context", "CUDA_Host", 24.01),
            c(GRAPH, "llama_context", "", "1030", "2", "3", "4")]
    return "".join(out)


def cuda_init(name: str = "Tesla T4", cc: tuple[int, int] = (7, 5), vram_mib: int = 14930) -> str:
    return c(CUDA_FOUND, "ggml_cuda_init", 1, vram_mib) + c(CUDA_DEVICE, 0, name, cc[0], cc[1], "yes", vram_mib)


def oom(mib: float = 7605.33) -> str:
    return (c(CUDA_MALLOC_FAILED, "ggml_backend_cuda_buffer_type_alloc_buffer", mib, 0, "out of memory")
            + c(ALLOC_FAILED, "alloc_tensor_range", "CUDA0", int(mib * 2**20))
            + c(LOAD_ERROR, "llama_model_load", "unable to allocate CUDA0 buffer"))
