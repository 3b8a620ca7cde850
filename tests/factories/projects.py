"""Tiny real inputs for offline pipeline tests: wheels written with zipfile (like
pypa/installer's ``mock_wheel``), and a complete mini project (profile, lock, wheels/,
template, tiny GGUF) in ``tmp_path`` that ``python -m builder build`` accepts without
the network."""

from __future__ import annotations

import base64
import hashlib
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

from builder.layout import Project, default_path
from builder.lock import Lock, load_lock
from builder.lock.lockfile import annotate, inputs_sha256
from builder.profile import Profile, load_profile
from builder.spec import Overrides, resolve_spec
from factories.gguf import write_tiny_gguf

PROFILE = default_path("lockfiles/profiles/kaggle-2024.toml")
#: The export lists beside it (``system.exports``): a copied profile needs them too.
EXPORTS = PROFILE.with_name("kaggle-2024.exports.json.gz")


def copy_profile(folder: Path) -> Path:
    """The packaged kaggle-2024 profile and its export lists, copied into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXPORTS, folder / EXPORTS.name)
    return Path(shutil.copy(PROFILE, folder / PROFILE.name))


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(
    folder: Path,
    name: str = "tinypkg",
    version: str = "1.0",
    *,
    tag: str = "py3-none-any",
    files: Mapping[str, bytes] | None = None,
    scripts: Mapping[str, bytes] | None = None,
) -> Path:
    """A valid wheel with ``files`` (purelib-relative) and ``.data/scripts`` entries."""
    folder.mkdir(parents=True, exist_ok=True)
    norm = name.replace("-", "_")
    files = dict(files if files is not None else {f"{norm}/__init__.py": b"VALUE = 42\n"})
    dist = f"{norm}-{version}.dist-info"
    for script, body in (scripts or {}).items():
        files[f"{norm}-{version}.data/scripts/{script}"] = body
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    files[f"{dist}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in files.items()) + f"{dist}/RECORD,,\n"
    files[f"{dist}/RECORD"] = record.encode()
    path = folder / f"{norm}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for p, d in files.items():
            zf.writestr(zipfile.ZipInfo(p, date_time=(1980, 1, 1, 0, 0, 0)), d)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_lock(root: Path, entries: Mapping[str, tuple[str, list[str]]], *, profile_name: str = "kaggle-2024") -> Path:
    """Write ``lockfiles/<profile>.txt`` as ``make lock`` would, from ``name: (version, hashes)``."""
    profile = load_profile(root / "lockfiles" / "profiles" / f"{profile_name}.toml")
    src = root / "lockfiles" / f"{profile_name}.in"
    body = ""
    for name, (version, hashes) in sorted(entries.items()):
        body += f"{name}=={version} \\\n" + " \\\n".join(f"    --hash=sha256:{h}" for h in hashes) + "\n"
        body += "    # via -r lockfiles/x.in\n"
    out = root / "lockfiles" / f"{profile_name}.txt"
    out.write_text(annotate(body, profile, inputs_sha256(src.read_text(), profile)))
    return out


def project_lock(root: Path, profile: Profile) -> Lock:
    """The lock a build of ``root``'s default recipe for ``profile`` reads (which files: the spec)."""
    spec = resolve_spec(Project(root), None, Overrides(profile=profile.name))
    return load_lock(profile, requirements=spec.requirements, lock=spec.lock)


def mini_project(root: Path, *, with_model: bool = True) -> dict[str, Path]:
    """A project the builder builds offline: one tiny vendored wheel, the real template."""
    (root / "lockfiles" / "profiles").mkdir(parents=True)
    copy_profile(root / "lockfiles" / "profiles")
    (root / "lockfiles" / "kaggle-2024.in").write_text("tinypkg==1.0\n")
    wheel = make_wheel(root / "wheels")
    lock = write_lock(root, {"tinypkg": ("1.0", [sha256(wheel)])})
    shutil.copytree(default_path("template"), root / "template", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = {"root": root, "wheel": wheel, "lock": lock, "template": root / "template"}
    if with_model:
        out["model"] = write_tiny_gguf(root / "tiny-chat.gguf")
    return out
