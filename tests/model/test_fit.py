"""The model-fit report: the estimate against hand-computed figures (a tiny real GGUF, and
the dimensions of Llama 3 8B Q8_0), the verdicts, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories.gguf import write_tiny_gguf
from factories.paths import ROOT
from factories.projects import PROFILE

from builder.__main__ import main
from builder.errors import ModelError
from builder.model import read_gguf
from builder.model.fit import (
    GIB,
    OVERHEAD_BYTES,
    KVShape,
    estimate_fit,
    format_model_report,
    inspect_model,
    kv_cache_bytes,
    kv_shape,
)
from builder.profile import load_profile

T4 = 15 * GIB  # 16,106,127,360 bytes: the kaggle-2024 profile's GPU (nvidia-smi: 15,360 MiB)

# Llama 3 8B Q8_0: 8.03 B parameters at 34 bytes per block of 32 (Q8_0), 32 layers,
# 8 KV heads of 128 (GQA; 32 query heads), n_ctx 4096.
LLAMA3 = KVShape(n_layers=32, n_kv_heads=8, key_length=128, value_length=128)
LLAMA3_WEIGHTS = 8_030_000_000 * 34 // 32  # 8,531,875,000 bytes


def test_overhead_is_the_documented_one_gib() -> None:
    assert OVERHEAD_BYTES == 1_073_741_824


def test_llama3_8b_q8_0_kv_cache_by_hand() -> None:
    # 2 (K and V) x 32 layers x 4096 positions x 8 heads x 128 x 2 bytes (f16)
    assert kv_cache_bytes(LLAMA3, 4096) == 536_870_912  # 512 MiB
    assert kv_cache_bytes(LLAMA3, 8192) == 1_073_741_824


def test_llama3_8b_q8_0_fits_a_t4() -> None:
    fit = estimate_fit(weights_bytes=LLAMA3_WEIGHTS, layer_weights_bytes=7_000_000_000, shape=LLAMA3,
                       n_ctx=4096, gpu_bytes=T4)
    assert fit.kv_bytes == 536_870_912
    assert fit.total_bytes == 8_531_875_000 + 536_870_912 + 1_073_741_824 == 10_142_487_736  # 9.45 GiB
    assert (fit.verdict, fit.layers_on_gpu) == ("fits", 32)
    assert fit.summary == "fits: all 32 layers on the GPU"


def test_llama3_8b_q8_0_on_an_8_gib_gpu_offloads_31_layers() -> None:
    # room = 8 GiB - 1 GiB overhead = 7,516,192,768; per layer = (7.0e9 + 536,870,912) / 32 = 235,527,216
    # 7,516,192,768 / 235,527,216 = 31.9 -> 31 layers
    fit = estimate_fit(weights_bytes=LLAMA3_WEIGHTS, layer_weights_bytes=7_000_000_000, shape=LLAMA3,
                       n_ctx=4096, gpu_bytes=8 * GIB)
    assert (fit.verdict, fit.layers_on_gpu) == ("partial", 31)
    assert "fits with 31 of 32 layers offloaded" in fit.summary


def test_does_not_fit_and_no_gpu() -> None:
    tiny_gpu = estimate_fit(weights_bytes=LLAMA3_WEIGHTS, layer_weights_bytes=7_000_000_000, shape=LLAMA3,
                            n_ctx=4096, gpu_bytes=OVERHEAD_BYTES + 100_000_000)
    assert (tiny_gpu.verdict, tiny_gpu.layers_on_gpu) == ("does not fit", 0)
    cpu = estimate_fit(weights_bytes=1, layer_weights_bytes=1, shape=LLAMA3, n_ctx=4096, gpu_bytes=None)
    assert cpu.verdict == "no gpu"


# The tiny GGUF of tests/tiny_gguf.py: llama, n_embd 64, 2 layers, 4 heads, 2 KV heads
# (head_dim 16), n_ff 128, vocabulary 367 (5 control + 256 bytes + 95 chars + 11 words);
# matrices f16, norms f32.
TINY_VOCAB = 367
TINY_LAYER_BYTES = 256 + 8192 + 4096 + 4096 + 8192 + 256 + 3 * 16384  # norms, q, k, v, o, norm, ffn = 74,240
TINY_WEIGHTS = 2 * TINY_VOCAB * 64 * 2 + 2 * TINY_LAYER_BYTES + 256  # embd + output + layers + norm = 242,688
TINY_PARAMS = 2 * TINY_VOCAB * 64 + 2 * (64 + 4096 + 2048 + 2048 + 4096 + 64 + 3 * 8192) + 64  # 121,024


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    return write_tiny_gguf(tmp_path / "tiny.gguf")


def test_tiny_model_by_hand(tiny: Path) -> None:
    report = inspect_model(read_gguf(tiny), load_profile(PROFILE), n_ctx=4096)
    assert report.shape == KVShape(n_layers=2, n_kv_heads=2, key_length=16, value_length=16)
    assert report.info.n_parameters == TINY_PARAMS == 121_024
    assert report.fit.weights_bytes == TINY_WEIGHTS == 242_688
    assert report.fit.layer_weights_bytes == 2 * TINY_LAYER_BYTES
    assert report.fit.kv_bytes == 2 * 2 * 4096 * 2 * 16 * 2 == 1_048_576
    assert report.fit.total_bytes == 242_688 + 1_048_576 + 1_073_741_824
    assert report.fit.gpu_bytes == T4 and report.fit.verdict == "fits"
    assert report.notes == ()


def test_notes_for_long_context_and_no_template(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "plain.gguf", chat_template=None, context_length=2048)
    report = inspect_model(read_gguf(path), load_profile(PROFILE), n_ctx=4096)
    assert any("larger than the model's trained context 2048" in n for n in report.notes)
    assert any("no tokenizer.chat_template" in n for n in report.notes)


def test_missing_geometry_is_an_error(tmp_path: Path) -> None:
    import gguf
    import numpy as np

    path = tmp_path / "nogeo.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_tensor("x", np.zeros((4, 32), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with pytest.raises(ModelError, match=r"nogeo.gguf: metadata has no 'llama.block_count'"):
        inspect_model(read_gguf(path), load_profile(PROFILE), n_ctx=4096)


def _per_layer_gguf(path: Path, kv_heads: list[int], heads: list[int], n_layers: int | None = None) -> Path:
    """An OpenELM-like header: head counts given per layer, as arrays."""
    import gguf
    import numpy as np

    w = gguf.GGUFWriter(str(path), "openelm")
    w.add_block_count(len(heads) if n_layers is None else n_layers)
    w.add_embedding_length(64)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_key_length(16)
    w.add_value_length(16)
    w.add_tensor("blk.0.attn_q.weight", np.zeros((4, 32), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_kv_heads_per_layer(tmp_path: Path) -> None:
    """Per-layer KV head counts are summed layer by layer (they were once read as the
    array's length: 3 heads for every layer here, whatever the values)."""
    path = _per_layer_gguf(tmp_path / "elm.gguf", kv_heads=[1, 2, 5], heads=[4, 4, 8])
    report = inspect_model(read_gguf(path), load_profile(PROFILE), n_ctx=1000)
    assert report.shape == KVShape(
        n_layers=3, n_kv_heads=5, key_length=16, value_length=16, kv_heads_per_layer=(1, 2, 5)
    )
    assert report.fit.kv_bytes == 1000 * (1 + 2 + 5) * (16 + 16) * 2 == 512_000
    assert "1-5 by layer (8 in all)" in format_model_report(report)
    bad = _per_layer_gguf(tmp_path / "bad.gguf", kv_heads=[1, 2], heads=[4, 4, 4])
    with pytest.raises(ModelError, match=r"bad.gguf: 'openelm.attention.head_count_kv' has 2 per-layer values for 3"):
        kv_shape(read_gguf(bad))


def test_cli_inspect(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "inspect", str(tiny), "--n-ctx", "4096", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    est = doc["estimate"]
    assert (doc["parameters"], doc["architecture"], doc["quantization"]) == (121_024, "llama", "F16")
    assert (est["weights_bytes"], est["kv_cache_bytes"], est["verdict"], est["gpu"]) == (
        242_688, 1_048_576, "fits", "Tesla T4")
    assert main(["--root", str(ROOT), "inspect", str(tiny), "--n-ctx", "8192"]) == 0
    text = capsys.readouterr().out
    assert "KV cache (f16)" in text and "0.00 GiB" in text and "verdict" in text and "fits: all 2 layers" in text
    assert "larger than the model's trained context 4096" in text


def test_cli_inspect_n_ctx_from_recipe(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text(f'model = "{tiny.name}"\n[agent]\nn_ctx = 1024\n')
    assert main(["--root", str(ROOT), "inspect", "--recipe", str(recipe), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["estimate"]["n_ctx"] == 1024 and doc["estimate"]["kv_cache_bytes"] == 1_048_576 // 4
