"""The static checks of native libraries against the profile, in the wheels stage
(``check_wheel``: built, downloaded and hand-placed wheels alike) and in verify level 2:
symbols bound to provided libraries must be in their export lists (with the version),
RUNPATH must be ``$ORIGIN``-relative, and CUDA device code must run on the profile's GPU.
Every library is built in the test with gcc; the export lists are the shipped profile's."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from factories.archives import build_archive, dist_info, good_files
from factories.native import build_lib, c_bytes, fake_provided, fatbin_blob, needs_gcc, user_of
from factories.projects import PROFILE, make_wheel, sha256

from builder.errors import WheelProblems
from builder.lock import LockEntry
from builder.native.elf import read_elf
from builder.native.fatbin import Kernel, compute_capability, runs_on
from builder.profile import Profile, load_profile
from builder.verify import verify
from builder.wheels import check_wheel
from builder.wheels.check import elf_problems

PROF = load_profile(PROFILE)
#: in CUDA 12.3's runtime, not in 12.1.105's (the profile's export list)
NEW_CUDART = "cudaGraphConditionalHandleCreate"

pytestmark = needs_gcc


def _entry() -> LockEntry:
    return LockEntry(name="tinypkg", version="1.0", hashes=(), provided=False, via=())  # type: ignore[arg-type]


def _wheel_problems(tmp: Path, libs: dict[str, Path]) -> list[str]:
    files = {"tinypkg/__init__.py": b""} | {f"tinypkg/{n}": p.read_bytes() for n, p in libs.items()}
    wheel = make_wheel(tmp / "wheels", files=files, tag="py3-none-linux_x86_64")
    return elf_problems(wheel, PROF)


def _level2(tmp: Path, profile: Profile, libs: dict[str, Path]) -> tuple[str, ...]:
    files = good_files()
    files.update(dist_info("llama_cpp_python", "0.3.2", {"llama_cpp/__init__.py": b""}, tag="py3-none-linux_x86_64"))
    files.update({f"lib/llama_cpp/lib/{n}": p.read_bytes() for n, p in libs.items()})
    report = verify(build_archive(tmp / "s.tar.gz", files), profile, levels=(1, 2))
    assert report.level(1).status == "passed"
    return report.level(2).problems


# ------------------------------------------------------------------------ symbols


def test_cudart_symbol_the_target_runtime_lacks_fails_both_stages(tmp_path: Path, profile: Profile) -> None:
    cudart = fake_provided(tmp_path, "libcudart.so.12", ["cudaMalloc", NEW_CUDART], node="libcudart.so.12")
    user = user_of(tmp_path, "libuser.so", {"cudaMalloc": cudart, NEW_CUDART: cudart})
    message = (f"needs {NEW_CUDART}@libcudart.so.12, which libcudart.so.12 of profile 'kaggle-2024' "
               "(nvidia-cuda-runtime-cu12 12.1.105) does not export")
    assert _wheel_problems(tmp_path, {"libuser.so": user}) == [f"tinypkg/libuser.so: {message}"]
    assert _level2(tmp_path, profile, {"libuser.so": user}) == (f"lib/llama_cpp/lib/libuser.so: {message}",)
    with pytest.raises(WheelProblems, match=rf"tinypkg/libuser\.so: needs {NEW_CUDART}@libcudart\.so\.12"):
        wheel = next((tmp_path / "wheels").glob("*.whl"))
        check_wheel(wheel, LockEntry(name="tinypkg", version="1.0", hashes=(sha256(wheel),),  # type: ignore[arg-type]
                                     provided=False, via=()), PROF, trusted_hash=False)


def test_symbols_the_target_exports_pass(tmp_path: Path, profile: Profile) -> None:
    cudart = fake_provided(tmp_path, "libcudart.so.12", ["cudaMalloc", "cudaFree"], node="libcudart.so.12")
    cuda = fake_provided(tmp_path, "libcuda.so.1", ["cuInit", "cuMemMap"])
    user = user_of(tmp_path, "libuser.so", {"cudaMalloc": cudart, "cudaFree": cudart, "cuInit": cuda,
                                             "cuMemMap": cuda})
    assert _wheel_problems(tmp_path, {"libuser.so": user}) == []
    assert _level2(tmp_path, profile, {"libuser.so": user}) == ()


def test_unversioned_driver_symbol_the_driver_lacks(tmp_path: Path) -> None:
    cuda = fake_provided(tmp_path, "libcuda.so.1", ["cuInit", "cuNotInAnyDriver"])
    user = user_of(tmp_path, "libuser.so", {"cuInit": cuda, "cuNotInAnyDriver": cuda})
    assert _wheel_problems(tmp_path, {"libuser.so": user}) == [
        "tinypkg/libuser.so: needs cuNotInAnyDriver (unversioned), which neither the archive nor libcuda.so.1 of "
        "profile 'kaggle-2024' (libcuda1 550.163.01-2, best known) exports"
    ]


def test_a_version_node_the_library_does_not_define(tmp_path: Path) -> None:
    cublas = fake_provided(tmp_path, "libcublas.so.12", ["cublasCreate_v2"], node="libcublas.so.13")
    user = user_of(tmp_path, "libuser.so", {"cublasCreate_v2": cublas})
    assert _wheel_problems(tmp_path, {"libuser.so": user}) == [
        "tinypkg/libuser.so: needs version libcublas.so.13 of libcublas.so.12 (cublasCreate_v2), which "
        "libcublas.so.12 of profile 'kaggle-2024' (nvidia-cublas-cu12 12.1.3.1) does not define"
    ]


def test_too_new_glibc_is_reported_once(tmp_path: Path) -> None:
    # closefrom@GLIBC_2.34 (this machine's glibc is newer): the coarse check says so, the symbol check does
    # not say it again
    user = build_lib(tmp_path, "libnew.so", "void closefrom(int);\nvoid shut(void) { closefrom(3); }\n")
    assert _wheel_problems(tmp_path, {"libnew.so": user}) == [
        "tinypkg/libnew.so: needs GLIBC_2.34, the target has glibc 2.31"
    ]


def test_weak_archive_internal_and_interpreter_symbols_are_not_missing(tmp_path: Path) -> None:
    cuda = fake_provided(tmp_path, "libcuda.so.1", ["cuInit"])
    inner = build_lib(tmp_path, "libinner.so", "int inner_fn(void) { return 1; }\n", soname="libinner.so")
    src = ("int cuInit(void);\nint inner_fn(void);\n__attribute__((weak)) int cuMaybe(void);\n"
           "void *PyLong_FromLong(long);\nvoid *PyInit_ext(void) { return PyLong_FromLong(cuInit() + inner_fn()"
           " + (cuMaybe ? cuMaybe() : 0)); }\n")
    ext = build_lib(tmp_path, "ext.cpython-310-x86_64-linux-gnu.so", src,
                    link=["-L", str(cuda.parent), "-l:libcuda.so.1", "-L", str(tmp_path), "-l:libinner.so",
                          "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags"])
    info = read_elf("ext.so", ext.read_bytes())
    assert {i.name for i in info.imports if i.weak} >= {"cuMaybe"} and info.python_extension
    assert _wheel_problems(tmp_path, {"ext.cpython-310-x86_64-linux-gnu.so": ext, "libinner.so": inner}) == []


def test_unversioned_symbol_bound_through_a_library_of_the_archive(tmp_path: Path) -> None:
    """A libggml-cpu.so calls pthread_create without NEEDing libpthread.so.0 (as the CUDA
    prototype's does: unresolved at link time, so unversioned): it binds through
    libggml-base.so, which NEEDs libpthread.so.0, in the same load group."""
    base = build_lib(tmp_path, "libbase.so", "int base_fn(void) { return 0; }\n", soname="libbase.so",
                     args=["-Wl,--no-as-needed", "-l:libpthread.so.0"])
    libc = fake_provided(tmp_path, "libc.so.6", ["puts"], node="GLIBC_2.2.5")  # no pthread_create in it
    cpu = build_lib(tmp_path, "libcpu.so", "int pthread_create(void);\nint base_fn(void);\nint puts(void);\n"
                    "int f(void) { return pthread_create() + base_fn() + puts(); }\n",
                    link=["-nodefaultlibs", "-L", str(libc.parent), "-l:libc.so.6", "-L", str(tmp_path),
                          "-l:libbase.so", "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags"])
    info = read_elf("libcpu.so", cpu.read_bytes())
    assert "libc.so.6" in info.needed and "libpthread.so.0" not in info.needed
    assert any(i.name == "pthread_create" and i.version is None for i in info.imports)
    assert _wheel_problems(tmp_path, {"libcpu.so": cpu, "libbase.so": base}) == []
    alone = _wheel_problems(tmp_path, {"libcpu.so": cpu})  # without libbase.so nothing loads libpthread.so.0
    assert "tinypkg/libcpu.so: needs pthread_create (unversioned), which neither the archive nor libc.so.6 of " \
           "profile 'kaggle-2024' (libc6 2.31-13+deb11u11, best known) exports" in alone, alone


def test_large_members_are_streamed_not_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cuda = fake_provided(tmp_path, "libcuda.so.1", ["cuInit"])
    user = user_of(tmp_path, "libuser.so", {"cuInit": cuda})

    def no_read(self: zipfile.ZipFile, name: object, pwd: object = None) -> bytes:
        if str(name).endswith(".so"):
            raise AssertionError(f"{name} read into memory whole")
        return original(self, name, pwd)  # type: ignore[arg-type]

    original = zipfile.ZipFile.read
    monkeypatch.setattr(zipfile.ZipFile, "read", no_read)
    assert _wheel_problems(tmp_path, {"libuser.so": user}) == []


# ------------------------------------------------------------------------ RUNPATH


@pytest.mark.parametrize(
    ("rpath", "expected"),
    [
        ("/opt/build/cuda/lib64", "RUNPATH has entry '/opt/build/cuda/lib64', which is not $ORIGIN-relative"),
        ("$ORIGIN:/opt/build/cuda/lib64", "RUNPATH has entry '/opt/build/cuda/lib64', which is not $ORIGIN-relative"),
        ("$ORIGIN/../../../..", "RUNPATH entry '$ORIGIN/../../../..' leads outside the archive"),
        ("$ORIGIN:", "RUNPATH has an empty entry (the current folder), which is not $ORIGIN-relative"),
    ],
    ids=["build-folder", "origin-and-build-folder", "escapes", "empty-entry"],
)
def test_runpath_must_be_origin_relative(tmp_path: Path, profile: Profile, rpath: str, expected: str) -> None:
    lib = build_lib(tmp_path, "librp.so", "int f(void) { return 0; }\n",
                    args=[f"-Wl,-rpath,{rpath}", "-Wl,--enable-new-dtags"])
    wheel = _wheel_problems(tmp_path, {"librp.so": lib})
    assert any(p.startswith("tinypkg/librp.so: ") and expected in p for p in wheel), wheel
    if "outside" not in expected:  # lib/llama_cpp/lib/../../../.. is still inside an archive
        level2 = _level2(tmp_path, profile, {"librp.so": lib})
        assert any(p.startswith("lib/llama_cpp/lib/librp.so: ") and expected in p for p in level2), level2


def test_origin_runpath_passes(tmp_path: Path) -> None:
    lib = build_lib(tmp_path, "librp.so", "int f(void) { return 0; }\n",
                    args=["-Wl,-rpath,$ORIGIN:$ORIGIN/../lib", "-Wl,--enable-new-dtags"])
    assert _wheel_problems(tmp_path, {"librp.so": lib}) == []


# ------------------------------------------------------------------------ CUDA kernels


def _cuda_lib(tmp: Path, containers: list[list[tuple[int, int, int]]], name: str = "libkern.so") -> Path:
    return build_lib(tmp, name, "int f(void) { return 0; }\n" + c_bytes("fatbin", fatbin_blob(containers),
                                                                       ".nv_fatbin"))


def test_sm86_sass_without_ptx_has_no_kernel_for_the_t4(tmp_path: Path, profile: Profile) -> None:
    lib = _cuda_lib(tmp_path, [[(2, 86, 0x11)], [(2, 86, 0x11)]])
    expected = "no kernel for sm_75 (SASS for sm_86; no PTX at or below compute_75)"
    assert _wheel_problems(tmp_path, {"libkern.so": lib}) == [f"tinypkg/libkern.so: {expected}"]
    assert _level2(tmp_path, profile, {"libkern.so": lib}) == (f"lib/llama_cpp/lib/libkern.so: {expected}",)


@pytest.mark.parametrize(
    "entries",
    [[(2, 75, 0x11)], [(1, 75, 0x2011)], [(1, 70, 0x11), (2, 86, 0x11)], [(2, 70, 0x11)], [(2, 72, 0)]],
    ids=["sm75-sass", "compute75-ptx-compressed", "compute70-ptx", "sm70-sass", "sm72-sass"],
)
def test_kernels_that_run_on_the_t4_pass(tmp_path: Path, entries: list[tuple[int, int, int]]) -> None:
    assert _wheel_problems(tmp_path, {"libkern.so": _cuda_lib(tmp_path, [entries])}) == []


def test_one_translation_unit_without_a_kernel_is_named(tmp_path: Path) -> None:
    lib = _cuda_lib(tmp_path, [[(2, 75, 0)], [(2, 80, 0), (1, 80, 0)], [(2, 75, 0)]])
    assert _wheel_problems(tmp_path, {"libkern.so": lib}) == [
        "tinypkg/libkern.so: 1 of 3 fatbin containers have no kernel for sm_75 "
        "(the first: SASS for sm_80; no PTX at or below compute_75 (PTX for compute_80))"
    ]


def test_device_code_headers_are_read(tmp_path: Path) -> None:
    lib = _cuda_lib(tmp_path, [[(1, 75, 0x2011), (2, 75, 0x11)]] * 3)
    info = read_elf("libkern.so", lib.read_bytes())
    assert info.fatbin is not None
    assert info.fatbin.containers[0] == (Kernel(kind="ptx", arch=75, compressed=True),
                                         Kernel(kind="sass", arch=75, compressed=False))
    assert info.fatbin.summary() == "3 fatbin containers: 3 sm_75 SASS, 3 compute_75 PTX"


def test_damaged_device_code_is_a_problem(tmp_path: Path) -> None:
    blob = fatbin_blob([[(2, 75, 0)]])
    bad = blob[:16] + (9999).to_bytes(4, "little") + blob[20:]  # the entry claims a 9999-byte header
    lib = build_lib(tmp_path, "libbad.so", "int f(void) { return 0; }\n" + c_bytes("fb", bad, ".nv_fatbin"))
    problems = _wheel_problems(tmp_path, {"libbad.so": lib})
    assert len(problems) == 1 and problems[0].startswith("tinypkg/libbad.so: unreadable .nv_fatbin section ("), problems


def test_compute_capability_and_compatibility() -> None:
    assert compute_capability("7.5") == 75 and compute_capability("8.6") == 86 and compute_capability("10.0") == 100
    assert compute_capability("") is None and compute_capability("7") is None
    assert runs_on(Kernel(kind="sass", arch=70, compressed=False), 75)
    assert not runs_on(Kernel(kind="sass", arch=80, compressed=False), 75)
    assert not runs_on(Kernel(kind="sass", arch=75, compressed=False), 86)  # SASS does not cross a major version
    assert runs_on(Kernel(kind="ptx", arch=75, compressed=True), 86)
