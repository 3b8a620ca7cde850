"""``make verify``: check a submission archive the way Kaggle will meet it.

Levels (each "passed", "FAILED: ..." with every problem of the level, or "skipped: why"):

1. archive: read without trusting it (:mod:`builder.verify_archive`);
2. static: main.py, lib/ and ELF files against the profile, nothing run
   (:mod:`builder.verify_static`);
3. import: unpacked into ``…/kaggle_simulations/agent``, main.py loaded by a clean target
   interpreter exactly like kaggle-environments does (:mod:`builder.verify_runtime`);
4. play: real ``llm_20_questions`` episodes with four copies of the agent.

Level 1 always runs (nothing else touches an untrusted archive).  Level 3 runs when
level 1 passed, level 4 when level 3 passed.  Problems with this machine (no target
interpreter, pip failing) raise :class:`~builder.errors.BuilderError` instead of
becoming a verdict about the archive.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .elf import needs_gpu_driver
from .profile import Profile
from .progress import ProgressFactory, no_progress
from .target import find_target_python
from .verify_archive import ArchiveScan, scan_archive
from .verify_runtime import ChildRun, Runtime, ensure_runtime, missing_gpu_libraries, run_child
from .verify_static import check_static

Status = Literal["passed", "failed", "skipped"]
LevelName = Literal["archive", "static", "import", "play"]
Level = Literal[1, 2, 3, 4]
LEVEL_NAMES: Mapping[int, LevelName] = {1: "archive", 2: "static", 3: "import", 4: "play"}
ALL_LEVELS: tuple[Level, ...] = (1, 2, 3, 4)

Log = Callable[[str], None]
GpuProbe = Callable[[Path, Sequence[str]], Sequence[str]]


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

    @property
    def summary(self) -> str:
        if self.status == "passed":
            return "passed"
        if self.status == "skipped":
            return f"skipped: {self.reason}"
        first = self.problems[0] if self.problems else self.reason
        more = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"FAILED: {first}{more}"

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "problems": list(self.problems),
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
        }


def format_table(report: VerifyReport) -> str:
    """A terminal table: one row per level, then every problem and note indented."""
    lines = [f"verify {report.archive.name} against profile '{report.profile}'", ""]
    lines.append(f"{'level':<6}{'check':<9}{'time':>8}  result")
    for r in report.levels:
        t = f"{r.seconds:.1f}s" if r.status != "skipped" else "-"
        lines.append(f"{r.level:<6}{r.name:<9}{t:>8}  {r.summary}")
        for p in r.problems[1:] if r.status == "failed" else ():
            lines.append(f"{'':<25}- {p}")
        for n in r.notes:
            lines.append(f"{'':<25}· {n}")
    lines.append("")
    lines.append("OK" if report.ok else "FAILED")
    return "\n".join(lines)


def _skip(n: int, reason: str) -> LevelResult:
    return LevelResult(level=n, name=LEVEL_NAMES[n], status="skipped", reason=reason)


def _result(
    n: int, problems: Iterable[str], notes: Iterable[str], seconds: float, details: Mapping[str, Any]
) -> LevelResult:
    probs = tuple(problems)
    return LevelResult(
        level=n,
        name=LEVEL_NAMES[n],
        status="failed" if probs else "passed",
        problems=probs,
        notes=tuple(notes),
        seconds=seconds,
        details=details,
    )


def _level1(scan: ArchiveScan, seconds: float) -> LevelResult:
    details = {
        "members": scan.members,
        "files": len(scan.files),
        "payload_bytes": scan.payload_bytes,
        "archive_bytes": scan.archive_size,
        "archive_sha256": scan.archive_sha256,
        "extracted": scan.root is not None,
    }
    return _result(1, scan.problems, scan.notes, seconds, details)


def _level3(run: ChildRun, scan: ArchiveScan, agent_dir: Path, profile: Profile, llama: bool) -> LevelResult:
    problems: list[str] = []
    notes: list[str] = []
    details: dict[str, Any] = {"child_seconds": round(run.seconds, 3)}
    failure = run.failure()
    if failure:
        return _result(3, [f"main.py: {failure}"], notes, run.seconds, details)
    res = run.result or {}
    pre = res.get("preload", {})
    problems += [f"preload: {e}" for e in pre.get("errors", [])]
    details["preloaded"] = sorted(pre.get("modules", {}))
    if "load_error" in res:
        problems.append(f"main.py: loading it like Kaggle's agent.py raised:\n{res['load_error']}")
    else:
        agent = res.get("agent", {})
        details["agent"] = agent.get("name")
        details["load_s"] = round(float(res.get("load_s", 0.0)), 3)
        argc = agent.get("argcount")
        if not agent.get("is_function"):
            notes.append(f"the agent {agent.get('name')!r} is not a plain function")
        elif argc is not None and argc > 2:
            problems.append(
                f"main.py: the agent {agent.get('name')!r} takes {argc} positional args; Kaggle passes (obs, cfg)"
            )
        limit = profile.timeouts.act_timeout_s + profile.timeouts.overage_s
        if details["load_s"] > limit:
            problems.append(
                f"main.py: loading took {details['load_s']:.1f}s, over the {limit:.0f}s of the first step + overage"
            )
    if llama:
        if "llama_cpp_error" in res:
            problems.append(f"import llama_cpp from lib/ failed:\n{res['llama_cpp_error']}")
        else:
            info = res.get("llama_cpp", {})
            where = str(info.get("file", ""))
            if not where.startswith(str(agent_dir / "lib") + os.sep):
                problems.append(f"llama_cpp was imported from {where}, not from the archive's lib/")
            details["llama_cpp"] = info
            notes.append(f"llama_cpp {info.get('version')} from lib/; GPU offload: {info.get('gpu_offload')}")
    else:
        notes.append("llama_cpp: not vendored")
    vendored = res.get("vendored")
    if vendored is not None:
        problems += [f"lib/: {e}" for e in vendored.get("errors", [])]
        details["vendored_modules"] = vendored.get("modules", {})
        if vendored.get("modules"):
            notes.append(f"imported from lib/: {', '.join(sorted(vendored['modules']))}")
    return _result(3, problems, notes, run.seconds, details)


def _level4(run: ChildRun, profile: Profile) -> LevelResult:
    problems: list[str] = []
    notes: list[str] = []
    details: dict[str, Any] = {"child_seconds": round(run.seconds, 3)}
    failure = run.failure()
    if failure:
        return _result(4, [f"play: {failure}"], notes, run.seconds, details)
    res = run.result or {}
    problems += [f"preload: {e}" for e in res.get("preload", {}).get("errors", [])]
    act = profile.timeouts.act_timeout_s
    episodes = res.get("episodes", [])
    overage: list[float] = []
    for n, ep in enumerate(episodes):
        tag = f"episode {n + 1} ('{ep.get('keyword')}')"
        for i, a in enumerate(ep.get("agents", [])):
            overage.append(float(a.get("overage_left", 0.0)))
            if a.get("status") != "DONE":
                tail = a.get("stderr", "").strip().splitlines()[-3:]
                why = f": {' | '.join(tail)}" if tail else ""
                problems.append(f"{tag}: agent {i} ({a.get('role')}) ended {a.get('status')}{why}")
        problems += [f"{tag}: {v}" for v in ep.get("violations", [])]
    lat = res.get("latency", {})
    details.update(
        kaggle_environments=res.get("kaggle_environments"),
        episodes=[
            {
                "keyword": ep.get("keyword"),
                "steps": ep.get("steps"),
                "seconds": round(float(ep.get("seconds", 0.0)), 3),
                "rewards": [a.get("reward") for a in ep.get("agents", [])],
                "statuses": [a.get("status") for a in ep.get("agents", [])],
            }
            for ep in episodes
        ],
        model_load_s=lat.get("first_step_max_s"),
        turn_median_s=lat.get("turn_median_s"),
        turn_max_s=lat.get("turn_max_s"),
        act_timeout_s=act,
        overage_left_min_s=min(overage) if overage else None,
        overage_s=profile.timeouts.overage_s,
        gpu_offload=res.get("gpu_offload"),
    )
    offloaded = _offload_line(run.stderr_path)
    if offloaded:
        details["offloaded"] = offloaded
    if lat.get("turn_max_s") is not None:
        notes.append(
            f"model load (first step) {lat['first_step_max_s']:.2f}s; turn latency median "
            f"{lat['turn_median_s']:.2f}s, max {lat['turn_max_s']:.2f}s (actTimeout {act:.0f}s); "
            f"overage left {min(overage):.1f}/{profile.timeouts.overage_s:.0f}s"
        )
        if lat["turn_max_s"] > act:
            notes.append(f"a turn took longer than actTimeout {act:.0f}s and spent overage")
    if "gpu_offload" in res:
        notes.append(f"llama.cpp GPU offload: {res['gpu_offload']}" + (f" ({offloaded})" if offloaded else ""))
    if not episodes and not problems:
        problems.append("play: no episode was played")
    return _result(4, problems, notes, run.seconds, details)


def _offload_line(path: Path) -> str | None:
    """The last 'offloaded X/Y layers to GPU' line llama.cpp wrote (bounded read)."""
    found: str | None = None
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                if b"offloaded" in raw and b"layers to GPU" in raw:
                    text = raw.decode("utf-8", "replace").strip()
                    found = text[text.find("offloaded") :]
    except OSError:
        return None
    return found


def verify(
    archive: Path,
    profile: Profile,
    *,
    runtime_requirements: Sequence[str] = (),
    levels: Iterable[int] = ALL_LEVELS,
    episodes: int = 1,
    log: Log | None = None,
    python: Path | None = None,
    cache: Path | None = None,
    gpu_probe: GpuProbe | None = None,
    play_timeout_s: float | None = None,
    seed: int = 0,
    workdir: Path | None = None,
    progress: ProgressFactory = no_progress,
) -> VerifyReport:
    """Verify ``archive`` for ``profile``; see the module docstring.

    ``runtime_requirements`` pins what the target provides that the vendored packages
    import (from the lock), e.g. ``("numpy==1.26.4", "jinja2==3.1.4", ...)``.
    ``python`` defaults to ``find_target_python(profile.python_version)``; ``cache`` to
    ``cache_dir()``; ``gpu_probe(python, libs)`` returns the libraries this machine lacks.
    ``workdir`` (default: a new temp folder) is removed at the end.  ``progress`` shows
    level 1's pass over the archive (bytes read).
    """
    say: Log = log or (lambda _msg: None)
    wanted = set(levels)
    if not wanted <= set(ALL_LEVELS):
        raise ValueError(f"levels must be within {ALL_LEVELS}, got {sorted(wanted)}")
    if episodes < 1 and 4 in wanted:
        raise ValueError("episodes must be >= 1")
    runs_code = bool(wanted & {3, 4})
    if runs_code and python is None:
        python = find_target_python(profile.python_version)
    timings: dict[str, float] = {}
    t_total = time.perf_counter()
    own_tmp = workdir is None
    tmp = Path(tempfile.mkdtemp(prefix="verify-")) if workdir is None else workdir
    results: dict[int, LevelResult] = {}
    try:
        agent_dir = tmp / "kaggle_simulations" / "agent"
        extract_to: Path | None = None
        if runs_code:
            agent_dir.mkdir(parents=True, mode=0o700)
            extract_to = agent_dir
        say(f"level 1: reading {archive.name}" + (" and unpacking it" if extract_to else ""))
        t0 = time.perf_counter()
        try:
            size: int | None = archive.stat().st_size
        except OSError:
            size = None  # scan_archive reports it
        what = "unpacking" if extract_to else "reading"
        with progress(f"level 1: {what} {archive.name}", size, "B") as task:
            scan = scan_archive(archive, extract_to=extract_to, log=say, progress=task.advance)
        timings["level1"] = time.perf_counter() - t0
        results[1] = _level1(scan, timings["level1"])
        say(f"level 1: {results[1].summary}")
        gpu: tuple[str, ...] = ()
        if not scan.ok:
            for n in (2, 3, 4):
                results[n] = _skip(n, "the archive was refused at level 1")
            return _report(archive, profile, results, timings, t_total)
        if 2 in wanted:
            t0 = time.perf_counter()
            found = check_static(scan, profile)
            timings["level2"] = time.perf_counter() - t0
            results[2] = _result(2, found.problems, found.notes, timings["level2"], found.details)
            gpu = found.gpu_libraries
            say(f"level 2: {results[2].summary}")
        else:
            results[2] = _skip(2, "not requested")
            gpu = needs_gpu_driver(scan.elfs, profile)
        if not runs_code:
            for n in (3, 4):
                results[n] = _skip(n, "not requested")
            return _report(archive, profile, results, timings, t_total)
        assert python is not None and scan.root is not None
        if gpu:
            probe = gpu_probe or missing_gpu_libraries
            missing = tuple(probe(python, gpu))
            if missing:
                reason = (
                    f"needs {', '.join(missing)} (a GPU build; this machine has no NVIDIA driver "
                    "or CUDA runtime); level 2 stands"
                )
                for n in (3, 4):
                    results[n] = _skip(n, reason if n in wanted else "not requested")
                return _report(archive, profile, results, timings, t_total)
        play = 4 in wanted
        t0 = time.perf_counter()
        runtime = ensure_runtime(python, profile, runtime_requirements, play=play, cache=cache, log=say)
        timings["runtime"] = time.perf_counter() - t0
        llama = (agent_dir / "lib" / "llama_cpp").is_dir()
        lvl3 = 3 in wanted or play
        if lvl3:
            t0 = time.perf_counter()
            results[3] = _run_level3(runtime, scan, agent_dir, tmp, profile, llama)
            timings["level3"] = time.perf_counter() - t0
            results[3] = _with_seconds(results[3], timings["level3"])
            say(f"level 3: {results[3].summary}")
            if 3 not in wanted:
                r3 = results[3]
                results[3] = LevelResult(
                    level=3,
                    name="import",
                    status=r3.status,
                    problems=r3.problems,
                    notes=(*r3.notes, "run because level 4 needs it"),
                    seconds=r3.seconds,
                    details=r3.details,
                )
        if play:
            if results[3].status == "failed":
                results[4] = _skip(4, "level 3 failed")
            else:
                t0 = time.perf_counter()
                limit = play_timeout_s or episodes * (
                    61 * profile.timeouts.act_timeout_s + 4 * profile.timeouts.overage_s
                )
                say(f"level 4: playing {episodes} episode(s) of llm_20_questions")
                req = {
                    "agent_dir": str(agent_dir),
                    "main": str(agent_dir / "main.py"),
                    "preload": list(runtime.preload),
                    "shims": str(runtime.shims),
                    "episodes": episodes,
                    "seed": seed,
                }
                run = run_child(runtime, "play", req, tmp / "run", timeout_s=limit)
                results[4] = _with_seconds(_level4(run, profile), time.perf_counter() - t0)
                timings["level4"] = results[4].seconds
                say(f"level 4: {results[4].summary}")
        else:
            results[4] = _skip(4, "not requested")
        return _report(archive, profile, results, timings, t_total)
    finally:
        if own_tmp:
            _rmtree(tmp)


def _run_level3(
    runtime: Runtime, scan: ArchiveScan, agent_dir: Path, tmp: Path, profile: Profile, llama: bool
) -> LevelResult:
    req = {
        "agent_dir": str(agent_dir),
        "main": str(agent_dir / "main.py"),
        "preload": list(runtime.preload),
        "llama_cpp": llama,
    }
    limit = profile.timeouts.act_timeout_s + profile.timeouts.overage_s + 60
    run = run_child(runtime, "import", req, tmp / "run", timeout_s=limit)
    return _level3(run, scan, agent_dir, profile, llama)


def _with_seconds(r: LevelResult, seconds: float) -> LevelResult:
    return dataclasses.replace(r, seconds=seconds)


def _report(
    archive: Path, profile: Profile, results: Mapping[int, LevelResult], timings: dict[str, float], t_total: float
) -> VerifyReport:
    timings["total"] = time.perf_counter() - t_total
    levels = tuple(results.get(n) or _skip(n, "not requested") for n in ALL_LEVELS)
    return VerifyReport(archive=archive, profile=profile.name, levels=levels, timings=dict(timings))


def _rmtree(path: Path) -> None:
    def onerror(func: Callable[..., Any], p: str, _exc: object) -> None:
        try:
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    # the agent may have made read-only folders; make them writable and retry
    for root, dirs, _files in os.walk(path):
        for d in dirs:
            try:
                os.chmod(os.path.join(root, d), 0o700, follow_symlinks=False)
            except (OSError, NotImplementedError):
                pass
    shutil.rmtree(path, onerror=onerror)


def plain_tar_seconds(archive: Path) -> float:
    """Wall time of ``tar -xzf ARCHIVE`` into a temp folder (the benchmark's baseline)."""
    with tempfile.TemporaryDirectory(prefix="verify-tar-") as dest:
        t0 = time.perf_counter()
        subprocess.run(["tar", "-xzf", str(archive), "-C", dest], check=True, capture_output=True)
        return time.perf_counter() - t0
