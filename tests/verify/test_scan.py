"""Verify level 1: hostile and broken archives are refused, good ones pass (offline)."""

from __future__ import annotations

import gzip
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest
from factories.archives import Member, build_archive, good_files, write_members

from builder.profile import Profile
from builder.progress import RecordingProgress
from builder.verify import format_table, verify
from builder.verify.scan import check_name, scan_archive


def _problems(archive: Path, extract_to: Path | None = None) -> str:
    scan = scan_archive(archive, extract_to=extract_to)
    return "\n".join(scan.problems)


def test_good_archive_passes_without_writing(tmp_path: Path, profile: Profile) -> None:
    archive = build_archive(tmp_path / "submission.tar.gz", good_files())
    before = set(tmp_path.iterdir())
    report = verify(archive, profile, levels=(1, 2))
    assert not report.failed, format_table(report)
    assert [r.status for r in report.levels] == ["passed", "passed", "skipped", "skipped"]
    assert report.level(3).summary == "skipped: not requested"
    assert set(tmp_path.iterdir()) == before
    assert "archive hash matches submission.manifest.json" in report.level(1).notes
    # levels not run are gaps: not OK
    gaps = ["level 3 (import) not run: not requested", "level 4 (play) not run: not requested"]
    assert report.to_json()["verdict"] == "PASSED WITH GAPS" and report.to_json()["gaps"] == gaps
    assert report.to_json()["ok"] is False
    assert format_table(report).endswith("PASSED WITH GAPS\n" + "\n".join(f"  - {g}" for g in gaps))
    assert set(report.timings) >= {"level1", "level2", "total"}


def test_good_archive_extracts_with_contract_modes(tmp_path: Path) -> None:
    files = good_files()
    files["run.sh"] = b"#!/bin/sh\n"
    archive = build_archive(tmp_path / "s.tar.gz", files, modes={"run.sh": 0o775})
    dest = tmp_path / "agent"
    dest.mkdir()
    scan = scan_archive(archive, extract_to=dest)
    assert scan.ok, scan.problems
    assert scan.root == dest
    assert (dest / "main.py").read_bytes() == files["main.py"]
    assert (dest / "lib" / "tinypkg" / "__init__.py").is_file()
    assert stat.S_IMODE((dest / "main.py").stat().st_mode) == 0o644
    assert stat.S_IMODE((dest / "run.sh").stat().st_mode) == 0o755


def test_tampered_byte(tmp_path: Path) -> None:
    files = good_files()
    claimed = dict(files)
    files["main.py"] = files["main.py"].replace(b"france", b"frxnce")
    archive = build_archive(tmp_path / "s.tar.gz", files, manifest_override=claimed)
    assert "main.py: sha256" in _problems(archive)


def test_missing_and_extra_member(tmp_path: Path) -> None:
    files = good_files()
    claimed = dict(files)
    claimed["lib/tinypkg/gone.py"] = b"x = 1\n"
    files["surprise.py"] = b"print('hi')\n"
    archive = build_archive(tmp_path / "s.tar.gz", files, manifest_override=claimed)
    problems = _problems(archive)
    assert "lib/tinypkg/gone.py: listed in MANIFEST.json but missing" in problems
    assert "surprise.py: in the archive but not listed in MANIFEST.json (extra member)" in problems


