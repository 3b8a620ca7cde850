"""The wheels stage: one checked wheel for every vendored lock entry.

A wheel is accepted when
* its sha256 is in the lock entry (a wheel put into ``wheels/`` by hand, or downloaded),
  or it was built here from the locked sdist, whose hash is in the lock (the built
  wheel's own hash goes into the manifest, not the committed lock);
* its tags fit the target (:meth:`Profile.supported_tags`);
* every native library in it loads on the target (:mod:`builder.elf`): glibc and
  libstdc++ symbol versions, NEEDED libraries inside the wheel or provided.

Nothing here resolves: the lock already says which versions.  Missing wheels are
downloaded (``--only-binary``, the target's platform tags, ``--require-hashes``) or, for
llama-cpp-python whose PyPI release is an sdist only, built by :mod:`builder.cpuwheel`.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from .elf import check_elf, is_elf, read_elf
from .errors import PipError, WheelError, WheelProblems
from .lock import Lock, LockEntry
from .pip_runner import Pip
from .profile import Profile
from .prune import plan_pruning

Origin = Literal["wheels-dir", "downloaded", "built"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedWheel:
    entry: LockEntry
    path: Path
    sha256: str
    origin: Origin
    note: str = ""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
    (purelib-relative paths; what :mod:`builder.prune` drops is not checked)."""
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
        for n in names:
            with zf.open(n) as fh:
                head = fh.read(4)
            if not is_elf(head):
                continue
            try:
                info = read_elf(n, zf.read(n))
            except ValueError as exc:
                problems.append(f"{n}: {exc}")
                continue
            problems.extend(check_elf(info, profile, available))
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


def _candidates(directory: Path, entry: LockEntry) -> list[Path]:
    if not directory.is_dir():
        return []
    out = []
    for p in sorted(directory.glob("*.whl")):
        try:
            name, version, _ = wheel_tags(p)
        except WheelError:
            continue
        if name == entry.name and version == entry.version:
            out.append(p)
    return out


BuildHook = Callable[[LockEntry], Path | None]


def collect_wheels(
    lock: Lock,
    profile: Profile,
    *,
    wheels_dir: Path,
    cache: Path,
    pip: Pip | None,
    build: BuildHook | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> tuple[CheckedWheel, ...]:
    """A checked wheel for every vendored entry of ``lock``.

    Order of preference: a wheel in ``wheels/`` (must be hashed in the lock); a wheel
    built here from the locked sdist; a downloaded wheel (hash-checked by pip and again
    here).  Every problem of every entry is collected before raising.
    """
    out: list[CheckedWheel] = []
    problems: list[str] = []
    for entry in lock.vendored:
        try:
            out.append(_one(entry, profile, wheels_dir, cache, pip, build, log))
        except WheelProblems as exc:
            problems += [f"{exc.subject}: {p}" for p in exc.problems]
        except WheelError as exc:
            problems.append(str(exc))
    if problems:
        if len(problems) == 1:
            raise WheelError(problems[0])
        raise WheelProblems(lock.path, problems, "wheels do not fit the lock and the target")
    return tuple(out)


def _one(
    entry: LockEntry,
    profile: Profile,
    wheels_dir: Path,
    cache: Path,
    pip: Pip | None,
    build: BuildHook | None,
    log: Callable[[str], None],
) -> CheckedWheel:
    local = _candidates(wheels_dir, entry)
    fitting = [p for p in local if not tag_problems(p, profile)]
    if local and not fitting:
        # report the wrong-tag wheel rather than silently using something else
        check_wheel(local[0], entry, profile, trusted_hash=False)
    if fitting:
        path = fitting[0]
        digest = check_wheel(path, entry, profile, trusted_hash=False)
        return CheckedWheel(entry=entry, path=path, sha256=digest, origin="wheels-dir")
    if build is not None:
        built = build(entry)
        if built is not None:
            digest = check_wheel(built, entry, profile, trusted_hash=True)
            return CheckedWheel(
                entry=entry,
                path=built,
                sha256=digest,
                origin="built",
                note="built here from the locked sdist; CPU only",
            )
    dl_dir = cache / "wheels" / entry.name / entry.version
    for cand in _candidates(dl_dir, entry):
        if not tag_problems(cand, profile) and sha256_file(cand) in entry.hashes:
            digest = check_wheel(cand, entry, profile, trusted_hash=False)
            return CheckedWheel(entry=entry, path=cand, sha256=digest, origin="downloaded")
    if pip is None:
        raise WheelError(f"{entry.pin}: no wheel in {wheels_dir} or the cache, and downloads are off")
    log(f"wheels: downloading {entry.pin}")
    try:
        pip.run(*download_args(entry, profile, dl_dir), what=f"downloading a wheel of {entry.pin}")
    except PipError as exc:
        raise WheelError(f"{entry.pin}: no wheel for the target on PyPI ({exc})") from None
    for cand in _candidates(dl_dir, entry):
        digest = check_wheel(cand, entry, profile, trusted_hash=False)
        return CheckedWheel(entry=entry, path=cand, sha256=digest, origin="downloaded")
    raise WheelError(f"{entry.pin}: pip downloaded no wheel into {dl_dir}")


def download_args(entry: LockEntry, profile: Profile, dest: Path) -> list[str]:
    """``pip download`` argv for one wheel of the target's tags, hash-checked."""
    args = [
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--dest",
        str(dest),
        "--python-version",
        profile.python_version,
        "--implementation",
        profile.implementation,
        "--abi",
        f"cp{profile.python_tuple[0]}{profile.python_tuple[1]}",
    ]
    for plat in profile.platforms():
        args += ["--platform", plat]
    req = entry.pin + "".join(f" --hash=sha256:{h}" for h in entry.hashes)
    dest.mkdir(parents=True, exist_ok=True)
    reqfile = dest / "requirement.txt"
    reqfile.write_text(req + "\n", encoding="utf-8")
    return [*args, "--require-hashes", "-r", str(reqfile)]


def describe(wheels: Iterable[CheckedWheel]) -> list[str]:
    return [f"{w.entry.pin} ({w.origin}: {w.path.name})" for w in wheels]
