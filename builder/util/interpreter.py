"""Finding the target interpreter.

The target interpreter is a CPython of the profile's version (3.10 for Kaggle 2024).
It is looked up, in order: ``$TARGET_PYTHON``; the interpreter running the builder, when it
is that CPython on Linux (a Kaggle notebook: no other Python needed); ``pythonX.Y`` on
``PATH`` (a pyenv shim that is not active fails its version probe and is passed over); the
pyenv versions folder (``$PYENV_ROOT``, default ``~/.pyenv``).  Nothing else is guessed;
the error says how to get one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import InterpreterNotFound

_PROBE = "import sys, platform; print('%d.%d.%d' % sys.version_info[:3], platform.python_implementation())"


def probe(python: Path) -> tuple[str, str] | None:
    """(version, implementation) of an interpreter, or None if it does not run."""
    try:
        proc = subprocess.run(
            [str(python), "-I", "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    version, impl = proc.stdout.split()
    return version, impl


def _running_fits(version: str) -> bool:
    here = sys.version_info
    return bool(sys.implementation.name == "cpython" and sys.platform == "linux" and sys.executable
                and f"{here[0]}.{here[1]}" == version)


def is_running_target(version: str) -> bool:
    """Whether the interpreter running the builder is the one it takes as the target (a
    Kaggle notebook's: ``verify --here`` checks there), without probing any other."""
    explicit = os.environ.get("TARGET_PYTHON")
    if explicit:
        return Path(explicit).resolve() == Path(sys.executable).resolve()
    return _running_fits(version)


def _candidates(version: str) -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    explicit = os.environ.get("TARGET_PYTHON")
    if explicit:
        out.append(("TARGET_PYTHON", Path(explicit)))
        return out
    if _running_fits(version):
        out.append(("the running interpreter", Path(sys.executable)))
    on_path = shutil.which(f"python{version}")
    if on_path:
        out.append(("PATH", Path(on_path)))
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for cand in sorted((root / "versions").glob(f"{version}.*/bin/python{version}"), reverse=True):
        out.append(("pyenv", cand))
    return out


def find_target_python(version: str) -> Path:
    """A working CPython ``version`` (e.g. "3.10"), or InterpreterNotFound naming what was tried."""
    tried: list[str] = []
    for origin, cand in _candidates(version):
        found = probe(cand)
        if found is None:
            tried.append(f"{cand} ({origin}: does not run)")
            continue
        full, impl = found
        if impl != "CPython" or not (full == version or full.startswith(version + ".")):
            tried.append(f"{cand} ({origin}: is {impl} {full})")
            continue
        return cand
    detail = "; ".join(tried) if tried else "none running, on PATH or under $PYENV_ROOT/versions"
    raise InterpreterNotFound(
        f"target interpreter: no CPython {version} found ({detail}); get one with "
        f"`uv python install {version}` or `pyenv install {version}`, or set TARGET_PYTHON=/path/to/python{version}"
    )
