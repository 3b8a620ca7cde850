"""``toolkit.lock.toml``: every download of the CUDA build, pinned (read strictly)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...errors import ConfigError
from ...util import toml as _toml

LOCK = Path(__file__).with_name("toolkit.lock.toml")
Role = Literal["toolkit", "hostcc"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedWheel:
    name: str
    version: str
    file: str
    sha256: str
    size: int

    @property
    def pin(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedDeb:
    package: str
    version: str
    suite: str
    component: str
    url: str
    sha256: str
    size: int
    role: Role

    @property
    def file(self) -> str:
        return self.url.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True, kw_only=True)
class CudaLock:
    path: Path
    cuda_version: str
    host_compiler: str
    wheels: tuple[PinnedWheel, ...]
    debs: tuple[PinnedDeb, ...]
    #: the sha256 of what is pinned (every file's name, version and sha256; not the comments):
    #: part of the build key and of the cached toolkit's folder name
    digest: str

    def debs_for(self, role: Role) -> tuple[PinnedDeb, ...]:
        return tuple(d for d in self.debs if d.role == role)

    @property
    def download_size(self) -> int:
        return sum(w.size for w in self.wheels) + sum(d.size for d in self.debs)


def _sha(t: _toml.Table, key: str) -> str:
    value = t.get(key, str, required=True)
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ConfigError(t.path, f"key '{t.prefix}{key}' is not a sha256: {value!r:.80}")
    return value


def load_cuda_lock(path: Path = LOCK) -> CudaLock:
    doc = _toml.Table(_toml.load(path), path)
    if doc.get("format", int, required=True) != 1:
        raise ConfigError(path, "key 'format' must be 1")
    wheels = []
    for t in doc.tables("wheel"):
        wheels.append(PinnedWheel(
            name=t.get("name", str, required=True), version=t.get("version", str, required=True),
            file=t.get("file", str, required=True), sha256=_sha(t, "sha256"), size=t.get("size", int, required=True),
        ))
        t.get("why", str, "")
        t.done()
    debs = []
    for t in doc.tables("deb"):
        role = t.get("role", str, required=True)
        if role not in ("toolkit", "hostcc"):
            raise ConfigError(path, f"key '{t.prefix}role' must be 'toolkit' or 'hostcc', got {role!r}")
        url = t.get("url", str, required=True)
        if not url.startswith("https://"):
            raise ConfigError(path, f"key '{t.prefix}url' must be an https URL, got {url!r:.100}")
        debs.append(PinnedDeb(
            package=t.get("package", str, required=True), version=t.get("version", str, required=True),
            suite=t.get("suite", str, required=True), component=t.get("component", str, required=True),
            url=url, sha256=_sha(t, "sha256"),
            size=t.get("size", int, required=True), role=role,  # type: ignore[arg-type]
        ))
        t.get("why", str, "")
        t.done()
    pinned = [[w.name, w.version, w.sha256] for w in wheels] + [[d.package, d.version, d.sha256] for d in debs]
    lock = CudaLock(path=path, cuda_version=doc.get("cuda_version", str, required=True),
                    host_compiler=doc.get("host_compiler", str, required=True), wheels=tuple(wheels),
                    debs=tuple(debs), digest=hashlib.sha256(json.dumps(sorted(pinned)).encode()).hexdigest())
    doc.done()
    if not lock.debs_for("toolkit") or not lock.debs_for("hostcc") or not lock.wheels:
        raise ConfigError(path, "the lock needs the toolkit wheels, the toolkit .deb and the host compiler .debs")
    return lock
