"""Every pip and pip-tools call of the builder, in one place.

pip always runs as a subprocess of the interpreter it works for (the *target*
interpreter or a venv made from it), never in-process, with a scrubbed environment:
no user or global pip configuration (``PIP_CONFIG_FILE=/dev/null``), no inherited
``PIP_*`` variable, no ``PYTHONPATH``/``PYTHONHOME``.  A machine-wide pip.conf with
extra indexes, find-links or constraints therefore never leaks into a lock.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import PipError
from ..util.hashing import write_pinned

#: Variables that must never reach a pip subprocess besides every ``PIP_*``.
_DROP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "CMAKE_ARGS")

Runner = Callable[[Sequence[str], Mapping[str, str], Path | None], "subprocess.CompletedProcess[str]"]


def scrubbed_env(extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a pip subprocess: ours, minus pip configuration."""
    env = {
        k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("PIP_") and k not in _DROP
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["PIP_NO_CACHE_DIR"] = "1"  # nothing outside the builder's own cache (its downloads are cached there)
    env["PYTHONNOUSERSITE"] = "1"
    if extra:
        env.update(extra)
    return env


def _default_runner(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=dict(env), cwd=cwd, text=True, capture_output=True, check=False)


@dataclass(frozen=True, slots=True)
class Pip:
    """pip of one interpreter, run as a subprocess."""

    python: Path
    runner: Runner = _default_runner

    def argv(self, *args: str) -> list[str]:
        return [str(self.python), "-m", "pip", *args]

    def run(
        self,
        *args: str,
        what: str,
        extra_env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        module: str = "pip",
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(self.python), "-m", module, *args]
        proc = self.runner(argv, scrubbed_env(extra_env), cwd)
        if proc.returncode != 0:
            raise PipError(f"{what} failed (exit {proc.returncode}): {_tail(proc.stderr or proc.stdout)}")
        return proc

    def run_streaming(
        self,
        *args: str,
        what: str,
        on_line: Callable[[str], None],
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        """Run pip, handing each output line to ``on_line`` (a long build shows progress)."""
        argv = [str(self.python), "-m", "pip", *args]
        tail: list[str] = []
        with subprocess.Popen(
            argv,
            env=scrubbed_env(extra_env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                line = line.rstrip("\n")
                tail = [*tail, line][-40:]
                on_line(line)
            rc = proc.wait()
        if rc != 0:
            raise PipError(f"{what} failed (exit {rc}): {_tail(chr(10).join(tail))}")

    def install(self, *requirements: str, what: str, extra: Sequence[str] = ()) -> None:
        self.run("install", "--no-input", *extra, *requirements, what=what)

    def download(
        self,
        requirement: str,
        dest: Path,
        *,
        what: str,
        hashes: Sequence[str] = (),
        only_binary: bool = True,
        no_binary: bool = False,
    ) -> None:
        """Download one distribution without its dependencies, hash-checked when
        ``hashes`` are given (a one-line requirements file with ``--hash`` options)."""
        dest.mkdir(parents=True, exist_ok=True)
        args = ["download", "--no-deps", "--dest", str(dest)]
        if only_binary:
            args += ["--only-binary", ":all:"]
        if no_binary:
            args += ["--no-binary", ":all:"]
        if hashes:
            reqfile = write_pinned(dest / ".requirement.txt", requirement, hashes)
            args += ["--require-hashes", "-r", str(reqfile)]
        else:
            args.append(requirement)
        try:
            self.run(*args, what=what)
        finally:
            if hashes:
                (dest / ".requirement.txt").unlink(missing_ok=True)

    def compile(
        self,
        src: Path,
        output: Path,
        *,
        find_links: Sequence[Path],
        constraints: Path | None,
        cwd: Path,
        what: str,
        extras: Sequence[str] = (),
        more: Sequence[Path] = (),
    ) -> subprocess.CompletedProcess[str]:
        """``pip-compile --generate-hashes`` of ``src`` (and ``more`` sources) into ``output``;
        ``extras`` of a ``pyproject.toml`` source are included."""
        args = [
            "--generate-hashes",
            "--allow-unsafe",
            "--strip-extras",
            "--no-header",
            "--no-emit-index-url",
            "--no-emit-find-links",
            "--no-emit-trusted-host",
            "--rebuild",
            "--quiet",
            "--output-file",
            str(output),
        ]
        for link in find_links:
            args += ["--find-links", str(link)]
        if constraints is not None:
            args += ["--constraint", str(constraints)]
        for extra in extras:
            args += ["--extra", extra]
        args += [str(src), *(str(m) for m in more)]
        return self.run(
            "compile", *args, what=what, cwd=cwd, module="piptools", extra_env={"CUSTOM_COMPILE_COMMAND": "make lock"}
        )


def _tail(text: str, lines: int = 6) -> str:
    useful = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    errors = [ln for ln in useful if ln.startswith("ERROR") or "conflict" in ln.lower()]
    chosen = errors[-lines:] if errors else useful[-lines:]
    return " | ".join(chosen) if chosen else "(no output)"


def make_venv(python: Path, venv: Path, runner: Runner = _default_runner) -> Path:
    """Create a venv from ``python``; return its interpreter."""
    proc = runner([str(python), "-m", "venv", "--clear", str(venv)], scrubbed_env(), None)
    if proc.returncode != 0:
        raise PipError(f"{venv}: creating a venv with {python} failed: {_tail(proc.stderr)}")
    return venv / "bin" / "python"


def tool_venv(
    target_python: Path, venv: Path, requirements: Sequence[str], *, what: str
) -> tuple[Path, bool]:
    """A cached venv from ``target_python`` with ``requirements`` installed; marked complete
    only after the install, so a failed one is rebuilt.  Returns (python, created)."""
    python = venv / "bin" / "python"
    if (venv / ".complete").exists() and python.exists():
        return python, False
    venv.parent.mkdir(parents=True, exist_ok=True)
    make_venv(target_python, venv)
    Pip(python).install(*requirements, what=what)
    (venv / ".complete").write_text("ok\n")
    return python, True
