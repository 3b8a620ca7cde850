"""What makes a wheel acceptable for the target: its hash, tags and native libraries.

* its sha256 is in the lock entry (a wheel put into ``wheels/`` by hand, or downloaded),
  or it was built here from the locked sdist, whose hash is in the lock;
* its tags fit the target (:meth:`Profile.supported_tags`);
* every native library in it loads on the target (:mod:`.elf`): glibc and libstdc++
  symbol versions, NEEDED libraries inside the wheel or provided, RUNPATH only
  ``$ORIGIN``-relative, every symbol bound to a provided library in its export list,
  and a kernel for the profile's GPU in every CUDA library.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from ..errors import WheelError, WheelProblems
from ..lock import LockEntry
from ..native.elf import read_zip_elf, zip_member_is_elf
from ..profile import Profile
from ..util.hashing import sha256_file
from .native_checks import check_elfs
from .prune import plan_pruning

Origin = Literal["wheels-dir", "downloaded", "built", "wheelhouse"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedWheel:
    entry: LockEntry
    path: Path
    sha256: str
    origin: Origin
    note: str = ""


def wheel_tags(path: Path) -> tuple[str, str, frozenset[Tag]]:
    try:
        name, version, _build, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise WheelError(f"{path}: not a wheel file name: {exc}") from None
    return str(name), str(version), tags


def tag_problems(path: Path, profile: Profile) -> list[str]:
    _n, _v, tags = wheel_tags(path)
    if tags & set(profile.supported_tags()):
        return []
    shown = ", ".join(sorted(str(t) for t in tags))
    return [
        f"tags {shown} do not fit the target (CPython {profile.python_version}, "
        f"manylinux <= {profile.glibc}, {profile.machine})"
    ]


def elf_problems(path: Path, profile: Profile) -> list[str]:
    """Native-library problems of the files of a wheel that would be vendored
    (purelib-relative paths; what :mod:`builder.prune` drops is not checked).  Each
    library is streamed to a temp file to be read, never held in memory whole."""
    problems: list[str] = []
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"not a readable zip: {exc}"]
    with zf:
        pruned = plan_pruning(zf)
        names = [i.filename for i in zf.infolist() if not i.is_dir() and i.filename not in pruned]
        available: dict[str, set[str]] = {}
        for n in names:
            d, _, base = n.rpartition("/")
            available.setdefault(d, set()).add(base)
        infos = []
        for n in names:
            if not zip_member_is_elf(zf, n):
                continue
            try:
                infos.append(read_zip_elf(zf, n))
            except ValueError as exc:
                problems.append(f"{n}: {exc}")
        problems.extend(check_elfs(infos, profile, available).problems)
    return problems


def check_wheel(path: Path, entry: LockEntry, profile: Profile, *, trusted_hash: bool) -> str:
    """Check one wheel against its lock entry; return its sha256.  Collects every problem."""
    problems: list[str] = []
    name, version, _tags = wheel_tags(path)
    if name != entry.name or version != entry.version:
        problems.append(f"is {name} {version}, the lock wants {entry.pin}")
    digest = sha256_file(path)
    if not trusted_hash and digest not in entry.hashes:
        problems.append(
            f"sha256 {digest} is not in the lock for {entry.pin}; run `make lock` after putting a wheel into wheels/"
        )
    problems += tag_problems(path, profile)
    problems += elf_problems(path, profile)
    if problems:
        raise WheelProblems(path, problems, "wheel does not fit")
    return digest