def test_size_mismatch(tmp_path: Path) -> None:
    def edit(doc: dict[str, object]) -> None:
        entries = doc["files"]
        assert isinstance(entries, list)
        entries[0]["size"] += 1

    archive = build_archive(tmp_path / "s.tar.gz", good_files(), edit_manifest=edit)
    assert "differs from MANIFEST.json" in _problems(archive)


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (Member(name="../evil.py", data=b"x"), "'../evil.py': path with '..'"),
        (Member(name="lib/../../evil.py", data=b"x"), "path with '..'"),
        (Member(name="/tmp/evil.py", data=b"x"), "absolute path"),
        (Member(name="lib/./main2.py", data=b"x"), "not normalised"),
        (Member(name="lib//main2.py", data=b"x"), "not normalised"),
        (Member(name="lib/out", type=tarfile.SYMTYPE, linkname="../../etc/passwd"), "leads out of the archive"),
        (Member(name="lib/abs", type=tarfile.SYMTYPE, linkname="/etc/passwd"), "symlink to absolute path"),
        (Member(name="dev0", type=tarfile.CHRTYPE, devmajor=1, devminor=3), "device or fifo"),
        (Member(name="fifo0", type=tarfile.FIFOTYPE), "device or fifo"),
        (Member(name="hard", type=tarfile.LNKTYPE, linkname="/etc/passwd"), "hard link outside the archive"),
        (Member(name="hard2", type=tarfile.LNKTYPE, linkname="main.py"), "hard link to main.py"),
        (Member(name="suid.py", data=b"x", mode=0o4755), "setuid/setgid/sticky"),
        (Member(name="main.py", data=b"def agent(): return 'no'\n"), "main.py: member appears twice"),
    ],
)
def test_hostile_member_refused(tmp_path: Path, member: Member, expected: str) -> None:
    archive = build_archive(tmp_path / "s.tar.gz", good_files(), extra_members=[member])
    dest = tmp_path / "x" / "kaggle_simulations" / "agent"
    dest.mkdir(parents=True)
    problems = _problems(archive, extract_to=dest)
    assert expected in problems
    assert list(dest.iterdir()) == []  # whatever was written is gone
    assert not (tmp_path / "x" / "kaggle_simulations" / "evil.py").exists()
    assert not (tmp_path / "evil.py").exists()


def test_hostile_first_member_writes_nothing(tmp_path: Path) -> None:
    """A refused header stops writing before any byte of the member (or later ones)."""
    files = good_files()
    members = [Member(name="../../escape.py", data=b"boom")]
    members += [Member(name=p, data=b) for p, b in sorted(files.items())]
    archive = write_members(tmp_path / "s.tar.gz", members)
    dest = tmp_path / "a" / "b"
    dest.mkdir(parents=True)
    scan = scan_archive(archive, extract_to=dest)
    assert not scan.ok
    assert scan.root is None
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "escape.py").exists()
    # hashing went on: the rest of the archive was read and judged too
    assert "no MANIFEST.json: the members' content hashes were not checked" in "\n".join(scan.gaps)
    assert set(scan.files) == set(files)


def test_path_through_inside_symlink_is_refused(tmp_path: Path) -> None:
    members = [
        Member(name="lib/up", type=tarfile.SYMTYPE, linkname=".."),
        Member(name="lib/up/evil.py", data=b"x"),
    ]
    archive = build_archive(tmp_path / "s.tar.gz", good_files(), extra_members=members)
    assert "path goes through the symlink lib/up" in _problems(archive)


def test_inside_symlink_is_allowed(tmp_path: Path) -> None:
    member = Member(name="lib/tinypkg/alias.py", type=tarfile.SYMTYPE, linkname="__init__.py")
    archive = build_archive(tmp_path / "s.tar.gz", good_files(), extra_members=[member])
    dest = tmp_path / "agent"
    dest.mkdir()
    scan = scan_archive(archive, extract_to=dest)
    assert scan.ok, scan.problems
    assert os.readlink(dest / "lib" / "tinypkg" / "alias.py") == "__init__.py"


def test_all_problems_are_collected(tmp_path: Path) -> None:
    files = good_files()
    claimed = dict(files)
    files["agent_settings.json"] = b"{}"
    extra = [Member(name="/abs", data=b"x"), Member(name="d", type=tarfile.BLKTYPE)]
    archive = build_archive(tmp_path / "s.tar.gz", files, manifest_override=claimed, extra_members=extra)
    scan = scan_archive(archive)
    text = "\n".join(scan.problems)
    assert "absolute path" in text and "device or fifo" in text and "agent_settings.json: size" in text


def test_main_py_must_be_at_root(tmp_path: Path) -> None:
    files = good_files()
    files["agent/main.py"] = files.pop("main.py")
    archive = build_archive(tmp_path / "s.tar.gz", files)
    assert "main.py: not at the archive root" in _problems(archive)


