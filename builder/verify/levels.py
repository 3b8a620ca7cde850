"""The levels of verify as one table (:data:`LEVELS`): for each, what it needs, how it runs
and how its verdict is made.

* ``needs``: the levels that must have passed before it runs; one that was not asked for
  is run for it (level 4 runs level 3 first), and one that did not pass skips it, saying
  why.  Every level needs level 1: nothing else touches an untrusted archive.
* ``runtime``: the level runs the archive's code in the target interpreter, in a runtime
  with the packages the target provides (``"import"``) and kaggle-environments too
  (``"play"``); such levels share one opening (:func:`open_code_levels`): the archive
  unpacked by level 1, the GPU libraries it needs (the machine's own, else stubs from the
  profile's export lists), the runtime venv.  Where that cannot be had, they are skipped,
  saying why.
* ``run`` observes (the scan, the static findings, the child's typed result) and never
  judges; ``judge`` makes the verdict from that observation alone (:mod:`.verdicts`).

A new level, or a new way to run one (a GPU runtime, other agent settings), is one more
entry, or another ``run`` for one.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from ..profile import Profile
from ..profile.exports import profile_exports
from ..progress import ProgressFactory
from ..wheels.native_checks import needs_gpu_driver
from . import verdicts
from .child.verify_protocol import REPORT_VARIABLE, ImportRequest, ImportResult, PlayRequest
from .games import Game, Played, names_report_channel, observe
from .lineups import lineups
from .report import LevelResult, skipped
from .runtime import ChildRun, Runtime, ensure_runtime, here_runtime, missing_gpu_libraries, run_import, run_play
from .scan import ArchiveScan, scan_archive
from .static import StaticFindings, check_static
from .stubs import NativePlan, build_stubs

Log = Callable[[str], None]
GpuProbe = Callable[[Path, Sequence[str]], Sequence[str]]
T = TypeVar("T")
#: What a level that runs code needs installed: the provided packages, and for "play" the game.
RuntimeKind = Literal["import", "play"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeOptions:
    """What the levels that run the archive's code are given."""

    python: Path  # the target interpreter
    runtime_requirements: tuple[str, ...]  # the provided pins the vendored packages import
    here: bool  # this interpreter's own environment instead of the cached runtime venv
    cache: Path
    gpu_probe: GpuProbe | None  # which GPU libraries this machine lacks (default: try to load them)
    cc: str | None  # the C compiler for the stubs
    episodes: int
    seed: int
    play_timeout_s: float | None


@dataclass(slots=True, kw_only=True)
class Session:
    """One verify run: what was asked, its folders, and what the levels found so far."""

    archive: Path
    profile: Profile
    wanted: frozenset[int]  # the levels asked for
    scheduled: frozenset[int]  # and those they need
    say: Log
    tmp: Path
    progress: ProgressFactory
    code: CodeOptions | None  # None: no level that runs code is scheduled
    scan: ArchiveScan | None = None
    natives: NativePlan | None = None
    runtime: Runtime | None = None
    results: dict[int, LevelResult] = field(default_factory=dict)
    why_not: dict[int, str] = field(default_factory=dict)  # why a scheduled level did not run
    no_code: str | None = None  # why the levels that run code cannot (their opening failed)
    timings: dict[str, float] = field(default_factory=dict)
    games: tuple[Game, ...] = ()  # level 4's, for its pages

    @property
    def agent_dir(self) -> Path:
        return self.tmp / "kaggle_simulations" / "agent"

    def runtimes(self) -> set[RuntimeKind]:
        """What the scheduled levels that run code need installed (empty: none is scheduled)."""
        return {level.runtime for level in LEVELS if level.number in self.scheduled and level.runtime}


@dataclass(frozen=True, slots=True, kw_only=True)
class Level(Generic[T]):
    """One level: what it needs, how it runs (observes ``T``), how its verdict is made."""

    number: int
    needs: tuple[int, ...]
    runtime: RuntimeKind | None
    run: Callable[[Session], T]
    judge: Callable[[T, Session], LevelResult]


