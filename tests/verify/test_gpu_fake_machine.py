"""verify's GPU path end to end on this machine, with a *fake* NVIDIA machine: a stand-in
driver ``libcuda.so.1`` (one "Tesla T4") found through LD_LIBRARY_PATH, the target's
``libcudart.so.12`` given with ``--cuda-runtime DIR`` (a stand-in whose ``cudaMalloc``
fills the device memory ``cudaMemGetInfo`` reports), and an archive whose llama_cpp is a
stand-in that loads a CUDA-like library, writes llama.cpp's load log (its own format
strings) and allocates device memory.  What this proves is the wiring of the GPU path —
the machine probe, the runtime plan, the child loading the chosen files by path, the
memory readings through cudart, the log between the markers, the verdicts and the report
— not anything about a GPU: no GPU is here, and the report's figures are the fakes'."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from factories.archives import FAKE_LLAMA_API, GOOD_MAIN, build_archive, dist_info, good_files
from factories.gguf import write_tiny_gguf
from factories.llamalog import cuda_init, t4_load
from factories.native import fake_cudart, fake_driver, fake_nvml, machine, needs_gcc, user_of

from bench.gpu import summary
from builder.errors import PipError
from builder.layout import default_path
from builder.native.elf import read_exports
from builder.profile import Profile, load_profile
from builder.profile.exports import ExportData, LibraryExports, PackageRef, write_exports
from builder.profile.model import NativeLibrary
from builder.util.hashing import sha256_file
from builder.verify import format_table, levels, verify
from builder.verify.child.verify_protocol import MachineResult, shape_problems
from builder.verify.gpu.judge import footprint
from builder.verify.runtime import CHILD

pytestmark = needs_gcc

GIB = 1 << 30

FAKE_LLAMA = """
import ctypes, os, sys
__version__ = "0.0+cuda"
_lib = ctypes.CDLL(os.path.join(os.path.dirname(__file__), "lib", "libggml-cuda.so"))
_rt = ctypes.CDLL("libcudart.so.12")
sys.stderr.write(CUDA_INIT)
GPU_OFFLOAD = True


def on_load():
    sys.stderr.write(LOAD_LOG)
    sys.stderr.flush()
    _rt.cudaMalloc(None, ctypes.c_size_t(ALLOCATE))
