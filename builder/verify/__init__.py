"""``make verify``: check a submission archive the way Kaggle will meet it.

Levels (each "passed", "FAILED: ..." with every problem of the level, or "skipped: why"):

1. archive: read without trusting it (:mod:`.scan`);
2. static: main.py, lib/ and ELF files against the profile, nothing run (:mod:`.static`);
3. import: unpacked into ``…/kaggle_simulations/agent``, main.py loaded by a clean target
   interpreter exactly like kaggle-environments does (:mod:`.runtime`, :mod:`.child`);
4. play: real ``llm_20_questions`` episodes with four copies of the agent.

Which level needs which (:data:`NEEDS`): every level needs level 1 to have passed
(nothing else touches an untrusted archive); level 4 needs level 3 (run for it when not
asked for).  The verdicts are made in :mod:`.levels`, the report in :mod:`.report`.

A GPU build on a machine without the target's GPU libraries (no NVIDIA driver): levels
3-4 load stubs of the missing ones, made from the *profile's* export lists
(:mod:`.stubs`), so the load proves every symbol the archive imports exists on the
target; llama.cpp then finds no device and plays on the CPU, and the verdicts say so.  A
library the machine has is used as it is.

Problems with this machine (no target interpreter, pip failing) raise
:class:`~builder.errors.BuilderError` instead of becoming a verdict about the archive.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..layout import cache_dir
from ..profile import Profile
from ..profile.exports import profile_exports
from ..progress import ProgressFactory, no_progress
from ..util.fs import sweep_temps, temp_path
from ..util.interpreter import find_target_python
from ..wheels.native_checks import needs_gpu_driver
from .levels import level1, level3, level4
from .report import ALL_LEVELS, LevelResult, VerifyReport, format_table, judged, skipped
from .runtime import Runtime, ensure_runtime, here_runtime, missing_gpu_libraries, run_child
from .scan import ArchiveScan, scan_archive
from .static import check_static
from .stubs import NativePlan, build_stubs

__all__ = ["ALL_LEVELS", "LevelResult", "VerifyReport", "format_table", "verify"]

Log = Callable[[str], None]
GpuProbe = Callable[[Path, Sequence[str]], Sequence[str]]

#: level -> the levels that must have passed before it runs (1 always runs first).
NEEDS: Mapping[int, tuple[int, ...]] = {2: (1,), 3: (1,), 4: (1, 3)}


@dataclass(slots=True)
class _Run:
    """One verify run: its options, its folders, and the results so far."""

    archive: Path
    profile: Profile
    wanted: frozenset[int]
    say: Log
    tmp: Path
    natives: NativePlan | None = None
    results: dict[int, LevelResult] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def agent_dir(self) -> Path:
        return self.tmp / "kaggle_simulations" / "agent"

    @property
    def runs_code(self) -> bool:
        return bool(self.wanted & {3, 4})

    def record(self, result: LevelResult, seconds: float) -> LevelResult:
        result = dataclasses.replace(result, seconds=seconds)
        self.results[result.level] = result
        self.timings[f"level{result.level}"] = seconds
        self.say(f"level {result.level}: {result.summary}")
        return result

    def skip_rest(self, levels: Iterable[int], reason: str) -> None:
        for n in levels:
            self.results.setdefault(n, skipped(n, reason if n in self.wanted else "not requested"))


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
    cc: str | None = None,
    play_timeout_s: float | None = None,
    seed: int = 0,
    workdir: Path | None = None,
    progress: ProgressFactory = no_progress,
    here: bool = False,
) -> VerifyReport:
    """Verify ``archive`` for ``profile``; see the module docstring.

    ``runtime_requirements`` pins what the target provides that the vendored packages
    import (from the lock), e.g. ``("numpy==1.26.4", "jinja2==3.1.4", ...)``.
    ``python`` defaults to ``find_target_python(profile.python_version)``; ``cache`` to
    ``cache_dir()``; ``gpu_probe(python, libs)`` returns the libraries this machine lacks
    (stubbed from the profile's export lists, compiled with ``cc``, default ``$CC``/``cc``).
    ``workdir`` (default: a new temp folder, ``.verify.PID.*`` in the cache's ``tmp/``;
    what a killed verify left there is removed by the next one) is removed at the end.
    ``progress`` shows level 1's pass over the archive (bytes read).  ``here``: levels 3-4
    run in this interpreter's own environment (its packages, its GPU) instead of the cached
    runtime venv (``verify --here`` in a Kaggle notebook).
    """
    wanted = frozenset(levels)
    if not wanted <= set(ALL_LEVELS):
        raise ValueError(f"levels must be within {ALL_LEVELS}, got {sorted(wanted)}")
    if episodes < 1 and 4 in wanted:
        raise ValueError("episodes must be >= 1")
    if here:
        python = _here_python(profile, play=4 in wanted)
    elif wanted & {3, 4} and python is None:
        python = find_target_python(profile.python_version)
    t_total = time.perf_counter()
    tmp = _workdir(cache or cache_dir()) if workdir is None else workdir
    run = _Run(archive=archive, profile=profile, wanted=wanted, say=log or (lambda _m: None), tmp=tmp)
    try:
        scan = _run_level1(run, progress)
        if scan.ok:
            gpu = _run_level2(run, scan)
            if python is not None and run.runs_code and _plan_natives(run, python, gpu, gpu_probe, cache, cc):
                runtime = here_runtime(profile, runtime_requirements) if here else \
                    ensure_runtime(python, profile, runtime_requirements, play=4 in wanted, cache=cache, log=run.say)
                _run_level3(run, runtime, scan)
                if 4 in wanted and run.results[3].status != "failed":
                    _run_level4(run, runtime, episodes=episodes, seed=seed, timeout_s=play_timeout_s)
                run.skip_rest((4,), "level 3 failed")
        run.skip_rest((2, 3, 4), "the archive was refused at level 1" if not scan.ok else "not requested")
        run.timings["total"] = time.perf_counter() - t_total
        ordered = tuple(run.results[n] for n in ALL_LEVELS)
        return VerifyReport(archive=archive, profile=profile.name, levels=ordered, timings=dict(run.timings))
    finally:
        if workdir is None:
            _rmtree(tmp)


#: The verify temp folders' name in the cache's ``tmp/``: ``.verify.PID.RANDOM``.
_TEMP_NAME = "verify"


def _workdir(cache: Path) -> Path:
    """A private temp folder named by this pid (what a killed verify left is swept first)."""
    base = cache / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    sweep_temps(base / _TEMP_NAME)
    for _ in range(100):
        tmp = temp_path(base / _TEMP_NAME, secrets.token_hex(4))
        try:
            tmp.mkdir(mode=0o700)
            return tmp
        except FileExistsError:
            continue
    raise OSError(f"{base}: cannot make a verify temp folder")


def _here_python(profile: Profile, *, play: bool) -> Path:
    """``--here`` needs this interpreter to be the target's, and kaggle_environments to play."""
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if mine != profile.python_version:
        raise ConfigError("--here", f"this interpreter is Python {mine}; profile '{profile.name}' runs "
                                    f"{profile.python_version}: run verify --here with that Python")
    if play and importlib.util.find_spec("kaggle_environments") is None:
        raise ConfigError("--here", "this environment has no kaggle_environments to play with: pip install "
                                    "--no-deps kaggle-environments==1.14.15 (and jsonschema requests pandas), or "
                                    "verify levels 1-3 only (--levels 1,2,3)")
    return Path(sys.executable)


def _run_level1(run: _Run, progress: ProgressFactory) -> ArchiveScan:
    extract_to: Path | None = None
    if run.runs_code:
        run.agent_dir.mkdir(parents=True, mode=0o700)
        extract_to = run.agent_dir
    what = "unpacking" if extract_to else "reading"
    run.say(f"level 1: reading {run.archive.name}" + (" and unpacking it" if extract_to else ""))
    t0 = time.perf_counter()
    try:
        size: int | None = run.archive.stat().st_size
    except OSError:
        size = None  # scan_archive reports it
    with progress(f"level 1: {what} {run.archive.name}", size, "B") as task:
        scan = scan_archive(run.archive, extract_to=extract_to, log=run.say, progress=task.advance)
    run.record(level1(scan, 0.0), time.perf_counter() - t0)
    return scan


def _run_level2(run: _Run, scan: ArchiveScan) -> tuple[str, ...]:
    """Level 2 when asked for; either way, the GPU-only libraries the archive needs."""
    if 2 not in run.wanted:
        return needs_gpu_driver(scan.elfs, run.profile)
    t0 = time.perf_counter()
    found = check_static(scan, run.profile)
    run.record(judged(2, found.problems, found.notes, 0.0, found.details), time.perf_counter() - t0)
    return found.gpu_libraries


def _plan_natives(
    run: _Run, python: Path, gpu: Sequence[str], probe: GpuProbe | None, cache: Path | None, cc: str | None
) -> bool:
    """Decide what levels 3-4 load for the GPU libraries ``gpu`` the archive needs: the
    machine's own, and stubs (from the profile's export lists) of those it lacks.  False
    (levels 3-4 skipped, saying why) when a missing one has no export list to stub it."""
    if not gpu:
        run.natives = None
        return True
    order = {lib: i for i, lib in enumerate(run.profile.gpu_libraries)}
    gpu = tuple(sorted(gpu, key=lambda lib: (order.get(lib, len(order)), lib)))  # the profile's order
    missing = tuple((probe or missing_gpu_libraries)(python, gpu))
    exports = profile_exports(run.profile) if missing else None
    unlisted = [lib for lib in missing if exports is None or exports.get(lib) is None]
    if unlisted:
        run.skip_rest((3, 4), f"needs {', '.join(unlisted)} (a GPU build; this machine has no NVIDIA driver "
                              f"or CUDA runtime, and profile '{run.profile.name}' has no export list to stub "
                              "it); level 2 stands")
        return False
    stubs = build_stubs(run.profile, exports, missing, cache=cache or cache_dir(), cc=cc, log=run.say) \
        if missing and exports is not None else ()
    run.natives = NativePlan(profile=run.profile.name, needed=tuple(gpu), stubs=stubs)
    if stubs:
        run.say(f"verify: this machine lacks {', '.join(missing)}: levels 3-4 load stubs made from profile "
                f"'{run.profile.name}' export lists (no GPU: llama.cpp will run on the CPU)")
    return True


def _run_level3(run: _Run, runtime: Runtime, scan: ArchiveScan) -> None:
    llama = (run.agent_dir / "lib" / "llama_cpp").is_dir()
    req: dict[str, Any] = {
        "agent_dir": str(run.agent_dir),
        "main": str(run.agent_dir / "main.py"),
        "preload": list(runtime.preload),
        "llama_cpp": llama,
        "stubs": run.natives.request() if run.natives else [],
    }
    limit = run.profile.timeouts.act_timeout_s + run.profile.timeouts.overage_s + 60
    t0 = time.perf_counter()
    child = run_child(runtime, "import", req, run.tmp / "run", timeout_s=limit)
    result = level3(child, scan, run.agent_dir, run.profile, llama, run.natives)
    if 3 not in run.wanted:
        result = dataclasses.replace(result, notes=(*result.notes, "run because level 4 needs it"))
    run.record(result, time.perf_counter() - t0)


def _run_level4(run: _Run, runtime: Runtime, *, episodes: int, seed: int, timeout_s: float | None) -> None:
    t = run.profile.timeouts
    limit = timeout_s or episodes * (61 * t.act_timeout_s + 4 * t.overage_s)
    run.say(f"level 4: playing {episodes} episode(s) of llm_20_questions")
    req: dict[str, Any] = {
        "agent_dir": str(run.agent_dir),
        "main": str(run.agent_dir / "main.py"),
        "preload": list(runtime.preload),
        "shims": str(runtime.shims),
        "episodes": episodes,
        "seed": seed,
        "stubs": run.natives.request() if run.natives else [],
    }
    t0 = time.perf_counter()
    child = run_child(runtime, "play", req, run.tmp / "run", timeout_s=limit)
    run.record(level4(child, run.profile, run.natives), time.perf_counter() - t0)


def _rmtree(path: Path) -> None:
    """Remove ``path`` even where the agent made read-only folders."""
    for root, dirs, _files in os.walk(path):
        for d in dirs:
            try:
                os.chmod(os.path.join(root, d), 0o700, follow_symlinks=False)
            except (OSError, NotImplementedError):
                pass
    shutil.rmtree(path, ignore_errors=True)
