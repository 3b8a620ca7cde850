"""Building llama-cpp-python from its locked sdist: what the CPU and CUDA builds share.

* the sdist is downloaded by the toolchain venv's pip with ``--require-hashes`` (the lock's
  hashes) and ``--no-build-isolation`` (its metadata step runs the pinned backend: no
  unpinned download), cached, and unpacked with ``filter="data"``;
* one build at a time per machine (``flock``): a second builder waits, then takes the
  first one's wheel from the cache;
* the build runs in a temp folder beside the cache and is moved in only when complete,
  with ``build.json`` saying what was built from what; a failed or interrupted build
  leaves nothing;
* the cache key hashes the sdist, the backend, the flags, the toolchain and the target:
  any change builds again;
* the wheel is re-tagged ``manylinux_<glibc>_<arch>`` once every library passed the
  profile's checks: the tag says what the wheel promises.

A :class:`Recipe` says what differs: the key material, the config settings, the
environment (compilers), and the checks and fixes after the build.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from packaging.utils import canonicalize_name

from ..errors import WheelError
from ..lock import LockEntry
from ..pip import Pip
from ..profile import Profile
from ..progress import ProgressFactory, Task, no_progress
from ..util.fs import exclusive, temp_folder
from ..util.hashing import sha256_file, write_pinned
from ..util.jsonio import read_json
from .frontend import ConfigSettings, build_wheel, check_requirements
from .toolchain import toolchain_pins, toolchain_python

LLAMA_CPP_PYTHON = canonicalize_name("llama-cpp-python")
BUILD_FORMAT = 2
#: The largest ``build.json`` read back (a few KB).
RECORD_LIMIT = 1 << 20
Backend = Literal["cpu", "cuda"]
BACKENDS: tuple[Backend, ...] = ("cpu", "cuda")
Log = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """What a build needs on this machine (folders made in the work dir, never in the key)."""

    settings: ConfigSettings
    env: Mapping[str, str] = field(default_factory=dict)
    tools: Mapping[str, str] = field(default_factory=dict)  # programs ``finish`` runs (patchelf)
    record: Mapping[str, Any] = field(default_factory=dict)  # extra build.json facts


class Recipe(Protocol):
    """One kind of build (CPU, CUDA)."""

    @property
    def backend(self) -> Backend:
        """Which llama.cpp backend the wheel has."""

    def key_material(self, profile: Profile) -> Mapping[str, Any]:
        """Everything that decides the wheel's bytes besides the sdist (flags, target, tools)."""

    def prepare(self, work: Path, profile: Profile, *, toolchain: Path, cache: Path, log: Log,
                progress: ProgressFactory) -> Prepared:
        """Compilers, toolkits and config settings for one build in ``work`` (what they
        download shown as ``progress`` tasks)."""

    def finish(self, wheel: Path, work: Path, profile: Profile, prepared: Prepared, log: Log) -> Path:
        """Check (and fix) the built wheel before it is cached; raise WheelError if it does not fit."""

    def describe(self, profile: Profile) -> str:
        """``for CPU only with zig (...)``: how the build is announced."""


