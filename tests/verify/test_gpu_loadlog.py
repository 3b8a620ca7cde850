"""llama.cpp's load log read back, from texts written with the pinned llama.cpp's own
format strings (factories/llamalog.py)."""

from __future__ import annotations

from pathlib import Path

from factories.llamalog import CUDA_FAILED, MISPLACED, c, cuda_init, oom, t4_load

from builder.verify.child.verify_protocol import LOAD_BEGIN, LOAD_END
from builder.verify.gpu.loadlog import LINE_LIMIT, parse, read_logs

MIB = 1 << 20


def test_a_full_offload_on_a_t4() -> None:
    log = parse((cuda_init() + t4_load()).splitlines())
    assert [(d.index, d.name, d.compute_capability, d.vram_mib) for d in log.devices] == [(0, "Tesla T4", "7.5", 14930)]
    assert log.using == ("CUDA0",)
    assert log.offloaded == (33, 33)
    assert log.layers == {"CUDA0": 33}
    assert log.buffers["model"] == {"CUDA0": round(7605.33 * MIB), "CPU_Mapped": round(532.31 * MIB)}
    assert log.on_device("model") == {"CUDA0": round(7605.33 * MIB)}
    assert log.on_device("KV") == {"CUDA0": 1024 * MIB}
    assert log.on_device("compute") == {"CUDA0": 560 * MIB} and "CUDA_Host" in log.on_host("compute")
    assert log.on_host("output") == {"CUDA_Host": round(0.49 * MIB)}
    assert (log.n_ctx, log.flash_attn, log.splits) == (8192, "disabled", 2)
    assert log.oom == () and log.errors == () and log.cuda_failed is None


def test_a_partial_offload_and_the_kv_cache_on_the_host() -> None:
    log = parse(t4_load(offloaded=20, kv_device="CPU").splitlines())
    assert log.offloaded == (20, 33)
    assert log.layers == {"CPU": 13, "CUDA0": 20}
    assert log.on_device("KV") == {} and log.on_host("KV") == {"CPU": 1024 * MIB}


def test_no_device_and_out_of_memory() -> None:
    none = parse([c(CUDA_FAILED, "ggml_cuda_init", "no CUDA-capable device is detected")])
    assert none.cuda_failed == "no CUDA-capable device is detected" and none.devices == ()
    log = parse((cuda_init() + oom()).splitlines())
    assert log.oom == (
        "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 7605.33 MiB on device 0: cudaMalloc failed: "
        "out of memory",
        f"alloc_tensor_range: failed to allocate CUDA0 buffer of size {int(7605.33 * MIB)}",
        "llama_model_load: error loading model: unable to allocate CUDA0 buffer",
    )
    misplaced = parse([c(MISPLACED, "resolve_fused_ops", 3, "CUDA0", "Flash Attention", "CPU")])
    assert misplaced.misplaced and "Flash Attention" in misplaced.misplaced[0]


def test_the_child_log_is_split_at_the_markers_and_bounded(tmp_path: Path) -> None:
    stderr = tmp_path / "import.stderr"
    stderr.write_text(cuda_init() + "\n" + LOAD_BEGIN + "\n" + t4_load() + "\n" + LOAD_END + "\n"
                      + "x" * (3 * LINE_LIMIT) + "\n")
    outside, load = read_logs(stderr)
    assert outside.devices and outside.offloaded is None  # found at import, before the load
    assert load.offloaded == (33, 33) and load.devices == ()
    # a child that died in the middle of the load: everything after the marker is the load's
    stderr.write_text(cuda_init() + LOAD_BEGIN + "\n" + oom())
    assert read_logs(stderr)[1].oom[0].endswith("cudaMalloc failed: out of memory")
    assert read_logs(tmp_path / "missing.stderr")[1].offloaded is None
