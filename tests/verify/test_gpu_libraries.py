"""The target's CUDA runtime on a GPU machine: which file stands for each library, in which
order, from which wheel, folder or machine (tiny .so files with the right SONAMEs and
version nodes, a pinned "wheel" in the cache: offline)."""

from __future__ import annotations

import dataclasses
import sys
import zipfile
from pathlib import Path

import pytest
from factories.native import build_lib, fake_cudart, machine, needs_gcc

from builder.errors import ConfigError, PipError
from builder.native.elf import read_exports
from builder.pip import Pip
from builder.profile import Profile
from builder.profile.exports import ExportData, LibraryExports, PackageRef
from builder.profile.model import NativeLibrary
from builder.util.hashing import sha256_file
from builder.verify.gpu.libraries import (
    Candidate,
    Chosen,
    Missing,
    RuntimePlan,
    Target,
    choose,
    plan_runtime,
    version_of,
    wheel_fetcher,
)

T = Target(soname="libcudart.so.12", version="12.1.105", package="nvidia-cuda-runtime-cu12==12.1.105",
           sha256="a" * 64, exports=None)


def _c(path: str, version: str | None, *, identical: bool = False, lacks: tuple[str, ...] | None = ()) -> Candidate:
    return Candidate(soname=T.soname, path=Path(path), version=version, identical=identical, lacks=lacks)


def _wheel() -> Candidate:
    return _c("/cache/cuda-runtime/x/libcudart.so.12", None, identical=True)


@pytest.mark.parametrize(("here", "mine", "theirs", "wheel", "want", "problem"), [
    # the image's own with --here, whatever its version, said in a note
    (True, _c("/opt/conda/lib/libcudart.so.12.4.127", "12.4.127"), None, _wheel, "image", ""),
    # a folder's file of the right version and exports wins over the machine's and the wheel
    (False, _c("/usr/lib/libcudart.so.12.1.105", "12.1.105"), _c("/dir/libcudart.so.12", "12.1.105"), _wheel, "dir",
     ""),
    # a folder's file of another version is refused (bad input), the next source is used
    (False, None, _c("/dir/libcudart.so.12", "12.4.127"), _wheel, "wheel", "is version 12.4.127"),
    # a folder's file lacking symbols of the target's list is refused
    (False, None, _c("/dir/libcudart.so.12", None, lacks=("cudaMalloc",)), _wheel, "wheel",
     "does not export cudaMalloc"),
    # the machine's own of the profile's version
    (False, _c("/usr/local/cuda/lib64/libcudart.so.12.1.105", "12.1.105"), None, _wheel, "machine", ""),
    # byte-identical to the pinned library, whatever its name
    (False, _c("/venv/nvidia/cuda_runtime/lib/libcudart.so.12", None, identical=True), None, _wheel, "machine", ""),
    # the machine's of another version, or of an unknown one: the pinned wheel
    (False, _c("/usr/local/cuda/lib64/libcudart.so.12.4.127", "12.4.127"), None, _wheel, "wheel", ""),
    (False, _c("/usr/lib/libcudart.so.12", None), None, _wheel, "wheel", ""),
    # no wheel to be had: missing, saying what was passed over and why
    (False, _c("/usr/lib/libcudart.so.12.4.127", "12.4.127"), None, lambda: "pip download failed: offline",
     "missing", ""),
    (True, None, None, _wheel, "missing", ""),
])
def test_the_order_of_the_sources(here: bool, mine: Candidate | None, theirs: Candidate | None, wheel: object,
                                  want: str, problem: str) -> None:
    problems: list[str] = []
    got = choose(T, here=here, machine=mine, folder=theirs, wheel=wheel, problems=problems)  # type: ignore[arg-type]
    if want == "missing":
        assert isinstance(got, Missing), got
        if mine is not None:
            assert "is version 12.4.127; the target's is 12.1.105" in got.why and "offline" in got.why, got.why
    else:
        assert isinstance(got, Chosen) and got.origin == want, got
    assert (problem in problems[0]) if problem else problems == [], problems
    if here and isinstance(got, Chosen):
        assert "not the profile's: it is version 12.4.127" in got.note


def test_version_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "libcudart.so.12.1.105").write_bytes(b"x")
    (tmp_path / "libcudart.so.12").symlink_to("libcudart.so.12.1.105")
    assert version_of(tmp_path / "libcudart.so.12", None) == "12.1.105"
    assert version_of(tmp_path / "libcudart.so.12.1.105", None) == "12.1.105"
    # a pip-installed NVIDIA wheel: plain SONAME files, the version in its .dist-info
    site = tmp_path / "site-packages"
    lib = site / "nvidia" / "cublas" / "lib"
    lib.mkdir(parents=True)
    (lib / "libcublas.so.12").write_bytes(b"x")
    (site / "nvidia_cublas_cu12-12.1.3.1.dist-info").mkdir()
    native = NativeLibrary(soname="libcublas.so.12", kind="wheel", ref="nvidia-cublas-cu12==12.1.3.1", sha256="0" * 64,
                           member="nvidia/cublas/lib/libcublas.so.12", source="test")
    assert version_of(lib / "libcublas.so.12", native) == "12.1.3.1"
    assert version_of(lib / "libcublas.so.12", None) is None


