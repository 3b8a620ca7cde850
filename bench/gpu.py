"""``make gpu-check`` (``python -m bench.gpu``): everything a machine with an NVIDIA GPU can
prove about the T4 path, in one run, ending with one JSON summary on stdout.

1. the CUDA build of the default model at the ``llama3-8b-t4`` recipe's settings (n_ctx
   8192, every layer on the GPU), built and verified at all four levels on this GPU with
   the target's own CUDA runtime;
2. a synthetic model with Llama 3 8B's tensor shapes and random Q8_0 weights
   (:mod:`bench.synthetic`, ~8.5 GB, written into the builder's cache once), built with the
   same recipe and verified at all four levels: memory against the T4's 15 GiB and
   ``inspect``'s prediction, load time, tokens per second, every turn against actTimeout,
   with the T4 estimated from this GPU where it is another one.

On a machine without a GPU it stops saying so (nothing here is measured without one).
``--prefetch`` runs on any machine with PyPI and fills the cache with what the check needs
offline: the CUDA wheel (built, ~40 minutes on 2 cores the first time), the default model,
the target's CUDA runtime wheels (``nvidia-cuda-runtime-cu12``, ``nvidia-cublas-cu12``,
hash-checked), the verify runtime venv with kaggle-environments, and the synthetic model.
Copy the cache (``$BUILDER_CACHE_DIR``, default ``~/.cache/gguf-submission-builder``), the
checkout with its ``.venv`` and the target interpreter (at the same paths: the runtime
venv's key names its interpreter) to the GPU machine, and the check needs no network.
With a warm cache it takes a few minutes (the target is under 8).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from builder.errors import BuilderError
from builder.layout import Project
from builder.lock import load_lock
from builder.pip import Pip
from builder.pipeline import build, model_path, prepare_wheels
from builder.profile import Profile, resolve_profile
from builder.profile.natives import package_file
from builder.spec import BuildSpec, Overrides, resolve_spec
from builder.util.fs import build_folder_once
from builder.util.interpreter import find_target_python
from builder.verify import VerifyReport, verify
from builder.verify.gpu.judge import device_line
from builder.verify.runtime import ensure_runtime, machine_facts

from .synthetic import LLAMA3_8B, write_synthetic

RECIPE = "llama3-8b-t4"
SYNTHETIC = "synthetic-llama3-8b-q8_0-v1"
Log = Callable[[str], None]


def _log(message: str) -> None:
    print(f"* {message}", file=sys.stderr, flush=True)


def synthetic_model(cache: Path, log: Log) -> Path:
    """The synthetic Llama-3-8B-shaped Q8_0 model in the cache, written once (~8.5 GB)."""

    def make(tmp: Path) -> None:
        log(f"gpu-check: writing the synthetic model ({LLAMA3_8B.name}, ~8.5 GB) into {cache / 'synthetic'}")
        write_synthetic(tmp / "model.gguf", LLAMA3_8B)

    return build_folder_once(cache / "synthetic" / SYNTHETIC, make) / "model.gguf"


def _spec(project: Project, model: Path | None, out: Path) -> BuildSpec:
    return resolve_spec(project, Path(RECIPE), Overrides(model=model, output=out))


def _runtime_pins(spec: BuildSpec, profile: Profile) -> list[str]:
    return [e.pin for e in load_lock(profile, requirements=spec.requirements, lock=spec.lock).provided]


def summary(name: str, report: VerifyReport, seconds: float, build_s: float) -> dict[str, Any]:
    """What one build-and-verify proved, in numbers."""
    out: dict[str, Any] = {"name": name, "ok": report.ok, "verdict": report.verdict, "gaps": list(report.gaps),
                           "build_s": round(build_s, 1), "verify_s": round(seconds, 1),
                           "levels": {str(r.level): r.summary for r in report.levels}}
    l3, l4 = report.level(3), report.level(4)
    model = l3.details
    speed = model.get("speed", {})
    memory = model.get("device_memory", {})
    out["level3"] = {
        "ran_on": model.get("ran_on"), "settings": model.get("settings"),
        "offloaded": model.get("load_log", {}).get("offloaded"), "buffers": model.get("load_log", {}).get("buffers"),
        "load_s": speed.get("load_s"), "prompt_tps": speed.get("prompt_tps"),
        "generate_tps": speed.get("generate_tps"), "target_estimate": speed.get("target_estimate"),
        "device_memory_bytes": memory.get("used_bytes"), "predicted_bytes": memory.get("predicted_bytes"),
        "prediction_off": memory.get("prediction_off"), "target_gpu_bytes": memory.get("target_bytes"),
        "problems": list(l3.problems),
    }
    time_ = l4.details.get("time", {}) if l4.status != "skipped" else {}
    out["level4"] = {"agents": time_.get("agents"), "target_estimate": time_.get("target_estimate"),
                     "measured_on": time_.get("measured_on"), "problems": list(l4.problems)}
    return out


def gpu_check(project: Project, work: Path, *, synthetic: bool, log: Log) -> dict[str, Any]:
    spec = _spec(project, None, work / "default.tar.gz")
    profile = resolve_profile(project, spec.profile)
    python = find_target_python(profile.python_version)
    machine = machine_facts(python, profile.gpu_libraries)
    if not machine["devices"]:
        raise BuilderError(f"gpu-check: {device_line(machine)}: nothing to check here (make verify takes the "
                           "stub path on this machine)")
    os.environ.setdefault("CUDA_CACHE_MAXSIZE", str(4 << 30))  # the PTX a newer GPU compiles, kept between runs
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    report_gpu: Any = None
    models: list[tuple[str, Path | None]] = [("default model (SmolLM2-135M), llama3-8b-t4 settings", None)]
    if synthetic:
        models.append(("synthetic Llama-3-8B Q8_0, llama3-8b-t4 settings", synthetic_model(spec.cache, log)))
    for n, (name, model) in enumerate(models):
        s = _spec(project, model, work / f"run{n}.tar.gz")
        t = time.perf_counter()
        result = build(s, log)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        report = verify(result.archive.path, profile, runtime_requirements=_runtime_pins(s, profile), log=log,
                        episodes=1, episodes_forced=True, cache=s.cache)
        runs.append(summary(name, report, time.perf_counter() - t, build_s))
        result.archive.path.unlink(missing_ok=True)
        report_gpu = report.gpu
    return {"gpu": device_line(machine), "machine": machine, "report_gpu": report_gpu, "runs": runs,
            "ok": all(r["ok"] for r in runs), "seconds": round(time.perf_counter() - started, 1)}


def prefetch(project: Project, *, synthetic: bool, log: Log) -> dict[str, Any]:
    """Fill the cache with what :func:`gpu_check` needs offline (no GPU needed here)."""
    spec = _spec(project, None, project.root / "build" / "gpu-check.tar.gz")
    profile = resolve_profile(project, spec.profile)
    python = find_target_python(profile.python_version)
    lock = load_lock(profile, requirements=spec.requirements, lock=spec.lock)
    wheels = prepare_wheels(spec, profile, lock, target_python=python, log=log)
    model = model_path(spec, python, log)
    natives = [n for n in profile.natives if n.soname in profile.gpu_libraries and n.kind == "wheel"]
    packages = sorted({str(package_file(n, pip=Pip(python), cache=spec.cache, log=log)) for n in natives})
    runtime = ensure_runtime(python, profile, _runtime_pins(spec, profile), play=True, cache=spec.cache, log=log)
    done: dict[str, Any] = {"cache": str(spec.cache), "wheels": [str(w.path) for w in wheels], "model": str(model),
                            "cuda_runtime_wheels": packages, "verify_runtime": str(runtime.root)}
    if synthetic:
        done["synthetic_model"] = str(synthetic_model(spec.cache, log))
    return done


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.gpu", description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path("."), help="the project (default: .)")
    ap.add_argument("--prefetch", action="store_true", help="fill the cache for an offline run (no GPU needed)")
    ap.add_argument("--no-synthetic", action="store_true", help="skip the synthetic Llama-3-8B-shaped model")
    args = ap.parse_args(argv)
    project = Project(args.root)
    try:
        if args.prefetch:
            out = prefetch(project, synthetic=not args.no_synthetic, log=_log)
        else:
            (project.root / "build").mkdir(exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="gpu-check-", dir=project.root / "build") as tmp:
                out = gpu_check(project, Path(tmp), synthetic=not args.no_synthetic, log=_log)
    except BuilderError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps(out, indent=2, sort_keys=True, default=str))
    return 0 if out.get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main())
