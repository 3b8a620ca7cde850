"""Sizes written in a GGUF header are bounded before anything is allocated or printed."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from factories.gguf import raw_gguf
from factories.memory import PEAK_KIB

from builder.errors import ModelError, ModelProblems
from builder.model import read_gguf
from builder.model.fit import inspect_model
from builder.model.gguf import ArrayValue, LongString
from builder.profile import Profile

ARCH = ("general.architecture", 8, struct.pack("<Q", 5) + b"llama")


def _peak_mib(argv: list[str]) -> tuple[int, str, float]:
    """Run the CLI in a child; its exit code, stderr, and peak RSS in MiB."""
    code = (
        "import sys\nfrom builder.__main__ import main\n"
        "rc = main(sys.argv[1:])\n"
        "print('PEAK', " + PEAK_KIB + ", file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    peak = next(int(ln.split()[1]) for ln in proc.stderr.splitlines() if ln.startswith("PEAK"))
    err = "\n".join(ln for ln in proc.stderr.splitlines() if not ln.startswith(("PEAK", "* ")))
    return proc.returncode, err, peak / 1024


def test_a_64_mib_tensor_name_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A header claiming a 64 MiB tensor name cost `inspect`/`build` 2-3.6 GB and printed a
    268 MB error line; now it is one short line, and memory stays small."""
    name = b"n" * (64 << 20)
    model = raw_gguf(tmp_path / "long.gguf", kv=[ARCH], tensors=[(name, (32,), 0)])
    rc, err, peak = _peak_mib(["inspect", str(model), "--json"])
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 300, lines[0][:400]
    assert "long.gguf" in lines[0] and "tensor name of 67108864 bytes" in lines[0] and "at most 63" in lines[0]
    assert peak < 300, peak


@pytest.mark.parametrize(
    ("kv", "message"),
    [
        ([(("k" * 5000), 4, struct.pack("<I", 1)), ARCH], "metadata key of 5000 bytes"),
        ([("x", 8, struct.pack("<Q", 1 << 40)), ARCH], "string of 1099511627776 bytes"),
        ([("x", 9, struct.pack("<IQ", 8, 1 << 30)), ARCH], "array of 1073741824 items"),
    ],
    ids=["key", "string", "array"],
)
def test_huge_sizes_in_the_header_are_one_problem(tmp_path: Path, kv: list[tuple[str, int, bytes]],
                                                  message: str) -> None:
    with pytest.raises(ModelProblems, match=message):
        read_gguf(raw_gguf(tmp_path / "m.gguf", kv=kv))


def _string(raw: bytes) -> bytes:
    return struct.pack("<Q", len(raw)) + raw


def test_a_long_string_value_is_skipped_not_kept(tmp_path: Path) -> None:
    big = b"x" * (2 << 20)  # over the 1 MiB kept, under the 16 MiB accepted
    model = raw_gguf(tmp_path / "m.gguf", kv=[ARCH, ("general.description", 8, _string(big))])
    info = read_gguf(model)
    assert info.metadata["general.description"] == LongString(len(big)) and info.architecture == "llama"


def test_a_chat_template_accepted_but_not_kept_is_a_chat_template(tmp_path: Path) -> None:
    """A 2 MiB template (over the 1 MiB kept, under the 16 MiB accepted) was refused as
    "'tokenizer.chat_template' is not a string": it is one, of 2 MiB."""
    big = b"{{ messages }}" * (150_000)
    model = raw_gguf(tmp_path / "m.gguf", kv=[ARCH, ("tokenizer.chat_template", 8, _string(big))])
    info = read_gguf(model)
    assert info.has_chat_template and info.chat_template_size == len(big) and info.chat_template is None
    kept = read_gguf(raw_gguf(tmp_path / "k.gguf", kv=[ARCH, ("tokenizer.chat_template", 8, _string(b"{{ x }}"))]))
    assert kept.chat_template == "{{ x }}" and kept.chat_template_size == 7


