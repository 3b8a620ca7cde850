"""The wheels stage: one checked wheel for every vendored lock entry.

Nothing here resolves: the lock already says which versions.  Missing wheels are
downloaded (``--only-binary``, the target's platform tags, ``--require-hashes``) or, for
llama-cpp-python whose PyPI release is an sdist only, built (:mod:`.cpu`).  Every wheel
passes :mod:`.check` before it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..errors import PipError, WheelError, WheelProblems
from ..layout import PROVENANCE_FILE, builds_record
from ..lock import Lock, LockEntry
from ..pip import Pip
from ..profile import Profile
from ..util.hashing import sha256_file, write_pinned
from .check import CheckedWheel, check_wheel, tag_problems, wheel_tags
from .record import check_against_record
from .source import LLAMA_CPP_PYTHON, Backend, built_backend, built_facts
from .wheelhouse import house_key, load_provenance, recipe_for, take


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
    wheelhouses: Sequence[Path] = (),
    backend: Backend = "cpu",
) -> tuple[CheckedWheel, ...]:
    """A checked wheel for every vendored entry of ``lock``.

    Order of preference: for llama-cpp-python, the ``backend`` build exported into a
    wheelhouse (``wheels/`` or one of ``wheelhouses`` holding a provenance file,
    :mod:`.wheelhouse`); a wheel in ``wheels/`` (must be hashed in the lock); a wheel
    built here from the locked sdist; a downloaded wheel (hash-checked by pip and again
    here).  Every problem of every entry is collected before raising.
    """
    out: list[CheckedWheel] = []
    problems: list[str] = []
    houses = tuple(dict.fromkeys([wheels_dir, *wheelhouses]))
    for folder in wheelhouses:  # an explicit wheelhouse must be one, and valid, whatever the lock holds
        load_provenance(folder / PROVENANCE_FILE)
    if (wheels_dir / PROVENANCE_FILE).is_file():
        load_provenance(wheels_dir / PROVENANCE_FILE)
    for entry in lock.vendored:
        try:
            taken = _from_wheelhouse(entry, profile, houses, backend, lock.path, log)
            if taken is not None:
                out.append(taken)
                continue
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
            verdict = _against_record(built, entry, digest, lock_path)
            log(f"wheels: {built.name}: {verdict}")
            return CheckedWheel(
                entry=entry,
                path=built,
                sha256=digest,
                origin="built",
                note=f"built here from the locked sdist; {built_backend(built)}; {verdict}",
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


def _from_wheelhouse(
    entry: LockEntry, profile: Profile, houses: Sequence[Path], backend: Backend, lock_path: Path,
    log: Callable[[str], None],
) -> CheckedWheel | None:
    """The ``backend`` build of ``entry`` exported into one of ``houses``, checked like a
    fresh build (native checks, the record); None when no wheelhouse has one."""
    if entry.name != LLAMA_CPP_PYTHON:
        return None
    recipe = recipe_for(backend)
    for house in houses:
        wheel = take(house, entry, profile, recipe)
        if wheel is None:
            continue
        digest = check_wheel(wheel, entry, profile, trusted_hash=True)  # the provenance names a locked sdist
        verdict = check_against_record(wheel, record=builds_record(lock_path), backend=backend, package=entry.name,
                                       version=entry.version, key=str(house_key(house, wheel)), sha256=digest)
        log(f"wheels: {wheel.name}: taken from the wheelhouse {house} (no compile); {verdict}")
        return CheckedWheel(entry=entry, path=wheel, sha256=digest, origin="wheelhouse",
                            note=f"exported build from {house}; {verdict}")
    return None


def _against_record(wheel: Path, entry: LockEntry, digest: str, lock_path: Path) -> str:
    """The record's verdict on a wheel built here (a WheelError when it does not reproduce it)."""
    facts = built_facts(wheel)
    return check_against_record(wheel, record=builds_record(lock_path), backend=str(facts.get("backend", "cpu")),
                                package=entry.name, version=entry.version, key=str(facts.get("key", "?")),
                                sha256=digest)


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
