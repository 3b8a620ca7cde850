"""The lock stage: :mod:`.resolve` (pip-compile of the project for the target),
:mod:`.lockfile` (the lockfile's format), :mod:`.tools` (the builder's own hash-pinned tool
venvs) and :mod:`.pip` (every pip and pip-tools call, as a subprocess, environment scrubbed)."""

from .lockfile import Lock, LockEntry, load_lock, lock_paths, parse_lock
from .resolve import compile_lock

__all__ = ["Lock", "LockEntry", "compile_lock", "load_lock", "lock_paths", "parse_lock"]