def test_no_manifest_is_a_note_and_any_order_passes(tmp_path: Path) -> None:
    """A hand-made archive has no MANIFEST.json, or has it anywhere: every other check runs."""
    files = good_files()
    archive = write_members(tmp_path / "a.tar.gz", [Member(name=p, data=b) for p, b in sorted(files.items())])
    scan = scan_archive(archive)
    assert scan.ok, scan.problems
    assert any("no MANIFEST.json: the members' content hashes were not checked" in g for g in scan.gaps)
    late = Member(name="zz.txt", data=b"late")
    archive = build_archive(tmp_path / "b.tar.gz", files, after_manifest=[late])
    assert "zz.txt: in the archive but not listed in MANIFEST.json (extra member)" in _problems(archive)
    reordered = build_archive(tmp_path / "c.tar.gz", files, manifest_first=True)
    assert _problems(reordered) == ""


def test_sidecar_mismatch(tmp_path: Path) -> None:
    archive = build_archive(tmp_path / "submission.tar.gz", good_files())
    sidecar = tmp_path / "submission.manifest.json"
    doc = json.loads(sidecar.read_text())
    doc["archive"]["sha256"] = "0" * 64
    sidecar.write_text(json.dumps(doc))
    assert "the archive changed after it was built" in _problems(archive)


def test_not_gzip_truncated_and_two_streams(tmp_path: Path) -> None:
    archive = build_archive(tmp_path / "s.tar.gz", good_files(), sidecar=False)
    good = archive.read_bytes()
    plain = tmp_path / "plain.tar.gz"
    plain.write_bytes(gzip.decompress(good))
    assert "not a gzip file" in _problems(plain)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good[: len(good) // 2])
    assert "corrupt archive" in _problems(cut)
    two = tmp_path / "two.tar.gz"
    two.write_bytes(good + gzip.compress(b"\0" * 1024))
    assert "more than one gzip stream" in _problems(two)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(good + b"junk")
    assert "data after the gzip stream" in _problems(junk)


def test_refused_archive_skips_later_levels(tmp_path: Path, profile: Profile) -> None:
    archive = build_archive(tmp_path / "s.tar.gz", good_files(), extra_members=[Member(name="../x", data=b"")])
    report = verify(archive, profile, levels=(1, 2))
    assert report.failed and report.verdict == "FAILED"
    assert report.level(1).summary.startswith("FAILED: '../x': path with '..'")
    assert report.level(2).summary == "skipped: the archive was refused at level 1"
    assert "FAILED" in format_table(report)


@pytest.mark.parametrize(
    ("name", "ok"),
    [("main.py", True), ("lib/a/b.py", True), ("lib/", True), ("a//b", False), ("C:x", False), ("a\\b", False)],
)
def test_check_name(name: str, ok: bool) -> None:
    assert (check_name(name) is None) is ok


def test_unpacking_never_fills_the_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member bigger than the free space (less a reserve) is refused, not written: a
    decompression bomb or a too-small temp folder is a problem, never a full disk."""
    import shutil as _shutil

    import builder.verify.scan as va

    archive = build_archive(tmp_path / "s.tar.gz", good_files())
    dest = tmp_path / "agent"
    dest.mkdir()
    usage = _shutil.disk_usage(tmp_path)
    monkeypatch.setattr(_shutil, "disk_usage", lambda _p: usage._replace(free=va.DISK_RESERVE + 10))
    scan = scan_archive(archive, extract_to=dest)
    assert not scan.ok
    assert any("bytes to unpack, only" in p and "nothing more is written" in p for p in scan.problems), scan.problems
    assert not any(p.is_file() for p in dest.rglob("*"))


def test_level1_reports_progress_of_every_byte(tmp_path: Path, profile: Profile) -> None:
    """Unpacking a multi-GB archive takes seconds: level 1 reports the bytes it reads."""
    files = good_files()
    files["model.gguf"] = os.urandom(3 << 20)
    archive = build_archive(tmp_path / "submission.tar.gz", files)
    rec = RecordingProgress()
    report = verify(archive, profile, levels=(1,), progress=rec)
    assert not report.failed, format_table(report)
    [task] = rec.tasks
    assert task.description == "level 1: reading submission.tar.gz"
    assert (task.unit, task.total, task.completed) == ("B", archive.stat().st_size, archive.stat().st_size)
    assert task.closed
