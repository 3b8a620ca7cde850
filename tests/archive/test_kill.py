"""A build killed in the archive step (SIGTERM or SIGKILL, at any point) leaves either the
previous archive and sidecar or the new pair, never one of each as far as a reader can
tell, and the next run leaves no temp file, record or half-written sidecar behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.archive import Member, check_output_dir, sidecar_path, write_archive
from builder.archive.contract import pair_journal
from builder.util.hashing import sha256_file
from builder.verify.scan import scan_archive

#: a child build: argv model, out, signal, "handler" (SIGTERM handled the way the CLI does:
#: cleanup, then exit 143) or "default", and where to kill itself ("rename:N": before the
#: Nth rename of the replacement, "unlink": before the record is removed, "none")
_CHILD = """
import os, pathlib, signal, sys, time
from pathlib import Path
from builder.archive import Member, write_archive
model, out, sig, mode, point = sys.argv[1:6]
if mode == "handler":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
fired = []
def die():
    if not fired:  # once: the cleanup that a handled signal runs is not killed again
        fired.append(1)
        os.kill(os.getpid(), getattr(signal, sig))
        time.sleep(30)  # a handled signal raises before this ends
renames = [0]
real_replace, real_unlink = os.replace, pathlib.Path.unlink
def replace(a, b):
    renames[0] += 1
    if point == f"rename:{renames[0]}":
        die()
    return real_replace(a, b)
def unlink(self, missing_ok=False):
    if point == "unlink" and self.name.endswith(".pending"):
        die()
    return real_unlink(self, missing_ok=missing_ok)
os.replace = replace
pathlib.Path.unlink = unlink
src = Path(model).with_name("main.py")
print("started", flush=True)
write_archive(Path(out), [Member(arcname="main.py", source=src), Member(arcname="model.gguf", source=Path(model),
              weights=True)], meta={"profile": "p"})
"""


def _members(model: Path) -> list[Member]:
    return [Member(arcname="main.py", source=model.with_name("main.py")),
            Member(arcname="model.gguf", source=model, weights=True)]


def _setup(tmp: Path, size: int) -> tuple[Path, Path, str, bytes]:
    """The model, the output, the previous archive's sha256 and the previous sidecar."""
    src = tmp / "src"
    src.mkdir()
    model = src / "model.gguf"
    with model.open("wb") as fh:
        block = os.urandom(1 << 20)
        for _ in range(size >> 20):
            fh.write(block)
        fh.write(os.urandom(size & ((1 << 20) - 1)))
    (src / "main.py").write_text("def agent(obs, cfg):\n    return 'yes'\n")
    out = tmp / "out" / "submission.tar.gz"
    out.parent.mkdir()
    write_archive(out, _members(model), meta={"profile": "p"})
    previous = sha256_file(out), sidecar_path(out).read_bytes()
    (src / "main.py").write_text("def agent(obs, cfg):\n    return 'no'\n")  # the killed build's archive differs
    return model, out, previous[0], previous[1]


def _child(model: Path, out: Path, sig: str, mode: str, point: str) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(model), str(out), sig, mode, point],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "started"
    return child


def _agree(out: Path) -> tuple[str, ...]:
    """What verify sees: the archive and the sidecar in force agree (no rerun needed)."""
    scan = scan_archive(out)
    assert scan.ok, scan.problems
    assert any("matches" in n and sidecar_path(out).name in n for n in scan.notes), scan.notes
    return scan.notes


def _after_next_run(out: Path, model: Path, previous: str) -> None:
    check_output_dir(out)  # what the next build does first
    assert sorted(p.name for p in out.parent.iterdir()) == ["submission.manifest.json", "submission.tar.gz"]
    _agree(out)
    fresh = out.with_name("fresh.tar.gz")
    write_archive(fresh, _members(model), meta={"profile": "p"})
    assert sha256_file(out) in (previous, sha256_file(fresh))  # the previous archive, or the new one whole
    fresh.unlink()
    sidecar_path(fresh).unlink()
    write_archive(out, _members(model), meta={"profile": "p"})  # and the next build itself works
    assert sorted(p.name for p in out.parent.iterdir()) == ["submission.manifest.json", "submission.tar.gz"]
    _agree(out)


