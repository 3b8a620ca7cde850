"""``make bench``: speed and memory of the builder against baselines measured in the same run.

A developer tool beside the package (not shipped in the builder's wheel):
``python -m bench [--only PART,...] [--size-mib N] [--profile NAME]`` from a checkout.

Parts:

* ``levels``: deflate speed and savings of the real default model (a Q4 GGUF) at gzip
  levels 0, 1 and 6 — the measurement behind the weights' default level;
* ``archive``: GGUF-like weights of ~1 GiB and twice that, each built into a submission by
  a child builder process twice: a first build (no previous archive, no cache) and a
  rebuild after editing only the template; their archive steps against plain ``tar -cf``
  and ``cp -r`` of the same tree, in interleaved rounds, with peak memory and the cost of
  one more GiB (the slope between the two sizes); the starter notebook's
  ``tar --use-compress-program='pigz --fast'`` as a reference (reported as missing when
  pigz is not installed).  Targets: first build <= 1.3x tar (at 1 GiB and per further
  GiB), rebuild <= 0.6x tar per further GiB, <= 200 MiB;
* ``biglib``: the archive step on the ~1 GiB weights plus a 256 MiB library made of the
  default build's ``.so`` bytes (a CUDA build's ``libggml-cuda.so`` is that large), deflated
  at the code level on one worker thread vs the default number;
* ``rebuild``: a warm rebuild of the default submission after editing only the template
  (target: <= 5 s);
* ``verify``: ``verify`` levels 1-3 on the ~1 GiB submission against ``tar -xzf`` of it
  (target: <= 2x);
* ``agent``: the template agent with the default model on CPU (``bench/agent.py``): a 20-round
  game of the model alone, per-turn latency and prompt tokens evaluated at round 2 vs round 20
  (target <= 1.2x); then real kaggle-environments 1.14.15 episodes of a submission folder in
  the verify runtime: self-play (four copies) on public keywords (win rate, rounds, latency)
  and our guesser with the engine's ``random_answerer`` (legal moves, the fallbacks used);
* ``rules``: the answerer on the labelled questions, in-sample (``labelled_questions.tsv``)
  and held-out (``heldout_questions.tsv``, "not available" when missing) side by side
  (``bench/agent_rules.py``): per kind the rows code answered right, declined and answered
  wrong (target: none); the open rows answered by the default model: yes-rate against the
  base rate, accuracy, balanced accuracy with its standard error;
* ``compile``: the cached CPU and CUDA builds of llama-cpp-python (``bench/compile.py``):
  CPU-minutes per kernel family from the build's own ninja log, wall and CPU time, peak
  memory, the compiler cache's hits (or "no CUDA build in the cache"); builds nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from builder.errors import BuilderError
from builder.layout import DEFAULT_PROFILE, Project
from builder.pipeline import build
from builder.spec import Overrides, resolve_spec

from .agent import bench_agent
from .agent_rules import bench_rules
from .archive import bench_archive, bench_biglib, bench_levels, bench_rebuild
from .compile import bench_compile
from .verify import bench_verify

PARTS = ("levels", "archive", "biglib", "rebuild", "verify", "agent", "rules", "compile")


def _log(message: str) -> None:
    print(f"* {message}", file=sys.stderr, flush=True)


def run_bench(project: Project, *, profile_name: str | None, size_mib: int, parts: Sequence[str]) -> Iterator[str]:
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise BuilderError(f"bench: unknown part '{unknown[0]}' (known: {', '.join(PARTS)})")
    if "compile" in parts:
        yield from bench_compile(project, profile_name)
        if parts == ["compile"]:
            return
    _log("bench: building the default submission first (cached wheel and model)")
    (project.root / "build").mkdir(exist_ok=True)
    spec = resolve_spec(project, None, Overrides(profile=profile_name,
                                                 output=project.root / "build" / "bench-default.tar.gz"))
    base = build(spec, _log)
    model = base.model.path
    lib = project.stage_dir(spec.profile, spec.cache) / "lib"
    with tempfile.TemporaryDirectory(prefix="bench-", dir=project.root / "build") as tmp:
        work = Path(tmp)
        if "levels" in parts:
            yield from bench_levels(model)
        if "archive" in parts or "verify" in parts:
            yield from bench_archive(project, work, size_mib << 20, model)
        if "verify" in parts:
            yield from bench_verify(project, work)
        if "biglib" in parts:
            yield from bench_biglib(project, work, size_mib << 20, model)
        if "rebuild" in parts:
            yield from bench_rebuild(project, work)
        if "agent" in parts:
            yield from bench_agent(project.root, model, lib)
        if "rules" in parts:
            yield from bench_rules(model, lib)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path("."), help="the project (default: .)")
    ap.add_argument("--profile", default=None, help=f"default: the recipe's, else {DEFAULT_PROFILE}")
    ap.add_argument("--size-mib", type=int, default=1024, help="size of the generated GGUF-like weights")
    ap.add_argument("--only", default="", help=f"comma list of parts: {','.join(PARTS)}")
    args = ap.parse_args(argv)
    parts = [p for p in args.only.split(",") if p] or list(PARTS)
    try:
        for line in run_bench(Project(args.root), profile_name=args.profile, size_mib=args.size_mib, parts=parts):
            print(line, flush=True)
    except BuilderError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
