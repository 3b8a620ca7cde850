"""The builder's own tools, hash-pinned: each tool venv is made from a ``.in`` file and its
``pip-compile --generate-hashes`` lock, both committed beside the code that uses them
(``builder/lock/tools.in``/``.txt`` for pip-tools; ``builder/wheels/toolchain.in``/``.txt``
for the wheel build).  The pins are read from those files, never repeated in code.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError, LockError
from ..pip import Pip, tool_venv
from ..util.fs import write_text_atomic

#: The venv that runs pip-compile for ``make lock``: pip and pip-tools, and its lock.
TOOLS_IN = Path(__file__).with_name("tools.in")
TOOLS_LOCK = Path(__file__).with_name("tools.txt")

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def direct_pins(src: Path) -> tuple[str, ...]:
    """The requirement lines of a tool ``.in`` file (comments and blank lines skipped)."""
    try:
        lines = src.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(src, f"cannot read ({exc.strerror})") from None
    pins = tuple(line.split("#", 1)[0].strip() for line in lines)
    return tuple(p for p in pins if p)


def hashed_pins(lock: Path, what: str) -> tuple[str, ...]:
    """The ``name==version`` lines of a pip-compile lock (its ``--hash`` lines aside)."""
    try:
        lines = lock.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LockError(f"{lock}: cannot read the {what} lock ({exc.strerror})") from None
    pins = tuple(f"{m[1]}=={m[2]}" for line in lines if (m := _PIN.match(line)))
    if not pins:
        raise LockError(f"{lock}: no pinned requirement in the {what} lock")
    return pins


def venv_key(target_python: Path, lock: Path, what: str) -> str:
    """A tool venv's folder key: the interpreter and every pin of its lock, so a re-resolved
    dependency (not only the direct ones) gets a fresh venv."""
    pins = sorted(hashed_pins(lock, what))
    return hashlib.sha256((str(target_python) + "|" + "|".join(pins)).encode()).hexdigest()[:12]


def tools_python(target_python: Path, cache: Path, log: Callable[[str], None]) -> Path:
    """The isolated venv (from the target interpreter) that runs pip-compile, installed
    with ``--require-hashes`` from :data:`TOOLS_LOCK`."""
    venv = cache / "tools" / f"pip-tools-{venv_key(target_python, TOOLS_LOCK, 'pip-tools venv')}"
    if not (venv / ".complete").exists():
        log(f"lock: creating the pip-tools venv ({', '.join(direct_pins(TOOLS_IN))})")
    hashed = ["--require-hashes", "-r", str(TOOLS_LOCK)]
    python, _ = tool_venv(target_python, venv, hashed, what="installing pip-tools into the tools venv")
    return python


def compile_hashed(
    src: Path, out: Path, *, target_python: Path, cache: Path, regenerate: str, log: Callable[[str], None]
) -> tuple[str, ...]:
    """Resolve the builder's own tool requirements ``src`` (a ``.in`` beside the code that
    uses it) for the target interpreter into the hash-pinned ``out``; return its pins."""
    pip = Pip(tools_python(target_python, cache, log))
    log(f"lock: pip-compile {src.name} -> {out}")
    with tempfile.TemporaryDirectory(prefix="tool-lock-") as tmp:
        # run beside a copy: the lock's "via" lines name no machine path, and pip-compile's
        # working directory must not hold modules that shadow its own imports
        copy = Path(tmp) / src.name
        shutil.copy(src, copy)
        raw = Path(tmp) / "out.txt"
        pip.compile(Path(copy.name), raw, find_links=[], constraints=None, cwd=Path(tmp), what=f"pip-compile of {src}")
        body = raw.read_text(encoding="utf-8")
    head = (
        f"# Hash-pinned, generated from {src.name} by\n"
        f"#     {regenerate}\n"
        "# Do not edit.\n"
    )
    write_text_atomic(out, head + body)
    return hashed_pins(out, src.stem)


#: The developer venv (``.venv``: the builder, pytest, ruff, mypy) is installed with
#: ``--require-hashes`` from ``requirements/dev-pyXY.txt``, one per Python the builder
#: supports (markers such as ``tomli; python_version < "3.11"`` differ), made from the
#: project's ``pyproject.toml`` (its ``test`` extra) and ``requirements/dev.in``.
DEV_DIR = "requirements"


def dev_lock_name(python_version: tuple[int, int]) -> str:
    return f"dev-py{python_version[0]}{python_version[1]}.txt"


def compile_dev(
    root: Path, python: Path, python_version: tuple[int, int], *, cache: Path, log: Callable[[str], None]
) -> Path:
    """Resolve the developer venv for ``python`` into ``requirements/dev-pyXY.txt``."""
    pip = Pip(tools_python(python, cache, log))
    out = root / DEV_DIR / dev_lock_name(python_version)
    log(f"lock: pip-compile pyproject.toml [test] + {DEV_DIR}/dev.in for Python "
        f"{python_version[0]}.{python_version[1]} -> {out}")
    with tempfile.TemporaryDirectory(prefix="dev-lock-") as tmp:
        raw = Path(tmp) / "out.txt"
        pip.compile(Path("pyproject.toml"), raw, find_links=[], constraints=None, cwd=root, extras=["test"],
                    more=[Path(DEV_DIR) / "dev.in"], what="pip-compile of the developer venv")
        body = raw.read_text(encoding="utf-8")
    head = (
        f"# Hash-pinned developer venv for Python {python_version[0]}.{python_version[1]}, generated from\n"
        f"# pyproject.toml [test] and {DEV_DIR}/dev.in by\n"
        "#     python -m builder lock --lock-dev PYTHON\n"
        "# Do not edit.\n"
    )
    write_text_atomic(out, head + body)
    return out
