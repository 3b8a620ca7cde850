"""The record of what a build must reproduce: ``lockfiles/<lock>.builds.toml`` beside the
lock (the name is :func:`builder.layout.builds_record`'s), committed.

For each wheel the builder builds from an sdist (per backend) it holds the build key (the
sdist, flags, toolchain and CUDA locks, target: :func:`.source.build_key`), the sdist's
sha256, the wheel's file name, sha256 and size, and every member's sha256 and size.  A
build of the same key anywhere must give the same sha256; a different one is an error
that names both hashes and the members whose size or hash differ.  A build whose key the
record does not hold says so (a log line and the report's note), never passes silently.
Only ``python -m builder wheels --record [--backend cuda]`` writes it (:func:`write_entry`).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from ..errors import ConfigError, WheelError
from ..layout import builds_record
from ..lock import Lock
from ..profile import Profile
from ..util import toml as _toml
from ..util.fs import write_text_atomic
from ..util.hashing import sha256_file

FORMAT = 1
#: Bounds on a wheel read for its members (untrusted when it comes from a wheelhouse).
MAX_MEMBERS = 20_000
#: Members named in a mismatch before the rest are counted.
SHOWN = 6
HEADER = """\
# What each wheel the builder builds from an sdist must reproduce, byte for byte: per
# backend, the build key (sdist, flags, toolchain and CUDA locks, target), the wheel's
# sha256 and every member's sha256 and size.  A build of the same key on any machine must
# give the same sha256 (README: reproducible builds); a mismatch is an error naming the
# members that differ.  Written only by `python -m builder wheels --record [--backend cuda]`.
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedWheel:
    backend: str
    package: str
    version: str
    key: str
    sdist_sha256: str
    file: str
    sha256: str
    size: int
    members: Mapping[str, tuple[str, int]]  # name -> (sha256, size)


def wheel_members(wheel: Path) -> dict[str, tuple[str, int]]:
    """Every file member's sha256 and size (streamed; at most :data:`MAX_MEMBERS`)."""
    out: dict[str, tuple[str, int]] = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > MAX_MEMBERS:
                raise WheelError(f"{wheel}: more than {MAX_MEMBERS} members")
            for info in infos:
                digest, size = hashlib.sha256(), 0
                with zf.open(info) as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
                        size += len(chunk)
                out[info.filename] = (digest.hexdigest(), size)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise WheelError(f"{wheel}: not a readable wheel ({exc})") from None
    return out


def _sha(t: _toml.Table, key: str) -> str:
    value = t.get(key, str, required=True)
    if len(value) != 64 or value.strip("0123456789abcdef"):
        raise ConfigError(t.path, f"key '{t.prefix}{key}' is not a sha256: {value!r:.80}")
    return value


def _members(t: _toml.Table) -> dict[str, tuple[str, int]]:
    raw = t.get("members", dict, required=True)
    if len(raw) > MAX_MEMBERS:
        raise ConfigError(t.path, f"key '{t.prefix}members' has more than {MAX_MEMBERS} entries")
    out: dict[str, tuple[str, int]] = {}
    for name, value in raw.items():
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
                and isinstance(value[1], int) and len(value[0]) == 64 and not value[0].strip("0123456789abcdef")):
            raise ConfigError(t.path, f"key '{t.prefix}members.\"{name:.100}\"' must be [sha256, size]")
        out[name] = (value[0], value[1])
    return out


def load_record(path: Path) -> tuple[RecordedWheel, ...]:
    """The record's entries; none when the file does not exist."""
    if not path.is_file():
        return ()
    doc = _toml.Table(_toml.load(path), path)
    if doc.get("format", int, required=True) != FORMAT:
        raise ConfigError(path, f"key 'format' must be {FORMAT}")
    out = []
    for t in doc.tables("wheel"):
        out.append(RecordedWheel(
            backend=t.get("backend", str, required=True), package=t.get("package", str, required=True),
            version=t.get("version", str, required=True), key=t.get("key", str, required=True),
            sdist_sha256=_sha(t, "sdist_sha256"), file=t.get("file", str, required=True), sha256=_sha(t, "sha256"),
            size=t.get("size", int, required=True), members=_members(t),
        ))
        t.done()
    doc.done()
    return tuple(out)


