"""Verify levels 3 and 4: the runtime venv and the child runs in the target interpreter.

The runtime venv lives under ``cache_dir()/verify-runtime/<key>`` where the key hashes
the target interpreter, the requirement set and the kaggle-environments pin; it is built
by :mod:`builder.pip` (binary wheels only) in a temporary folder and renamed into place
when complete, so a half-built venv is never used.

The child is reached only through its typed protocol (:mod:`.child.verify_protocol`):
:func:`run_import` and :func:`run_play` take the typed request and hand back the typed
result, checked against its type before anyone reads it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..errors import ConfigError, PipError
from ..layout import cache_dir
from ..pip import Pip, make_venv, scrubbed_env
from ..profile import Profile
from ..util.fs import temp_folder
from .child.verify_protocol import Crash, ImportRequest, ImportResult, PlayRequest, PlayResult, shape_problems

Log = Callable[[str], None]

#: The last kaggle-environments release during the competition (see shared/KAGGLE.md).
KAGGLE_ENVIRONMENTS = "kaggle-environments==1.14.15"
#: What kaggle-environments itself imports at ``import kaggle_environments`` time.
PLAY_PACKAGES = ("jsonschema", "requests", "pandas", "numpy")

#: The child program: a folder run as ``python -I -B CHILD MODE REQUEST RESULT``.
CHILD = Path(__file__).with_name("child")

#: Import shims for what the game module imports but verify never uses (torch,
#: transformers): real files, copied into the runtime venv's ``verify-shims/`` folder,
#: which the child appends AFTER site-packages (a real package wins).
SHIMS_DIR = Path(__file__).with_name("shims")
SHIM_NAMES = ("torch", "transformers")


def shim_sources() -> dict[str, str]:
    """Each shim's source (part of the runtime venv's cache key)."""
    return {name: (SHIMS_DIR / name / "__init__.py").read_text(encoding="utf-8") for name in SHIM_NAMES}


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    """A ready runtime venv."""

    root: Path
    python: Path
    shims: Path
    requirements: tuple[str, ...]
    play: bool
    preload: tuple[str, ...]  # distribution names imported before main.py


Q = TypeVar("Q", ImportRequest, PlayRequest)
R = TypeVar("R", ImportResult, PlayResult)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildRun(Generic[Q, R]):
    """One run of the child: what it was asked, and what it answered (``result``: None
    when it gave nothing usable, and :meth:`failure` says why)."""

    request: Q
    result: R | None
    returncode: int | None
    timed_out: bool
    stdout_tail: str
    stderr_tail: str
    seconds: float
    stderr_path: Path
    crash: str = ""  # the child's own traceback (it failed, not the archive's code)
    misfit: tuple[str, ...] = ()  # how its result does not fit the protocol

    def failure(self) -> str | None:
        """Why the child produced no usable result, or None."""
        if self.timed_out:
            return f"did not finish in time (stderr: {self.stderr_tail[-300:] or 'empty'})"
        if self.crash:
            return f"the verify runner crashed: {self.crash}"
        if self.misfit:
            return f"the verify runner's result does not fit its protocol: {'; '.join(self.misfit)}"
        if self.result is None:
            return (
                f"the target interpreter exited with {self.returncode} and no result "
                f"(stderr: {self.stderr_tail[-600:] or 'empty'})"
            )
        return None


def _pin_for(profile: Profile, name: str) -> str:
    pkg = profile.provided_by_name(name)
    return pkg.pin if pkg is not None else name


def runtime_requirements_for(profile: Profile, runtime_requirements: Sequence[str], *, play: bool) -> tuple[str, ...]:
    """The venv's requirement set: the caller's pins, plus what kaggle-environments needs for play."""
    by_name: dict[str, str] = {}
    for text in runtime_requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise ConfigError(None, f"runtime requirement {text!r} is invalid: {exc}") from None
        by_name[canonicalize_name(req.name)] = str(req)
    if play:
        for name in PLAY_PACKAGES:
            by_name.setdefault(canonicalize_name(name), _pin_for(profile, name))
    return tuple(by_name[k] for k in sorted(by_name))


def _key(python: Path, requirements: Sequence[str], play: bool) -> str:
    ident = subprocess.run(
        [str(python), "-I", "-c", "import sys; print(sys.version); print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    material = json.dumps(
        {
            "python": [str(python.resolve()), ident],
            "requirements": list(requirements),
            "kaggle_environments": KAGGLE_ENVIRONMENTS if play else None,
            "shims": shim_sources() if play else None,
            "format": 1,
        },
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def ensure_runtime(
    python: Path,
    profile: Profile,
    runtime_requirements: Sequence[str],
    *,
    play: bool,
    cache: Path | None = None,
    log: Log | None = None,
) -> Runtime:
    """The cached runtime venv for this requirement set, built if missing."""
    reqs = runtime_requirements_for(profile, runtime_requirements, play=play)
    preload = tuple(Requirement(r).name for r in reqs)
    base = (cache or cache_dir()) / "verify-runtime"
    key = _key(python, reqs, play)
    root = base / key
    marker = root / "verify-runtime.json"
    venv_python = root / "bin" / "python"
    if marker.is_file() and venv_python.exists():
        if log:
            log(f"runtime: cached venv {key}")
        return Runtime(
            root=root, python=venv_python, shims=root / "verify-shims", requirements=reqs, play=play, preload=preload
        )
    base.mkdir(parents=True, exist_ok=True)
    try:
        with temp_folder(root, "venv") as tmp:  # what a killed build of it left is swept first
            if log:
                log(f"runtime: building venv {key} ({', '.join(reqs) or 'no packages'})")
            py = make_venv(python, tmp)
            pip = Pip(py)
            if reqs:
                pip.install(*reqs, what="verify runtime venv", extra=["--only-binary", ":all:"])
            if play:
                pip.install(KAGGLE_ENVIRONMENTS, what="verify runtime venv (kaggle-environments)",
                            extra=["--no-deps"])
                for name, text in shim_sources().items():
                    (tmp / "verify-shims" / name).mkdir(parents=True, exist_ok=True)
                    (tmp / "verify-shims" / name / "__init__.py").write_text(text, encoding="utf-8")
            (tmp / "verify-runtime.json").write_text(
                json.dumps({"requirements": list(reqs), "play": play}, indent=1), encoding="utf-8"
            )
            try:
                os.rename(tmp, root)
            except OSError:
                if not marker.is_file():  # not a concurrent build that won the race
                    raise
    except PipError:
        raise
    except OSError as exc:
        raise PipError(f"{root}: building the verify runtime venv failed: {exc}") from None
    return Runtime(
        root=root, python=venv_python, shims=root / "verify-shims", requirements=reqs, play=play, preload=preload
    )


def child_env(home: Path) -> dict[str, str]:
    """A small environment for the target interpreter (``-I`` already drops PYTHON*)."""
    env = scrubbed_env(base={})
    env.update({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"})
    for name in ("LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "TMPDIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _tail_file(path: Path, limit: int = 4000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


#: The largest result file read back (the child bounds what it writes; this bounds the read).
RESULT_LIMIT = 64 << 20


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, 9)
    except ProcessLookupError:
        pass
    proc.wait()


def here_runtime(profile: Profile, runtime_requirements: Sequence[str]) -> Runtime:
    """``verify --here``: levels 3-4 in the interpreter running the builder, with the packages
    it has (a Kaggle notebook: the real torch, transformers, kaggle_environments) instead
    of the cached venv.  Only the import shims are added, after site-packages."""
    reqs = runtime_requirements_for(profile, runtime_requirements, play=True)
    return Runtime(root=Path(sys.prefix), python=Path(sys.executable), shims=SHIMS_DIR, requirements=reqs,
                   play=True, preload=tuple(Requirement(r).name for r in reqs))


def run_import(
    runtime: Runtime, request: ImportRequest, workdir: Path, *, timeout_s: float
) -> ChildRun[ImportRequest, ImportResult]:
    """Level 3 in the child: load main.py like Kaggle, import lib/, load the model."""
    return _run_child(runtime, "import", request, ImportResult, workdir, timeout_s=timeout_s)


def run_play(
    runtime: Runtime, request: PlayRequest, workdir: Path, *, timeout_s: float
) -> ChildRun[PlayRequest, PlayResult]:
    """Level 4 in the child: episodes of llm_20_questions."""
    return _run_child(runtime, "play", request, PlayResult, workdir, timeout_s=timeout_s)


def _run_child(
    runtime: Runtime, mode: str, request: Q, kind: Any, workdir: Path, *, timeout_s: float
) -> ChildRun[Q, R]:
    """Run ``child MODE`` in the runtime venv with a clean ``-I -B`` interpreter and read its
    result, checked against ``kind``."""
    workdir.mkdir(parents=True, exist_ok=True)
    req_path, res_path = workdir / f"{mode}-request.json", workdir / f"{mode}-result.json"
    out_path, err_path = workdir / f"{mode}.stdout", workdir / f"{mode}.stderr"
    req_path.write_text(json.dumps(request), encoding="utf-8")
    res_path.unlink(missing_ok=True)
    cwd = workdir / "cwd"
    cwd.mkdir(exist_ok=True)
    argv = [str(runtime.python), "-I", "-B", str(CHILD), mode, str(req_path), str(res_path)]
    start = time.perf_counter()
    timed_out = False
    rc: int | None = None
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=child_env(cwd), stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
        )
        try:
            rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
        except BaseException:  # Ctrl-C, SIGTERM: the child (its own session) must not outlive us
            _kill_group(proc)
            raise
    seconds = time.perf_counter() - start
    raw = _read_result(res_path)
    crash = cast(Crash, raw)["crash"] if raw is not None and not shape_problems(raw, Crash) else ""
    misfit = () if raw is None or crash else tuple(shape_problems(raw, kind))
    return ChildRun(
        request=request,
        result=None if raw is None or crash or misfit else cast(R, raw),
        returncode=rc,
        timed_out=timed_out,
        stdout_tail=_tail_file(out_path),
        stderr_tail=_tail_file(err_path),
        seconds=seconds,
        stderr_path=err_path,
        crash=crash,
        misfit=misfit,
    )


def _read_result(path: Path) -> object:
    """The result file's JSON, or None (missing, too large, not JSON)."""
    if not path.is_file() or path.stat().st_size > RESULT_LIMIT:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def missing_gpu_libraries(python: Path, libraries: Sequence[str]) -> tuple[str, ...]:
    """Which of ``libraries`` the dynamic linker of this machine cannot load."""
    if not libraries:
        return ()
    code = (
        "import ctypes, sys\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        ctypes.CDLL(name)\n"
        "    except OSError:\n"
        "        print(name)\n"
    )
    proc = subprocess.run(
        [str(python), "-I", "-c", code, *libraries],
        capture_output=True,
        text=True,
        check=False,
        env=child_env(Path(tempfile.gettempdir())),
        timeout=60,
    )
    if proc.returncode != 0:
        return tuple(libraries)
    return tuple(line.strip() for line in proc.stdout.splitlines() if line.strip())
