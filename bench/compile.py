"""``bench --only compile``: where the llama-cpp-python builds' time and memory went, read
from the cached builds' own records (``build.json``: ninja's per-object log summed by kernel
family, the build's wall and CPU time, its peak memory and the compiler cache's hits).
Nothing is built here: a backend with no cached build of the current lock says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from builder.layout import Project
from builder.lock import load_lock
from builder.profile import resolve_profile
from builder.spec import Overrides, resolve_spec
from builder.wheels.buildlog import format_families
from builder.wheels.source import find_built
from builder.wheels.wheelhouse import recipe_for


def _facts(wheel: Path) -> dict[str, Any]:
    data = json.loads((wheel.parent / "build.json").read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def bench_compile(project: Project, profile_name: str | None) -> Iterator[str]:
    spec = resolve_spec(project, None, Overrides(profile=profile_name))
    profile = resolve_profile(project, spec.profile)
    entry = load_lock(profile, requirements=spec.requirements, lock=spec.lock).get("llama-cpp-python")
    if entry is None:
        yield "compile: the lock has no llama-cpp-python: nothing is built from an sdist"
        return
    for backend in ("cpu", "cuda"):
        wheel = find_built(entry, profile, spec.cache, recipe_for(backend))
        if wheel is None:
            yield f"compile [{backend}]: no {backend.upper()} build of the current lock in the cache"
            continue
        yield from _one(backend, wheel, _facts(wheel))


def _one(backend: str, wheel: Path, facts: dict[str, Any]) -> Iterator[str]:
    m = facts.get("measured") or {}
    if not m:
        yield f"compile [{backend}]: {wheel.name} was built by an older builder: no measurements"
        return
    cores = int(m.get("cores") or 2)
    cpu_min = float(m.get("cpu_s", 0)) / 60
    yield (f"compile [{backend}]: {wheel.name} ({facts.get('size', 0) / 1e6:.0f} MB, sha256 "
           f"{str(facts.get('sha256', ''))[:16]}...)")
    yield (f"compile [{backend}]: wall {float(m.get('wall_s', 0)) / 60:.1f} min, CPU {cpu_min:.1f} min "
           f"(= {cpu_min / cores:.1f} min wall on {cores} idle cores), jobs {m.get('jobs')}, load before "
           f"{float(m.get('load_1min_before') or 0):.1f}; peak memory {m.get('peak_tree_rss_mib')} MiB (all "
           f"compilers at once, sampled each second), largest process {m.get('max_process_rss_mib')} MiB")
    ccache = m.get("compiler_cache")
    if isinstance(ccache, dict):
        hits = int(ccache.get("direct_cache_hit", 0)) + int(ccache.get("preprocessed_cache_hit", 0))
        yield f"compile [{backend}]: compiler cache {hits} hits, {ccache.get('cache_miss', 0)} misses"
    else:
        yield f"compile [{backend}]: compiler cache {ccache}"
    if facts.get("left_out"):
        yield f"compile [{backend}]: left out: {'; '.join(f'{k} ({v})' for k, v in facts['left_out'].items())}"
    summary = facts.get("compile") or {}
    if summary.get("families"):
        how = ("each compile's own CPU time (the compile timer)" if summary.get("cpu_timed_steps") else
               "summed ninja step durations (CPU time only on an idle machine)")
        yield f"compile [{backend}]: per kernel family, {how}; link and packaging are the rest of the CPU time:"
        for line in format_families(summary):
            yield f"    {line}"
