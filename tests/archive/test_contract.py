"""The archive contract has one owner: the writer, verify and the report agree on names."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from factories.archives import write_pair

from builder.archive import Member, report_path, sidecar_path, write_archive
from builder.archive.contract import MANIFEST_FORMAT, archive_stem, read_manifest_files
from builder.verify.scan import scan_archive


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("submission.tar.gz", "submission"),
        ("agent.tgz", "agent"),
        ("out.tar", "out.tar"),
        ("weird", "weird"),
        (".tar.gz", ".tar.gz"),
    ],
)
def test_names_beside_the_archive(tmp_path: Path, name: str, stem: str) -> None:
    archive = tmp_path / name
    assert archive_stem(archive) == stem
    assert sidecar_path(archive) == tmp_path / f"{stem}.manifest.json"
    assert report_path(archive) == tmp_path / f"{stem}.report.json"


@pytest.mark.parametrize("name", ["submission.tar.gz", "out.tar", "agent.tgz", "no-suffix"])
def test_verify_finds_the_sidecar_of_any_output_name(tmp_path: Path, name: str) -> None:
    """The writer put ``out.tar.manifest.json`` beside ``out.tar`` while verify looked for
    ``out.manifest.json``: the archive hash cross-check silently became a note."""
    src = tmp_path / "main.py"
    src.write_text("def agent(obs, cfg):\n    return 'yes'\n")
    weights = tmp_path / "m.gguf"
    weights.write_bytes(b"GGUF" + os.urandom(1000))
    out = tmp_path / "out" / name
    out.parent.mkdir()
    members = [Member(arcname="main.py", source=src), Member(arcname="m.gguf", source=weights, weights=True)]
    result = write_archive(out, members, meta={})
    assert result.manifest_path == sidecar_path(out) and result.manifest_path.is_file()
    scan = scan_archive(out)
    how = "archive (size, gzip CRC-32 and length, MANIFEST.json sha256)"
    assert f"{how} matches {sidecar_path(out).name}" in scan.notes
    assert not any("not cross-checked" in n for n in scan.notes)
    # and an archive replaced after the build is caught through that same sidecar
    sidecar = sidecar_path(out).read_bytes()
    src.write_text("def agent(obs, cfg):\n    return 'no'\n")
    write_archive(out, members, meta={})
    sidecar_path(out).write_bytes(sidecar)
    assert any("differ from" in p and sidecar_path(out).name in p for p in scan_archive(out).problems)


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ([], "not a JSON object"),
        ({"format": 9, "files": []}, "unknown format 9"),
        ({"format": MANIFEST_FORMAT, "files": {}}, "'files' is not a list"),
        ({"format": MANIFEST_FORMAT, "files": [{"path": "a", "size": "1", "sha256": "x"}]}, "malformed entry"),
        ({"format": MANIFEST_FORMAT, "files": [{"path": "a", "size": 1, "sha256": "x"}] * 2}, "a listed twice"),
    ],
)
def test_manifest_reading_names_each_problem(doc: object, problem: str) -> None:
    found = read_manifest_files(doc)
    assert any(problem in p for p in found.problems), found.problems


def _edit_sidecar(out: Path, **changes: object) -> None:
    doc = json.loads(sidecar_path(out).read_text())
    doc["archive"].update(changes)
    doc["archive"] = {k: v for k, v in doc["archive"].items() if v is not None}
    sidecar_path(out).write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"size": 1}, "size"),
        ({"crc32": "00000000"}, "gzip trailer"),
        ({"isize": 7}, "gzip trailer"),
        ({"manifest_sha256": "0" * 64}, "MANIFEST.json sha256"),
        ({"crc32": None, "isize": None}, "names no archive sha256"),
        ({"crc32": "not hex"}, "unreadable"),
    ],
)
def test_each_claim_of_the_sidecar_is_checked(tmp_path: Path, changes: dict[str, object], needle: str) -> None:
    out = write_pair(tmp_path)
    assert scan_archive(out).ok
    _edit_sidecar(out, **changes)
    problems = scan_archive(out).problems
    assert any(needle in p for p in problems), problems


def test_a_changed_header_is_caught_by_the_trailer(tmp_path: Path) -> None:
    """Same members, same manifest, another mode bit: the tar stream's CRC-32 differs."""
    out = write_pair(tmp_path)
    sidecar = sidecar_path(out).read_bytes()
    write_pair(tmp_path, executable=True)
    sidecar_path(out).write_bytes(sidecar)
    problems = scan_archive(out).problems
    assert any("gzip trailer" in p and "MANIFEST.json" not in p for p in problems), problems


def test_a_sidecar_with_the_archive_sha256_is_still_checked_by_it(tmp_path: Path) -> None:
    out = write_pair(tmp_path)
    data = out.read_bytes()
    doc = json.loads(sidecar_path(out).read_text())
    doc["archive"] = {"name": out.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    sidecar_path(out).write_text(json.dumps(doc))
    assert f"archive hash matches {sidecar_path(out).name}" in scan_archive(out).notes
    doc["archive"]["sha256"] = "0" * 64
    sidecar_path(out).write_text(json.dumps(doc))
    assert any("sha256" in p and "differ from" in p for p in scan_archive(out).problems)
