from __future__ import annotations

from pathlib import Path

import pytest
from factories.archives import build_so, gcc
from factories.projects import PROFILE, make_wheel, sha256

from builder.errors import WheelError, WheelProblems
from builder.lock import Lock, LockEntry
from builder.profile import load_profile
from builder.wheels import check_wheel, collect_wheels
from builder.wheels.collect import download_args

PROF = load_profile(PROFILE)


def _entry(name: str = "tinypkg", version: str = "1.0", hashes: tuple[str, ...] = ()) -> LockEntry:
    return LockEntry(name=name, version=version, hashes=hashes, provided=False, via=())  # type: ignore[arg-type]


def _lock(tmp: Path, *entries: LockEntry) -> Lock:
    return Lock(path=tmp / "lock.txt", profile="kaggle-2024", inputs_sha256="0" * 64, entries=entries)


def test_good_wheel_from_wheels_dir(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels")
    got = collect_wheels(
        _lock(tmp_path, _entry(hashes=(sha256(wheel),))),
        PROF,
        wheels_dir=tmp_path / "wheels",
        cache=tmp_path / "c",
        pip=None,
    )
    assert [(w.path, w.origin, w.sha256) for w in got] == [(wheel, "wheels-dir", sha256(wheel))]


def test_hash_not_in_lock(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels")
    with pytest.raises(WheelError, match=rf"{wheel.name}: sha256 [0-9a-f]{{64}} is not in the lock for tinypkg==1\.0"):
        collect_wheels(
            _lock(tmp_path, _entry(hashes=("f" * 64,))),
            PROF,
            wheels_dir=tmp_path / "wheels",
            cache=tmp_path / "c",
            pip=None,
        )


def test_wrong_tags(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels", tag="cp311-cp311-manylinux_2_35_x86_64")
    with pytest.raises(WheelError, match=r"tags cp311-cp311-manylinux_2_35_x86_64 do not fit the target"):
        collect_wheels(
            _lock(tmp_path, _entry(hashes=(sha256(wheel),))),
            PROF,
            wheels_dir=tmp_path / "wheels",
            cache=tmp_path / "c",
            pip=None,
        )


def test_all_problems_reported_together(tmp_path: Path) -> None:
    a = make_wheel(tmp_path / "wheels", "alpha", tag="cp312-cp312-win_amd64")
    make_wheel(tmp_path / "wheels", "beta")
    with pytest.raises(WheelProblems) as exc:
        collect_wheels(
            _lock(tmp_path, _entry("alpha", hashes=(sha256(a),)), _entry("beta", hashes=("0" * 64,))),
            PROF,
            wheels_dir=tmp_path / "wheels",
            cache=tmp_path / "c",
            pip=None,
        )
    text = str(exc.value)
    assert "(2 problems)" in text and "win_amd64" in text and "beta-1.0-py3-none-any.whl: sha256" in text


def test_built_wheel_is_trusted_through_the_sdist(tmp_path: Path) -> None:
    built = make_wheel(tmp_path / "built", "llama-cpp-python", "0.3.36", tag="py3-none-manylinux_2_31_x86_64")
    entry = _entry("llama-cpp-python", "0.3.36", hashes=("d" * 64,))  # only the sdist's hash
    got = collect_wheels(
        _lock(tmp_path, entry),
        PROF,
        wheels_dir=tmp_path / "wheels",
        cache=tmp_path / "c",
        pip=None,
        build=lambda e: built,
    )
    assert got[0].origin == "built" and got[0].sha256 == sha256(built)


def test_hand_placed_wheel_wins_over_build(tmp_path: Path) -> None:
    cuda = make_wheel(tmp_path / "wheels", "llama-cpp-python", "0.3.36", tag="py3-none-linux_x86_64")
    entry = _entry("llama-cpp-python", "0.3.36", hashes=(sha256(cuda),))

    def never(_e: LockEntry) -> Path:
        raise AssertionError("must not build when wheels/ has one")

    got = collect_wheels(
        _lock(tmp_path, entry), PROF, wheels_dir=tmp_path / "wheels", cache=tmp_path / "c", pip=None, build=never
    )
    assert got[0].path == cuda


def test_download_args_pin_target_platform(tmp_path: Path) -> None:
    args = download_args(_entry(hashes=("a" * 64,)), PROF, tmp_path)
    assert args[:4] == ["download", "--no-deps", "--only-binary", ":all:"]
    assert args[args.index("--python-version") + 1] == "3.10"
    assert args[args.index("--abi") + 1] == "cp310"
    plats = [args[i + 1] for i, a in enumerate(args) if a == "--platform"]
    assert plats[0] == "manylinux_2_31_x86_64" and "linux_x86_64" in plats and "manylinux_2_35_x86_64" not in plats
    assert "--require-hashes" in args
    assert (tmp_path / "requirement.txt").read_text() == f"tinypkg==1.0 --hash=sha256:{'a' * 64}\n"


@pytest.mark.skipif(gcc() is None, reason="gcc is needed to build a test shared object")
def test_native_library_too_new_for_target_glibc(tmp_path: Path) -> None:
    so = build_so(tmp_path, "libnew.so", "#include <unistd.h>\nvoid f(void){ closefrom(3); }\n")
    wheel = make_wheel(
        tmp_path / "wheels", files={"tinypkg/__init__.py": b"", "tinypkg/libnew.so": so}, tag="py3-none-linux_x86_64"
    )
    with pytest.raises(WheelProblems, match=r"tinypkg/libnew\.so: needs GLIBC_2\.34, the target has glibc 2\.31"):
        check_wheel(wheel, _entry(hashes=(sha256(wheel),)), PROF, trusted_hash=False)


@pytest.mark.skipif(gcc() is None, reason="gcc is needed to build a test shared object")
def test_native_library_needing_unprovided_lib(tmp_path: Path) -> None:
    so = build_so(
        tmp_path, "libz-user.so", "#include <zlib.h>\nconst char* f(void){ return zlibVersion(); }\n", libs=["z"]
    )
    wheel = make_wheel(
        tmp_path / "wheels", files={"tinypkg/__init__.py": b"", "tinypkg/libzu.so": so}, tag="py3-none-linux_x86_64"
    )
    with pytest.raises(WheelProblems, match=r"needs libz\.so\.1, which is neither in the archive"):
        check_wheel(wheel, _entry(hashes=(sha256(wheel),)), PROF, trusted_hash=False)


_MISMATCH = (
    "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the "
    "package versions, please update the hashes.\n    tinypkg==1.0 from https://x/tinypkg-1.0-py3-none-any.whl:\n"
    "        Expected sha256 aaaa\n             Got        bbbb\n"
)


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (_MISMATCH, r"lock\.txt: tinypkg 1\.0: the wheel PyPI serves does not match the sha256 pinned in this "),
        ("ERROR: No matching distribution found for tinypkg==1.0\n", r"lock\.txt: tinypkg==1\.0: no wheel for the "),
    ],
    ids=["hash-mismatch", "no-wheel"],
)
def test_a_failed_download_names_the_lockfile(tmp_path: Path, stderr: str, expected: str) -> None:
    import subprocess

    from builder.pip import Pip

    def runner(argv: object, env: object, cwd: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args=[], returncode=1, stdout="", stderr=stderr)

    with pytest.raises(WheelError, match=expected):
        collect_wheels(_lock(tmp_path, _entry(hashes=("a" * 64,))), PROF, wheels_dir=tmp_path / "w",
                       cache=tmp_path / "c", pip=Pip(Path("/no/python"), runner=runner))
