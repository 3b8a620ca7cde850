from __future__ import annotations

import struct
from pathlib import Path

import pytest
from factories.gguf import write_tiny_gguf

from builder.errors import ModelError, ModelProblems
from builder.model import read_gguf


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("m") / "tiny.gguf")


def test_reads_header(tiny: Path) -> None:
    info = read_gguf(tiny)
    assert info.version == 3
    assert info.architecture == "llama"
    assert info.has_chat_template and "<|im_start|>" in (info.chat_template or "")
    assert info.context_length == 4096
    assert info.n_tensors > 0 and info.n_parameters > 0
    assert info.data_end == info.size  # the tensor data ends exactly at the end of the file
    assert info.data_offset % info.alignment == 0


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"missing\.gguf: model file not found"):
        read_gguf(tmp_path / "missing.gguf")


def test_not_gguf(tmp_path: Path) -> None:
    bad = tmp_path / "weights.bin"
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(ModelProblems, match=r"weights\.bin: not a GGUF file \(magic"):
        read_gguf(bad)


def test_truncated_data(tiny: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    data = tiny.read_bytes()
    cut.write_bytes(data[: len(data) - 1000])
    with pytest.raises(ModelProblems, match=r"cut\.gguf: file is truncated: .* \(1000 bytes missing\)"):
        read_gguf(cut)


def test_truncated_header(tiny: Path, tmp_path: Path) -> None:
    cut = tmp_path / "head.gguf"
    cut.write_bytes(tiny.read_bytes()[:200])
    with pytest.raises(ModelProblems, match=r"head\.gguf: header truncated at byte"):
        read_gguf(cut)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (slice(4, 8), struct.pack("<I", 9), "unsupported GGUF version 9"),
        (slice(8, 16), struct.pack("<Q", 1 << 40), "implausible tensor count"),
        (slice(8, 16), struct.pack("<Q", 0), "implausible tensor count 0"),
        (slice(16, 24), struct.pack("<Q", 1 << 40), "implausible key/value count"),
    ],
    ids=["version", "tensor-count", "no-tensors", "kv-count"],
)
def test_bad_header_field(tiny: Path, tmp_path: Path, where: slice, value: bytes, message: str) -> None:
    bad = tmp_path / "bad.gguf"
    data = bytearray(tiny.read_bytes())
    data[where] = value
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelProblems, match=message):
        read_gguf(bad)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="is a directory"):
        read_gguf(tmp_path)


def test_reads_only_the_header(tiny: Path, tmp_path: Path) -> None:
    """A sparse file claiming GBs of tensor data is checked from its header alone."""
    big = tmp_path / "big.gguf"
    data = tiny.read_bytes()
    with big.open("wb") as fh:
        fh.write(data)
        fh.truncate(8 << 30)  # 8 GiB, sparse: reading it all would take minutes
    info = read_gguf(big)
    assert info.size == 8 << 30
