"""Sizes written in a GGUF header are bounded before anything is allocated or printed."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from factories.gguf import raw_gguf
from factories.memory import PEAK_KIB

from builder.errors import ModelProblems
from builder.model import read_gguf

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


def test_a_long_string_value_is_skipped_not_kept(tmp_path: Path) -> None:
    big = b"x" * (2 << 20)  # over the 1 MiB kept, under the 16 MiB accepted
    model = raw_gguf(tmp_path / "m.gguf", kv=[ARCH, ("general.description", 8, struct.pack("<Q", len(big)) + big)])
    info = read_gguf(model)
    assert info.metadata["general.description"] == len(big) and info.architecture == "llama"


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
