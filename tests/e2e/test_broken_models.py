"""verify never says OK about a model llama.cpp cannot load: level 3 loads the archive's
GGUF with the archive's own llama_cpp and evaluates tokens (the agent would catch the
error and play canned fallback moves, which level 4 alone saw as legal)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from factories.gguf import write_tiny_gguf
from factories.paths import ROOT
from factories.projects import project_lock

from bench.common import write_gguf_like
from builder.__main__ import main
from builder.model import read_gguf
from builder.profile import Profile
from builder.verify import format_table, verify

pytestmark = [pytest.mark.slow, pytest.mark.network]


def _swap_dims(path: Path, tensor: str) -> Path:
    """Swap the two dimensions of ``tensor`` in the header: the file stays consistent (same
    size, same offsets), but llama.cpp finds a tensor of the wrong shape."""
    info = read_gguf(path)
    t = next(t for t in info.tensors if t.name == tensor)
    assert len(t.shape) == 2 and t.shape[0] != t.shape[1]
    data = bytearray(path.read_bytes())
    name = tensor.encode()
    at = data.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
    assert struct.unpack_from("<I", data, at)[0] == 2
    data[at + 4 : at + 20] = struct.pack("<QQ", t.shape[1], t.shape[0])
    out = path.with_name("wrong-shape.gguf")
    out.write_bytes(bytes(data))
    read_gguf(out)  # the builder's header check accepts it: the shapes are plausible
    return out


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("broken")
    random_weights = write_gguf_like(d / "random-weights.gguf", 1 << 20)  # the benchmark's file
    tiny = write_tiny_gguf(d / "tiny.gguf")
    return {"random-weights": random_weights, "wrong-shape": _swap_dims(tiny, "blk.0.ffn_up.weight")}


@pytest.mark.parametrize("kind", ["random-weights", "wrong-shape"])
def test_a_model_llama_cpp_rejects_fails_level_3(tmp_path: Path, profile: Profile, broken: dict[str, Path],
                                                  kind: str) -> None:
    out = tmp_path / "submission.tar.gz"
    assert main(["--root", str(ROOT), "build", "--model", str(broken[kind]), "--output", str(out)]) == 0
    lock = project_lock(ROOT, profile)
    report = verify(out, profile, runtime_requirements=[e.pin for e in lock.provided], levels=(1, 2, 3, 4))
    table = format_table(report)
    assert [r.status for r in report.levels] == ["passed", "passed", "failed", "skipped"], table
    assert f"{broken[kind].name}: llama.cpp cannot load it with the archive's llama_cpp" in report.level(3).problems[0]
    assert report.verdict == "FAILED" and "\n\nFAILED\n  - level 4 (play) not run: level 3 failed" in table
