"""``make verify``: check a submission archive the way Kaggle will meet it.

Levels (each "passed", "FAILED: ..." with every problem of the level, or "skipped: why"),
one entry each of the table :data:`.levels.LEVELS` (what it needs, how it runs, how its
verdict is made):

1. archive: read without trusting it (:mod:`.scan`, over :mod:`.gzipstream` and
   :mod:`.tarstream`);
2. static: main.py, lib/ and ELF files against the profile, nothing run (:mod:`.static`);
3. import: unpacked into ``…/kaggle_simulations/agent``, main.py loaded by a clean target
   interpreter exactly like kaggle-environments does (:mod:`.runtime`, :mod:`.child`);
4. play: real ``llm_20_questions`` episodes of the agent, in the line-ups of
   :mod:`.lineups` (with its own teammate against the engine's agents, then beside a
   stranger); the games are in the report (:mod:`.games`) and, when asked, written as
   pages a browser opens offline (:mod:`.pages`).

Every level needs level 1 to have passed (nothing else touches an untrusted archive);
level 4 needs level 3 (run for it when not asked for).  Levels 3 and 4 reach the child
only through its typed protocol (:mod:`.child.verify_protocol`).  The verdicts are made in
:mod:`.verdicts`, the report in :mod:`.report`.

A GPU build on a machine without the target's GPU libraries (no NVIDIA driver): levels
3-4 load stubs of the missing ones, made from the *profile's* export lists
(:mod:`.stubs`), so the load proves every symbol the archive imports exists on the
target; llama.cpp then finds no device and plays on the CPU, and the verdicts say so.  A
library the machine has is used as it is.

Problems with this machine (no target interpreter, pip failing) raise
:class:`~builder.errors.BuilderError` instead of becoming a verdict about the archive.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import ConfigError
from ..layout import cache_dir
from ..profile import Profile
from ..progress import ProgressFactory, no_progress
from ..util.fs import sweep_temps, temp_path
from ..util.interpreter import find_target_python
from .games import Game
from .levels import LEVELS, CodeOptions, GpuProbe, Log, Session, run_levels, scheduled
from .lineups import DEFAULT_EPISODES
from .pages import write_pages
from .report import ALL_LEVELS, LevelResult, VerifyReport, format_table

__all__ = ["ALL_LEVELS", "LevelResult", "VerifyReport", "format_table", "verify"]


def verify(
    archive: Path,
    profile: Profile,
    *,
    runtime_requirements: Sequence[str] = (),
    levels: Iterable[int] = ALL_LEVELS,
    episodes: int = DEFAULT_EPISODES,
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
    pages: Path | None = None,
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
    runtime venv (``verify --here`` in a Kaggle notebook).  ``pages``: a folder to write
    level 4's games into as HTML pages (:mod:`.pages`; the report names its index).
    """
    wanted = frozenset(levels)
    if not wanted <= set(ALL_LEVELS):
        raise ValueError(f"levels must be within {ALL_LEVELS}, got {sorted(wanted)}")
    if episodes < 1 and 4 in wanted:
        raise ValueError("episodes must be >= 1")
    t_total = time.perf_counter()
    cache = cache or cache_dir()
    plan = scheduled(wanted)
    runtimes = {level.runtime for level in LEVELS if level.number in plan and level.runtime}
    if here:
        python = _here_python(profile, play="play" in runtimes)
    code: CodeOptions | None = None
    if runtimes:
        code = CodeOptions(python=python or find_target_python(profile.python_version),
                           runtime_requirements=tuple(runtime_requirements), here=here, cache=cache,
                           gpu_probe=gpu_probe, cc=cc, episodes=episodes, seed=seed, play_timeout_s=play_timeout_s)
    tmp = _workdir(cache) if workdir is None else workdir
    session = Session(archive=archive, profile=profile, wanted=wanted, scheduled=plan, say=log or (lambda _m: None),
                      tmp=tmp, progress=progress, code=code)
    try:
        run_levels(session)
        index, error = _write_pages(pages, session.games, archive) if pages is not None else (None, "")
        session.timings["total"] = time.perf_counter() - t_total
        ordered = tuple(session.results[n] for n in ALL_LEVELS)
        return VerifyReport(archive=archive, profile=profile.name, levels=ordered, timings=dict(session.timings),
                            pages=index, pages_error=error)
    finally:
        if workdir is None:
            _rmtree(tmp)


def _write_pages(folder: Path, games: Sequence[Game], archive: Path) -> tuple[Path | None, str]:
    """Level 4's pages in ``folder`` (none when it played no game); a folder that cannot be
    written is said in the report, and the verdict is not lost with it."""
    if not games:
        return None, ""
    try:
        return write_pages(folder, games, archive=archive.name), ""
    except OSError as exc:
        return None, f"{folder}: {exc.strerror or exc}"


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


def _rmtree(path: Path) -> None:
    """Remove ``path`` even where the agent made read-only folders."""
    for root, dirs, _files in os.walk(path):
        for d in dirs:
            try:
                os.chmod(os.path.join(root, d), 0o700, follow_symlinks=False)
            except (OSError, NotImplementedError):
                pass
    shutil.rmtree(path, ignore_errors=True)