def scheduled(wanted: frozenset[int]) -> frozenset[int]:
    """The levels asked for and every level they need, however indirectly."""
    out = set(wanted)
    for level in reversed(LEVELS):  # a level only needs earlier ones
        if level.number in out:
            out |= set(level.needs)
    return frozenset(out)


def run_levels(s: Session) -> None:
    """Each level of the table in turn: run and judged, or skipped saying why."""
    for level in LEVELS:
        n = level.number
        why = _why_not(s, level)
        if why is not None:
            s.why_not[n] = why
            s.results[n] = skipped(n, why if n in s.wanted else "not requested")
            continue
        t0 = time.perf_counter()
        result = level.judge(level.run(s), s)
        if n not in s.wanted:
            by = min(m.number for m in LEVELS if m.number in s.wanted and n in m.needs)
            result = dataclasses.replace(result, notes=(*result.notes, f"run because level {by} needs it"))
        seconds = time.perf_counter() - t0
        s.results[n] = dataclasses.replace(result, seconds=seconds)
        s.timings[f"level{n}"] = seconds
        s.say(f"level {n}: {s.results[n].summary}")


def _why_not(s: Session, level: Level[Any]) -> str | None:
    """Why ``level`` does not run (a need that did not pass, the code levels' opening), or None."""
    if level.number not in s.scheduled:
        return "not requested"
    for n in level.needs:
        got = s.results[n]
        if got.status == "failed":
            return "the archive was refused at level 1" if n == 1 else f"level {n} failed"
        if got.status == "skipped":
            return s.why_not[n]
    return open_code_levels(s) if level.runtime else None


# ------------------------------------------------------------------- how each level runs


def _scan(s: Session) -> ArchiveScan:
    """Level 1: one pass over the archive, unpacking it when a later level runs its code."""
    extract_to: Path | None = None
    if s.runtimes():
        s.agent_dir.mkdir(parents=True, mode=0o700)
        extract_to = s.agent_dir
    s.say(f"level 1: reading {s.archive.name}" + (" and unpacking it" if extract_to else ""))
    try:
        size: int | None = s.archive.stat().st_size
    except OSError:
        size = None  # scan_archive reports it
    with s.progress(f"level 1: {'unpacking' if extract_to else 'reading'} {s.archive.name}", size, "B") as task:
        s.scan = scan_archive(s.archive, extract_to=extract_to, log=s.say, progress=task.advance)
    return s.scan


def _static(s: Session) -> StaticFindings:
    assert s.scan is not None
    return check_static(s.scan, s.profile)


def open_code_levels(s: Session) -> str | None:
    """The opening the levels that run code share, made once: the GPU libraries the archive
    needs (the machine's own, and stubs from the profile's export lists of those it lacks)
    and the runtime.  Returns why those levels cannot run, or None."""
    if s.runtime is not None:
        return None
    if s.no_code is not None:
        return s.no_code
    assert s.code is not None and s.scan is not None
    t0 = time.perf_counter()
    why = _plan_natives(s, s.code, needs_gpu_driver(s.scan.elfs, s.profile))
    if why is not None:
        s.no_code = why
        return why
    c = s.code
    play = "play" in s.runtimes()
    s.runtime = here_runtime(s.profile, c.runtime_requirements) if c.here else \
        ensure_runtime(c.python, s.profile, c.runtime_requirements, play=play, cache=c.cache, log=s.say)
    s.timings["runtime"] = time.perf_counter() - t0
    return None


