from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from builder.archive import (
    DEFAULT_MTIME,
    MANIFEST_NAME,
    Member,
    check_output_dir,
    manifest_path_for,
    source_date_epoch,
    write_archive,
)
from builder.errors import ArchiveError


def _tree(tmp: Path) -> list[Member]:
    src = tmp / "src"
    (src / "lib" / "pkg").mkdir(parents=True)
    (src / "main.py").write_text("def agent(obs):\n    return 'yes'\n")
    (src / "lib" / "pkg" / "__init__.py").write_text("X = 1\n" * 1000)
    (src / "run.sh").write_text("#!/bin/sh\n")
    weights = src / "model.gguf"
    weights.write_bytes(os.urandom(3 << 20))
    return [
        Member(arcname="model.gguf", source=weights, weights=True),
        Member(arcname="main.py", source=src / "main.py"),
        Member(arcname="lib/pkg/__init__.py", source=src / "lib" / "pkg" / "__init__.py"),
        Member(arcname="run.sh", source=src / "run.sh", executable=True),
    ]


def test_reproducible_and_normalised(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    a = write_archive(tmp_path / "a.tar.gz", members, meta={"profile": "p"})
    # touch the sources: mtimes must not matter
    for m in members:
        os.utime(m.source, (1, 1))
    b = write_archive(tmp_path / "b.tar.gz", list(reversed(members)), meta={"profile": "p"})
    assert a.sha256 == b.sha256
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    assert hashlib.sha256((tmp_path / "a.tar.gz").read_bytes()).hexdigest() == a.sha256
    raw = (tmp_path / "a.tar.gz").read_bytes()
    assert raw[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        infos = tar.getmembers()
    names = [i.name for i in infos]
    assert names == ["lib", "lib/pkg", "lib/pkg/__init__.py", "main.py", "model.gguf", "run.sh", MANIFEST_NAME]
    for i in infos:
        assert (i.mtime, i.uid, i.gid, i.uname, i.gname) == (DEFAULT_MTIME, 0, 0, "", "")
        assert i.mode == (0o755 if i.isdir() or i.name == "run.sh" else 0o644)


def test_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert source_date_epoch() == 1700000000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ArchiveError, match="SOURCE_DATE_EPOCH: not an integer"):
        source_date_epoch()


def test_manifest_inside_and_beside(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    res = write_archive(tmp_path / "submission.tar.gz", members, meta={"profile": "p", "model_file": "model.gguf"})
    beside = json.loads(manifest_path_for(tmp_path / "submission.tar.gz").read_text())
    assert res.manifest_path == tmp_path / "submission.manifest.json"
    with tarfile.open(tmp_path / "submission.tar.gz") as tar:
        inside = json.loads(tar.extractfile(MANIFEST_NAME).read())  # type: ignore[union-attr]
        for f in inside["files"]:
            data = tar.extractfile(f["path"]).read()  # type: ignore[union-attr]
            assert (len(data), hashlib.sha256(data).hexdigest()) == (f["size"], f["sha256"])
    assert [f["path"] for f in inside["files"]] == ["lib/pkg/__init__.py", "main.py", "model.gguf", "run.sh"]
    assert beside["files"] == inside["files"]
    assert beside["archive"] == {"name": "submission.tar.gz", "size": res.size, "sha256": res.sha256}
    assert inside["profile"] == "p" and "archive" not in inside


def test_two_levels_one_valid_gzip_stream(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    stored = write_archive(tmp_path / "s.tar.gz", members, meta={}, compresslevel=9, weights_compresslevel=0)
    squeezed = write_archive(tmp_path / "z.tar.gz", members, meta={}, compresslevel=9, weights_compresslevel=9)
    # random weights do not compress: level 0 stores them, level 9 gains nothing either;
    # the text member compresses in both
    assert stored.size < 3.1 * (1 << 20)
    assert subprocess.run(["gzip", "-t", str(tmp_path / "s.tar.gz")]).returncode == 0
    with gzip.open(tmp_path / "s.tar.gz") as a, gzip.open(tmp_path / "z.tar.gz") as b:
        assert a.read() == b.read()  # same tar, different deflate
    assert squeezed.sha256 != stored.sha256
    allstored = write_archive(tmp_path / "0.tar.gz", members, meta={}, compresslevel=0, weights_compresslevel=0)
    assert subprocess.run(["gzip", "-t", str(tmp_path / "0.tar.gz")]).returncode == 0
    with gzip.open(tmp_path / "0.tar.gz") as c, gzip.open(tmp_path / "s.tar.gz") as a:
        assert c.read() == a.read()
    assert allstored.size > stored.size


def test_weights_read_once_with_progress(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    seen: list[int] = []
    write_archive(tmp_path / "p.tar.gz", members, meta={}, progress=seen.append)
    assert sum(seen) == 3 << 20  # every byte of the weights, once


def test_interrupt_leaves_previous_archive(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    out = tmp_path / "submission.tar.gz"
    first = write_archive(out, members, meta={})
    before = out.read_bytes(), first.manifest_path.read_bytes()

    def boom(_n: int) -> None:
        raise KeyboardInterrupt

    (tmp_path / "src" / "main.py").write_text("changed\n")
    with pytest.raises(KeyboardInterrupt):
        write_archive(out, members, meta={}, progress=boom)
    assert (out.read_bytes(), first.manifest_path.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "submission.manifest.json", "submission.tar.gz"]


def test_output_dir_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ArchiveError, match=r"file: output directory is not a directory"):
        check_output_dir(afile / "submission.tar.gz")
    with pytest.raises(ArchiveError, match=r"nope: output directory does not exist"):
        check_output_dir(tmp_path / "nope" / "submission.tar.gz")
    real_open = os.open

    def denied(path: str, *a: object, **k: object) -> int:
        if str(path).endswith(".probe"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ArchiveError, match=r"output directory is not writable \(Permission denied\)"):
        check_output_dir(tmp_path / "submission.tar.gz")


def test_unclean_and_duplicate_names(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    with pytest.raises(ArchiveError, match="not a clean relative archive path"):
        write_archive(tmp_path / "x.tar.gz", [Member(arcname="../evil", source=members[1].source)], meta={})
    with pytest.raises(ArchiveError, match="listed twice"):
        write_archive(tmp_path / "x.tar.gz", [members[1], members[1]], meta={})
    assert not (tmp_path / "x.tar.gz").exists()
