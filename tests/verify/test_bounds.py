"""Verify on hostile input, through the command line in a child process: whatever the
archive holds, every problem is one line, nothing prints a traceback, and the peak
memory (VmHWM) stays under 300 MiB."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from factories.archives import GOOD_MAIN, Member, build_archive, good_files, many_empty_members
from factories.memory import PEAK_KIB

from builder.archive.contract import sidecar_path

_CLI = (
    "import sys\nfrom builder.__main__ import main\n"
    "rc = main(sys.argv[1:])\n"
    "print('PEAK', " + PEAK_KIB + ", file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def _verify(archive: Path, levels: str = "1,2") -> tuple[int, str, float]:
    """``verify ARCHIVE --levels L`` in a child: its exit code, stdout + stderr (without the
    peak line), and its peak memory in MiB."""
    proc = subprocess.run([sys.executable, "-c", _CLI, "verify", str(archive), "--levels", levels],
                          capture_output=True, text=True, timeout=600)
    peak = next(int(ln.split()[1]) for ln in proc.stderr.splitlines() if ln.startswith("PEAK"))
    out = proc.stdout + "\n".join(ln for ln in proc.stderr.splitlines() if not ln.startswith("PEAK"))
    return proc.returncode, out, peak / 1024


def _refused(archive: Path, problem: str, levels: str = "1,2") -> float:
    """``verify`` refuses ``archive`` (exit 1) with ``problem`` whole on one line of its
    report and no traceback; its peak memory in MiB."""
    rc, out, peak = _verify(archive, levels)
    assert "Traceback" not in out, out[-3000:]
    assert any(problem in line for line in out.splitlines()), f"{problem!r} not on one line of:\n{out[-3000:]}"
    assert rc == 1, rc
    return peak


def test_a_million_empty_members(tmp_path: Path) -> None:
    """1,000,000 empty members took 666 MiB in level 1 alone: every one was recorded."""
    archive = many_empty_members(tmp_path / "million.tar.gz", 1_000_000, good_files())
    assert _refused(archive, "more than 100,000 members (a submission has hundreds): the archive is refused") < 300


def test_names_are_bounded_in_all(tmp_path: Path) -> None:
    """Names of 3,771 bytes (15 components of 250), each implying 15 folders of their own:
    6,000 of them would be 170 MB of names and folders, more than are kept."""
    extra = [Member(name=f"d{i:05d}/" + "/".join(["n" * 250] * 15)) for i in range(6000)]
    archive = build_archive(tmp_path / "names.tar.gz", good_files(), extra_members=extra)
    assert _refused(archive, "member names of more than 16,777,216 bytes in all", "1") < 300


DEEP = b"[" * 200_000


@pytest.mark.parametrize("member", ["MANIFEST.json", "agent_settings.json"])
def test_json_nested_200000_deep_is_one_problem(tmp_path: Path, member: str) -> None:
    """A MANIFEST.json of 200,000 `[` printed a RecursionError traceback."""
    files = good_files()
    if member == "MANIFEST.json":
        archive = _replace_manifest(build_archive(tmp_path / "deep.tar.gz", files, sidecar=False), DEEP)
    else:
        files[member] = DEEP
        archive = build_archive(tmp_path / "deep.tar.gz", files, sidecar=False)
    assert _refused(archive, f"{member}: nested deeper than 64 levels") < 300


def _replace_manifest(archive: Path, data: bytes) -> Path:
    """``archive`` rewritten with the bytes of its MANIFEST.json member replaced by ``data``."""
    with tarfile.open(archive) as tf:
        members = [(m, f.read() if (f := tf.extractfile(m)) is not None else b"") for m in tf.getmembers()]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as out:
        for m, body in members:
            if m.name == "MANIFEST.json":
                body = data
                m.size = len(data)
            out.addfile(m, io.BytesIO(body) if m.isfile() else None)
    archive.write_bytes(gzip.compress(buf.getvalue(), mtime=0))
    return archive


def test_a_sidecar_nested_deep_is_one_problem(tmp_path: Path) -> None:
    archive = build_archive(tmp_path / "s.tar.gz", good_files())
    sidecar_path(archive).write_bytes(DEEP)
    assert _refused(archive, "s.manifest.json: nested deeper than 64 levels") < 300


def test_a_manifest_of_millions_of_values_is_not_parsed(tmp_path: Path) -> None:
    """32 MiB of ``[{},{},…]`` is 11 million dicts: 700 MB if parsed."""
    archive = build_archive(tmp_path / "wide.tar.gz", good_files(), sidecar=False)
    _replace_manifest(archive, b"[" + b"{}," * ((30 << 20) // 3) + b"{}]")
    assert _refused(archive, "MANIFEST.json: about 20,971,522 values (at most 500,000)", "1") < 300


def test_a_main_py_too_large_to_parse(tmp_path: Path) -> None:
    """A 3.8 MB main.py of one list literal took 1.9 GB to parse into a syntax tree."""
    main = GOOD_MAIN + "DATA = [" + "1," * 1_900_000 + "]\n"
    archive = build_archive(tmp_path / "big.tar.gz", good_files(main))
    assert _refused(archive, "main.py: more than 100,000 tokens: too large to analyse") < 300


def test_a_main_py_nested_too_deep_for_the_compiler(tmp_path: Path) -> None:
    main = GOOD_MAIN + "X = " + "1+" * 20_000 + "1\n"
    archive = build_archive(tmp_path / "deep.tar.gz", good_files(main))
    _refused(archive, "main.py: nested too deeply for Python's compiler")


def test_every_problem_is_one_item_of_the_json_report(tmp_path: Path) -> None:
    """``verify --json`` of the same: every problem a single line of the JSON report."""
    files = good_files()
    files["agent_settings.json"] = DEEP
    archive = build_archive(tmp_path / "deep.tar.gz", files)
    proc = subprocess.run([sys.executable, "-m", "builder", "verify", str(archive), "--levels", "1,2", "--json"],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stdout)
    problems = [p for level in report["levels"] for p in level["problems"]]
    assert problems == ["agent_settings.json: nested deeper than 64 levels"], problems
    assert "Traceback" not in proc.stderr and proc.returncode == 1
