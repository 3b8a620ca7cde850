"""``verify`` levels 1-3 against ``tar -xzf`` of the same archive."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from builder.errors import BuilderError
from builder.layout import Project
from builder.lock import load_lock
from builder.profile import resolve_profile
from builder.verify import verify

from .common import median, plain_tar_seconds, warm


def bench_verify(project: Project, work: Path, rounds: int = 2) -> Iterator[str]:
    archive = work / "bench.tar.gz"
    if not archive.exists():
        yield "verify: skipped: needs the archive part's submission (run with archive)"
        return
    profile = resolve_profile(project, "kaggle-2024")
    reqs = [e.pin for e in load_lock(project, profile).provided]
    verify(archive, profile, runtime_requirements=reqs, levels=(1, 2, 3))  # builds the runtime venv once
    ours: list[float] = []
    tar: list[float] = []
    for _ in range(rounds):
        warm(archive)
        t = time.perf_counter()
        report = verify(archive, profile, runtime_requirements=reqs, levels=(1, 2, 3))
        ours.append(time.perf_counter() - t)
        if not report.ok:
            raise BuilderError(f"bench: verify failed on the benchmark submission: {report.levels}")
        warm(archive)
        tar.append(plain_tar_seconds(archive, work / "untar"))
    o, p = median(ours), median(tar)
    yield f"verify: levels 1-3 on {archive.stat().st_size / 2**30:.2f} GiB: {o:6.2f} s; `tar -xzf`: {p:6.2f} s"
    yield f"verify: ratio verify / tar -xzf: {o / p:.2f}x (target <= 2x)"
