"""Level 1 on hostile and hand-made archives: every byte of the tar stream accounted for,
links judged by where they lead, every size bounded, honest archives accepted."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import pytest
from factories.archives import Member, build_archive, good_files, manifest_for, write_members
from factories.memory import PEAK_KIB

from builder.profile import Profile
from builder.verify import format_table, verify
from builder.verify.scan import scan_archive

BLOCK = 512


def _tar_bytes(members: dict[str, bytes], end: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    if not end:  # without the two zero blocks and the record padding
        raw = raw.rstrip(b"\0")
        raw += b"\0" * (-len(raw) % BLOCK)
    return raw


def _good_tar(files: dict[str, bytes] | None = None) -> tuple[dict[str, bytes], bytes]:
    files = files or good_files()
    with_manifest = {**files, "MANIFEST.json": json.dumps(manifest_for(files)).encode()}
    return with_manifest, _tar_bytes(with_manifest, end=False)


def _problems(path: Path) -> str:
    return "\n".join(scan_archive(path).problems)


def test_a_member_hidden_behind_a_corrupt_header_is_found(tmp_path: Path) -> None:
    """A second main.py after the manifest, behind one block with a bad checksum: tarfile
    stopped there (level 1 passed), GNU tar skips the bad block and extracts it."""
    _, body = _good_tar()
    evil = _tar_bytes({"main.py": b"def agent(obs, cfg):\n    return 'hijacked'\n"}, end=False)
    bad = bytearray(_tar_bytes({"junk": b""}, end=False)[:BLOCK])
    bad[148:156] = b"0000000\0"  # a wrong checksum
    archive = tmp_path / "hidden.tar.gz"
    archive.write_bytes(gzip.compress(body + bytes(bad) + evil + bytes(2 * BLOCK), mtime=0))
    problems = _problems(archive)
    assert "bad tar header at offset" in problems
    assert "'main.py' at offset" in problems and "follows a corrupt header" in problems
    # the class is real: GNU tar extracts the hidden agent over the first one
    dest = tmp_path / "x"
    dest.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(dest)], capture_output=True, check=False)
    assert b"hijacked" in (dest / "main.py").read_bytes()


def test_data_after_the_end_marker_is_a_problem(tmp_path: Path) -> None:
    _, body = _good_tar()
    archive = tmp_path / "after.tar.gz"
    archive.write_bytes(gzip.compress(body + bytes(2 * BLOCK) + b"\0" * 100 + b"hidden", mtime=0))
    assert "data after the end-of-archive marker: 6 non-zero bytes" in _problems(archive)


def test_a_lone_zero_block_is_a_problem(tmp_path: Path) -> None:
    files, _ = _good_tar()
    names = list(files)
    first = _tar_bytes({names[0]: files[names[0]]}, end=False)
    rest = _tar_bytes({n: files[n] for n in names[1:]}, end=False)
    archive = tmp_path / "lone.tar.gz"
    archive.write_bytes(gzip.compress(first + bytes(BLOCK) + rest + bytes(2 * BLOCK), mtime=0))
    assert "a lone zero block at offset" in _problems(archive)


def test_no_end_marker_is_a_problem(tmp_path: Path) -> None:
    _, body = _good_tar()
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(gzip.compress(body, mtime=0))
    assert "without its end-of-archive marker" in _problems(archive)


def test_chained_symlinks_that_lead_out_are_refused(tmp_path: Path) -> None:
    """`current -> .` and `parent -> current/..` each look inside by a lexical check; on disk
    `parent` is the folder above the agent."""
    links = [Member(name="current", type=tarfile.SYMTYPE, linkname="."),
             Member(name="parent", type=tarfile.SYMTYPE, linkname="current/..")]
    archive = build_archive(tmp_path / "s.tar.gz", good_files(), extra_members=links)
    problems = _problems(archive)
    assert "parent: symlink 'current/..' leads out of the archive on disk" in problems
    assert "current:" not in problems  # `current -> .` stays inside


@pytest.mark.parametrize(
    ("links", "bad"),
    [
        ([("a", "b"), ("b", "a")], "a"),  # a loop
        ([("lib/x", "../../up")], "lib/x"),
        ([("d", "lib"), ("e", "d/../..")], "e"),
    ],
)
def test_links_are_judged_through_each_other(tmp_path: Path, links: list[tuple[str, str]], bad: str) -> None:
    members = [Member(name=n, type=tarfile.SYMTYPE, linkname=t) for n, t in links]
    archive = build_archive(tmp_path / "s.tar.gz", good_files(), extra_members=members)
    assert f"{bad}: symlink" in _problems(archive)


def test_a_deep_path_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    deep = "/".join(["d"] * 1500) + "/x.py"
    archive = write_members(tmp_path / "deep.tar.gz", [Member(name=deep, data=b"x"),
                                                       *[Member(name=p, data=b) for p, b in good_files().items()]])
    problems = _problems(archive)
    assert "a path of 1,501 components (at most 64)" in problems
    assert len(problems) < 2000


def _peak(code: str, *args: str) -> tuple[str, float]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out, peak = proc.stdout.rsplit("PEAK ", 1)
    return out, int(peak) / 1024


_SCAN = (
    "import sys\nfrom pathlib import Path\nfrom builder.verify.scan import scan_archive\n"
    "s = scan_archive(Path(sys.argv[1]))\nprint('\\n'.join(s.problems))\n"
    "print('PEAK', " + PEAK_KIB + ")\n"
)


def _zeros_gz(out: Path, parts: list[bytes | int]) -> Path:
    """A gzip stream of ``parts`` (bytes, or a count of zero bytes), written without holding it."""
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    with out.open("wb") as fh:
        for part in parts:
            if isinstance(part, int):
                zero = bytes(1 << 20)
                for i in range(0, part, len(zero)):
                    fh.write(comp.compress(zero[: min(len(zero), part - i)]))
            else:
                fh.write(comp.compress(part))
        fh.write(comp.flush())
    return out


def test_a_512_mib_pax_header_costs_no_memory(tmp_path: Path) -> None:
    """A 512 MiB pax header (~0.5 MB compressed) cost verify 1.6 GB."""
    size = 512 << 20
    head = tarfile.TarInfo("././@PaxHeader")
    head.type, head.size = tarfile.XHDTYPE, size
    header = head.tobuf(tarfile.USTAR_FORMAT)
    _, body = _good_tar()
    archive = _zeros_gz(tmp_path / "pax.tar.gz", [header, size, body, bytes(2 * BLOCK)])
    out, peak = _peak(_SCAN, str(archive))
    assert "a pax extended header at offset 0 is 536,870,912 bytes (at most 65,536 are read); skipped" in out
    assert peak < 300, peak


def test_many_big_root_json_files_are_not_kept(tmp_path: Path) -> None:
    """64 root JSON files of 16 MiB cost 1.1 GB: only the two JSON files level 2 reads are kept."""
    parts: list[bytes | int] = []
    for i in range(64):
        info = tarfile.TarInfo(f"blob{i:02d}.json")
        info.size = 16 << 20
        parts += [info.tobuf(tarfile.GNU_FORMAT), info.size]
    _, body = _good_tar()
    archive = _zeros_gz(tmp_path / "json.tar.gz", [*parts, body, bytes(2 * BLOCK)])
    _, peak = _peak(_SCAN, str(archive))
    assert peak < 300, peak


def test_thirty_thousand_extra_members_are_summarised(tmp_path: Path, profile: Profile) -> None:
    extra = [Member(name=f"x/{i}.txt", data=b"") for i in range(30_000)]
    archive = build_archive(tmp_path / "many.tar.gz", good_files(), extra_members=extra)
    report = verify(archive, profile, levels=(1,))
    table = format_table(report)
    assert report.level(1).problems_total == 30_000
    assert "… and 29,980 more" in table and table.count("\n") < 40, table[-500:]
    assert len(json.dumps(report.to_json())) < 200_000


def test_the_starter_notebooks_tar_of_a_folder_passes(tmp_path: Path) -> None:
    """`tar -czf X -C dir .` gives ./-prefixed names and the folder itself as a member, and
    GNU tar's member order; with or without a MANIFEST.json it is an honest archive."""
    files = good_files()
    folder = tmp_path / "submission"
    for name, data in {**files, "MANIFEST.json": json.dumps(manifest_for(files)).encode()}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    archive = tmp_path / "starter.tar.gz"
    subprocess.run(["tar", "-czf", str(archive), "-C", str(folder), "."], check=True)
    with tarfile.open(archive) as tf:
        assert tf.getnames()[0] == "." and all(n == "." or n.startswith("./") for n in tf.getnames())
    scan = scan_archive(archive)
    assert scan.ok, scan.problems
    assert set(scan.files) == {*files, "MANIFEST.json"}
    (folder / "MANIFEST.json").unlink()
    shutil.rmtree(folder / "lib")
    bare = tmp_path / "bare.tar.gz"
    subprocess.run(["tar", "-czf", str(bare), "-C", str(folder), "."], check=True)
    scan = scan_archive(bare)
    assert scan.ok, scan.problems
    assert any("no MANIFEST.json" in g for g in scan.gaps)
