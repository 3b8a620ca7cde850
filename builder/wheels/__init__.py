"""The wheels stage, by concern: :mod:`.collect` (one checked wheel per vendored lock entry),
:mod:`.check` (hash, tags, native libraries), :mod:`.native_checks` (ELF files and CUDA
device code judged against the profile; read by :mod:`builder.native`),
:mod:`.prune` (what of a wheel is never vendored), :mod:`.cpu` (the portable CPU build of
llama-cpp-python and its pinned toolchain)."""

from .check import CheckedWheel, check_wheel
from .collect import collect_wheels

__all__ = ["CheckedWheel", "check_wheel", "collect_wheels"]