def _plan_natives(s: Session, c: CodeOptions, gpu: Sequence[str]) -> str | None:
    """Decide what the code levels load for the GPU libraries ``gpu`` the archive needs: the
    machine's own, and stubs (from the profile's export lists) of those it lacks.  Returns
    why they cannot run: a missing library with no export list to stub it."""
    if not gpu:
        return None
    order = {lib: i for i, lib in enumerate(s.profile.gpu_libraries)}
    gpu = tuple(sorted(gpu, key=lambda lib: (order.get(lib, len(order)), lib)))  # the profile's order
    missing = tuple((c.gpu_probe or missing_gpu_libraries)(c.python, gpu))
    exports = profile_exports(s.profile) if missing else None
    unlisted = [lib for lib in missing if exports is None or exports.get(lib) is None]
    if unlisted:
        return (f"needs {', '.join(unlisted)} (a GPU build; this machine has no NVIDIA driver or CUDA runtime, "
                f"and profile '{s.profile.name}' has no export list to stub it); level 2 stands")
    stubs = build_stubs(s.profile, exports, missing, cache=c.cache, cc=c.cc, log=s.say) \
        if missing and exports is not None else ()
    s.natives = NativePlan(profile=s.profile.name, needed=tuple(gpu), stubs=stubs)
    if stubs:
        s.say(f"verify: this machine lacks {', '.join(missing)}: levels 3-4 load stubs made from profile "
              f"'{s.profile.name}' export lists (no GPU: llama.cpp will run on the CPU)")
    return None


def _import(s: Session) -> ChildRun[ImportRequest, ImportResult]:
    """Level 3: main.py loaded like Kaggle's loader, lib/ imported, the model loaded."""
    assert s.runtime is not None
    request: ImportRequest = {
        "agent_dir": str(s.agent_dir),
        "main": str(s.agent_dir / "main.py"),
        "preload": list(s.runtime.preload),
        "stubs": s.natives.request() if s.natives else [],
        "llama_cpp": (s.agent_dir / "lib" / "llama_cpp").is_dir(),
    }
    limit = s.profile.timeouts.act_timeout_s + s.profile.timeouts.overage_s + 60
    return run_import(s.runtime, request, s.tmp / "run", timeout_s=limit)


def _play(s: Session) -> Played:
    """Level 4: episodes of llm_20_questions with the agent as Kaggle runs a file agent, in
    the line-ups of :mod:`.lineups`; the games are kept for the report's pages."""
    assert s.runtime is not None and s.code is not None
    c, t = s.code, s.profile.timeouts
    s.say(f"level 4: playing {c.episodes} episode(s) of llm_20_questions")
    request: PlayRequest = {
        "agent_dir": str(s.agent_dir),
        "main": str(s.agent_dir / "main.py"),
        "preload": list(s.runtime.preload),
        "stubs": s.natives.request() if s.natives else [],
        "shims": str(s.runtime.shims),
        "lineups": lineups(c.episodes),
        "seed": c.seed,
    }
    reporter = names_report_channel(s.agent_dir, REPORT_VARIABLE)  # what the archive unpacked holds
    limit = c.play_timeout_s or c.episodes * (61 * t.act_timeout_s + 4 * t.overage_s)
    played = observe(run_play(s.runtime, request, s.tmp / "run", timeout_s=limit), reporter=reporter)
    s.games = played.games
    return played


def _judge_scan(scan: ArchiveScan, _s: Session) -> LevelResult:
    return verdicts.level1(scan)


def _judge_static(found: StaticFindings, _s: Session) -> LevelResult:
    return verdicts.level2(found)


def _judge_import(child: ChildRun[ImportRequest, ImportResult], s: Session) -> LevelResult:
    return verdicts.level3(child, s.agent_dir, s.profile, s.natives)


def _judge_play(played: Played, s: Session) -> LevelResult:
    return verdicts.level4(played, s.profile, s.natives)


#: The table (the report's names and order: :data:`.report.LEVEL_NAMES`).
LEVELS: tuple[Level[Any], ...] = (
    Level(number=1, needs=(), runtime=None, run=_scan, judge=_judge_scan),
    Level(number=2, needs=(1,), runtime=None, run=_static, judge=_judge_static),
    Level(number=3, needs=(1,), runtime="import", run=_import, judge=_judge_import),
    Level(number=4, needs=(1, 3), runtime="play", run=_play, judge=_judge_play),
)
