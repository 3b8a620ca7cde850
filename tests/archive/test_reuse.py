"""Rebuilds that copy the weights' framed bytes from the previous archive (builder/archive/reuse.py):
byte-identical to a streamed build, and never from an input or archive that changed."""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import zlib
from pathlib import Path

import pytest
from factories.projects import mini_project

from builder.__main__ import main
from builder.archive import ArchiveResult, Member, Tuning, gzstream, reuse, write_archive
from builder.archive.reuse import CACHE_NAME, SEGMENT_ALIGN, framed_length
from builder.layout import Project
from builder.verify.scan import scan_archive

WEIGHTS = (3 << 20) + 12345  # three full 1 MiB chunks and a short one (the tuning below)
TUNING = Tuning(chunk=1 << 20)


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test files were written a moment ago; the racy window has its own test."""
    monkeypatch.setattr(reuse, "RACY_NS", 0)


def _tree(tmp: Path) -> list[Member]:
    src = tmp / "src"
    (src / "lib" / "pkg").mkdir(parents=True)
    (src / "main.py").write_text("def agent(obs, cfg):\n    return 'yes'\n")
    (src / "lib" / "pkg" / "__init__.py").write_text("X = 1\n" * 1000)
    (src / "model.gguf").write_bytes(b"GGUF" + os.urandom(WEIGHTS - 4))
    return [
        Member(arcname="main.py", source=src / "main.py"),
        Member(arcname="lib/pkg/__init__.py", source=src / "lib" / "pkg" / "__init__.py"),
        Member(arcname="model.gguf", source=src / "model.gguf", weights=True),
    ]


def _build(out: Path, members: list[Member], cache: Path | None, *, weights_compresslevel: int = 0) -> ArchiveResult:
    return write_archive(out, members, meta={"profile": "p"}, tuning=TUNING, reuse_dir=cache,
                         weights_compresslevel=weights_compresslevel)


def _fresh(tmp: Path, members: list[Member]) -> bytes:
    """The same members streamed, no cache: what a rebuild must equal byte for byte."""
    fresh = tmp / "fresh" / "submission.tar.gz"
    fresh.parent.mkdir(exist_ok=True)
    write_archive(fresh, members, meta={"profile": "p"}, tuning=TUNING)
    return fresh.read_bytes()


def _edit_code(members: list[Member], text: str = "# edited\n" * 100) -> None:
    main_py = members[0].source
    main_py.write_text(main_py.read_text() + text)  # the weights move in the archive


def _valid(archive: Path, members: list[Member]) -> None:
    assert subprocess.run(["gzip", "-t", str(archive)]).returncode == 0
    with tarfile.open(archive) as tar:
        for m in members:
            assert tar.extractfile(m.arcname).read() == m.source.read_bytes()  # type: ignore[union-attr]
    scan = scan_archive(archive)
    assert scan.ok, scan.problems


def test_rebuild_copies_the_weights_and_is_byte_identical(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    out, cache = tmp_path / "submission.tar.gz", tmp_path / "build"
    cache.mkdir()
    first = _build(out, members, cache)
    assert first.reused == 0
    assert out.read_bytes() == _fresh(tmp_path, members)
    for text in ("# edited\n" * 100, "# and again, shorter\n"):
        _edit_code(members, text)
        again = _build(out, members, cache)
        assert again.reused == WEIGHTS
        assert out.read_bytes() == _fresh(tmp_path, members)
        assert again.identity.crc32 == zlib.crc32(gzip.decompress(out.read_bytes()))
        _valid(out, members)
    # the cache now points at the new archive: a third build copies again
    assert _build(out, members, cache).reused == WEIGHTS


def test_weights_segment_is_aligned_and_framed_position_independently(tmp_path: Path) -> None:
    """The weights lead the archive at a 4 KiB boundary; a second weights file lies after
    the first, and when the first changes size its framed bytes move, unchanged, and are
    copied from their old place."""
    members = _tree(tmp_path)
    second = tmp_path / "src" / "second.gguf"
    second.write_bytes(os.urandom(2 << 20))
    members.append(Member(arcname="second.gguf", source=second, weights=True))
    out, cache = tmp_path / "a.tar.gz", tmp_path / "build"
    cache.mkdir()
    _build(out, members, cache)
    doc = json.loads((cache / CACHE_NAME).read_text())
    segments = sorted(doc["archives"][0]["segments"], key=lambda seg: seg["offset"])
    assert [seg["offset"] % SEGMENT_ALIGN for seg in segments] == [0, 0]
    assert segments[0]["offset"] == SEGMENT_ALIGN  # gzip header + tar header, then the data
    assert [seg["length"] for seg in segments] == [framed_length(WEIGHTS, TUNING.chunk),
                                                    framed_length(2 << 20, TUNING.chunk)]
    old = out.read_bytes()
    framed = old[segments[1]["offset"] : segments[1]["offset"] + segments[1]["length"]]
    members[2].source.write_bytes(os.urandom(WEIGHTS + 50_000))  # the first weights file grows
    res = _build(out, members, cache)
    assert res.reused == 2 << 20  # the second one copied, the first one streamed
    new = out.read_bytes()
    at = new.index(framed[:70000])
    assert at != segments[1]["offset"] and at % SEGMENT_ALIGN == 0
    assert new[at : at + len(framed)] == framed
    assert new == _fresh(tmp_path, members)
    _valid(out, members)


def test_rebuild_to_another_output_copies_from_the_recorded_archive(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    cache = tmp_path / "build"
    cache.mkdir()
    _build(tmp_path / "one.tar.gz", members, cache)
    res = _build(tmp_path / "two.tar.gz", members, cache)
    assert res.reused == WEIGHTS
    assert (tmp_path / "two.tar.gz").read_bytes() == (tmp_path / "one.tar.gz").read_bytes()


def test_model_rewritten_in_place_with_size_and_mtime_restored_is_rehashed(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    out, cache = tmp_path / "submission.tar.gz", tmp_path / "build"
    cache.mkdir()
    _build(out, members, cache)
    weights = members[2].source
    before = weights.stat()
    with weights.open("r+b") as fh:  # the middle: the edge blocks still match the old archive
        fh.seek(WEIGHTS // 2)
        fh.write(b"\xff" * 1000)
    os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = weights.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert after.st_ctime_ns != before.st_ctime_ns
    res = _build(out, members, cache)
    assert res.reused == 0  # streamed and hashed again
    record = next(f for f in res.files if f.path == "model.gguf")
    assert record.sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert out.read_bytes() == _fresh(tmp_path, members)
    _valid(out, members)


def _tamper_truncate(out: Path) -> None:
    os.truncate(out, out.stat().st_size - 4096)


def _tamper_replace(out: Path) -> None:
    copy = out.with_name("copy")
    shutil.copyfile(out, copy)
    os.replace(copy, out)  # same bytes, another file


def _tamper_in_place(out: Path) -> None:
    st = out.stat()
    with out.open("r+b") as fh:
        fh.seek(st.st_size // 2)
        fh.write(b"\0" * 512)
    os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))


def _tamper_delete(out: Path) -> None:
    out.unlink()


@pytest.mark.parametrize("tamper", [_tamper_truncate, _tamper_replace, _tamper_in_place, _tamper_delete])
def test_a_changed_previous_archive_is_never_copied(tmp_path: Path, tamper: object) -> None:
    members = _tree(tmp_path)
    out, cache = tmp_path / "submission.tar.gz", tmp_path / "build"
    cache.mkdir()
    _build(out, members, cache)
    tamper(out)  # type: ignore[operator]
    _edit_code(members)
    res = _build(out, members, cache)
    assert res.reused == 0
    assert out.read_bytes() == _fresh(tmp_path, members)
    _valid(out, members)


def test_a_record_that_does_not_frame_the_file_is_not_copied(tmp_path: Path) -> None:
    """The archive is untouched but the record points one byte off (or at another file's
    bytes): the edge blocks do not frame the model's first and last bytes."""
    members = _tree(tmp_path)
    out, cache = tmp_path / "submission.tar.gz", tmp_path / "build"
    cache.mkdir()
    _build(out, members, cache)
    doc = json.loads((cache / CACHE_NAME).read_text())
    doc["archives"][0]["segments"][0]["offset"] += 1
    (cache / CACHE_NAME).write_text(json.dumps(doc))
    res = _build(out, members, cache)
    assert res.reused == 0 and out.read_bytes() == _fresh(tmp_path, members)


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.update(builder="0.0.0-other"),
        lambda doc: doc.update(format=0),
        lambda doc: doc.update(align=512),
        lambda doc: doc["inputs"].clear(),
        lambda doc: doc.update(inputs="garbage"),
    ],
)
def test_another_cache_signature_or_a_broken_cache_streams(tmp_path: Path, change: object) -> None:
    members = _tree(tmp_path)
    out, cache = tmp_path / "submission.tar.gz", tmp_path / "build"
    cache.mkdir()
    _build(out, members, cache)
    doc = json.loads((cache / CACHE_NAME).read_text())
    change(doc)  # type: ignore[operator]
    (cache / CACHE_NAME).write_text(json.dumps(doc))
    res = _build(out, members, cache)
    assert res.reused == 0 and out.read_bytes() == _fresh(tmp_path, members)
    assert _build(out, members, cache).reused == WEIGHTS  # and the cache is whole again
    (cache / CACHE_NAME).write_text("{not json")
    assert _build(out, members, cache).reused == 0