""" + FAKE_LLAMA_API


def _profile(tmp: Path, cudart: Path, driver: Path) -> Profile:
    """kaggle-2024 whose libcudart and libcuda are the fakes (their export lists read from them)."""
    text = default_path("lockfiles/profiles/kaggle-2024.toml").read_text()
    text = text[: text.index("\n[[native]]\n")].replace("kaggle-2024.exports.json.gz", "fake.exports.json.gz")
    text += ('\n[[native]]\nsoname = "libcudart.so.12"\nwheel = "nvidia-cuda-runtime-cu12==12.1.105"\n'
             f'sha256 = "{"1" * 64}"\nmember = "nvidia/cuda_runtime/lib/libcudart.so.12"\nsource = "test"\n'
             '\n[[native]]\nsoname = "libcuda.so.1"\ndeb = "https://deb.example/libcuda1_550.54.15-1_amd64.deb"\n'
             f'size = 1\nsha256 = "{"2" * 64}"\nmember = "usr/lib/libcuda.so.1"\nsource = "test"\n')
    (tmp / "fake.toml").write_text(text)
    profile = load_profile(tmp / "fake.toml")
    libraries = {}
    for native, lib in ((profile.natives[0], cudart), (profile.natives[1], driver)):
        with open(lib, "rb") as fh:
            got = read_exports(fh)
        libraries[native.soname] = LibraryExports(soname=native.soname, package=PackageRef.of(native),
                                                  file_sha256=sha256_file(lib), versions=got.versions, data=got.data,
                                                  tls=got.tls)
    write_exports(tmp / "fake.exports.json.gz", ExportData(libraries=libraries))
    return profile


def _archive(tmp: Path, cudart: Path, driver: Path, *, log: str, allocate: int) -> Path:
    so = user_of(tmp, "libggml-cuda.so", {"cudaMalloc": cudart, "cuInit": driver})
    model = io.BytesIO()
    gguf = write_tiny_gguf(tmp / "m.gguf")
    model.write(gguf.read_bytes())
    files = good_files(GOOD_MAIN)
    files["tiny.gguf"] = model.getvalue()
    files["agent_settings.json"] = json.dumps({"model_file": "tiny.gguf", "n_ctx": 8192, "n_gpu_layers": -1}).encode()
    source = (f"CUDA_INIT = {cuda_init()!r}\nLOAD_LOG = {log!r}\nALLOCATE = {allocate}\n" + FAKE_LLAMA)
    files.update(dist_info("llama_cpp_python", "0.0", {"llama_cpp/__init__.py": source.encode(),
                                                       "llama_cpp/lib/libggml-cuda.so": so.read_bytes()},
                           tag="py3-none-linux_x86_64"))
    return build_archive(tmp / "submission.tar.gz", files)


@pytest.mark.slow
@pytest.mark.parametrize(("log", "allocate", "problem"), [
    (t4_load(), 2 * GIB, None),
    (t4_load(offloaded=20), 2 * GIB, "tiny.gguf: llama.cpp offloaded 20/33 layers to the GPU; the agent asks for all"),
    (t4_load(), 16 * GIB, "tiny.gguf: uses 16.00 GiB of GPU memory at n_ctx 8192, more than the Tesla T4's 15.00 GiB"),
])
def test_the_gpu_path_with_a_fake_driver_and_runtime(tmp_path: Path, target_python: Path,
                                                     monkeypatch: pytest.MonkeyPatch, log: str, allocate: int,
                                                     problem: str | None) -> None:
    driver = fake_driver(tmp_path / "driver", memory=20 * GIB)
    given = tmp_path / "cuda121"
    cudart = fake_cudart(given, name="libcudart.so.12.1.105", memory=20 * GIB)
    (given / "libcudart.so.12").symlink_to(cudart.name)
    profile = _profile(tmp_path, cudart, driver)
    archive = _archive(tmp_path, cudart, driver, log=log, allocate=allocate)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(driver.parent))  # the "driver" is this machine's
    said: list[str] = []
    report = verify(archive, profile, levels=(1, 2, 3), python=target_python, cache=tmp_path / "cache",
                    cuda_runtime=given, log=said.append)
    table = format_table(report)
    print(table)
    l3 = report.level(3)
    gpu = report.gpu
    assert gpu is not None and gpu["checked_on_gpu"] is True, table
    assert gpu["libraries"]["libcudart.so.12"] == {"origin": "--cuda-runtime folder", "version": "12.1.105",
                                                   "path": str(given / "libcudart.so.12"), "note": None}
    assert gpu["libraries"]["libcuda.so.1"]["origin"] == "the NVIDIA driver"
    assert table.splitlines()[1] == "GPU: Tesla T4 (compute capability 7.5, 20.00 GiB), CUDA 12.4", table
    assert not (tmp_path / "cache" / "verify-stubs").exists(), "a GPU here: no stub is built"
    native = l3.details["native"]
    assert native["gpu_libraries"]["libcudart.so.12"] == \
        f"--cuda-runtime folder, version 12.1.105: {cudart.resolve()}", table
    model = l3.details
    assert model["load_log"]["offloaded"] == ("33/33" if problem is None or "uses" in problem else "20/33")
    assert model["device_memory"]["used_bytes"] == allocate  # measured through the fake's cudaMemGetInfo
    assert model["device_memory"]["baseline"] == "cudart"  # no NVML here
    assert model["settings"]["n_ctx"] == 8192
    if problem is None:
        assert l3.status == "passed" and l3.qualifier == "", table
        assert l3.gaps == (), table  # a run on a GPU that proves the offload leaves nothing unchecked
        assert report.gaps == ("level 4 (play) not run: not requested",), table
        assert any("is off by more than 10%" in n or "within 10%" in n for n in l3.notes), table
    else:
        assert l3.status == "failed" and any(p.startswith(problem) for p in l3.problems), table
    assert any(m.startswith("verify: levels 3-4 run the CUDA build on Tesla T4") for m in said), said
    # make gpu-check's summary of such a report (bench/gpu.py)
    summed = json.loads(json.dumps(summary("fake", report, 1.0, 2.0)))
    assert summed["level3"]["offloaded"] == model["load_log"]["offloaded"]
    assert summed["level3"]["device_memory_bytes"] == allocate and summed["level3"]["target_gpu_bytes"] == 15 * GIB
    # level 4 was not asked for: a pass is PASSED WITH GAPS, never OK
    assert summed["verdict"] == ("PASSED WITH GAPS" if problem is None else "FAILED"), summed
    assert summed["ok"] is False and summed["gaps"] == list(report.gaps) and summed["level4"]["agents"] is None


def test_the_machine_probe_and_the_memory_readings_through_the_nvidia_libraries(tmp_path: Path) -> None:
    """The child's ctypes code against stand-ins of the driver, NVML and cudart: the device,
    its compute capability and memory, the driver's version, and device memory read before
    the load from NVML (no CUDA context) and after it from cudart."""
    folder = tmp_path / "nvidia"
    fake_driver(folder, device="NVIDIA H100 80GB HBM3", cc="9.0", memory=80 * GIB)
    fake_nvml(folder, memory=80 * GIB)
    cudart = fake_cudart(tmp_path / "rt", memory=80 * GIB)
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(folder)}
    request = tmp_path / "machine.json"
    request.write_text(json.dumps({"libraries": ["libcuda.so.1", "libcudart.so.12"]}))
    subprocess.run([sys.executable, "-I", "-B", str(CHILD), "machine", str(request), str(tmp_path / "out.json")],
                   env=env, check=True)
    got = json.loads((tmp_path / "out.json").read_text())
    assert shape_problems(got, MachineResult) == []
    assert got["devices"] == [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0",
                               "memory": 80 * GIB, "pci_bus_id": "00000000:01:00.0"}]
    assert (got["driver"], got["driver_version"], got["error"]) == ("12.4", "550.54.15", "")
    assert got["libraries"][0]["path"] == str(folder / "libcuda.so.1")
    assert got["libraries"][1]["path"] == "" and "libcudart.so.12" in got["libraries"][1]["error"]
    code = ("import ctypes, json, sys\nsys.path.insert(0, sys.argv[1])\nctypes.CDLL(sys.argv[2], ctypes.RTLD_GLOBAL)\n"
            "from verify_cuda import memory_reading\nrt = ctypes.CDLL('libcudart.so.12')\n"
            "before = memory_reading('before')\nrt.cudaMalloc(None, ctypes.c_size_t(1 << 30))\n"
            "print(json.dumps([before, memory_reading('loaded')]))\n")
    out = subprocess.run([sys.executable, "-I", "-c", code, str(CHILD), str(cudart)], env=env, check=True,
                         capture_output=True, text=True).stdout
    before, loaded = json.loads(out)
    assert before["baseline"] == "nvml" and before["devices"][0]["total"] - before["devices"][0]["free"] == 123 << 20
    assert loaded["baseline"] == "cudart" and loaded["error"] == ""
    assert loaded["devices"][0]["total"] - loaded["devices"][0]["free"] == (300 << 20) + GIB
    assert footprint([before, loaded]) == ((300 << 20) + GIB - (123 << 20), 80 * GIB)  # the context counted
    # without a driver: no GPU, said why
    subprocess.run([sys.executable, "-I", "-B", str(CHILD), "machine", str(request), str(tmp_path / "none.json")],
                   env={"PATH": "/usr/bin:/bin"}, check=True)
    none = json.loads((tmp_path / "none.json").read_text())
    assert none["devices"] == [] and none["error"] == "no NVIDIA driver: libcuda.so.1 is not on this machine"


@pytest.mark.slow
def test_a_gpu_machine_without_the_targets_runtime_skips_levels_3_4_saying_how_to_provide_it(
    tmp_path: Path, target_python: Path, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GPU answers, but the target's libcudart can be had neither from the machine nor
    from its pinned wheel (offline): levels 3-4 are skipped naming it, never run on stubs."""
    driver = fake_driver(tmp_path / "driver")
    cudart = fake_cudart(tmp_path / "rt")
    archive = _archive(tmp_path, cudart, driver, log=t4_load(), allocate=GIB)

    def offline(_profile: Profile, **_kw: object) -> object:
        def fetch(native: NativeLibrary) -> Path:
            raise PipError(f"downloading {native.ref} failed (exit 1): no network")
        return fetch

    monkeypatch.setattr(levels, "wheel_fetcher", offline)
    gpu = machine(["libcuda.so.1", "libcudart.so.12", "libcublas.so.12", "libcublasLt.so.12"],
                  found={"libcuda.so.1": str(driver)}, devices=[("Tesla T4", "7.5", 15 * GIB)])
    report = verify(archive, profile, levels=(1, 2, 3, 4), python=target_python, cache=tmp_path / "cache",
                    gpu_probe=lambda _p, _libs: gpu)
    table = format_table(report)
    assert report.level(2).status == "passed", table
    for n in (3, 4):
        assert report.level(n).summary.startswith(
            "skipped: the target's libcudart.so.12 is missing: nvidia-cuda-runtime-cu12==12.1.105 could not be had: "
            "downloading nvidia-cuda-runtime-cu12==12.1.105 failed (exit 1): no network; run verify once where PyPI "
            "is reachable"), table
    assert "--cuda-runtime DIR; level 2 stands" in report.level(3).summary
    assert not (tmp_path / "cache" / "verify-stubs").exists()
    assert report.gpu is not None and report.gpu["ran_on"].endswith("levels 3-4 did not run on it (see level 3)")
