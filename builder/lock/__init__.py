"""The lock stage: :mod:`.resolve` (pip-compile of the project for the target),
:mod:`.lockfile` (the lockfile's format) and :mod:`.tools` (the builder's own hash-pinned tool
venvs).  Every pip and pip-tools call runs through :mod:`builder.pip`."""

from .lockfile import Lock, LockEntry, load_lock, parse_lock
from .resolve import compile_lock

__all__ = ["Lock", "LockEntry", "compile_lock", "load_lock", "parse_lock"]
