"""The verify report: one result per level, its verdict, and its terminal table.

Each level is ``passed``, ``failed`` (with every problem of the level) or ``skipped``
(with the reason); a level that passed may have *gaps*: what it could not check here, and
why (no MANIFEST.json, no export list, stubs instead of the GPU's libraries, an agent that
does not report its moves).  The verdict (:data:`Verdict`) is ``OK`` only when every level
ran and passed with no gap, ``PASSED WITH GAPS`` when none failed but one was skipped or
has gaps (each gap is a line of the report), else ``FAILED``.  A level may add sections
of its own to the report (:class:`Section`: level 4's games).  A hostile archive can have
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
Verdict = Literal["OK", "PASSED WITH GAPS", "FAILED"]
LevelName = Literal["archive", "static", "import", "play"]
Level = Literal[1, 2, 3, 4]
LEVEL_NAMES: Mapping[int, LevelName] = {1: "archive", 2: "static", 3: "import", 4: "play"}
ALL_LEVELS: tuple[Level, ...] = (1, 2, 3, 4)
#: problems (and notes) a level keeps, and how many the table shows
KEPT = 1000
SHOWN = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A part of the report a level adds under its own title (level 4: the games played),
    printed after the table, one line each."""

    title: str
    lines: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "lines": list(self.lines)}


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
    #: what this level could not check here, and why (a pass with gaps is not OK)
    gaps: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()

    @property
    def summary(self) -> str:
        if self.status == "passed":
            head = f"passed with {_count(len(self.gaps), 'gap')}" if self.gaps else "passed"
            return f"{head} ({self.qualifier})" if self.qualifier else head
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
            "gaps": list(self.gaps),
            "sections": [section.to_json() for section in self.sections],
            "seconds": round(self.seconds, 3),
            "details": dict(self.details),
        }


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    archive: Path
    profile: str
    levels: tuple[LevelResult, ...]
    #: wall-clock seconds: "level1".."level4", "runtime" (venv), "total"
    timings: Mapping[str, float]

    #: level 4's pages (the index of the folder they were written into), or why they were not
    pages: Path | None = None
    pages_error: str = ""

    @property
    def failed(self) -> bool:
        """A level failed: the archive is not fit for the target."""
        return any(r.status == "failed" for r in self.levels)

    @property
    def gaps(self) -> tuple[str, ...]:
        """What was not checked, and why: every level not run, and each gap of those that passed."""
        out: list[str] = []
        for r in self.levels:
            if r.status == "skipped":
                out.append(f"level {r.level} ({r.name}) not run: {r.reason}")
            out += [f"level {r.level} ({r.name}): {g}" for g in r.gaps]
        return tuple(out)

    @property
    def verdict(self) -> Verdict:
        if self.failed:
            return "FAILED"
        return "PASSED WITH GAPS" if self.gaps else "OK"

    @property
    def ok(self) -> bool:
        """Every level ran and passed with nothing left unchecked (the verdict is OK)."""
        return self.verdict == "OK"

    def level(self, n: int) -> LevelResult:
        return next(r for r in self.levels if r.level == n)

    def to_json(self) -> dict[str, Any]:
        return {
            "archive": str(self.archive),
            "profile": self.profile,
            "verdict": self.verdict,
            "ok": self.ok,
            "gaps": list(self.gaps),
            "levels": [r.to_json() for r in self.levels],
            "pages": str(self.pages) if self.pages is not None else None,
            "pages_error": self.pages_error,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def format_table(report: VerifyReport) -> str:
    """A terminal table: one row per level, then every problem and note indented."""
    lines = [f"verify {report.archive.name} against profile '{report.profile}'", ""]
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
    for r in report.levels:
        for section in r.sections:
            lines += ["", f"level {r.level} ({r.name}): {section.title}"]
            lines += [f"  {clip(line)}" for line in section.lines]
    if report.pages is not None:
        lines += ["", f"the games, a page each: {report.pages} (opens in a browser, no network needed)"]
    elif report.pages_error:
        lines += ["", f"the games' pages were not written: {clip(report.pages_error)}"]
    lines += ["", report.verdict]
    lines += [f"  - {clip(g)}" for g in report.gaps]
    return "\n".join(lines)


def skipped(n: int, reason: str) -> LevelResult:
    return LevelResult(level=n, name=LEVEL_NAMES[n], status="skipped", reason=reason)


def judged(
    n: int, problems: Iterable[str], notes: Iterable[str], seconds: float, details: Mapping[str, Any],
    *, gaps: Iterable[str] = (),
) -> LevelResult:
    """A level that ran: failed when it found any problem; ``gaps``: what it could not check."""
    probs = tuple(problems)
    return LevelResult(
        level=n,
        name=LEVEL_NAMES[n],
        status="failed" if probs else "passed",
        problems=probs[:KEPT],
        problems_total=len(probs),
        notes=tuple(notes)[:KEPT],
        gaps=tuple(gaps)[:KEPT],
        seconds=seconds,
        details=details,
    )
