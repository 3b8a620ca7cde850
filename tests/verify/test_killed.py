"""``verify`` killed while it unpacks a large archive (SIGTERM or SIGKILL, early or late)
leaves nothing behind after the next run, and the archive it read is untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from factories.paths import ROOT

from builder.archive import Member, write_archive
from builder.profile import Profile
from builder.util.hashing import sha256_file
from builder.verify import verify

SIZE = 256 << 20  # large enough to kill the unpacking at a chosen point on any machine


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    model = src / "model.gguf"
    with model.open("wb") as fh:
        block = os.urandom(1 << 20)
        for _ in range(SIZE >> 20):
            fh.write(block)
    (src / "main.py").write_text("def agent(obs, cfg):\n    return 'yes'\n")
    out = src / "submission.tar.gz"
    write_archive(out, [Member(arcname="main.py", source=src / "main.py"),
                        Member(arcname="model.gguf", source=model, weights=True)], meta={"profile": "kaggle-2024"})
    model.unlink()
    return out


def _unpacked(tmp: Path) -> int:
    """Bytes of the model unpacked so far under the cache's tmp/."""
    return sum(p.stat().st_size for p in tmp.rglob("model.gguf") if p.is_file()) if tmp.is_dir() else 0


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.1, 0.8])
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_a_killed_verify_leaves_nothing_after_the_next_run(tmp_path: Path, big_archive: Path, profile: Profile,
                                                           fraction: float, sig: str) -> None:
    cache = tmp_path / "cache"
    before = sha256_file(big_archive)
    env = {k: v for k, v in os.environ.items() if k != "BUILDER_CACHE_DIR"} | {"BUILDER_CACHE_DIR": str(cache)}
    child = subprocess.Popen([sys.executable, "-m", "builder", "verify", str(big_archive), "--levels", "1,2,3"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _unpacked(cache / "tmp") < fraction * SIZE:
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "verify never unpacked the model"
        time.sleep(0.005)
    child.send_signal(getattr(signal, sig))
    _out, err = child.communicate(timeout=120)
    if sig == "SIGTERM":  # handled like Ctrl-C: its own cleanup ran
        assert child.returncode == 143, err
        assert "terminated (SIGTERM)" in err
        assert list((cache / "tmp").iterdir()) == []
    else:
        assert child.returncode == -signal.SIGKILL
        assert list((cache / "tmp").iterdir()), "SIGKILL leaves its folder (nothing can run)"
    report = verify(big_archive, profile, levels=(1,), cache=cache)
    assert report.level(1).status == "passed", report.level(1).problems
    assert list((cache / "tmp").iterdir()) == []  # the dead verify's folder was swept
    assert sha256_file(big_archive) == before

