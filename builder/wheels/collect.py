"""The wheels stage: one checked wheel for every vendored lock entry.

Nothing here resolves: the lock already says which versions.  Missing wheels are
downloaded (``--only-binary``, the target's platform tags, ``--require-hashes``) or, for
llama-cpp-python whose PyPI release is an sdist only, built (:mod:`.cpu`).  Every wheel
passes :mod:`.check` before it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import PipError, WheelError, WheelProblems
from ..lock import Lock, LockEntry
from ..pip import Pip
from ..profile import Profile
from ..util.hashing import sha256_file, write_pinned
from .check import CheckedWheel, check_wheel, tag_problems, wheel_tags
from .source import built_backend


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
            out.append(_one(entry, profile, wheels_dir, cache, pip, build, log, lock.path))
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
    lock_path: Path,
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
                note=f"built here from the locked sdist; {built_backend(built)}",
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
        if "match the hashes" in str(exc).lower() or "hash mismatch" in str(exc).lower():
            raise WheelError(
                f"{lock_path}: {entry.name} {entry.version}: the wheel PyPI serves does not match the sha256 "
                f"pinned in this lockfile (edited by hand, or the release changed): run `make lock` ({exc})"
            ) from None
        raise WheelError(f"{lock_path}: {entry.pin}: no wheel for the target on PyPI ({exc})") from None
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
    reqfile = write_pinned(dest / "requirement.txt", entry.pin, entry.hashes)
    return [*args, "--require-hashes", "-r", str(reqfile)]


def describe(wheels: Iterable[CheckedWheel]) -> list[str]:
    return [f"{w.entry.pin} ({w.origin}: {w.path.name})" for w in wheels]
