"""``python -m builder wheels --lock-cuda``: re-resolve ``toolkit.lock.toml`` for its pins.

The lock's pins (a wheel's name and version; a .deb's package, version, suite and
component) stay as they are written; this fills in, from the indexes, what each pin is: a
wheel's file name, sha256 and size from PyPI's simple index (its PEP 691 JSON form; the
``manylinux2014_x86_64`` wheel of the pinned version); a .deb's URL, sha256 and size from
the suite's ``Packages.xz``, whose own sha256 is checked against the suite's
``InRelease``, and that file's signature with ``gpgv`` and the Debian archive keyring when
both are installed (the result says which).  To move to another version, edit the version
in the lock and run this.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import re
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from ...errors import ConfigError
from ...util import toml as _toml
from ...util.download import DownloadError
from ...util.fs import write_text_atomic
from .lock import LOCK, load_cuda_lock

DEBIAN = "https://deb.debian.org/debian"
PYPI_SIMPLE = "https://pypi.org/simple/{name}/"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
_MAX_INDEX = 256 << 20
Fetch = Callable[[str], bytes]


def _fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # https URLs named in this module
            data: bytes = response.read(_MAX_INDEX + 1)
    except OSError as exc:
        raise DownloadError(f"{url}: cannot download ({exc})") from None
    if len(data) > _MAX_INDEX:
        raise DownloadError(f"{url}: larger than {_MAX_INDEX} bytes")
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Relocked:
    path: Path
    signature: str  # "verified with gpgv" or why not
    changed: tuple[str, ...]


def packages_index(text: str) -> dict[tuple[str, str], Mapping[str, str]]:
    """(package, version) -> its stanza of a ``Packages`` file."""
    out: dict[tuple[str, str], Mapping[str, str]] = {}
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields and "Version" in fields:
            out[(fields["Package"], fields["Version"])] = fields
    return out


def _inrelease_sha(inrelease: str, member: str) -> str | None:
    section = inrelease.split("SHA256:", 1)[-1]
    m = re.search(r"^ ([0-9a-f]{64})\s+\d+ " + re.escape(member) + r"$", section, re.M)
    return m.group(1) if m else None


def _signature(inrelease: bytes) -> str:
    gpgv = shutil.which("gpgv")
    if gpgv is None or not KEYRING.is_file():
        return "InRelease signature not checked (gpgv or the debian-archive-keyring package is missing)"
    with tempfile.NamedTemporaryFile(suffix=".InRelease") as fh:
        fh.write(inrelease)
        fh.flush()
        proc = subprocess.run([gpgv, "--keyring", str(KEYRING), fh.name], capture_output=True, check=False)
    if proc.returncode != 0:
        raise DownloadError(f"InRelease: the signature does not verify with {KEYRING}")
    return "InRelease signature verified with gpgv and the Debian archive keyring"


def _index(suite: str, component: str, fetch: Fetch, notes: list[str]) -> dict[tuple[str, str], Mapping[str, str]]:
    member = f"{component}/binary-amd64/Packages.xz"
    inrelease = fetch(f"{DEBIAN}/dists/{suite}/InRelease")
    notes.append(_signature(inrelease))
    want = _inrelease_sha(inrelease.decode("utf-8", "replace"), member)
    data = fetch(f"{DEBIAN}/dists/{suite}/{member}")
    if want is None or hashlib.sha256(data).hexdigest() != want:
        raise DownloadError(f"{DEBIAN}/dists/{suite}/{member}: its sha256 is not the one InRelease lists")
    return packages_index(lzma.decompress(data).decode("utf-8", "replace"))


def relock(path: Path = LOCK, fetch: Fetch = _fetch) -> Relocked:
    """Rewrite the lock at ``path`` with the files its pins resolve to today."""
    load_cuda_lock(path)  # refuse a broken lock before anything is fetched
    doc: dict[str, Any] = dict(_toml.load(path))
    notes: list[str] = []
    changed: list[str] = []
    for w in doc["wheel"]:
        index = json.loads(fetch(PYPI_SIMPLE.format(name=w["name"])))
        stem = f"{w['name'].replace('-', '_')}-{w['version']}-py3-none-manylinux2014_x86_64.whl"
        files = [f for f in index.get("files", []) if f.get("filename") == stem]
        if len(files) != 1 or "sha256" not in files[0].get("hashes", {}):
            raise ConfigError(path, f"{w['name']}=={w['version']}: PyPI has no hashed {stem}")
        new = {"file": stem, "sha256": files[0]["hashes"]["sha256"], "size": files[0]["size"]}
        if any(w.get(k) != v for k, v in new.items()):
            changed.append(f"{w['name']}=={w['version']}")
        w.update(new)
    indexes: dict[tuple[str, str], dict[tuple[str, str], Mapping[str, str]]] = {}
    for d in doc["deb"]:
        key = (d["suite"], d.get("component", "main"))
        if key not in indexes:
            indexes[key] = _index(*key, fetch, notes)
        stanza = indexes[key].get((d["package"], d["version"]))
        if stanza is None:
            raise ConfigError(path, f"{d['package']} {d['version']}: not in Debian {key[0]}/{key[1]} any more")
        new = {"url": f"{DEBIAN}/{stanza['Filename']}", "sha256": stanza["SHA256"], "size": int(stanza["Size"])}
        if any(d.get(k) != v for k, v in new.items()):
            changed.append(f"{d['package']} {d['version']}")
        d.update(new)
    head = "".join(line + "\n" for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    write_text_atomic(path, head + "\n" + tomli_w.dumps(doc))
    load_cuda_lock(path)
    return Relocked(path=path, signature="; ".join(sorted(set(notes))), changed=tuple(changed))
