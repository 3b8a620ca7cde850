"""The lock stage: an isolated, hashed lockfile for the *target* runtime.

``pip-compile --generate-hashes`` runs in a venv made from the target interpreter, with
the environment scrubbed (see :mod:`.pip`), from ``lockfiles/<profile>.in``, constrained
by the profile's provided pins, with ``wheels/`` as find-links.  The result (format:
:mod:`.lockfile`) is written beside the ``.in`` and committed.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ..errors import ConfigError, LockError, PipError, ProvidedConflict
from ..pip import Pip
from ..profile import Profile
from ..util.fs import write_text_atomic
from .lockfile import Lock, annotate, constraints_text, inputs_sha256, parse_lock
from .tools import tools_python


def read_requirements(path: Path) -> list[Requirement]:
    """The requirements of a ``.in`` file (comments and blank lines skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "requirements file not found") from None
    reqs: list[Requirement] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            raise ConfigError(path, f"line {lineno}: pip options are not allowed here: {line!r}")
        try:
            reqs.append(Requirement(line))
        except InvalidRequirement as exc:
            raise ConfigError(path, f"line {lineno}: invalid requirement {line!r}: {exc}") from None
    if not reqs:
        raise ConfigError(path, "no requirements")
    return reqs


def check_provided_conflicts(src: Path, reqs: Sequence[Requirement], profile: Profile) -> None:
    """A direct requirement that the profile's provided pin cannot satisfy is an error."""
    for req in reqs:
        pkg = profile.provided_by_name(req.name)
        if pkg is None:
            continue
        if pkg.version is not None and req.specifier and not req.specifier.contains(pkg.version, prereleases=True):
            raise ProvidedConflict(src, str(req), pkg.pin, profile.name)




_CONFLICT_RE = re.compile(r"(Cannot install|conflict|ResolutionImpossible|Could not find a version)", re.I)


def compile_lock(
    profile: Profile,
    *,
    requirements: Path,
    lock: Path,
    target_python: Path,
    cache: Path,
    wheels_dir: Path,
    log: Callable[[str], None] = lambda _m: None,
    pip_factory: Callable[[Path], Pip] = Pip,
) -> Lock:
    """Resolve ``requirements`` (``lockfiles/<profile>.in`` or a recipe's own; which files:
    :mod:`builder.spec`) into ``lock``."""
    src, out = requirements, lock
    reqs = read_requirements(src)
    check_provided_conflicts(src, reqs, profile)
    src_text = src.read_text(encoding="utf-8")
    python = tools_python(target_python, cache, log)
    pip = pip_factory(python)
    log(f"lock: pip-compile {src.name} for Python {profile.python_version} ({profile.name})")
    with tempfile.TemporaryDirectory(prefix="lock-") as tmp:
        tmpdir = Path(tmp)
        constraints = tmpdir / "provided.txt"
        constraints.write_text(constraints_text(profile), encoding="utf-8")
        raw_out = tmpdir / "lock.txt"
        links = [wheels_dir] if wheels_dir.is_dir() else []
        try:
            pip.compile(
                Path(src.name),  # run beside it: the lock's "via -r" lines name no machine path
                raw_out,
                find_links=links,
                constraints=constraints,
                cwd=src.parent,
                what=f"pip-compile of {src}",
            )
        except PipError as exc:
            raise _explain_failure(src, str(exc), profile) from None
        body = raw_out.read_text(encoding="utf-8")
    text = annotate(body, profile, inputs_sha256(src_text, profile))
    write_text_atomic(out, text)
    return parse_lock(out, profile)


def _explain_failure(src: Path, message: str, profile: Profile) -> LockError:
    """Turn pip-compile's resolver failure into one line naming both sides."""
    provided = {p.name: p.pin for p in profile.provided if p.version}
    if _CONFLICT_RE.search(message):
        named = [pin for name, pin in provided.items() if re.search(rf"\b{re.escape(name)}\b", message, re.I)]
        if named:
            return LockError(
                f"{src}: a requirement conflicts with {', '.join(named)} provided by profile "
                f"'{profile.name}': {message}"
            )
    return LockError(f"{src}: {message}")
