"""What the benchmark parts share: GGUF-like weights, timed child processes, the page cache."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from builder.errors import BuilderError

_ALIGN = 32


def write_gguf_like(path: Path, size: int, fill: Path | None = None) -> Path:
    """A valid GGUF of ~``size`` bytes: one I8 tensor whose bytes come from ``fill`` (cycled;
    a real model gives realistic compressibility) or from a seeded generator."""

    def kv_str(key: str, value: str) -> bytes:
        k, v = key.encode(), value.encode()
        return struct.pack("<Q", len(k)) + k + struct.pack("<I", 8) + struct.pack("<Q", len(v)) + v

    name = b"blob"
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, 2)
    head += kv_str("general.architecture", "llama") + kv_str("general.name", "bench blob")
    n = max(_ALIGN, size - 4096) // _ALIGN * _ALIGN
    head += struct.pack("<Q", len(name)) + name + struct.pack("<I", 1) + struct.pack("<Q", n)
    head += struct.pack("<I", 24) + struct.pack("<Q", 0)  # GGML type I8, offset 0
    head += b"\0" * (-len(head) % _ALIGN)
    chunk = (fill.read_bytes()[4096:] if fill is not None and fill.exists() else b"") or os.urandom(1 << 24)
    with path.open("wb") as fh:
        fh.write(head)
        left = n
        while left:
            piece = chunk[: min(len(chunk), left)]
            fh.write(piece)
            left -= len(piece)
    return path


def run(argv: Sequence[str], **kw: object) -> tuple[float, int]:
    """Wall time and peak memory (bytes) of one child process.  The peak is the child's own
    VmHWM, sampled every 10 ms while it runs: ``ru_maxrss`` would count this process's RSS
    too, which a child inherits at fork and keeps through exec."""
    t = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]
    peak = [0]
    ended = threading.Event()

    def sample() -> None:
        status = f"/proc/{proc.pid}/status"
        while not ended.is_set():
            try:
                with open(status, "rb") as fh:
                    for line in fh:
                        if line.startswith(b"VmHWM:"):
                            peak[0] = max(peak[0], int(line.split()[1]) * 1024)
            except (OSError, ValueError):
                pass
            ended.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    ended.set()
    sampler.join()
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BuilderError(f"bench: {' '.join(argv[:3])} failed: {(err or out).decode()[-400:]}")
    run.last_stdout = out  # type: ignore[attr-defined]
    return wall, peak[0] or usage.ru_maxrss * 1024


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def warm(path: Path) -> None:
    """Same start for every timed run: the input in the page cache, no dirty pages
    left from the previous run's output (writeback throttling would bill the next run)."""
    os.sync()
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


CHILD_BUILD = """
import json, resource, sys, time
from pathlib import Path
from builder.layout import Project
from builder.pipeline import build
from builder.spec import Overrides, resolve_spec
o = json.loads(sys.argv[1])
cli = Overrides(model=Path(o["model"]) if o["model"] else None,
                template=Path(o["template"]) if o["template"] else None, output=Path(o["output"]))
r = build(resolve_spec(Project(Path(o["root"])), None, cli))
t = dict(r.timings)
t["reused"] = float(r.archive.reused)
# VmHWM belongs to this process image; ru_maxrss would also count the parent's RSS at fork
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
t["peak_rss"] = float(hwm[0].split()[1]) * 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0
print(json.dumps(t))
"""


def child_build(
    root: Path, output: Path, model: Path | None = None, template: Path | None = None
) -> tuple[dict[str, float], int]:
    arg = json.dumps(
        {
            "root": str(root),
            "model": str(model) if model else None,
            "template": str(template) if template else None,
            "output": str(output),
        }
    )
    run([sys.executable, "-c", CHILD_BUILD, arg], cwd=root)
    timings = json.loads(run.last_stdout.decode().strip().splitlines()[-1])  # type: ignore[attr-defined]
    return timings, int(timings.pop("peak_rss"))


def _tree_for_tar(stage_lib: Path, template: Path, model: Path, tree: Path) -> None:
    tree.mkdir()
    for f in template.iterdir():
        if f.is_file():
            shutil.copy(f, tree / f.name)
    shutil.copytree(stage_lib, tree / "lib")
    os.link(model, tree / model.name)


def tree_for_tar(stage_lib: Path, template: Path, model: Path, tree: Path) -> None:
    """The same tree the builder archives, laid out for ``tar -C tree .``."""
    tree.mkdir()
    shutil.copytree(template, tree, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(stage_lib, tree / "lib")
    os.link(model, tree / model.name)


def plain_tar_seconds(archive: Path, dest: Path) -> float:
    """Wall time of ``tar -xzf ARCHIVE -C DEST`` (a fresh folder)."""
    dest.mkdir()
    try:
        t0 = time.perf_counter()
        subprocess.run(["tar", "-xzf", str(archive), "-C", str(dest)], check=True, capture_output=True)
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(dest, ignore_errors=True)
