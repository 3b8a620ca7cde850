"""``make gpu-check``'s parts that need no GPU: the synthetic model's writer (on a tiny shape
here: the Llama-3-8B one is 8.5 GB) and the check's refusal on a machine without a GPU."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from factories.paths import ROOT

from bench.synthetic import LLAMA3_8B, Shape, file_bytes, tensors, write_synthetic
from builder.model import read_gguf
from builder.model.fit import inspect_model
from builder.profile import Profile
from builder.util.hashing import sha256_file

TINY = Shape(name="tiny", n_vocab=600, n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=128, context=256)


def test_the_synthetic_model_has_the_shapes_and_q8_0(tmp_path: Path, profile: Profile) -> None:
    path = write_synthetic(tmp_path / "m.gguf", TINY)
    info = read_gguf(path)
    assert (info.architecture, info.file_type, info.context_length) == ("llama", "Q8_0", 256)
    assert [t.name for t in info.tensors] == [name for name, _ in tensors(TINY)]
    assert sum(t.nbytes for t in info.tensors) == file_bytes(TINY)
    assert {t.ggml_type for t in info.tensors if t.name.endswith("norm.weight")} == {0}  # F32
    assert {t.ggml_type for t in info.tensors if not t.name.endswith("norm.weight")} == {8}  # Q8_0
    assert info.has_chat_template
    again = write_synthetic(tmp_path / "again.gguf", TINY)
    assert sha256_file(again) == sha256_file(path)  # the same shape and seed: the same bytes
    report = inspect_model(info, profile, n_ctx=256, backend="cuda", n_gpu_layers=-1)
    assert report.shape.n_layers == 2 and report.shape.n_kv_heads == 2


def test_the_llama3_8b_shape_is_the_real_models_size() -> None:
    # Meta-Llama-3-8B-Instruct.Q8_0.gguf: 8.03 B parameters, 8.53 GB of weights
    assert sum(math.prod(shape) for _, shape in tensors(LLAMA3_8B)) == 8_030_261_248
    assert file_bytes(LLAMA3_8B) == 8_532_934_656


@pytest.mark.slow
def test_gpu_check_says_when_there_is_no_gpu() -> None:
    proc = subprocess.run([sys.executable, "-m", "bench.gpu", "--root", str(ROOT), "--no-synthetic"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    if "nothing to check here" not in proc.stderr:
        pytest.skip(f"this machine has a GPU: make gpu-check runs for real ({proc.returncode})")
    assert proc.returncode != 0 and proc.stdout == ""
    assert "ERROR gpu-check: not checked on a GPU: no NVIDIA driver" in proc.stderr, proc.stderr