def build_key(entry: LockEntry, sdist_sha256: str, profile: Profile, recipe: Recipe) -> str:
    doc = {
        "format": BUILD_FORMAT,
        "name": entry.name,
        "version": entry.version,
        "sdist_sha256": sdist_sha256,
        **recipe.key_material(profile),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def built_dir(cache: Path) -> Path:
    return cache / "built"


def find_built(entry: LockEntry, profile: Profile, cache: Path, recipe: Recipe) -> Path | None:
    """A wheel built earlier from one of the lock's sdist hashes for this recipe, if any."""
    for digest in entry.hashes:
        folder = built_dir(cache) / build_key(entry, digest, profile, recipe)
        record = folder / "build.json"
        try:
            doc = read_json(record, max_bytes=RECORD_LIMIT)
            wheel = folder / str(doc["wheel"])  # type: ignore[index]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # none, or not one this builder wrote: built again
        if wheel.exists():
            return wheel
    return None


def built_backend(wheel: Path) -> str:
    """What ``build.json`` beside a built wheel says it is: ``CPU only`` or ``CUDA 12.4.1, sm_75``."""
    try:
        record = read_json(wheel.parent / "build.json", max_bytes=RECORD_LIMIT)
    except (OSError, ValueError):
        return "CPU only"
    if not isinstance(record, dict):
        return "CPU only"
    if record.get("backend") == "cuda":
        return f"CUDA {record.get('cuda', '?')}, sm_{record.get('architectures', '?')}"
    return "CPU only"


def fetch_sdist(entry: LockEntry, pip: Pip, cache: Path, log: Log,
                progress: ProgressFactory = no_progress) -> tuple[Path, str]:
    """The cached sdist of ``entry`` whose sha256 is in the lock; downloaded when missing."""
    dest = cache / "sdists" / entry.name / entry.version
    for cand in sorted(dest.glob("*.tar.gz")) if dest.is_dir() else []:
        digest = sha256_file(cand)
        if digest in entry.hashes:
            return cand, digest
    log(f"wheels: downloading the {entry.pin} sdist (hash-checked)")
    with tempfile.TemporaryDirectory(prefix="sdist-req-") as tmp, progress(f"downloading the {entry.pin} sdist",
                                                                           None, "B"):
        reqfile = write_pinned(Path(tmp) / "req.txt", entry.pin, entry.hashes)
        pip.run("download", "--no-deps", "--no-build-isolation", "--no-binary", str(entry.name), "--dest", str(dest),
                "--require-hashes", "-r", str(reqfile), what=f"downloading the {entry.pin} sdist")
    for cand in sorted(dest.glob("*.tar.gz")):
        digest = sha256_file(cand)
        if digest in entry.hashes:
            return cand, digest
    raise WheelError(f"{entry.pin}: pip downloaded no sdist whose sha256 is in the lock into {dest}")


def unpack_sdist(sdist: Path, dest: Path) -> Path:
    """The sdist's source tree under ``dest`` (PEP 706's ``data`` filter: no links out, no devices)."""
    try:
        with tarfile.open(sdist) as tf:
            members = tf.getmembers()
            tops = {m.name.split("/", 1)[0] for m in members}
            if len(tops) != 1:
                raise WheelError(f"{sdist}: an sdist has one top folder, this one has {len(tops)}")
            if hasattr(tarfile, "data_filter"):
                tf.extractall(dest, filter="data")
            else:  # pragma: no cover - Python 3.10 before 3.10.12 has no extraction filters
                bad = [m.name for m in members if not (m.isfile() or m.isdir()) or m.name.startswith("/")
                       or ".." in m.name.split("/")]
                if bad:
                    raise WheelError(f"{sdist}: refused member {bad[0]!r:.100} (only files and folders inside)")
                tf.extractall(dest)
    except (tarfile.TarError, OSError) as exc:
        raise WheelError(f"{sdist}: cannot unpack ({exc})") from None
    return dest / tops.pop()


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _rewrite(wheel: Path, out: Path, replace: Mapping[str, Path], wheel_text: Callable[[str], str]) -> Path:
    """Copy ``wheel`` to ``out`` with members replaced by files, the WHEEL file rewritten by
    ``wheel_text``, and RECORD updated to match."""
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out.with_suffix(".tmp"), "w", zipfile.ZIP_DEFLATED) as dst:
        infos = src.infolist()
        wheel_file = next(i.filename for i in infos if i.filename.endswith(".dist-info/WHEEL"))
        record_file = wheel_file[: -len("WHEEL")] + "RECORD"
        new_wheel = wheel_text(src.read(wheel_file).decode()).encode()
        rows: dict[str, str] = {wheel_file: f"{_record_hash(new_wheel)},{len(new_wheel)}"}
        for info in infos:
            if info.filename == record_file:
                continue
            if info.filename == wheel_file:
                dst.writestr(info, new_wheel)
            elif info.filename in replace:
                data = replace[info.filename].read_bytes()
                rows[info.filename] = f"{_record_hash(data)},{len(data)}"
                dst.writestr(info, data)
            else:
                with src.open(info) as fh, dst.open(info, "w") as out_fh:
                    shutil.copyfileobj(fh, out_fh, 1 << 20)
        record = []
        for line in src.read(record_file).decode().splitlines():
            name = line.split(",", 1)[0]
            record.append(f"{name},{rows[name]}" if name in rows else line)
        dst.writestr(src.getinfo(record_file), ("\n".join(record) + "\n").encode())
    os.replace(out.with_suffix(".tmp"), out)
    if out != wheel:
        wheel.unlink()
    return out


def retag(wheel: Path, platform_tag: str) -> Path:
    """Rewrite a ``py3-none-linux_*`` wheel's platform tag (WHEEL, RECORD, file name)."""
    name_parts = wheel.name[: -len(".whl")].split("-")
    out = wheel.with_name("-".join([*name_parts[:-1], platform_tag]) + ".whl")

    def tags(text: str) -> str:
        lines = []
        for line in text.splitlines():
            if line.startswith("Tag: "):
                py, abi, _plat = line[5:].split("-")
                line = f"Tag: {py}-{abi}-{platform_tag}"
            lines.append(line)
        return "\n".join(lines) + "\n"

    return _rewrite(wheel, out, {}, tags)


