"""The portable CPU wheel, bit for bit: built again in a fresh cache root and build folder,
as another user would on another machine (another HOME, TMPDIR and user name, a
``SOURCE_DATE_EPOCH`` of their own, no compiler cache), it must have the sha256 that
``lockfiles/kaggle-2024.builds.toml`` records.  A path that leaks back into a library (a
prefix map lost) fails the build itself (the leak guard) and the hash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from factories.paths import ROOT
from factories.projects import project_lock

from builder.layout import Project, builds_record, cache_dir
from builder.profile import resolve_profile
from builder.wheels.record import load_record

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.network]


def _fresh_cache(root: Path) -> Path:
    """A new cache root with only the downloads a user would also have to fetch (the sdist
    and the CUDA downloads, copied to spare the network): no tools, no build, no compiler cache."""
    fresh = root / "another-cache"
    fresh.mkdir(parents=True)
    for sub in ("sdists", "downloads"):
        if (cache_dir() / sub).is_dir():
            shutil.copytree(cache_dir() / sub, fresh / sub, symlinks=True)
    return fresh


def test_the_cpu_wheel_built_elsewhere_reproduces_the_record(tmp_path: Path, target_python: Path) -> None:
    profile = resolve_profile(Project(ROOT), "kaggle-2024")
    lock = project_lock(ROOT, profile)
    recorded = {e.backend: e for e in load_record(builds_record(lock.path))}
    assert "cpu" in recorded, "lockfiles/kaggle-2024.builds.toml records no CPU build"
    home = tmp_path / "home-of-someone-else"
    (home / "tmp").mkdir(parents=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "USER": "someone-else",
        "LOGNAME": "someone-else",
        "TARGET_PYTHON": str(target_python),
        "BUILDER_CACHE_DIR": str(_fresh_cache(tmp_path)),
        "BUILDER_COMPILER_CACHE": "off",
        "SOURCE_DATE_EPOCH": "1234567890",  # the caller's clock: the wheel must not follow it
        "TZ": "Pacific/Auckland",
        "CFLAGS": "-g -O0",  # nor the caller's compiler flags
        **{k: v for k, v in os.environ.items() if k.startswith(("SSL_CERT_", "REQUESTS_CA_", "CURL_CA_"))},
    }
    proc = subprocess.run([sys.executable, "-m", "builder", "--root", str(ROOT), "wheels"], env=env, cwd=home,
                          capture_output=True, text=True, timeout=3600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("llama-cpp-python=="))
    assert "(built)" in line and "reproduces the kaggle-2024.builds.toml record" in line, line
    wheel = Path(line.split(": ", 1)[1].split(" (built)", 1)[0])
    from builder.util.hashing import sha256_file

    assert sha256_file(wheel) == recorded["cpu"].sha256