def member_differences(have: Mapping[str, tuple[str, int]], want: Mapping[str, tuple[str, int]]) -> list[str]:
    """``NAME (size A, recorded B)`` / ``NAME (sha256 differs)`` / ``NAME (not recorded)`` ..."""
    out: list[str] = []
    for name in sorted(set(have) | set(want)):
        a, b = have.get(name), want.get(name)
        if a == b:
            continue
        if a is None:
            out.append(f"{name} (missing)")
        elif b is None:
            out.append(f"{name} (not recorded)")
        elif a[1] != b[1]:
            out.append(f"{name} (size {a[1]}, recorded {b[1]})")
        else:
            out.append(f"{name} (sha256 differs)")
    return out


def check_against_record(
    wheel: Path, *, record: Path, backend: str, package: str, version: str, key: str, sha256: str | None = None
) -> str:
    """Whether ``wheel`` (a build of ``key``) reproduces ``record``: a one-line verdict for the
    log and the report; a :class:`WheelError` naming both hashes and the differing members."""
    digest = sha256 or sha256_file(wheel)
    same = [e for e in load_record(record) if (e.backend, e.package, e.version) == (backend, package, version)]
    entry = next((e for e in same if e.key == key), None)
    if entry is None:
        other = f" (it holds key {same[0].key})" if same else ""
        return (f"no recorded {backend} build of key {key} in {record.name}{other}: not checked against a record; "
                f"`python -m builder wheels --record{' --backend cuda' if backend == 'cuda' else ''}` records it")
    if digest == entry.sha256:
        return f"reproduces the {record.name} record (sha256 {digest[:12]}...)"
    diffs = member_differences(wheel_members(wheel), entry.members)
    shown = ", ".join(diffs[:SHOWN]) + (f" (+{len(diffs) - SHOWN} more)" if len(diffs) > SHOWN else "")
    why = (f"members that differ: {shown}" if diffs else
           "every member is identical: only the zip's compressed bytes differ (another zlib than the recording one?)")
    raise WheelError(f"{record}: {wheel.name} ({backend} build {key}) has sha256 {digest}, the record says "
                     f"{entry.sha256}; {why}")


def write_entry(wheel: Path, *, record: Path, backend: str, package: str, version: str, key: str,
                sdist_sha256: str) -> RecordedWheel:
    """Record ``wheel`` as what a ``backend`` build of ``key`` gives (replacing that backend's entry)."""
    entry = RecordedWheel(backend=backend, package=package, version=version, key=key, sdist_sha256=sdist_sha256,
                          file=wheel.name, sha256=sha256_file(wheel), size=wheel.stat().st_size,
                          members=wheel_members(wheel))
    kept = [e for e in load_record(record) if (e.backend, e.package) != (backend, package)]
    entries = sorted([*kept, entry], key=lambda e: (e.package, e.backend))
    doc: dict[str, Any] = {"format": FORMAT, "wheel": [
        {"backend": e.backend, "package": e.package, "version": e.version, "key": e.key,
         "sdist_sha256": e.sdist_sha256, "file": e.file, "sha256": e.sha256, "size": e.size,
         "members": {name: [sha, size] for name, (sha, size) in sorted(e.members.items())}}
        for e in entries]}
    write_text_atomic(record, HEADER + "\n" + tomli_w.dumps(doc))
    return entry


def record_build(lock: Lock, profile: Profile, backend: str, *, target_python: Path, cache: Path,
                 log: Callable[[str], None]) -> RecordedWheel:
    """Build (or take from the cache) the ``backend`` wheel of the lock's llama-cpp-python and
    record it beside the lock: the explicit step after a change of pins, flags or tools."""
    from .source import LLAMA_CPP_PYTHON, built_facts

    entry = lock.get(LLAMA_CPP_PYTHON)
    if entry is None or entry.provided:
        raise WheelError(f"{lock.path}: no vendored {LLAMA_CPP_PYTHON} to build and record")
    if backend == "cuda":
        from .cuda import build_cuda_wheel as build
    else:
        from .cpu import build_cpu_wheel as build
    wheel = build(entry, profile, target_python=target_python, cache=cache, log=log)
    facts = built_facts(wheel)
    if not facts.get("key") or facts.get("backend") != backend:
        raise WheelError(f"{wheel.parent / 'build.json'}: no {backend} build key: rebuild with this builder")
    return write_entry(wheel, record=builds_record(lock.path), backend=backend, package=entry.name,
                       version=entry.version, key=str(facts["key"]), sdist_sha256=str(facts["sdist_sha256"]))
