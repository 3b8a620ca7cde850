"""sha256 of files, and the one-line hash-pinned requirement files pip is given."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def pinned_line(requirement: str, hashes: Iterable[str]) -> str:
    """``name==version --hash=sha256:…`` (one line of a ``--require-hashes`` file)."""
    return requirement + "".join(f" --hash=sha256:{h}" for h in hashes) + "\n"


def write_pinned(path: Path, requirement: str, hashes: Iterable[str]) -> Path:
    """A requirements file holding ``requirement`` pinned by ``hashes`` (for ``pip -r``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(pinned_line(requirement, hashes), encoding="utf-8")
    return path
