"""The builder's own distribution: a wheel of this project carries every module of the
package, data modules run in other interpreters included (builder/_runtime/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.network  # build isolation fetches the build backend from PyPI
def test_wheel_has_every_module(tmp_path: Path) -> None:
    # a clean copy: setuptools would reuse a stale build/lib/ of the checkout
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "builder", src / "builder", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "dist"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    [wheel] = out.glob("gguf_submission_builder-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "builder").rglob("*.py")}
    sources |= {f"builder/{n}" for n in ("toolchain.in", "toolchain.txt", "tools.in", "tools.txt")}  # tool locks
    assert "builder/_runtime/child.py" in sources
    assert sources <= names, sorted(sources - names)
