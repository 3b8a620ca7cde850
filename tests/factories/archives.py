"""Craft good and hostile submission archives in a test's tmp folder.

``good_files()`` is a small stdlib-only submission that follows the archive contract;
``build_archive()`` writes it the way ``make submission`` does (sorted members, fixed
metadata, MANIFEST.json last, ``<name>.manifest.json`` beside it).  Tests change the
file dict or pass ``extra_members`` / ``manifest_override`` to make it hostile.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from builder.archive import Member as BuildMember
from builder.archive import write_archive
from builder.archive.contract import sidecar_path

MTIME = 1_700_000_000

#: A stdlib-only agent that plays legal moves (the answerer always says "no").
GOOD_MAIN = textwrap.dedent(
    """\
    import os
    import sys

    _HERE = "/kaggle_simulations/agent"
    if not os.path.exists(_HERE):
        _HERE = sys.path[-1]
    sys.path.insert(0, os.path.join(_HERE, "lib"))

    QUESTIONS = ["Is it a place?", "Is it a country?", "Is it in Europe?"]


    def agent(obs, cfg):
        if obs.turnType == "ask":
            return QUESTIONS[len(obs.questions) % len(QUESTIONS)]
        if obs.turnType == "guess":
            return "france"
        return "no"
    """
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """A raw tar member for hostile archives."""

    name: str
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    mode: int = 0o644
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0


def tiny_gguf() -> bytes:
    """A syntactically plausible GGUF header (level 1-2 only look at the magic)."""
    return b"GGUF" + (3).to_bytes(4, "little") + bytes(16)


def dist_info(name: str, version: str, files: Mapping[str, bytes], tag: str = "py3-none-any") -> dict[str, bytes]:
    """``lib/`` entries of one vendored distribution with METADATA, WHEEL, RECORD."""
    di = f"{name}-{version}.dist-info"
    out: dict[str, bytes] = {f"lib/{p}": b for p, b in files.items()}
    out[f"lib/{di}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    out[f"lib/{di}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    lines = []
    for p, b in sorted(files.items()):
        h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
        lines.append(f"{p},sha256={h},{len(b)}")
    lines += [f"{di}/METADATA,,", f"{di}/WHEEL,,", f"{di}/RECORD,,"]
    out[f"lib/{di}/RECORD"] = ("\n".join(lines) + "\n").encode()
    return out


def good_files(main: str = GOOD_MAIN) -> dict[str, bytes]:
    files = {
        "main.py": main.encode(),
        "agent_settings.json": json.dumps({"model_file": "tiny.gguf"}).encode(),
        "tiny.gguf": tiny_gguf(),
    }
    files.update(dist_info("tinypkg", "1.0", {"tinypkg/__init__.py": b"VALUE = 1\n"}))
    return files


def manifest_for(files: Mapping[str, bytes], model_file: str = "tiny.gguf") -> dict[str, object]:
    return {
        "format": 1,
        "generator": "tests.archive_factory",
        "profile": "kaggle-2024",
        "model_file": model_file,
        "files": [
            {"path": p, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()} for p, b in sorted(files.items())
        ],
    }


def _info(m: Member) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(m.name)
    ti.type = m.type
    ti.mode = m.mode
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.linkname = m.linkname
    ti.devmajor, ti.devminor = m.devmajor, m.devminor
    ti.size = len(m.data) if m.type in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
    return ti


def write_members(path: Path, members: Iterable[Member]) -> Path:
    """Write exactly these members, in this order, as one gzip stream."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for m in members:
            ti = _info(m)
            tf.addfile(ti, io.BytesIO(m.data) if ti.size else None)
    path.write_bytes(gzip.compress(buf.getvalue(), mtime=0))
    return path


def build_archive(
    path: Path,
    files: Mapping[str, bytes],
    *,
    modes: Mapping[str, int] | None = None,
    extra_members: Iterable[Member] = (),
    after_manifest: Iterable[Member] = (),
    manifest_override: Mapping[str, bytes] | None = None,
    edit_manifest: Callable[[dict[str, object]], None] | None = None,
    sidecar: bool = True,
    manifest_first: bool = False,
) -> Path:
    """An archive of ``files`` by the contract; ``extra_members`` go before MANIFEST.json,
    ``after_manifest`` after it.

    ``manifest_override`` lists files as the manifest claims them (to fake a tampered or
    missing member); ``edit_manifest`` may change the manifest dict in place.
    """
    modes = modes or {}
    claimed = manifest_override if manifest_override is not None else files
    manifest = manifest_for(claimed)
    if edit_manifest:
        edit_manifest(manifest)
    dirs: set[str] = set()
    for p in files:
        parts = p.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    entries: list[Member] = [Member(name=d, type=tarfile.DIRTYPE, mode=0o755) for d in dirs]
    entries += [Member(name=p, data=b, mode=modes.get(p, 0o644)) for p, b in files.items()]
    entries.sort(key=lambda m: m.name)
    entries += list(extra_members)
    manifest_member = Member(name="MANIFEST.json", data=json.dumps(manifest, sort_keys=True).encode())
    if manifest_first:
        entries.insert(0, manifest_member)
    else:
        entries.append(manifest_member)
    entries += list(after_manifest)
    write_members(path, entries)
    if sidecar:
        data = path.read_bytes()
        doc = dict(manifest)
        doc["archive"] = {"name": path.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        sidecar_path(path).write_text(json.dumps(doc), encoding="utf-8")
    return path


def write_pair(folder: Path, *, executable: bool = False) -> Path:
    """``folder/submission.tar.gz`` and its sidecar written by the builder's archive writer:
    a one-line agent (executable or not: another tar header, same manifest) and random
    weights, made once per folder (a rewrite keeps them)."""
    src = folder / "main.py"
    src.write_text("def agent(obs, cfg):\n    return 'yes'\n")
    weights = folder / "m.gguf"
    if not weights.exists():
        weights.write_bytes(b"GGUF" + os.urandom(100_000))
    out = folder / "submission.tar.gz"
    write_archive(out, [BuildMember(arcname="main.py", source=src, executable=executable),
                        BuildMember(arcname="m.gguf", source=weights, weights=True)], meta={})
    return out


def gcc() -> str | None:
    return shutil.which("gcc")


def build_so(tmp: Path, name: str, source: str, *, libs: Iterable[str] = (), soname: str | None = None) -> bytes:
    """Compile a tiny shared object with gcc and return its bytes."""
    src = tmp / f"{name}.c"
    out = tmp / name
    src.write_text(source, encoding="utf-8")
    argv = ["gcc", "-shared", "-fPIC", "-o", str(out), str(src)]
    if soname:
        argv.append(f"-Wl,-soname,{soname}")
    argv += [f"-l{lib}" for lib in libs]
    subprocess.run(argv, check=True, capture_output=True)
    return out.read_bytes()


#: The body of a stand-in ``llama_cpp/__init__.py``: enough of its API for verify level 3's
#: model probe (``Llama`` "loads" any file and evaluates tokens) so that tests with a fake
#: llama_cpp are about imports and libraries, not models.  Append it to the module's own head.
FAKE_LLAMA_API = """
def llama_supports_gpu_offload():
    return False


class Llama:
    def __init__(self, model_path, **kwargs):
        open(model_path, "rb").close()
        self.n_tokens = 0
        self.scores = [[0.0] * 8 for _ in range(64)]

    def tokenize(self, text, add_bos=True):
        return [1, 2, 3]

    def eval(self, tokens):
        self.n_tokens += len(tokens)

    def close(self):
        pass
"""