# ----------------------------------------------- plan_runtime on real files (gcc needed)


def _wheel_of(tmp: Path, name: str, members: dict[str, Path]) -> Path:
    path = tmp / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, src in members.items():
            zf.write(src, member)
    return path


@dataclasses.dataclass
class _Target:
    """A profile whose libcudart/libcublas/libcublasLt are fake libraries in fake pinned wheels."""

    profile: Profile
    exports: ExportData
    cache: Path
    libs: dict[str, Path]


def _target(tmp_path: Path, profile: Profile) -> _Target:
    src = tmp_path / "target"
    cudart = fake_cudart(src, name="libcudart.so.12")
    lt = build_lib(src, "libcublasLt.so.12", "int cublasLtCreate(void) { return 0; }\n", soname="libcublasLt.so.12",
                   version_script="libcublasLt.so.12 { global: cublasLtCreate; };\n")
    cublas = build_lib(src, "libcublas.so.12", "int cublasLtCreate(void);\nint cublasCreate_v2(void) "
                       "{ return cublasLtCreate(); }\n", soname="libcublas.so.12",
                       version_script="libcublas.so.12 { global: cublasCreate_v2; };\n",
                       link=["-L", str(src), "-l:libcublasLt.so.12"])
    cache = tmp_path / "cache"
    wheels = {"nvidia-cuda-runtime-cu12==12.1.105": {"nvidia/cuda_runtime/lib/libcudart.so.12": cudart},
              "nvidia-cublas-cu12==12.1.3.1": {"nvidia/cublas/lib/libcublas.so.12": cublas,
                                               "nvidia/cublas/lib/libcublasLt.so.12": lt}}
    natives: list[NativeLibrary] = []
    libraries: dict[str, LibraryExports] = {}
    for ref, members in wheels.items():
        whl = _wheel_of(tmp_path, ref.replace("==", "-").replace("-", "_") + "-py3-none-any.whl", members)
        sha = sha256_file(whl)
        (cache / "downloads" / sha).mkdir(parents=True)
        whl.rename(cache / "downloads" / sha / whl.name)
        for member, lib in members.items():
            soname = Path(member).name
            native = NativeLibrary(soname=soname, kind="wheel", ref=ref, sha256=sha, member=member, source="test")
            natives.append(native)
            with open(lib, "rb") as fh:
                got = read_exports(fh)
            libraries[soname] = LibraryExports(soname=soname, package=PackageRef.of(native),
                                               file_sha256=sha256_file(lib), versions=got.versions, data=got.data,
                                               tls=got.tls)
    return _Target(profile=dataclasses.replace(profile, natives=tuple(natives)),
                   exports=ExportData(libraries=libraries), cache=cache,
                   libs={"libcudart.so.12": cudart, "libcublas.so.12": cublas, "libcublasLt.so.12": lt})


def _plan(t: _Target, needed: tuple[str, ...], found: dict[str, str] | None = None, *,
          folder: Path | None = None) -> RuntimePlan:
    logs: list[str] = []
    fetch = wheel_fetcher(t.profile, pip=Pip(Path(sys.executable)), cache=t.cache, log=logs.append)
    probe = machine(["libcuda.so.1", *needed], found={"libcuda.so.1": "/usr/lib/libcuda.so.1", **(found or {})},
                    devices=[("Tesla T4", "7.5", 15 << 30)])
    return plan_runtime(t.profile, t.exports, needed, probe, here=False, folder=folder, fetch_wheel=fetch)


@needs_gcc
def test_the_pinned_wheels_give_each_library_and_what_it_needs_first(tmp_path: Path, profile: Profile) -> None:
    t = _target(tmp_path, profile)
    plan = _plan(t, ("libcuda.so.1", "libcudart.so.12", "libcublas.so.12"))
    chosen = plan.chosen
    # libcublas needs libcublasLt: chosen too, and loaded before it; the driver is never stood in for
    assert [c.soname for c in chosen] == ["libcublasLt.so.12", "libcudart.so.12", "libcublas.so.12"]
    assert {c.origin for c in chosen} == {"wheel"}
    assert [c.version for c in chosen] == ["12.1.3.1", "12.1.105", "12.1.3.1"]
    for c in chosen:
        assert c.path.parent.parent == t.cache / "cuda-runtime"
        assert sha256_file(c.path) == sha256_file(t.libs[c.soname])  # streamed out of the wheel as it is
    assert plan.request()[0] == {"soname": "libcublasLt.so.12", "path": str(chosen[0].path),
                                 "origin": "wheel"}
    again = _plan(t, ("libcudart.so.12",))
    assert again.chosen[0].path == chosen[1].path  # extracted once


