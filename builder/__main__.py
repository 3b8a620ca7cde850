"""Command line: a thin adapter over the library.

Parses arguments, calls the library, prints its progress lines on stderr, and turns
the one exception root, :class:`builder.errors.BuilderError`, into ``ERROR <message>``
on stderr and a non-zero exit code.  ``main(argv)`` takes argv so tests call it directly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import BuilderError, ConfigError


def _log(message: str) -> None:
    print(f"* {message}", file=sys.stderr, flush=True)


def _parse_setting(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConfigError("--set", f"expected KEY=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _cmd_build(args: argparse.Namespace) -> int:
    from .build import BuildOptions, build

    settings = dict(_parse_setting(s) for s in args.set or [])
    opts = BuildOptions(
        root=args.root,
        profile=args.profile,
        model=args.model,
        template=args.template,
        output=args.output,
        agent_settings=settings,
        compresslevel=args.compresslevel,
        weights_compresslevel=args.weights_compresslevel,
    )
    result = build(opts, _log)
    print(result.archive.path)
    return 0


def _cmd_lock(args: argparse.Namespace) -> int:
    from .build import resolve_profile
    from .lock import compile_lock
    from .target import cache_dir, find_target_python

    profile = resolve_profile(args.root, args.profile)
    python = find_target_python(profile.python_version)
    lock = compile_lock(args.root, profile, target_python=python, cache=cache_dir(),
                        wheels_dir=args.root / "wheels", log=_log)
    for e in lock.entries:
        _log(f"lock: {e.pin:<32} {'provided by the target' if e.provided else 'vendored'}")
    print(lock.path)
    return 0


def _cmd_wheels(args: argparse.Namespace) -> int:
    from .build import prepare_wheels, resolve_profile
    from .lock import load_lock
    from .target import cache_dir, find_target_python

    profile = resolve_profile(args.root, args.profile)
    lock = load_lock(args.root, profile)
    python = find_target_python(profile.python_version)
    wheels = prepare_wheels(args.root, profile, lock, target_python=python, wheels_dir=args.root / "wheels",
                            cache=cache_dir(), build_wheels=True, log=_log)
    for w in wheels:
        note = f" - {w.note}" if w.note else ""
        print(f"{w.entry.pin}: {w.path} ({w.origin}){note}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from .build import resolve_profile
    from .lock import load_lock
    from .verify import format_table, verify

    profile = resolve_profile(args.root, args.profile)
    lock = load_lock(args.root, profile)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    if not levels or any(n not in (1, 2, 3, 4) for n in levels):
        raise ConfigError("--levels", f"expected a comma list of 1-4, got {args.levels!r}")
    report = verify(
        args.archive, profile,
        runtime_requirements=[e.pin for e in lock.provided],
        levels=levels, episodes=args.episodes, log=None if args.json else _log,
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        print(format_table(report))
    return 0 if report.ok else 1


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    for line in run_bench(args.root, profile_name=args.profile, size_mib=args.size_mib,
                          parts=args.only.split(",") if args.only else None, log=_log):
        print(line, flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m builder", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--root", type=Path, default=Path("."), help="project root (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--profile", default="kaggle-2024", help="target profile (lockfiles/profiles/NAME.toml)")

    p = sub.add_parser("build", help="build submission.tar.gz")
    common(p)
    p.add_argument("--model", type=Path, default=None, help="GGUF weights (default: the packaged SmolLM2-135M)")
    p.add_argument("--template", type=Path, default=None, help="agent template folder (default: template/)")
    p.add_argument("--output", "-o", type=Path, default=None, help="archive path (default: submission.tar.gz)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="agent setting (JSON value)")
    p.add_argument("--compresslevel", type=int, default=6, help="gzip level of code and libraries")
    p.add_argument("--weights-compresslevel", type=int, default=0, help="gzip level of the weights (bench: 0)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("lock", help="resolve lockfiles/PROFILE.in into lockfiles/PROFILE.txt")
    common(p)
    p.set_defaults(func=_cmd_lock)

    p = sub.add_parser("wheels", help="check (and build, if missing) the wheels of the lock")
    common(p)
    p.set_defaults(func=_cmd_wheels)

    p = sub.add_parser("verify", help="prove an archive runs on the target (levels 1-4)")
    common(p)
    p.add_argument("archive", nargs="?", type=Path, default=Path("submission.tar.gz"))
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--levels", default="1,2,3,4", help="comma list of levels to run (default: 1,2,3,4)")
    p.add_argument("--episodes", type=int, default=1, help="episodes of llm_20_questions to play (level 4)")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("bench", help="measure archive, rebuild, verify and agent speed against baselines")
    common(p)
    p.add_argument("--size-mib", type=int, default=1024, help="size of the generated GGUF-like weights")
    p.add_argument("--only", default="", help="comma list of parts: archive,levels,rebuild,verify,agent")
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BuilderError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ERROR interrupted; nothing was replaced", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
