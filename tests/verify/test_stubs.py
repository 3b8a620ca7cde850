"""Verify levels 3-4 without the target's GPU: stubs of the provided GPU libraries made from
the *profile's* export lists, loaded by the child before main.py, and never used when the
machine has the real library.  Every library is built in the test with gcc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories.archives import FAKE_LLAMA_API, GOOD_MAIN, build_archive, dist_info, good_files
from factories.native import build_lib, fake_provided, needs_gcc, user_of

from builder.native.elf import read_exports
from builder.profile import Profile
from builder.profile.exports import LibraryExports, PackageRef, profile_exports
from builder.verify import format_table, verify
from builder.verify import stubs as stubs_mod
from builder.verify.runtime import CHILD
from builder.verify.stubs import StubError, build_stubs, stub_source

pytestmark = needs_gcc
GPU = ("libcuda.so.1", "libcudart.so.12", "libcublas.so.12", "libcublasLt.so.12")


def test_stubs_export_exactly_the_profiles_lists(tmp_path: Path, profile: Profile) -> None:
    data = profile_exports(profile)
    assert data is not None
    stubs = build_stubs(profile, data, GPU, cache=tmp_path)
    assert [s.soname for s in stubs] == list(GPU)
    assert stubs[0].package == "libcuda1 550.163.01-2, best known"
    for stub in stubs:
        with open(stub.path, "rb") as fh:
            got = read_exports(fh)
        want = data.libraries[stub.soname]
        assert got.soname == stub.soname
        assert {k: v for k, v in got.versions.items() if k} == {k: v for k, v in want.versions.items() if k}
        assert set(got.versions.get("", set())) - stubs_mod.LINKER_SYMBOLS == set(want.versions.get("", set()))
        assert dict(got.data) == dict(want.data)
    # cached by the lists' hash: a second call compiles nothing
    before = {p: p.stat().st_mtime_ns for p in stubs[0].path.parent.iterdir()}
    again = build_stubs(profile, data, GPU, cache=tmp_path)
    assert again == stubs and {p: p.stat().st_mtime_ns for p in stubs[0].path.parent.iterdir()} == before


def test_a_library_importing_what_the_target_lacks_does_not_load_against_the_stub(
    tmp_path: Path, profile: Profile
) -> None:
    """The stub is made from the target's list, not from the archive's imports: a symbol the
    target lacks is a load error, so a load that succeeds proves something."""
    data = profile_exports(profile)
    assert data is not None
    (stub,) = build_stubs(profile, data, ("libcudart.so.12",), cache=tmp_path)
    cudart = fake_provided(tmp_path, "libcudart.so.12", ["cudaMalloc", "cudaGraphConditionalHandleCreate"],
                           node="libcudart.so.12")
    good = user_of(tmp_path, "libgood.so", {"cudaMalloc": cudart})
    bad = user_of(tmp_path, "libbad.so", {"cudaMalloc": cudart, "cudaGraphConditionalHandleCreate": cudart})
    code = ("import ctypes, sys\nctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_GLOBAL)\n"
            "try:\n    ctypes.CDLL(sys.argv[2])\nexcept OSError as e:\n    print(e)\nelse:\n    print('loaded')\n")
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    run = [sys.executable, "-I", "-c", code, str(stub.path)]
    assert subprocess.run([*run, str(good)], capture_output=True, text=True, env=env).stdout.strip() == "loaded"
    out = subprocess.run([*run, str(bad)], capture_output=True, text=True, env=env).stdout
    assert "undefined symbol: cudaGraphConditionalHandleCreate, version libcudart.so.12" in out, out


def test_stub_bodies(tmp_path: Path, profile: Profile) -> None:
    data = profile_exports(profile)
    assert data is not None
    source, script = stub_source(data.libraries["libcudart.so.12"])
    assert 'int f0(void) __asm__("__cudaInitModule")' not in source  # special or error, by name
    assert '__asm__("cudaGetDeviceCount")' in source and "if (n) *n = 0; return 100;" in source
    assert "#define RUNTIME_VERSION 12010" in source
    assert script is not None and script.startswith("libcudart.so.12 {\n  global:\n")
    source, script = stub_source(data.libraries["libcuda.so.1"])
    assert script is None and "return 100; /* CUDA_ERROR_NO_DEVICE */" in source
    assert 'char d' in source and '__asm__("cudbgInjectionPath")' in source  # data symbols are data
    twice = LibraryExports(soname="libx.so.1", package=PackageRef(kind="wheel", ref="x==1", sha256="0" * 64,
                                                                   member="x"), file_sha256="0" * 64,
                           versions={"X_1": frozenset({"f"}), "X_2": frozenset({"f"})}, data={}, tls={})
    with pytest.raises(StubError, match=r"libx\.so\.1: f is in two version nodes"):
        stub_source(twice)


def test_no_compiler_is_a_clear_error(tmp_path: Path, profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    data = profile_exports(profile)
    assert data is not None
    monkeypatch.setattr("builder.verify.stubs.shutil.which", lambda _name: None)
    with pytest.raises(StubError, match="verify needs a C compiler to build stub libraries"):
        build_stubs(profile, data, ("libcuda.so.1",), cache=tmp_path)


# ----------------------------------------------------------------- the child's choice


def _load_natives(specs: list[dict[str, str]], ld_path: Path | None) -> dict[str, object]:
    """The child's ``load_natives`` in a fresh interpreter (what the child does first)."""
    code = ("import json, sys\nsys.path.insert(0, sys.argv[1])\nfrom verify_common import load_natives\n"
            "print(json.dumps(load_natives(json.loads(sys.argv[2]))))\n")
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    if ld_path is not None:
        env["LD_LIBRARY_PATH"] = str(ld_path)
    proc = subprocess.run([sys.executable, "-I", "-c", code, str(CHILD), json.dumps(specs)], capture_output=True,
                          text=True, env=env, check=True)
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_a_stub_is_never_used_when_the_real_library_is_present(tmp_path: Path, profile: Profile) -> None:
    data = profile_exports(profile)
    assert data is not None
    stubs = build_stubs(profile, data, ("libcuda.so.1", "libcublas.so.12", "libcublasLt.so.12"), cache=tmp_path)
    specs = [{"soname": s.soname, "path": str(s.path)} for s in stubs]
    # the host found it: no stub; the child loads the real one or says it cannot
    assert _load_natives([{"soname": "libnope.so.7", "path": ""}], None) == {
        "stubs": [], "real": {}, "errors": ["libnope.so.7: the host found it, but this process cannot load it"]}
    real = tmp_path / "real"
    real.mkdir()
    driver = fake_provided(real, "libcuda.so.1", ["cuInit"])  # a "real" driver library: same SONAME
    lt = fake_provided(tmp_path / "lt", "libcublasLt.so.12", ["cublasLtCreate"], node="libcublasLt.so.12")
    # a real libcublas.so.12 that needs libcublasLt.so.12, which only a stub provides here
    cublas_dir = tmp_path / "cublas"
    cublas_dir.mkdir()
    build_lib(cublas_dir, "libcublas.so.12", "int cublasLtCreate(void);\nint cublasCreate_v2(void) "
              "{ return cublasLtCreate(); }\n", soname="libcublas.so.12",
              version_script="libcublas.so.12 { global: cublasCreate_v2; };\n",
              link=["-L", str(lt.parent), "-l:libcublasLt.so.12"])
    got = _load_natives(specs, None)
    assert got == {"stubs": ["libcuda.so.1", "libcublas.so.12", "libcublasLt.so.12"], "real": {}, "errors": []}
    got = _load_natives(specs, Path(f"{real / 'libcuda.so.1'}:{cublas_dir}"))
    assert got["stubs"] == ["libcublasLt.so.12"], got  # loaded first: the real libcublas needs it
    assert got["real"] == {"libcuda.so.1": str(driver.resolve()),
                           "libcublas.so.12": str((cublas_dir / "libcublas.so.12").resolve())}


