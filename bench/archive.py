"""The archive step: compression levels, first builds and rebuilds against tar and cp, a large library, rebuilds."""

from __future__ import annotations

import os
import shutil
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from builder.archive import Member, Tuning, report_path, reuse, sidecar_path, write_archive
from builder.archive.reuse import CACHE_NAME
from builder.layout import Project

from .common import child_build, median, run, tree_for_tar, warm, write_gguf_like


def bench_levels(model: Path) -> Iterator[str]:
    data = model.read_bytes()
    yield f"levels: {model.name} ({len(data) / 1e6:.0f} MB, the default Q4_1 model), zlib in one process"
    base = None
    for level in (0, 1, 6):
        t = time.perf_counter()
        comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        out = len(comp.compress(data)) + len(comp.flush())
        dt = time.perf_counter() - t
        base = base or dt
        yield (
            f"levels:   gzip -{level}: {len(data) / dt / 1e6:7.0f} MB/s  size {out / len(data) * 100:5.1f} %  "
            f"({(1 - out / len(data)) * 100:4.1f} % saved, {dt / base:5.1f}x the time of level 0)"
        )
    yield "levels: default for weights = 0 (stored): a few % smaller is not worth >10x the time on multi-GB weights"


@dataclass
class _Side:
    """One way of making the archive: its times (s) and peak memory (bytes) per size."""

    name: str
    times: dict[int, list[float]] = field(default_factory=dict)
    peaks: dict[int, list[int]] = field(default_factory=dict)

    def add(self, size: int, seconds: float, peak: int) -> None:
        self.times.setdefault(size, []).append(seconds)
        self.peaks.setdefault(size, []).append(peak)

    def per_gib(self, small: int, large: int) -> float:
        """The cost of one more GiB of weights: the median over rounds of each round's slope
        between the two sizes (a round times both back to back, in the same state)."""
        gib = (large - small) / 2**30
        return median([(b - a) / gib for a, b in zip(self.times[small], self.times[large], strict=True)])


def _fresh(*paths: Path) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Inputs:
    """What the archive benchmark builds from, per size of the weights: the model, the
    output, and the same tree laid out for ``tar`` and ``cp``."""

    root: Path
    reuse_cache: Path  # the staging folder's reuse cache (removed before each first build)
    template: Path  # a copy of the template, edited between a build and its rebuild
    sizes: tuple[int, int]
    models: dict[int, Path]
    outs: dict[int, Path]
    trees: dict[int, Path]


@dataclass
class _Sides:
    """The four ways of making the archive, and what the rounds saw besides."""

    first: _Side = field(default_factory=lambda: _Side("first build"))
    again: _Side = field(default_factory=lambda: _Side("rebuild"))
    tar: _Side = field(default_factory=lambda: _Side("tar -cf"))
    cp: _Side = field(default_factory=lambda: _Side("cp -r"))
    unlinks: list[float] = field(default_factory=list)  # freeing the archive a rebuild replaces
    not_reused: int = 0  # rebuilds that streamed the weights instead of copying them
    edits: int = 0