@needs_gcc
def test_the_machines_own_of_the_right_version_wins_and_another_version_is_passed_over(
    tmp_path: Path, profile: Profile
) -> None:
    t = _target(tmp_path, profile)
    right = fake_cudart(tmp_path / "usr", name="libcudart.so.12.1.105")
    plan = _plan(t, ("libcudart.so.12",), {"libcudart.so.12": str(right)})
    assert [(c.origin, c.path, c.version) for c in plan.chosen] == [("machine", right, "12.1.105")]
    assert not (t.cache / "cuda-runtime").exists(), "no wheel extracted when the machine has the right one"
    other = fake_cudart(tmp_path / "cuda-12.4", name="libcudart.so.12.4.127")
    plan = _plan(t, ("libcudart.so.12",), {"libcudart.so.12": str(other)})
    assert [c.origin for c in plan.chosen] == ["wheel"]


@needs_gcc
def test_a_cuda_runtime_folder_is_checked_against_the_profile(tmp_path: Path, profile: Profile) -> None:
    t = _target(tmp_path, profile)
    good = tmp_path / "good"
    fake_cudart(good, name="libcudart.so.12.1.105")
    (good / "libcudart.so.12").symlink_to("libcudart.so.12.1.105")
    plan = _plan(t, ("libcudart.so.12",), folder=good)
    assert [(c.origin, c.version) for c in plan.chosen] == [("dir", "12.1.105")]
    wrong = tmp_path / "wrong"
    fake_cudart(wrong, name="libcudart.so.12.4.127")
    (wrong / "libcudart.so.12").symlink_to("libcudart.so.12.4.127")
    with pytest.raises(ConfigError, match=r"libcudart.so.12: is version 12.4.127; the target's is 12.1.105"):
        _plan(t, ("libcudart.so.12",), folder=wrong)
    poor = tmp_path / "poor"  # the right name, but not the target's exports
    poor.mkdir()
    build_lib(poor, "libcudart.so.12.1.105", "int cudaMalloc(void) { return 0; }\n", soname="libcudart.so.12",
              version_script="libcudart.so.12 { global: cudaMalloc; };\n")
    (poor / "libcudart.so.12").symlink_to("libcudart.so.12.1.105")
    with pytest.raises(ConfigError, match=r"does not export cudaDeviceGetPCIBusId, cudaGetDevice, cudaGetDeviceCount "
                                          r"and 3 more of the target's libcudart.so.12"):
        _plan(t, ("libcudart.so.12",), folder=poor)


@needs_gcc
def test_a_library_that_cannot_be_had_is_missing_saying_how_to_provide_it(tmp_path: Path, profile: Profile) -> None:
    t = _target(tmp_path, profile)

    def offline(native: NativeLibrary) -> Path:
        raise PipError(f"downloading {native.ref} failed (exit 1): no network")

    probe = machine(["libcuda.so.1", "libcudart.so.12"], found={"libcuda.so.1": "/usr/lib/libcuda.so.1"},
                    devices=[("Tesla T4", "7.5", 15 << 30)])
    plan = plan_runtime(t.profile, t.exports, ("libcuda.so.1", "libcudart.so.12"), probe, here=False, folder=None,
                        fetch_wheel=offline)
    why = plan.why_not()
    assert plan.chosen == () and why is not None
    assert why.startswith("the target's libcudart.so.12 is missing: nvidia-cuda-runtime-cu12==12.1.105 could not "
                          "be had: downloading nvidia-cuda-runtime-cu12==12.1.105 failed"), why
    assert "pip download --no-deps nvidia-cuda-runtime-cu12==12.1.105" in why and "--cuda-runtime DIR" in why


def test_with_here_the_images_own_are_reported_not_loaded_by_path(tmp_path: Path) -> None:
    chosen = (Chosen(soname="libcudart.so.12", origin="image", path=Path("/usr/local/cuda/lib64/libcudart.so.12"),
                     version="12.1.105"),
              Chosen(soname="libcublas.so.12", origin="wheel", path=tmp_path / "libcublas.so.12", version="12.1.3.1"))
    plan = RuntimePlan(chosen=chosen, missing=(), advice={})
    assert plan.request() == [{"soname": "libcublas.so.12", "path": str(tmp_path / "libcublas.so.12"),
                               "origin": "wheel"}]
