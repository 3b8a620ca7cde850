"""Command line: a thin adapter over the library.

Parses arguments, calls the library, prints its progress lines on stderr, and turns
the one exception root, :class:`builder.errors.BuilderError`, into ``ERROR <message>``
on stderr and a non-zero exit code.  ``main(argv)`` takes argv so tests call it directly.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_GAPS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    BuilderError,
    ConfigError,
    exit_codes_text,
)
from .layout import DEFAULT_PROFILE, Project
from .progress import TerminalProgress

if TYPE_CHECKING:
    from .spec import BuildSpec

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

#: ``builder.wheels.source.BACKENDS``, spelled here: importing the wheels stage costs every
#: command 0.2 s of start-up (tests/test_cli.py checks that the two agree).
BACKEND_CHOICES = ("cpu", "cuda")

#: ``builder.verify.lineups.help_text()``, spelled here for the same reason (the verify package
#: costs 0.7 s to import; tests/test_cli.py checks that the two agree).
EPISODES_HELP = (
    "episodes of llm_20_questions to play at level 4 (default 2: the agent with its own teammate, then "
    "beside a stranger); line-ups (guesser + answerer vs guesser + answerer, main.py is the agent) cycle "
    "through 1: main.py + main.py vs random_guesser + random_answerer; 2: main.py + random_answerer vs "
    "random_guesser + main.py; 3: main.py + main.py vs main.py + main.py; given, level 4 plays even where "
    "level 3's speeds say this machine's CPU would take too long"
)

#: Progress bars on stderr when it is a terminal; log lines print above them.
_TERMINAL = TerminalProgress()


def _log(message: str) -> None:
    _TERMINAL.log(f"* {message}")


def _parse_setting(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConfigError("--set", f"expected KEY=VALUE, got {text!r}")
    from .util.jsonio import JsonError, NotJson, parse_json

    try:
        value = parse_json(raw, max_bytes=1 << 20)
    except NotJson:
        value = raw  # a bare word: the string itself
    except JsonError as exc:
        raise ConfigError("--set", f"{key.strip()}: {exc}") from None
    return key.strip(), value


def _spec(args: argparse.Namespace) -> BuildSpec:
    """The recipe (``--recipe``, else the project's default one) with the command line
    applied, every default resolved (:mod:`builder.spec`); a command that has no such
    option leaves it unset."""
    from .spec import Overrides, resolve_spec

    given = vars(args)
    cli = Overrides(
        profile=given.get("profile"),
        model=given.get("model"),
        template=given.get("template"),
        output=given.get("output"),
        agent=dict(_parse_setting(s) for s in given.get("set") or []),
        compresslevel=given.get("compresslevel"),
        weights_compresslevel=given.get("weights_compresslevel"),
        backend=given.get("backend"),
        wheelhouse=given.get("wheelhouse"),
    )
    spec = resolve_spec(Project(args.root), given.get("recipe"), cli)
    if spec.recipe is not None:
        _log(f"recipe: {spec.recipe}")
    return spec


def _cmd_build(args: argparse.Namespace) -> int:
    from .pipeline import build
    from .report import format_report, make_report, next_step
    from .util.interpreter import is_running_target

    result = build(_spec(args), _log, progress=_TERMINAL)
    print(format_report(make_report(result)), file=sys.stderr)
    if result.report is not None:
        _log(f"report: {result.report}")
    here = is_running_target(result.profile.python_version)
    recipe = str(args.recipe) if args.recipe is not None else None
    print(next_step(result.spec, recipe=recipe, profile=args.profile, output=args.output, here=here), file=sys.stderr)
    print(result.archive.path)
    return EXIT_OK


def _cmd_lock(args: argparse.Namespace) -> int:
    from .lock import compile_lock
    from .lock.tools import TOOLS_IN, TOOLS_LOCK, compile_hashed
    from .profile import resolve_profile
    from .util.interpreter import find_target_python

    if args.lock_dev is not None:
        return _lock_dev(args)
    spec = _spec(args)
    profile = resolve_profile(spec.project, spec.profile)
    python = find_target_python(profile.python_version)
    if args.lock_tools:
        pins = compile_hashed(TOOLS_IN, TOOLS_LOCK, target_python=python, cache=spec.cache,
                              regenerate="python -m builder lock --lock-tools", log=_log)
        _log(f"lock: pip-tools venv {', '.join(pins)}")
        print(TOOLS_LOCK)
        return EXIT_OK
    lock = compile_lock(profile, requirements=spec.requirements, lock=spec.lock, target_python=python,
                        cache=spec.cache, wheels_dir=spec.project.wheels_dir, log=_log)
    for e in lock.entries:
        _log(f"lock: {e.pin:<32} {'provided by the target' if e.provided else 'vendored'}")
    print(lock.path)
    return EXIT_OK


def _lock_dev(args: argparse.Namespace) -> int:
    from .layout import cache_dir
    from .lock.tools import compile_dev
    from .util.interpreter import probe

    found = probe(args.lock_dev)
    if found is None:
        raise ConfigError(args.lock_dev, "does not run as a Python interpreter")
    major, minor = (int(x) for x in found[0].split(".")[:2])
    print(compile_dev(args.root, args.lock_dev, (major, minor), cache=cache_dir(), log=_log))
    return EXIT_OK


def _cmd_wheels(args: argparse.Namespace) -> int:
    from .lock import load_lock
    from .pipeline import prepare_wheels
    from .profile import resolve_profile
    from .util.interpreter import find_target_python

    if args.lock_cuda:
        from .wheels.cuda.relock import relock

        done = relock()
        _log(f"wheels: {done.signature}")
        _log(f"wheels: {len(done.changed)} pin(s) resolved to other files: {', '.join(done.changed) or 'none'}")
        print(done.path)
        return EXIT_OK
    spec = _spec(args)
    profile = resolve_profile(spec.project, spec.profile)
    python = find_target_python(profile.python_version)
    if args.lock_toolchain:
        from .wheels.toolchain import TOOLCHAIN_LOCK, lock_toolchain

        pins = lock_toolchain(python, spec.cache, log=_log)
        _log(f"wheels: build toolchain {', '.join(pins)}")
        print(TOOLCHAIN_LOCK)
        return EXIT_OK
    lock = load_lock(profile, requirements=spec.requirements, lock=spec.lock)
    if args.record:
        from .wheels.record import record_build

        entry = record_build(lock, profile, spec.backend, target_python=python, cache=spec.cache, log=_log)
        _log(f"wheels: recorded {entry.file} ({entry.backend}, key {entry.key}): sha256 {entry.sha256}")
        print(entry.sha256)
        return EXIT_OK
    wheels = prepare_wheels(spec, profile, lock, target_python=python, log=_log, progress=_TERMINAL)
    for w in wheels:
        note = f" - {w.note}" if w.note else ""
        print(f"{w.entry.pin}: {w.path} ({w.origin}){note}")
    if args.export is not None:
        from .wheels.wheelhouse import export

        for path in export(wheels, args.export):
            _log(f"wheels: exported {path.name} into {args.export}")
        print(args.export)
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from .lock import load_lock
    from .profile import resolve_profile
    from .verify import format_table, verify
    from .verify.lineups import DEFAULT_EPISODES
    from .verify.pages import default_folder

    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    if not levels or any(n not in (1, 2, 3, 4) for n in levels):
        raise ConfigError("--levels", f"expected a comma list of 1-4, got {args.levels!r}")
    if args.episodes is not None and args.episodes < 1:
        raise ConfigError("--episodes", f"expected at least 1 episode, got {args.episodes}")
    if args.cuda_runtime is not None and not args.cuda_runtime.is_dir():
        raise ConfigError(args.cuda_runtime, "--cuda-runtime: not a folder")
    spec = _spec(args)
    profile = resolve_profile(spec.project, spec.profile)
    lock = load_lock(profile, requirements=spec.requirements, lock=spec.lock)
    archive = args.archive or spec.output
    report = verify(
        archive, profile,
        runtime_requirements=[e.pin for e in lock.provided],
        levels=levels, episodes=DEFAULT_EPISODES if args.episodes is None else args.episodes,
        episodes_forced=args.episodes is not None, log=None if args.json else _log,
        progress=_TERMINAL, here=args.here, cache=spec.cache, pages=(args.pages or default_folder(archive)).absolute(),
        cuda_runtime=args.cuda_runtime,
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        print(format_table(report))
    if report.failed:
        return EXIT_ERROR
    return EXIT_GAPS if args.strict and report.gaps else EXIT_OK


def _cmd_inspect(args: argparse.Namespace) -> int:
    from .model import read_gguf
    from .model.fit import format_model_report, inspect_model
    from .pipeline import model_path
    from .profile import resolve_profile
    from .template import load_defaults
    from .util.interpreter import find_target_python

    spec = _spec(args)
    if args.recipe is not None and spec.model_origin == "default":
        raise ConfigError(spec.recipe or args.recipe, (
            f"recipe '{spec.name}' names no model: give the GGUF to inspect "
            f"(python -m builder inspect --recipe {args.recipe} MODEL.gguf)"))
    profile = resolve_profile(spec.project, spec.profile)
    if isinstance(spec.model, Path):
        info = read_gguf(spec.model)
    else:
        info = read_gguf(model_path(spec, find_target_python(profile.python_version), _log, _TERMINAL))
    defaults = load_defaults(spec.template) if spec.template.is_dir() else {}

    def setting(key: str) -> object:
        return spec.agent.get(key, defaults.get(key))

    n_ctx = args.n_ctx
    if n_ctx is None:
        value = setting("n_ctx")
        n_ctx = value if isinstance(value, int) and value > 0 else 4096
    report = inspect_model(info, profile, n_ctx=n_ctx, backend=spec.backend, n_gpu_layers=setting("n_gpu_layers"))
    if args.json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        print(format_model_report(report))
    return EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    from .starter import init_project

    dest = args.dir if args.dir is not None else args.root
    done = init_project(dest, profile=args.profile or DEFAULT_PROFILE)
    for f in done.files:
        _log(f"init: {f.relative_to(done.root)}")
    print(done.root)
    return EXIT_OK


def _cmd_profile_capture(args: argparse.Namespace) -> int:
    from .profile.capture import capture_snippet

    print(capture_snippet(), end="")
    return EXIT_OK


def _cmd_profile_exports(args: argparse.Namespace) -> int:
    from .layout import cache_dir
    from .pip import Pip
    from .profile import resolve_profile
    from .profile.natives import refresh_exports
    from .util.interpreter import find_target_python

    project = Project(args.root)
    profile = resolve_profile(project, args.profile or DEFAULT_PROFILE)
    done = refresh_exports(profile, pip=Pip(find_target_python(profile.python_version)), cache=cache_dir(), log=_log)
    _log(f"profile: '{profile.name}': {sum(done.counts.values())} symbols of {len(done.counts)} libraries "
         f"from {', '.join(done.packages)}; {done.size:,} bytes")
    print(done.path)
    return EXIT_OK


def _cmd_profile_import(args: argparse.Namespace) -> int:
    from datetime import date

    from .profile.capture import import_profile

    name = args.name or f"captured-{date.today():%Y%m%d}"
    base = None if args.base == "none" else args.base
    done = import_profile(args.capture, project=Project(args.root), name=name, base=base, force=args.force)
    for note in done.notes:
        _log(f"profile: {note}")
    _log(f"profile: '{done.profile.name}': Python {done.profile.python_version}, glibc {done.profile.glibc}, "
         f"GLIBCXX {done.profile.glibcxx}, {len(done.profile.provided)} provided packages")
    print(done.path)
    return EXIT_OK


def _recipe_options(p: argparse.ArgumentParser) -> None:
    """``--profile`` and ``--recipe``: what every command that reads the spec takes."""
    p.add_argument("--profile", default=None,
                   help=f"target profile (lockfiles/profiles/NAME.toml; default: the recipe's, else {DEFAULT_PROFILE})")
    p.add_argument("--recipe", type=Path, default=None,
                   help="recipe: a TOML file or the name of one in recipes/ (default: submission.toml, "
                        "else [tool.builder] in pyproject.toml, else the packaged default)")


def _backend_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=BACKEND_CHOICES, default=None,
                   help="llama-cpp-python built for the CPU (default) or CUDA for the profile's GPU "
                        "(recipe key 'backend'; ~22 minutes on 2 idle cores once, then cached)")
    p.add_argument("--wheelhouse", type=Path, default=None, metavar="DIR",
                   help="take llama-cpp-python from a folder written by `wheels --export` instead of compiling "
                        "(its provenance, sha256 and native checks must match this lock and profile)")


def _add_build(sub: Subparsers) -> None:
    p = sub.add_parser("build", help="build submission.tar.gz (from the recipe; options override it)")
    _recipe_options(p)
    p.add_argument("--model", type=Path, default=None, help="GGUF weights (default: the packaged SmolLM2-135M)")
    p.add_argument("--template", type=Path, default=None, help="agent template folder (default: template/)")
    p.add_argument("--output", "-o", type=Path, default=None, help="archive path (default: submission.tar.gz)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="agent setting (JSON value)")
    p.add_argument("--compresslevel", type=int, default=None, help="gzip level of code and libraries (default 1)")
    p.add_argument("--weights-compresslevel", type=int, default=None,
                   help="gzip level of the weights (default 0: see make bench)")
    _backend_option(p)
    p.set_defaults(func=_cmd_build)


def _add_lock(sub: Subparsers) -> None:
    p = sub.add_parser("lock", help="resolve lockfiles/PROFILE.in (or the recipe's requirements) into its lock")
    _recipe_options(p)
    p.add_argument("--lock-tools", action="store_true",
                   help="re-resolve builder/lock/tools.in (the pip-tools venv) into the hash-pinned tools.txt")
    p.add_argument("--lock-dev", type=Path, default=None, metavar="PYTHON",
                   help="re-resolve the developer venv (pyproject [test]) for PYTHON into requirements/dev-pyXY.txt")
    p.set_defaults(func=_cmd_lock)


def _add_wheels(sub: Subparsers) -> None:
    p = sub.add_parser("wheels", help="check (and build, if missing) the wheels of the lock")
    _recipe_options(p)
    _backend_option(p)
    p.add_argument("--lock-cuda", action="store_true",
                   help="re-resolve builder/wheels/cuda/toolkit.lock.toml's pins to files and hashes (PyPI, Debian)")
    p.add_argument("--lock-toolchain", action="store_true",
                   help="re-resolve builder/wheels/toolchain.in into the hash-pinned toolchain.txt (needs PyPI)")
    p.add_argument("--export", type=Path, default=None, metavar="DIR",
                   help="write the wheels built from sdists and their provenance.json into DIR (a wheelhouse)")
    p.add_argument("--record", action="store_true",
                   help="build (or take from the cache) the --backend wheel and record its sha256 and members in "
                        "lockfiles/<lock>.builds.toml, which every later build must reproduce")
    p.set_defaults(func=_cmd_wheels)


_VERIFY_DESCRIPTION = """\
Prove an archive runs on the target, level by level: 1 archive, 2 static, 3 import, 4 play.
The verdict: OK when every level ran and passed; PASSED WITH GAPS when none failed but one
was skipped or checked in part (each gap is listed with why); else FAILED."""


def _add_verify(sub: Subparsers) -> None:
    p = sub.add_parser("verify", help="prove an archive runs on the target (levels 1-4)",
                       description=_VERIFY_DESCRIPTION,
                       epilog=exit_codes_text(), formatter_class=argparse.RawDescriptionHelpFormatter)
    _recipe_options(p)
    p.add_argument("archive", nargs="?", type=Path, default=None,
                   help="the archive (default: the recipe's output, submission.tar.gz)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--levels", default="1,2,3,4", help="comma list of levels to run (default: 1,2,3,4)")
    p.add_argument("--episodes", type=int, default=None, help=EPISODES_HELP)
    p.add_argument("--pages", type=Path, default=None, metavar="DIR",
                   help="where level 4 writes its games as HTML pages, one per episode and an index.html, "
                        "that open in a browser with no network (default: ARCHIVE's name with .episodes beside "
                        "it, e.g. submission.episodes/)")
    p.add_argument("--here", action="store_true",
                   help="levels 3-4 in this interpreter's own environment (its packages and GPU: a Kaggle "
                        "notebook) instead of the cached runtime venv")
    p.add_argument("--strict", action="store_true",
                   help=f"PASSED WITH GAPS exits {EXIT_GAPS} instead of {EXIT_OK}")
    p.add_argument("--cuda-runtime", type=Path, default=None, metavar="DIR",
                   help="on a GPU machine that cannot reach PyPI: a folder holding the target's CUDA runtime "
                        "(libcudart.so.12, libcublas.so.12, libcublasLt.so.12 of the profile's versions)")
    p.set_defaults(func=_cmd_verify)


def _add_inspect(sub: Subparsers) -> None:
    p = sub.add_parser("inspect", help="model-fit report: what a GGUF is and whether it fits the target's GPU")
    _recipe_options(p)
    p.add_argument("model", nargs="?", type=Path, default=None,
                   help="GGUF weights (default: the recipe's model; without --recipe, the packaged SmolLM2-135M)")
    p.add_argument("--n-ctx", type=int, default=None,
                   help="context size (default: the recipe's [agent] n_ctx, else the template's)")
    _backend_option(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_inspect)


def _add_init(sub: Subparsers) -> None:
    p = sub.add_parser("init", help="create a starter project (recipe, lock inputs, a copy of the template)")
    p.add_argument("dir", nargs="?", type=Path, default=None, help="the project folder (default: --root)")
    p.add_argument("--profile", default=None, help=f"target profile (default {DEFAULT_PROFILE})")
    p.set_defaults(func=_cmd_init)


def _add_profile(sub: Subparsers) -> None:
    p = sub.add_parser("profile", help="capture a target runtime profile in a notebook, and import it")
    psub = p.add_subparsers(dest="profile_command", required=True)
    q = psub.add_parser("capture", help="print a stdlib-only notebook cell that writes runtime-profile.json")
    q.set_defaults(func=_cmd_profile_capture)
    q = psub.add_parser("exports", help="read the export lists of the profile's [[native]] libraries from their "
                                        "pinned packages into its system.exports file")
    q.add_argument("--profile", default=None, help=f"the profile (default: {DEFAULT_PROFILE})")
    q.set_defaults(func=_cmd_profile_exports)
    q = psub.add_parser("import", help="turn runtime-profile.json into lockfiles/profiles/NAME.toml")
    q.add_argument("capture", type=Path, help="the JSON the capture cell wrote")
    q.add_argument("--name", default=None, help="profile name (default: captured-YYYYMMDD)")
    q.add_argument("--base", default=DEFAULT_PROFILE,
                   help="profile for what a notebook cannot observe (agent folder, timeouts); 'none' for defaults")
    q.add_argument("--force", action="store_true", help="replace an existing profile of that name")
    q.set_defaults(func=_cmd_profile_import)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m builder", description=__doc__.splitlines()[0],
                                     epilog=exit_codes_text(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--root", type=Path, default=Path("."), help="project root (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_build, _add_lock, _add_wheels, _add_verify, _add_inspect, _add_init, _add_profile):
        add(sub)
    return parser


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt: every ``finally``
    of the library runs (temp files removed, the previous archive kept)."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        return int(args.func(args))
    except BuilderError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ERROR interrupted; nothing was replaced", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("ERROR terminated (SIGTERM); nothing was replaced", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:
        # `python -m builder inspect --json | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