def test_another_chunk_size_or_weights_level_streams(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    out, cache = tmp_path / "submission.tar.gz", tmp_path / "build"
    cache.mkdir()
    _build(out, members, cache)
    other = write_archive(out, members, meta={"profile": "p"}, tuning=Tuning(chunk=1 << 19), reuse_dir=cache)
    assert other.reused == 0
    _build(out, members, cache)
    squeezed = _build(out, members, cache, weights_compresslevel=1)
    assert squeezed.reused == 0
    _valid(out, members)


def test_a_file_changed_a_moment_ago_is_not_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within the racy window a second write could keep the same ctime: not cached."""
    monkeypatch.setattr(reuse, "RACY_NS", 3600 * 10**9)
    members = _tree(tmp_path)
    out, cache = tmp_path / "submission.tar.gz", tmp_path / "build"
    cache.mkdir()
    _build(out, members, cache)
    assert json.loads((cache / CACHE_NAME).read_text())["inputs"] == {}
    assert _build(out, members, cache).reused == 0


def test_without_copy_file_range_the_copy_reads_and_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    members = _tree(tmp_path)
    out, cache = tmp_path / "submission.tar.gz", tmp_path / "build"
    cache.mkdir()
    _build(out, members, cache)

    def unsupported(*_a: object, **_k: object) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", unsupported)
    _edit_code(members)
    assert _build(out, members, cache).reused == WEIGHTS
    assert out.read_bytes() == _fresh(tmp_path, members)


def test_empty_weights_are_streamed(tmp_path: Path) -> None:
    members = _tree(tmp_path)
    members[2].source.write_bytes(b"")
    out, cache = tmp_path / "submission.tar.gz", tmp_path / "build"
    cache.mkdir()
    _build(out, members, cache)
    assert _build(out, members, cache).reused == 0
    _valid(out, members)


def test_noop_blocks_inflate_to_nothing() -> None:
    for n in [0, *range(5, 8), *range(9, 700), 4095, 4096, 4097, 4100, 8191]:
        blocks = gzstream.noop_blocks(n)
        assert len(blocks) == n
        z = zlib.decompressobj(-15)
        assert z.decompress(blocks + b"\x01\x00\x00\xff\xff") == b"" and z.eof
    for n in (1, 2, 3, 4, 8):
        with pytest.raises(ValueError):
            gzstream.noop_blocks(n)
    for offset in range(0, 3 * 4096, 97):
        gap = gzstream.noop_gap(offset, 4096)
        assert (offset + gap) % 4096 == 0 and len(gzstream.noop_blocks(gap)) == gap


def test_a_build_after_a_template_edit_copies_the_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The pipeline keeps the cache in the project's staging folder (in the builder's cache)."""
    p = mini_project(tmp_path / "proj")
    root = p["root"]
    stage = Project(root).stage_dir("kaggle-2024")
    argv = ["--root", str(root), "build", "--model", str(p["model"])]
    assert main(argv) == 0
    assert (stage / CACHE_NAME).is_file()
    assert not (root / "build").exists()  # nothing written into the project but the output
    main_py = p["template"] / "main.py"
    main_py.write_text(main_py.read_text() + "\n# edited\n")
    capsys.readouterr()
    assert main(argv) == 0
    assert "MB of weights copied from the previous archive" in capsys.readouterr().err
    rebuilt = (root / "submission.tar.gz").read_bytes()
    shutil.rmtree(stage)
    assert main([*argv, "--output", str(tmp_path / "fresh.tar.gz")]) == 0
    assert "copied" not in capsys.readouterr().err
    assert (tmp_path / "fresh.tar.gz").read_bytes() == rebuilt


@pytest.mark.parametrize("size", [1, 65535, 65536, 199_999, 200_000, 200_001, 3 * 200_000 + 65535 * 2 + 7])
def test_edge_blocks_are_where_the_framing_puts_them(tmp_path: Path, size: int) -> None:
    """What a rebuild checks of an earlier archive (the first and last stored blocks frame
    the file's first and last bytes) holds for every chunk and block boundary."""
    weights = tmp_path / "w.gguf"
    weights.write_bytes(os.urandom(size))
    main_py = tmp_path / "main.py"
    main_py.write_text("x = 1\n")
    members = [Member(arcname="main.py", source=main_py), Member(arcname="w.gguf", source=weights, weights=True)]
    out, cache = tmp_path / "a.tar.gz", tmp_path / "build"
    cache.mkdir()
    tuning = Tuning(chunk=200_000)
    write_archive(out, members, meta={}, tuning=tuning, reuse_dir=cache)
    (seg,) = json.loads((cache / CACHE_NAME).read_text())["archives"][0]["segments"]
    assert seg["length"] == framed_length(size, tuning.chunk)
    with out.open("rb") as arch, weights.open("rb", buffering=0) as model:
        assert reuse._frames_file(arch.fileno(), seg["offset"], model, size, tuning.chunk)
        assert not reuse._frames_file(arch.fileno(), seg["offset"] + 5, model, size, tuning.chunk)
    main_py.write_text("x = 2\n")
    assert write_archive(out, members, meta={}, tuning=tuning, reuse_dir=cache).reused == size
    assert subprocess.run(["gzip", "-t", str(out)]).returncode == 0
