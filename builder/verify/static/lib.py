"""Level 2, ``lib/``: every vendored package has wheel metadata whose tags fit the profile,
its files match the wheel's RECORD, and none is a package the profile provides (it would
be shadowed: the target imports its own before main.py runs)."""

from __future__ import annotations

import base64
import csv
import io
import posixpath
from email.parser import BytesHeaderParser

from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name

from ...profile import Profile
from ..scan import ArchiveScan


def _lib_top(path: str) -> str | None:
    parts = path.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "lib" else None


def _b64_sha256(hexdigest: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(hexdigest)).rstrip(b"=").decode()


def _target_desc(profile: Profile) -> str:
    return f"cp{''.join(map(str, profile.python_tuple))}, glibc {profile.glibc}, {profile.machine}"


def _wheel_tag_problems(base: str, wheel_raw: bytes, profile: Profile) -> list[str]:
    """The ``WHEEL`` file's tags against the target."""
    problems: list[str] = []
    tag_lines = BytesHeaderParser().parsebytes(wheel_raw).get_all("Tag") or []
    tags: set[Tag] = set()
    for line in tag_lines:
        try:
            tags |= set(parse_tag(line.strip()))
        except ValueError:
            problems.append(f"{base}/WHEEL: bad Tag line {line!r:.100}")
    if not tag_lines:
        problems.append(f"{base}/WHEEL: no Tag lines")
    elif tags and not tags & set(profile.supported_tags()):
        problems.append(
            f"{base}: wheel tags {', '.join(sorted(map(str, tags)))} do not fit the target ({_target_desc(profile)})"
        )
    return problems


def _record_problems(di: str, record_raw: bytes, scan: ArchiveScan, owned: set[str]) -> list[str]:
    """Files of ``lib/`` that differ from their wheel's RECORD; adds the tops it owns to ``owned``."""
    problems: list[str] = []
    for row in csv.reader(io.StringIO(record_raw.decode("utf-8", "replace"))):
        if not row or not row[0]:
            continue
        rel = posixpath.normpath(row[0])
        if rel.startswith("../"):
            continue
        owned.add(rel.split("/")[0])
        got = scan.files.get(f"lib/{rel}")
        if got is not None and len(row) > 1 and row[1].startswith("sha256="):
            if row[1][len("sha256=") :] != _b64_sha256(got.sha256):
                problems.append(f"lib/{rel}: differs from its wheel's RECORD ({di})")
    return problems


def _check_dist(
    di: str, scan: ArchiveScan, profile: Profile, owned: set[str], shadowed: set[str]
) -> tuple[str, list[str]]:
    """One ``lib/*.dist-info``: its 'name==version' and its problems."""
    base = f"lib/{di}"
    raw = {n: scan.texts.get(f"{base}/{n}") for n in ("METADATA", "WHEEL", "RECORD", "top_level.txt")}
    problems: list[str] = []
    missing = [n for n in ("METADATA", "WHEEL", "RECORD") if raw[n] is None]
    if missing:
        problems.append(f"{base}: missing {', '.join(missing)} (not installed from a wheel?)")
    stem = di[: -len(".dist-info")]
    name, version = stem.rsplit("-", 1)[0], stem.rsplit("-", 1)[-1]
    meta_raw = raw["METADATA"]
    if meta_raw is not None:
        meta = BytesHeaderParser().parsebytes(meta_raw)
        name, version = meta.get("Name", name), meta.get("Version", version)
    provided = profile.provided_by_name(name)
    if provided is not None:
        shadowed.add(provided.name)
        problems.append(_shadow_message(base, name, version, provided.pin, profile))
    wheel_raw, record_raw, top_level = raw["WHEEL"], raw["RECORD"], raw["top_level.txt"]
    if wheel_raw is not None:
        problems += _wheel_tag_problems(base, wheel_raw, profile)
    if record_raw is not None:
        problems += _record_problems(di, record_raw, scan, owned)
    if top_level:
        owned |= {t.strip() for t in top_level.decode("utf-8", "replace").splitlines() if t.strip()}
    return f"{canonicalize_name(name)}=={version}", problems


def check_lib(scan: ArchiveScan, profile: Profile, problems: list[str], notes: list[str]) -> list[str]:
    """Vendored distributions; returns their 'name==version' list."""
    tops = {top for p in [*scan.files, *scan.dirs, *scan.symlinks] if (top := _lib_top(p))}
    owned: set[str] = set()
    shadowed: set[str] = set()
    dists: list[str] = []
    for di in sorted(t for t in tops if t.endswith(".dist-info")):
        dist, found = _check_dist(di, scan, profile, owned, shadowed)
        dists.append(dist)
        problems += found
    for top in sorted(tops):
        if top.endswith(".dist-info") or top == "__pycache__":
            continue
        module = top[:-3] if top.endswith(".py") else top
        provided = profile.provided_by_name(module)
        if provided is not None and provided.name not in shadowed:
            shadowed.add(provided.name)
            problems.append(_shadow_message(f"lib/{top}", module, "?", provided.pin, profile))
        if top not in owned and module not in owned:
            problems.append(f"lib/{top}: no wheel metadata (no lib/*.dist-info/RECORD lists it)")
    if dists:
        notes.append("vendored: " + ", ".join(dists))
    return dists


def _shadow_message(where: str, name: str, version: str, pin: str, profile: Profile) -> str:
    return (
        f"{where}: {canonicalize_name(name)} {version} is shadowed: profile '{profile.name}' provides "
        f"{pin}, imported before main.py runs; drop it from the lock (the target uses {pin})"
    )
