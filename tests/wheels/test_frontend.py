"""pypa/build is the frontend of every wheel build: the backend's requirements are checked
against the pinned toolchain before anything compiles."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from builder.errors import WheelError
from builder.layout import cache_dir
from builder.lock import LockEntry
from builder.profile import Profile
from builder.util.hashing import sha256_file
from builder.wheels.cpu import CpuRecipe
from builder.wheels.frontend import config_args
from builder.wheels.source import build_from_sdist

#: An in-tree backend: asked for its dynamic requirements it answers ``DYNAMIC``; asked to
#: build, it leaves a mark (it must never get that far).
_BACKEND = '''
import pathlib
DYNAMIC = {dynamic!r}

def get_requires_for_build_wheel(config_settings=None):
    return DYNAMIC

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    pathlib.Path({mark!r}).write_text("compiled")
    raise RuntimeError("this backend compiles nothing")
'''


def _sdist(tmp: Path, requires: list[str], dynamic: list[str], mark: Path) -> Path:
    files = {
        "pyproject.toml": (
            "[build-system]\n"
            f"requires = {requires!r}\n".replace("'", '"')
            + 'build-backend = "tinybackend"\nbackend-path = ["."]\n'
            '[project]\nname = "llama-cpp-python"\nversion = "0.0.1"\n'
        ),
        "tinybackend.py": _BACKEND.format(dynamic=dynamic, mark=str(mark)),
    }
    out = tmp / "llama_cpp_python-0.0.1.tar.gz"
    with tarfile.open(out, "w:gz") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"llama_cpp_python-0.0.1/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out


def test_config_args() -> None:
    assert config_args({"cmake.define.A": "ON", "x": ["1", "2"]}) == ["-Ccmake.define.A=ON", "-Cx=1", "-Cx=2"]


@pytest.mark.slow
@pytest.mark.network  # the pinned toolchain venv (cached after the first run)
@pytest.mark.parametrize(
    ("requires", "dynamic", "expected"),
    [
        (["no-such-backend-package>=1"], [], "no-such-backend-package>=1 (not in the toolchain)"),
        (["scikit-build-core>=99"], [], "scikit-build-core>=99 (the toolchain has scikit-build-core==1.1.2)"),
        ([], ["cmake>=99"], "cmake>=99 (the toolchain has cmake==3.31.10)"),
    ],
    ids=["missing", "too-old", "dynamic"],
)
def test_unmet_build_requirement_stops_before_any_compile(
    tmp_path: Path, profile: Profile, target_python: Path, requires: list[str], dynamic: list[str], expected: str
) -> None:
    cache = tmp_path / "cache"
    (cache / "tools").parent.mkdir(parents=True)
    (cache / "tools").symlink_to(cache_dir() / "tools", target_is_directory=True)  # the cached toolchain venv
    (cache_dir() / "tools").mkdir(parents=True, exist_ok=True)
    mark = tmp_path / "compiled"
    sdists = cache / "sdists" / "llama-cpp-python" / "0.0.1"
    sdists.mkdir(parents=True)
    sdist = _sdist(sdists, requires, dynamic, mark)
    entry = LockEntry(name="llama-cpp-python", version="0.0.1", hashes=(sha256_file(sdist),),  # type: ignore[arg-type]
                      provided=False, via=())
    with pytest.raises(WheelError) as info:
        build_from_sdist(entry, profile, CpuRecipe(), target_python=target_python, cache=cache, log=print)
    message = str(info.value)
    assert expected in message, message
    assert "toolchain.txt" in message and "--lock-toolchain" in message and "nothing was compiled" in message
    assert not mark.exists()  # the backend's build hook never ran
    assert [p.name for p in (cache / "built").iterdir()] == [".lock"]  # no work folder left
