"""``verify`` levels 1-3 against ``tar -xzf`` of the same archive.

The archive part's weights are a GGUF-like blob (one I8 tensor, no hyperparameters), which
llama.cpp rightly refuses: level 3 imports everything from ``lib/`` and then fails on the
model probe.  That one problem is expected and said; any other problem of levels 1-3 stops
the benchmark.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from builder.errors import BuilderError
from builder.layout import Project
from builder.lock import load_lock
from builder.profile import resolve_profile
from builder.spec import resolve_spec
from builder.verify import VerifyReport, verify

from .common import median, plain_tar_seconds, warm


def bench_verify(project: Project, work: Path, rounds: int = 2) -> Iterator[str]:
    archive = work / "bench.tar.gz"
    if not archive.exists():
        yield "verify: skipped: needs the archive part's submission (run with archive)"
        return
    profile = resolve_profile(project, "kaggle-2024")
    spec = resolve_spec(project)
    reqs = [e.pin for e in load_lock(profile, requirements=spec.requirements, lock=spec.lock).provided]
    verify(archive, profile, runtime_requirements=reqs, levels=(1, 2, 3))  # builds the runtime venv once
    ours: list[float] = []
    tar: list[float] = []
    for _ in range(rounds):
        warm(archive)
        t = time.perf_counter()
        report = verify(archive, profile, runtime_requirements=reqs, levels=(1, 2, 3))
        ours.append(time.perf_counter() - t)
        _judge(report)
        warm(archive)
        tar.append(plain_tar_seconds(archive, work / "untar"))
    o, p = median(ours), median(tar)
    yield f"verify: levels 1-3 on {archive.stat().st_size / 2**30:.2f} GiB: {o:6.2f} s; `tar -xzf`: {p:6.2f} s"
    yield f"verify: ratio verify / tar -xzf: {o / p:.2f}x (target <= 2x)"
    yield "verify:   (level 3 imported lib/ and refused the blob weights, which are no model: as it must)"


def _judge(report: VerifyReport) -> None:
    unexpected = [p for r in report.levels if r.status == "failed" for p in r.problems
                  if not (r.level == 3 and "llama.cpp cannot load it" in p)]
    if unexpected or any(r.status != "passed" for r in report.levels if r.level in (1, 2)):
        raise BuilderError(f"bench: verify failed on the benchmark submission: {unexpected or report.levels}")