# ----------------------------------------------------------------- levels 3 and 4


FAKE_LLAMA = (
    "import ctypes, os\n__version__ = '0.0+cuda'\n"
    "_lib = ctypes.CDLL(os.path.join(os.path.dirname(__file__), 'lib', 'libggml-cuda.so'))\n\n"
) + FAKE_LLAMA_API


def _cuda_archive(tmp_path: Path, *more_cudart: str) -> Path:
    """An archive whose vendored llama_cpp loads a CUDA-like library: it NEEDs
    libcudart.so.12 and libcuda.so.1 and imports cudaMalloc@libcudart.so.12 (and
    ``more_cudart``) and cuInit."""
    cudart = fake_provided(tmp_path, "libcudart.so.12", ["cudaMalloc", *more_cudart], node="libcudart.so.12")
    cuda = fake_provided(tmp_path, "libcuda.so.1", ["cuInit"])
    so = user_of(tmp_path, "libggml-cuda.so", {"cudaMalloc": cudart, "cuInit": cuda} | dict.fromkeys(more_cudart,
                                                                                                         cudart))
    files = good_files(GOOD_MAIN)
    files.update(dist_info("llama_cpp_python", "0.0", {"llama_cpp/__init__.py": FAKE_LLAMA.encode(),
                                                       "llama_cpp/lib/libggml-cuda.so": so.read_bytes()},
                           tag="py3-none-linux_x86_64"))
    return build_archive(tmp_path / "submission.tar.gz", files)