def rewrite_members(wheel: Path, replace: Mapping[str, Path]) -> Path:
    """``wheel`` with members replaced by the given files (RECORD updated), in place."""
    return _rewrite(wheel, wheel, replace, lambda text: text)


class BuildProgress:
    """Reads the build's output: ninja's ``[n/N]`` lines drive ``task`` (files compiled of
    N), the build backend's ``*** `` lines and pip's last word go to the log."""

    def __init__(self, log: Log, task: Task) -> None:
        self.log = log
        self.task = task
        self.total = 0

    def __call__(self, line: str) -> None:
        text = line.strip()
        if text.startswith("[") and "/" in text.split("]", 1)[0]:
            done, total = text[1:].split("]", 1)[0].split("/", 1)
            if done.isdigit() and total.isdigit() and int(total):
                self.total = int(total)
                self.task.update(int(done), int(total))
        elif text.startswith("*** ") or text.startswith("Successfully built"):
            self.log(f"wheels: {text.lstrip('* ')}")


def build_from_sdist(
    entry: LockEntry, profile: Profile, recipe: Recipe, *, target_python: Path, cache: Path, log: Log,
    progress: ProgressFactory = no_progress,
) -> Path:
    """The cached wheel of ``entry`` built by ``recipe`` for ``profile``; built (once) when
    missing.  ``progress`` shows the long steps: downloads, the compile, a wait for another
    builder's build."""
    if entry.name != LLAMA_CPP_PYTHON:
        raise WheelError(f"{entry.pin}: the builder only builds llama-cpp-python from source")
    found = find_built(entry, profile, cache, recipe)
    if found is not None:
        return found
    # One build per machine: a second builder (another terminal, a test session) waits
    # for the first one and then takes its wheel from the cache.
    with exclusive(built_dir(cache) / ".lock", waiting=log, what=f"the wheel build of {entry.pin}",
                   progress=progress):
        found = find_built(entry, profile, cache, recipe)
        if found is not None:
            return found
        return _build_locked(entry, profile, recipe, target_python=target_python, cache=cache, log=log,
                             progress=progress)


def _build_locked(
    entry: LockEntry, profile: Profile, recipe: Recipe, *, target_python: Path, cache: Path, log: Log,
    progress: ProgressFactory,
) -> Path:
    toolchain = toolchain_python(target_python, cache, log)
    sdist, sdist_sha = fetch_sdist(entry, Pip(toolchain), cache, log, progress)
    key = build_key(entry, sdist_sha, profile, recipe)
    built_dir(cache).mkdir(parents=True, exist_ok=True)
    with temp_folder(built_dir(cache) / key, "build") as work:  # a killed build's folder is swept first
        src = unpack_sdist(sdist, work / "src")
        prepared = recipe.prepare(work, profile, toolchain=toolchain, cache=cache, log=log, progress=progress)
        check_requirements(toolchain, src, prepared.settings, what=f"{entry.pin} ({sdist.name})")
        log(f"wheels: building {entry.pin} {recipe.describe(profile)}; once per machine, then cached")
        with progress(f"compiling {entry.pin}", None, "files") as task:
            wheel = build_wheel(toolchain, src, work / "dist", prepared.settings, env=prepared.env,
                                on_line=BuildProgress(log, task), what=f"building {entry.pin}")
        wheel = recipe.finish(wheel, work, profile, prepared, log)
        major, minor = profile.glibc_tuple
        wheel = retag(wheel, f"manylinux_{major}_{minor}_{profile.machine}")
        stage = work / "final"
        stage.mkdir()
        shutil.move(str(wheel), stage / wheel.name)
        record = {
            "wheel": wheel.name,
            "sha256": sha256_file(stage / wheel.name),
            "backend": recipe.backend,
            "sdist": sdist.name,
            "sdist_sha256": sdist_sha,
            "frontend": "python -m build --wheel --no-isolation",
            "toolchain": list(toolchain_pins()),
            "config_settings": dict(prepared.settings),
            "profile": profile.name,
            **recipe.key_material(profile),
            **prepared.record,
        }
        (stage / "build.json").write_text(json.dumps(record, indent=2, sort_keys=True, default=list) + "\n")
        final_dir = built_dir(cache) / key
        if final_dir.exists():
            shutil.rmtree(final_dir)
        os.replace(stage, final_dir)
        return final_dir / wheel.name
