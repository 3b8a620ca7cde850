"""Files fetched by URL (the Debian archive), each pinned by sha256 and size.

The bytes are streamed to a temp file beside the destination, hashed as they arrive, and
renamed into place only when size and sha256 match; a download that would exceed the
pinned size is stopped at that size.  Cached by hash: a file already there is re-hashed,
never trusted by name.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast

from ..errors import BuilderError
from .fs import temp_path
from .hashing import sha256_file

_CHUNK = 1 << 20
Opener = Callable[[str], IO[bytes]]


class DownloadError(BuilderError):
    """A pinned file could not be fetched, or was not the pinned file."""


def _open(url: str) -> IO[bytes]:
    return cast(IO[bytes], urllib.request.urlopen(url, timeout=60))  # https URLs of a committed lock


def fetch(url: str, *, sha256: str, size: int, dest: Path, what: str, opener: Opener = _open,
          progress: Callable[[int], None] | None = None) -> Path:
    """``dest`` holding the file at ``url`` whose sha256 is ``sha256`` (downloaded when
    missing; ``progress(n)`` hears of each ``n`` bytes that arrive)."""
    if dest.is_file() and dest.stat().st_size == size and sha256_file(dest) == sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(dest, "part")
    digest = hashlib.sha256()
    got = 0
    try:
        with opener(url) as response, tmp.open("wb") as out:
            while True:
                chunk = response.read(min(_CHUNK, size + 1 - got))
                if not chunk:
                    break
                got += len(chunk)
                if got > size:
                    raise DownloadError(f"{url}: more than the pinned {size} bytes ({what})")
                digest.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(len(chunk))
        if got != size or digest.hexdigest() != sha256:
            raise DownloadError(
                f"{url}: got {got} bytes with sha256 {digest.hexdigest()}, the lock pins {size} bytes "
                f"with sha256 {sha256} ({what}); refusing it"
            )
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadError(f"{url}: cannot download ({getattr(exc, 'reason', exc)}) ({what})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return dest