@pytest.mark.slow
def test_import_runs_on_stubs_and_says_so(tmp_path: Path, profile: Profile, target_python: Path) -> None:
    archive = _cuda_archive(tmp_path)
    report = verify(archive, profile, levels=(1, 2, 3), python=target_python, cache=tmp_path / "cache",
                    gpu_probe=lambda _p, libs: tuple(libs))
    table = format_table(report)
    l3 = report.level(3)
    assert l3.status == "passed", table
    assert l3.summary == ("passed with 1 gap (CUDA build loaded against stubs of the target's libraries; no GPU "
                          "here: llama.cpp runs on CPU)"), table
    assert l3.gaps == ("not proven that the CUDA kernels run: no GPU was used, llama.cpp ran on its CPU backend (the "
                       "CUDA build was loaded against stubs of the target's libraries)",)
    native = l3.details["native"]
    assert native["gpu_libraries"] == {
        "libcuda.so.1": "stub from the export list of libcuda1 550.163.01-2, best known (profile 'kaggle-2024')",
        "libcudart.so.12": "stub from the export list of nvidia-cuda-runtime-cu12 12.1.105 (profile 'kaggle-2024')",
    }
    assert "not_proven" in native and native["gpu_offload"] is False
    assert any(n.startswith("not proven: that the kernels run on the target's GPU") for n in l3.notes)


@pytest.mark.slow
def test_a_real_library_on_the_machine_is_used_not_stubbed(
    tmp_path: Path, profile: Profile, target_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _cuda_archive(tmp_path)
    real = tmp_path / "real"
    real.mkdir()
    fake_provided(real, "libcuda.so.1", ["cuInit", "cuDeviceGet"])  # a "driver" with the same SONAME
    monkeypatch.setenv("LD_LIBRARY_PATH", str(real / "libcuda.so.1"))
    report = verify(archive, profile, levels=(1, 2, 3), python=target_python, cache=tmp_path / "cache")
    table = format_table(report)
    l3 = report.level(3)
    assert l3.status == "passed", table
    libs = l3.details["native"]["gpu_libraries"]
    assert libs["libcuda.so.1"] == f"real: {(real / 'libcuda.so.1' / 'libcuda.so.1').resolve()}", table
    assert libs["libcudart.so.12"].startswith("stub from the export list of nvidia-cuda-runtime-cu12"), table
    stubs = list((tmp_path / "cache" / "verify-stubs").glob("*/libcuda.so.1"))
    assert stubs == [], "no stub of a library the machine has is even built"


@pytest.mark.slow
def test_a_symbol_the_target_lacks_fails_static_and_import(tmp_path: Path, profile: Profile,
                                                           target_python: Path) -> None:
    archive = _cuda_archive(tmp_path, "cudaGraphConditionalHandleCreate")
    report = verify(archive, profile, levels=(1, 2, 3), python=target_python, cache=tmp_path / "cache",
                    gpu_probe=lambda _p, libs: tuple(libs))
    table = format_table(report)
    assert report.level(2).problems == (
        "lib/llama_cpp/lib/libggml-cuda.so: needs cudaGraphConditionalHandleCreate@libcudart.so.12, which "
        "libcudart.so.12 of profile 'kaggle-2024' (nvidia-cuda-runtime-cu12 12.1.105) does not export",), table
    l3 = report.level(3)
    assert l3.status == "failed" and l3.qualifier == "", table
    assert "undefined symbol: cudaGraphConditionalHandleCreate, version libcudart.so.12" in "\n".join(l3.problems)
    assert any("the archive's libraries did not load against them" in n for n in l3.notes), table