@pytest.mark.parametrize(
    ("key", "vtype", "value", "message"),
    [
        ("tokenizer.chat_template", 9, struct.pack("<IQ", 4, 3) + bytes(12), "is an array of 3 uint32, not a string"),
        ("tokenizer.chat_template", 4, struct.pack("<I", 7), "is a number, not a string"),
        ("general.architecture", 8, _string(b"l" * (2 << 20)), "is a string of 2,097,152 bytes, not an architecture"),
        ("general.architecture", 9, struct.pack("<IQ", 8, 1) + _string(b"llama"), "is an array of 1 string, not an"),
    ],
    ids=["template-array", "template-number", "arch-long", "arch-array"],
)
def test_a_value_of_the_wrong_kind_is_named_for_what_it_is(tmp_path: Path, key: str, vtype: int, value: bytes,
                                                           message: str) -> None:
    kv = [(key, vtype, value)] if key == "general.architecture" else [ARCH, (key, vtype, value)]
    with pytest.raises(ModelProblems, match=re.escape(f"'{key}' {message}")):
        read_gguf(raw_gguf(tmp_path / "m.gguf", kv=kv))


def test_an_array_is_never_read_as_a_number(tmp_path: Path, profile: Profile) -> None:
    """A long array's length was stored as its value: ``block_count`` given as 5,000 items
    read as 5,000 layers.  Now it is an array, and ``inspect`` says so."""
    kv = [ARCH, ("llama.block_count", 9, struct.pack("<IQ", 4, 5000) + bytes(4 * 5000))]
    info = read_gguf(raw_gguf(tmp_path / "m.gguf", kv=kv))
    assert info.metadata["llama.block_count"] == ArrayValue("uint32", 5000)
    assert info.meta_int("llama.block_count") is None
    with pytest.raises(ModelError, match=r"metadata has an array of 5,000 uint32 for 'llama.block_count'"):
        inspect_model(info, profile, n_ctx=512, backend="cuda", n_gpu_layers=-1)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), float("-inf")])
def test_inspect_on_non_finite_float_metadata(tmp_path: Path, value: float) -> None:
    """inf/NaN metadata raised OverflowError in `inspect`; a non-finite number is no number."""
    kv = [ARCH, ("llama.block_count", 6, struct.pack("<f", value)),
          ("llama.context_length", 12, struct.pack("<d", value))]
    model = raw_gguf(tmp_path / "f.gguf", kv=kv)
    rc, err, _ = _peak_mib(["inspect", str(model), "--json"])
    assert "Traceback" not in err, err
    assert rc == 0 or (err.count("\n") == 0 and err.startswith("ERROR")), err


def test_thousands_of_problems_are_summarised(tmp_path: Path) -> None:
    tensors = [(f"t{i}".encode(), (31,), 2) for i in range(30_000)]  # Q4_0: 31 is no multiple of 32
    with pytest.raises(ModelProblems) as info:
        read_gguf(raw_gguf(tmp_path / "many.gguf", kv=[ARCH], tensors=tensors))
    message = str(info.value)
    assert len(info.value.problems) == 30_000
    assert message.count("\n") == 21 and message.endswith("… and 29,980 more"), message[-200:]
    assert len(json.dumps(message)) < 5000


def test_what_is_kept_is_bounded_in_all(tmp_path: Path) -> None:
    """65,536 keys of 1 MiB strings are accepted one by one: a 64 GiB header (a sparse file
    holds it in no disk space) was 64 GiB of memory.  Past 32 MiB of strings and 262,144
    array items in all, values are skipped like long ones, and still known for what they are."""
    kv = [ARCH] + [(f"k{i}", 8, _string(b"s" * (1 << 20))) for i in range(40)]
    kv += [(f"a{i}", 9, struct.pack("<IQ", 4, 4096) + bytes(4 * 4096)) for i in range(70)]
    info = read_gguf(raw_gguf(tmp_path / "m.gguf", kv=kv))
    assert info.metadata["k30"] == "s" * (1 << 20) and info.metadata["k31"] == LongString(1 << 20)
    assert len(info.arrays) == 64 and info.metadata["a69"] == ArrayValue("uint32", 4096)
    late = [(f"k{i}", 8, _string(b"s" * (1 << 20))) for i in range(32)] + [ARCH]
    late_arch = "'general.architecture' is a string of 5 bytes after the 33,554,432"
    with pytest.raises(ModelProblems, match=re.escape(late_arch)):
        read_gguf(raw_gguf(tmp_path / "late.gguf", kv=late))
