"""Where a build's time and memory go: per object from ninja's own log, per process tree
from ``/proc``.

* :func:`read_ninja_log` reads ``.ninja_log`` (format v5-v7: ``start end mtime output
  hash``, milliseconds since the build started), bounded; :func:`family` puts each output
  into a kernel family (mmq, mmf, fattn-mma, fattn-tile, fattn-vec, other .cu, CPU
  sources, link); :func:`summarize` adds them up.  A compile step's duration at ``-j``
  <= the cores of an idle machine is its CPU time; the table says "compile minutes".
* :func:`write_timer` is the compile launcher that measures each compile's own CPU time
  (``times`` of a ``sh`` around the compiler, ccache included): a step's duration is its CPU
  time only on an idle machine, its CPU time is that on any machine;
  :func:`read_cpu_times` reads what it wrote;
* :class:`TreePeak` samples the summed resident memory of this process's descendants
  (the build's compilers running at once) once a second: the build's peak memory.
"""

from __future__ import annotations

import os
import re
import shlex
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Bounds on what a build log may hold (it is read from the build folder).
MAX_LOG_BYTES = 8 << 20
MAX_ENTRIES = 50_000
#: The families, in the order a table prints them.
FAMILIES = ("mmq", "mmf", "fattn-mma", "fattn-tile", "fattn-vec", "other .cu", "CPU sources", "link", "other")


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    output: str
    start_ms: int
    end_ms: int

    @property
    def seconds(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


def read_ninja_log(path: Path) -> list[Step]:
    """The steps of the last build in ``path`` (a later entry of an output replaces an earlier one)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_LOG_BYTES + 1)
    except OSError:
        return []
    if len(raw) > MAX_LOG_BYTES:
        raw = raw[:MAX_LOG_BYTES]
    steps: dict[str, Step] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        if line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 4 or not (parts[0].isdigit() and parts[1].isdigit()):
            continue
        steps[parts[3]] = Step(output=parts[3][:300], start_ms=int(parts[0]), end_ms=int(parts[1]))
        if len(steps) >= MAX_ENTRIES:
            break
    return sorted(steps.values(), key=lambda s: (s.start_ms, s.output))


#: The compile launcher: runs the compiler, then appends "<children's user+sys>\t<-o file>".
_TIMER = """#!/bin/sh
# the builder's compile timer (builder/wheels/buildlog.py): CPU time of one compile
out=; prev=
for a in "$@"; do [ "$prev" = "-o" ] && out=$a; prev=$a; done
"$@"
rc=$?
f={log}.$$
times > "$f"
{{ read -r own; read -r kids; }} < "$f"
rm -f "$f"
printf '%s\\t%s\\n' "$kids" "$out" >> {log}
exit $rc
"""
_TIMES = re.compile(r"(\d+)m([\d.]+)s")
TIMES_FILE = "cpu-times.tsv"


def write_timer(work: Path) -> Path:
    """The launcher script in ``work``; it appends to ``work/cpu-times.tsv``."""
    script = work / "compile-timer"
    script.write_text(_TIMER.format(log=shlex.quote(str(work / TIMES_FILE))), encoding="utf-8")
    script.chmod(0o755)
    return script


def read_cpu_times(path: Path) -> dict[str, float]:
    """Output file -> CPU seconds of its compile (user + system of the compiler's processes)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_LOG_BYTES)
    except OSError:
        return {}
    out: dict[str, float] = {}
    for line in raw.decode("utf-8", "replace").splitlines()[:MAX_ENTRIES]:
        times, _, output = line.partition("\t")
        found = _TIMES.findall(times)
        if len(found) == 2 and output:
            out[output.strip()] = sum(int(m) * 60 + float(sec) for m, sec in found)
    return out


def family(output: str) -> str:
    """The kernel family of one ninja output (an object file or a linked library)."""
    base = output.rsplit("/", 1)[-1]
    if ".so" in base or base.endswith((".a", ".dylib")):
        return "link"
    if base.endswith(".cu.o"):
        for fam in ("mmq", "mmf", "fattn-mma", "fattn-tile", "fattn-vec"):
            if base.startswith(fam + "-") or base.startswith(fam + "_") or base.startswith(fam + "."):
                return fam
        return "other .cu"
    if base.endswith((".c.o", ".cpp.o", ".cc.o")):
        return "CPU sources"
    return "other"


def summarize(steps: Iterable[Step], cpu: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Per family: the number of steps, their summed seconds (each compile's CPU time where
    ``cpu`` has it, else its duration) and the slowest one; the total."""
    fams: dict[str, dict[str, Any]] = {}
    first, last = None, 0
    measured = 0
    for s in steps:
        f = fams.setdefault(family(s.output), {"steps": 0, "seconds": 0.0, "slowest": "", "slowest_s": 0.0,
                                               "cpu_timed": 0})
        took = (cpu or {}).get(s.output)
        measured += took is not None
        f["cpu_timed"] += took is not None
        took = s.seconds if took is None else took
        f["steps"] += 1
        f["seconds"] = round(f["seconds"] + took, 3)
        if took > f["slowest_s"]:
            f["slowest"], f["slowest_s"] = s.output.rsplit("/", 1)[-1], round(took, 1)
        first = s.start_ms if first is None else min(first, s.start_ms)
        last = max(last, s.end_ms)
    ordered = {k: fams[k] for k in FAMILIES if k in fams}
    total = sum(f["seconds"] for f in ordered.values())
    return {"families": ordered, "steps": sum(f["steps"] for f in ordered.values()),
            "step_seconds": round(total, 3), "ninja_wall_s": round((last - (first or 0)) / 1000, 3),
            "cpu_timed_steps": measured}


def format_families(summary: dict[str, Any]) -> list[str]:
    """``family  steps  CPU-min  share  slowest`` lines of :func:`summarize`'s result (the
    column says ``step-min`` where the compiles' CPU times were not measured)."""
    fams: dict[str, dict[str, Any]] = summary.get("families", {})
    total = float(summary.get("step_seconds", 0.0)) or 1.0
    column = "CPU-min" if summary.get("cpu_timed_steps") else "step-min"
    lines = [f"{'family':<18} {'steps':>5} {column:>11} {'share':>6}  slowest"]
    for name, f in fams.items():
        if summary.get("cpu_timed_steps") and f.get("cpu_timed") == 0:
            name += " (wall)"  # links are not timed: their duration
        lines.append(f"{name:<18} {f['steps']:>5} {f['seconds'] / 60:>11.1f} {f['seconds'] / total:>6.0%}  "
                     f"{f['slowest']} ({f['slowest_s']:.0f} s)")
    lines.append(f"{'total':<18} {summary.get('steps', 0):>5} {total / 60:>11.1f} {1:>6.0%}")
    return lines


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read(1024)
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read(200).split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return 0


def tree_rss_kib(root: int) -> int:
    """The summed resident memory of ``root``'s descendants (not ``root`` itself)."""
    kids = _children_map()
    total, todo, seen = 0, list(kids.get(root, [])), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        todo.extend(kids.get(pid, []))
    return total


class TreePeak:
    """A thread that samples :func:`tree_rss_kib` of this process every ``interval`` seconds
    while the ``with`` body runs; ``peak_kib`` is the highest sum seen."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-peak", daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            if os.path.isdir("/proc"):
                self.peak_kib = max(self.peak_kib, tree_rss_kib(me))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def cpu_seconds_of_children() -> float:
    """User + system CPU time of every finished, waited-for descendant so far."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def max_child_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def now() -> float:
    return time.perf_counter()