# Before: the record's own rename; the archive's; the sidecar's; the record's removal.
POINTS = ["rename:1", "rename:2", "rename:3", "unlink"]
SIGNALS = [("SIGKILL", "default"), ("SIGTERM", "default"), ("SIGTERM", "handler")]


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize(("sig", "mode"), SIGNALS)
def test_killed_while_replacing_the_pair(tmp_path: Path, point: str, sig: str, mode: str) -> None:
    model, out, previous, previous_sidecar = _setup(tmp_path, 3 << 20)
    child = _child(model, out, sig, mode, point)
    _stdout, err = child.communicate(timeout=120)
    expected = 143 if mode == "handler" else -getattr(signal, sig)
    assert child.returncode == expected, err
    if point in ("rename:1", "rename:2"):  # before the commit point: the previous pair, whole
        assert sha256_file(out) == previous and sidecar_path(out).read_bytes() == previous_sidecar
    else:
        assert sha256_file(out) != previous  # the new archive is in place
    if mode == "handler":  # cleaned up at once: nothing to put right
        assert not pair_journal(out).path.exists()
        assert sorted(p.name for p in out.parent.iterdir()) == ["submission.manifest.json", "submission.tar.gz"]
    else:  # left as it was at the kill: the record from the archive's rename on
        assert pair_journal(out).path.exists() == (point != "rename:1")
    notes = _agree(out)
    if mode == "default" and point == "rename:3":  # the new archive, the old sidecar: the record speaks
        assert any(f"held by {pair_journal(out).path.name}" in n for n in notes), notes
    _after_next_run(out, model, previous)


def _wait_for_temp(out: Path, pid: int, at_least: int, child: subprocess.Popen[str]) -> None:
    tmp = out.with_name(f".{out.name}.{pid}.tmp")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if tmp.stat().st_size >= at_least:
                return
        except FileNotFoundError:
            pass
        assert child.poll() is None, "the build ended before the kill"
        time.sleep(0.002)
    raise AssertionError("the temp archive never grew")


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.02, 0.5, 0.95])
@pytest.mark.parametrize(("sig", "mode"), SIGNALS)
def test_killed_while_streaming_a_1gib_build(tmp_path: Path, fraction: float, sig: str, mode: str) -> None:
    size = 1 << 30
    model, out, previous, previous_sidecar = _setup(tmp_path, size)
    before = os.stat(out)
    child = _child(model, out, sig, mode, "none")
    _wait_for_temp(out, child.pid, int(size * fraction), child)
    os.kill(child.pid, getattr(signal, sig))
    _stdout, err = child.communicate(timeout=120)
    assert child.returncode == (143 if mode == "handler" else -getattr(signal, sig)), err
    after = os.stat(out)
    assert (after.st_ino, after.st_size, after.st_mtime_ns, after.st_ctime_ns) == (
        before.st_ino, before.st_size, before.st_mtime_ns, before.st_ctime_ns)  # not touched
    assert sidecar_path(out).read_bytes() == previous_sidecar
    leftover = [p.name for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftover == ([] if mode == "handler" else [f".{out.name}.{child.pid}.tmp"])
    _after_next_run(out, model, previous)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["rename:2", "rename:3"])
def test_sigkill_between_the_renames_of_a_1gib_build(tmp_path: Path, point: str) -> None:
    model, out, previous, _sidecar = _setup(tmp_path, 1 << 30)
    child = _child(model, out, "SIGKILL", "default", point)
    child.communicate(timeout=300)
    assert child.returncode == -signal.SIGKILL
    _agree(out)
    _after_next_run(out, model, previous)
