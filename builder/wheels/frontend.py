"""pypa/build, the reference PEP 517 frontend, builds the wheels: run by the pinned
toolchain venv's interpreter, without isolation, with the backend's configuration passed
explicitly as ``config_settings`` (``-C key=value``), and no pip anywhere in the build.

Before anything compiles, :func:`check_requirements` asks the same frontend what the
source tree's backend needs (``[build-system].requires`` and the
``get_requires_for_build_wheel`` hook) and fails naming each requirement the pinned
toolchain does not satisfy, so a newer sdist that wants another scikit-build-core fails in
seconds, not twenty minutes into a build.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..errors import WheelError
from ..pip import scrubbed_env
from .toolchain import TOOLCHAIN_IN, TOOLCHAIN_LOCK, toolchain_versions

CHECK_SCRIPT = Path(__file__).with_name("frontend_check.py")

ConfigSettings = Mapping[str, str | Sequence[str]]


def config_args(settings: ConfigSettings) -> list[str]:
    """``-Ckey=value`` arguments of ``python -m build`` (a list value repeats the key)."""
    args: list[str] = []
    for key, value in settings.items():
        for item in [value] if isinstance(value, str) else value:
            args.append(f"-C{key}={item}")
    return args


def check_requirements(python: Path, srcdir: Path, settings: ConfigSettings, *, what: str) -> tuple[str, ...]:
    """The backend's build requirements, all satisfied by the toolchain venv ``python``;
    otherwise a :class:`WheelError` naming every unmet one and the toolchain lock."""
    proc = subprocess.run(
        [str(python), "-I", str(CHECK_SCRIPT), str(srcdir), json.dumps(dict(settings))],
        capture_output=True, text=True, env=scrubbed_env(), check=False, timeout=600,
    )
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-4:])
        raise WheelError(f"{what}: asking its build backend for its requirements failed: {tail[-600:]}")
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    unmet = [" -> ".join(chain) for chain in found["unmet"]]
    if unmet:
        have = toolchain_versions()
        listed = []
        for item in unmet:
            name = item.split(" -> ")[-1]
            base = name.split(";")[0]
            for sep in "<>=!~[ ":
                base = base.split(sep)[0]
            pinned = have.get(base.lower().replace("_", "-"))
            listed.append(f"{item} ({f'the toolchain has {base}=={pinned}' if pinned else 'not in the toolchain'})")
        raise WheelError(
            f"{what}: its build backend needs {'; '.join(listed)}; the pinned build toolchain "
            f"{TOOLCHAIN_LOCK} does not satisfy {'it' if len(unmet) == 1 else 'them'}: add or change the pin in "
            f"{TOOLCHAIN_IN.name} and run `python -m builder wheels --lock-toolchain` (nothing was compiled)"
        )
    return tuple(found["requires"]) + tuple(found["dynamic"])


def build_wheel(
    python: Path,
    srcdir: Path,
    outdir: Path,
    settings: ConfigSettings,
    *,
    env: Mapping[str, str],
    on_line: Callable[[str], None],
    what: str,
) -> Path:
    """``python -m build --wheel --no-isolation`` of ``srcdir`` into ``outdir``; the one wheel.
    ``env`` is the build's whole environment (:func:`.reproducible.build_env`): nothing of
    this process's environment but pip's scrubbing reaches the compilers."""
    argv = [str(python), "-I", "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check",
            "--outdir", str(outdir), *config_args(settings), str(srcdir)]
    tail: list[str] = []
    with subprocess.Popen(argv, env=scrubbed_env(base=env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1, cwd=srcdir) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            tail = [*tail, line][-30:]
            on_line(line)
        rc = proc.wait()
    if rc != 0:
        shown = " | ".join(ln.strip() for ln in tail if ln.strip())[-1500:]
        raise WheelError(f"{what}: the build failed (exit {rc}): {shown}")
    wheels = sorted(outdir.glob("*.whl"))
    if len(wheels) != 1:
        raise WheelError(f"{what}: the build produced {len(wheels)} wheels in {outdir}")
    return wheels[0]
