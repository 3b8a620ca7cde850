"""The verify report: one result per level, and its terminal table.

Each level is ``passed``, ``failed`` (with every problem of the level) or ``skipped``
(with the reason); the report is OK only when no level failed.  A hostile archive can have
tens of thousands of problems: a level keeps :data:`KEPT` of them (and their count), the
table shows :data:`SHOWN` and counts the rest, and every line is cut to a readable length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import clip

Status = Literal["passed", "failed", "skipped"]
LevelName = Literal["archive", "static", "import", "play"]
Level = Literal[1, 2, 3, 4]
LEVEL_NAMES: Mapping[int, LevelName] = {1: "archive", 2: "static", 3: "import", 4: "play"}
ALL_LEVELS: tuple[Level, ...] = (1, 2, 3, 4)
#: problems (and notes) a level keeps, and how many the table shows
KEPT = 1000
SHOWN = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelResult:
    level: int
    name: LevelName
    status: Status
    problems: tuple[str, ...] = ()
    reason: str = ""
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)
    #: what a pass did not prove, said with the verdict (e.g. stubs stood in for the GPU libraries)
    qualifier: str = ""
    #: how many problems there were (``problems`` keeps the first :data:`KEPT`)
    problems_total: int = 0

    @property
    def summary(self) -> str:
        if self.status == "passed":
            return f"passed ({self.qualifier})" if self.qualifier else "passed"
        if self.status == "skipped":
            return f"skipped: {self.reason}"
        first = clip(self.problems[0] if self.problems else self.reason)
        total = max(self.problems_total, len(self.problems))
        more = f" (+{total - 1:,} more)" if total > 1 else ""
        return f"FAILED: {first}{more}"

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "qualifier": self.qualifier,
            "problems": list(self.problems),
            "problems_total": max(self.problems_total, len(self.problems)),
            "reason": self.reason,
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
            "details": dict(self.details),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    archive: Path
    profile: str
    levels: tuple[LevelResult, ...]
    #: wall-clock seconds: "level1".."level4", "runtime" (venv), "total"
    timings: Mapping[str, float]
    #: where levels 3-4 ran for a GPU build: the GPU (or why none), the driver, each GPU library
    #: loaded and where it came from (:func:`.gpu.judge.gpu_section`); None: no GPU build
    gpu: Mapping[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when no level failed (skipped levels do not fail)."""
        return all(r.status != "failed" for r in self.levels)

    def level(self, n: int) -> LevelResult:
        return next(r for r in self.levels if r.level == n)

    def to_json(self) -> dict[str, Any]:
        return {
            "archive": str(self.archive),
            "profile": self.profile,
            "ok": self.ok,
            "levels": [r.to_json() for r in self.levels],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "gpu": dict(self.gpu) if self.gpu is not None else None,
        }


def format_table(report: VerifyReport) -> str:
    """A terminal table: one row per level, then every problem and note indented."""
    lines = [f"verify {report.archive.name} against profile '{report.profile}'", *_gpu_lines(report.gpu), ""]
    lines.append(f"{'level':<6}{'check':<9}{'time':>8}  result")
    for r in report.levels:
        t = f"{r.seconds:.1f}s" if r.status != "skipped" else "-"
        lines.append(f"{r.level:<6}{r.name:<9}{t:>8}  {r.summary}")
        if r.status == "failed":
            lines += [f"{'':<25}- {clip(p)}" for p in r.problems[1:SHOWN]]
            rest = max(r.problems_total, len(r.problems)) - SHOWN
            if rest > 0:
                lines.append(f"{'':<25}… and {rest:,} more")
        lines += [f"{'':<25}· {clip(n)}" for n in r.notes[:SHOWN]]
        if len(r.notes) > SHOWN:
            lines.append(f"{'':<25}… and {len(r.notes) - SHOWN:,} more notes")
    lines.append("")
    lines.append("OK" if report.ok else "FAILED")
    return "\n".join(lines)


def _gpu_lines(gpu: Mapping[str, Any] | None) -> list[str]:
    """Where levels 3-4 of a GPU build ran, and each GPU library with where it came from."""
    if gpu is None:
        return []
    lines = [f"GPU: {gpu['ran_on']}"]
    for soname, lib in sorted(gpu["libraries"].items()):
        version = f" {lib['version']}" if lib.get("version") else ""
        note = f" ({lib['note']})" if lib.get("note") else ""
        lines.append(clip(f"  {soname}{version}: {lib['origin']}, {lib['path']}{note}"))
    return lines


def skipped(n: int, reason: str) -> LevelResult:
    return LevelResult(level=n, name=LEVEL_NAMES[n], status="skipped", reason=reason)


def judged(
    n: int, problems: Iterable[str], notes: Iterable[str], seconds: float, details: Mapping[str, Any]
) -> LevelResult:
    """A level that ran: failed when it found any problem."""
    probs = tuple(problems)
    return LevelResult(
        level=n,
        name=LEVEL_NAMES[n],
        status="failed" if probs else "passed",
        problems=probs[:KEPT],
        problems_total=len(probs),
        notes=tuple(notes)[:KEPT],
        seconds=seconds,
        details=details,
    )