def _inputs(project: Project, work: Path, size: int, fill: Path | None) -> _Inputs:
    """The models, outputs and trees at ``size`` and twice that, after a warm-up build."""
    stage = project.stage_dir("kaggle-2024")
    template = work / "archive-template"
    shutil.copytree(project.template, template, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    sizes = (size, 2 * size)
    models: dict[int, Path] = {}
    trees: dict[int, Path] = {}
    outs: dict[int, Path] = {}
    for k, n in enumerate(sizes):
        models[n] = write_gguf_like(work / f"bench-weights-{k + 1}x.gguf", n, fill)
        outs[n] = work / ("bench.tar.gz" if k == 0 else f"bench-{k + 1}x.tar.gz")
        trees[n] = work / f"tree-{k + 1}x"
    child_build(project.root, outs[size], model=models[size], template=template)  # warm-up: imports, wheel, lib
    for n in sizes:
        tree_for_tar(stage / "lib", template, models[n], trees[n])
    time.sleep(reuse.RACY_NS / 1e9)  # the models' last change (the links just made) is out of the racy window
    return _Inputs(root=project.root, reuse_cache=stage / CACHE_NAME, template=template, sizes=sizes,
                   models=models, outs=outs, trees=trees)


def _round(inputs: _Inputs, n: int, work: Path, sides: _Sides) -> None:
    """One round at size ``n``: a first build, a rebuild after a template edit, tar, cp.

    Every side writes a new file: deleting (freeing) the previous 1 GiB output costs ~0.3 s
    and is billed to nobody — tar's and cp's outputs are deleted before they run, and the
    rebuild's replaced archive stays open here until its build has ended."""
    model, out, tree = inputs.models[n], inputs.outs[n], inputs.trees[n]
    _fresh(out, inputs.reuse_cache)  # a first build: no previous archive, no cache
    warm(model)
    timings, peak = child_build(inputs.root, out, model=model, template=inputs.template)
    sides.first.add(n, timings["archive"], peak)
    sides.edits += 1
    main_py = inputs.template / "main.py"
    main_py.write_text(main_py.read_text() + f"# edit {sides.edits}\n")
    keep = os.open(out, os.O_RDONLY)
    warm(model)
    warm(out)
    timings, peak = child_build(inputs.root, out, model=model, template=inputs.template)
    t = time.perf_counter()
    os.close(keep)  # frees the replaced archive
    sides.unlinks.append(time.perf_counter() - t)
    sides.again.add(n, timings["archive"], peak)
    sides.not_reused += timings["reused"] == 0
    plain = work / "plain.tar"
    _fresh(plain)
    warm(model)
    sides.tar.add(n, *run(["tar", "-cf", str(plain), "-C", str(tree), "."]))
    copy = work / "copy"
    _fresh(copy)
    warm(model)
    sides.cp.add(n, *run(["cp", "-r", str(tree), str(copy)]))


def _summary(sizes: tuple[int, int], sides: _Sides, rounds: int) -> Iterator[str]:
    """Each side's times and peak memory, and the builder's against tar's and cp's."""
    if sides.not_reused:
        yield (f"archive: WARNING: {sides.not_reused} of {2 * rounds} rebuilds streamed the weights instead of "
               f"copying them")
    small, large = sizes
    for side in (sides.first, sides.again, sides.tar, sides.cp):
        cells = [f"{n / 2**30:.2g} GiB {min(side.times[n]):5.2f} s best, {median(side.times[n]):5.2f} median"
                 for n in sizes]
        peak = max(max(side.peaks[n]) for n in sizes)
        yield (f"archive: {side.name:12s}: {'; '.join(cells)}; +1 GiB costs {side.per_gib(small, large):5.2f} s; "
               f"peak memory {peak / 2**20:.0f} MiB")
    targets = {("first build", "tar -cf"): " (target <= 1.3x)", ("rebuild", "tar -cf"): " (target <= 0.6x)"}
    for side in (sides.first, sides.again):
        for base in (sides.tar, sides.cp):
            best = min(side.times[small]) / min(base.times[small])
            paired = median([a / b for a, b in zip(side.times[small], base.times[small], strict=True)])
            slope = side.per_gib(small, large) / base.per_gib(small, large)
            yield (f"archive: {side.name} / {base.name} at {small / 2**30:.2g} GiB: {best:.2f}x best-of-{rounds}, "
                   f"{paired:.2f}x median of pairs; per further GiB: {slope:.2f}x"
                   f"{targets.get((side.name, base.name), '')}")
    yield (f"archive: freeing the archive a rebuild replaces (billed to nobody, like tar's and cp's previous output): "
           f"median {median(sides.unlinks):.2f} s")
    yield "archive:   (peak memory target <= 200 MiB: the builder's VmHWM; tar's and cp's ru_maxrss)"


def _pigz(inputs: _Inputs, first: _Side, work: Path) -> Iterator[str]:
    """``tar`` through ``pigz --fast`` at the small size, where pigz is installed: a reference."""
    if not shutil.which("pigz"):
        yield "archive: pigz baseline skipped: pigz is not installed (apt-get install pigz)"
        return
    small = inputs.sizes[0]
    out = work / "pigz.tar.gz"
    pigz: list[float] = []
    for _ in range(2):  # a reference only, and ~10x slower: two runs
        out.unlink(missing_ok=True)
        warm(inputs.models[small])
        pigz.append(run(["tar", "--use-compress-program=pigz --fast", "-cf", str(out), "-C",
                         str(inputs.trees[small]), "."])[0])
    g = min(pigz)
    yield (f"archive: `tar --use-compress-program='pigz --fast'`: {g:5.2f} s; ratio first build / pigz: "
           f"{min(first.times[small]) / g:.2f}x; sizes: builder {inputs.outs[small].stat().st_size / 1e6:.0f} MB, "
           f"pigz {out.stat().st_size / 1e6:.0f} MB")
    out.unlink(missing_ok=True)


def bench_archive(project: Project, work: Path, size: int, fill: Path | None, rounds: int = 5) -> Iterator[str]:
    """First build and rebuild (template edited, model unchanged) against `tar -cf` and `cp -r`
    of the same tree, at ``size`` and twice that: the cost of one more GiB is the slope."""
    inputs = _inputs(project, work, size, fill)
    yield (f"archive: GGUF-like weights of {size / 2**30:.2f} and {2 * size / 2**30:.2f} GiB (bytes of the default "
           f"model, cycled) + the default lib/ and template; {rounds} interleaved rounds")
    sides = _Sides()
    # Interleaved rounds: the memory and disk of a shared VM drift over seconds (writes cost
    # 0.2-2 s of CPU per GiB depending on the host), so each round's four see the same state.
    for _ in range(rounds):
        for n in inputs.sizes:
            _round(inputs, n, work, sides)
    _fresh(work / "plain.tar", work / "copy")
    yield from _summary(inputs.sizes, sides, rounds)
    yield from _pigz(inputs, sides.first, work)
    for n in inputs.sizes[1:]:
        out = inputs.outs[n]
        _fresh(out, sidecar_path(out), report_path(out), inputs.models[n], inputs.trees[n])
    os.replace(inputs.models[size], work / "bench-weights.gguf")  # for biglib


def bench_biglib(project: Project, work: Path, size: int, fill: Path | None, rounds: int = 3) -> Iterator[str]:
    big = work / "bench-weights.gguf"
    if not big.exists():
        write_gguf_like(big, size, fill)
    lib = project.stage_dir("kaggle-2024") / "lib"
    blob = b"".join(p.read_bytes() for p in sorted(lib.rglob("*.so*")) if p.is_file()) or os.urandom(1 << 20)
    cuda = work / "libggml-cuda.so"
    with cuda.open("wb") as fh:
        written = 0
        while written < 256 << 20:
            written += fh.write(blob)
    members = [Member(arcname="main.py", source=project.template / "main.py"),
               Member(arcname="lib/llama_cpp/lib/libggml-cuda.so", source=cuda),
               Member(arcname=big.name, source=big, weights=True)]
    out = work / "biglib.tar.gz"
    workers = Tuning().deflate_workers
    times: dict[int, list[float]] = {1: [], workers: []}
    for _ in range(rounds):
        for n in times:
            out.unlink(missing_ok=True)
            warm(big)
            t = time.perf_counter()
            write_archive(out, members, meta={}, tuning=Tuning(deflate_workers=n))
            times[n].append(time.perf_counter() - t)
    one, many = min(times[1]), min(times[workers])
    yield (f"biglib: 1 GiB weights + 256 MiB library at gzip -1: {many:.2f} s with {workers} deflate threads, "
           f"{one:.2f} s with 1 (best of {rounds}): {many / one:.2f}x")
    cuda.unlink()
    out.unlink(missing_ok=True)


def bench_rebuild(project: Project, work: Path) -> Iterator[str]:
    root = project.root
    template = work / "template"
    shutil.copytree(project.template, template, ignore=shutil.ignore_patterns("__pycache__"))
    out = work / "rebuild.tar.gz"
    cold, _ = child_build(root, out, template=template)
    main_py = template / "main.py"
    main_py.write_text(main_py.read_text() + "\n# edited for the benchmark\n")
    t = time.perf_counter()
    warm, _ = child_build(root, out, template=template)
    wall = time.perf_counter() - t
    yield (
        f"rebuild: default model, template edited: {wall:.2f} s wall (process start included; "
        f"build {warm['total']:.2f} s: check {warm['check']:.2f}, wheels {warm['wheels']:.2f}, "
        f"vendor {warm['vendor']:.2f}, archive {warm['archive']:.2f}) (target <= 5 s); "
        f"first build {cold['total']:.2f} s"
    )
