"""End to end: a real CUDA build of llama-cpp-python (sm_75, CUDA 12.x) through the wheels
stage, vendored into a submission with the default model, and ``verify`` levels 1-4 on a
machine without a GPU: the stubs of the target's libraries (made from the profile's export
lists) stand in for libcudart/libcublas/libcublasLt/libcuda, llama.cpp finds no device
and the agent plays on the CPU backend, and the report says so.

The wheel is the ``cuda_wheel`` fixture: ``$BUILDER_TEST_CUDA_WHEEL``, else a wheel the
CUDA prototype left on this kind of machine.  Without one the test is *skipped*, with
the reason, never passed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from builder.layout import PACKAGED, Project
from builder.lock.lockfile import PROVIDED_MARK, VENDORED_MARK, annotate, inputs_sha256
from builder.pipeline import BuildOptions, build
from builder.profile import Profile, resolve_profile
from builder.template import load_defaults
from builder.util.hashing import sha256_file
from builder.verify import format_table, verify
from builder.verify.runtime import missing_gpu_libraries
from builder.wheels.elf import read_zip_elf

ROOT = Path(__file__).resolve().parents[2]
#: Overridable default: where the CUDA prototype left its wheel.
PROTOTYPE_WHEEL = "/tmp/cuda-proto/wheelhouse/llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl"

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.network]


@pytest.fixture(scope="module")
def cuda_wheel() -> Path:
    """A CUDA llama-cpp-python 0.3.36 wheel (the version the default lock pins)."""
    path = Path(os.environ.get("BUILDER_TEST_CUDA_WHEEL", PROTOTYPE_WHEEL))
    if not path.is_file():
        pytest.skip(f"no CUDA wheel of llama-cpp-python at {path} (set BUILDER_TEST_CUDA_WHEEL)")
    return path


def test_device_code_of_the_cuda_build(cuda_wheel: Path, tmp_path: Path) -> None:
    """The fatbin reader against a real libggml-cuda.so (sm_75 SASS + compute_75 PTX per
    translation unit), and against ``cuobjdump`` when this machine has one
    (``$CUOBJDUMP``, else on PATH)."""
    member = "llama_cpp/lib/libggml-cuda.so"
    with zipfile.ZipFile(cuda_wheel) as zf:
        info = read_zip_elf(zf, member)
        fatbin = info.fatbin
        assert fatbin is not None and info.fatbin_error is None
        n = len(fatbin.containers)
        assert n > 100 and fatbin.count("sass", 75) == n and fatbin.count("ptx", 75) == n, fatbin.summary()
        cuobjdump = os.environ.get("CUOBJDUMP") or shutil.which("cuobjdump")
        if cuobjdump is None:
            return
        zf.extract(member, tmp_path)
    listed = {flag: subprocess.run([cuobjdump, flag, str(tmp_path / member)], capture_output=True, text=True,
                                   check=True).stdout.count(".sm_75.") for flag in ("--list-elf", "--list-ptx")}
    assert listed == {"--list-elf": n, "--list-ptx": n}


def _cuda_project(root: Path, wheel: Path, profile: Profile) -> Project:
    """A project whose lock is the default one with llama-cpp-python pinned to ``wheel``
    (put into its ``wheels/``, as README's GPU path says)."""
    (root / "wheels").mkdir(parents=True)
    os.symlink(wheel, root / "wheels" / wheel.name)
    src = PACKAGED / "lockfiles" / "kaggle-2024.in"
    (root / "lockfiles").mkdir()
    (root / "lockfiles" / "kaggle-2024.in").write_text(src.read_text())
    text = (PACKAGED / "lockfiles" / "kaggle-2024.txt").read_text()
    body = "\n".join(line for line in text.splitlines()
                     if not line.startswith("#") and line.strip() not in (PROVIDED_MARK, VENDORED_MARK))
    pin = r"(llama-cpp-python==0\.3\.36 \\\n    --hash=sha256:)[0-9a-f]{64}"
    body = re.sub(pin, rf"\g<1>{sha256_file(wheel)}", body)
    (root / "lockfiles" / "kaggle-2024.txt").write_text(annotate(body, profile, inputs_sha256(src.read_text(),
                                                                                              profile)))
    return Project(root)


def test_cuda_build_plays_on_stubs_of_the_target_libraries(
    tmp_path: Path, cuda_wheel: Path, default_model: Path, target_python: Path
) -> None:
    project = _cuda_project(tmp_path / "project", cuda_wheel, resolve_profile(Project(ROOT), "kaggle-2024"))
    profile = resolve_profile(project, "kaggle-2024")
    out = tmp_path / "cuda.tar.gz"
    # the model must play (the template's own protocol would let four copies of it play without it)
    settings = {"protocol": False} if "protocol" in load_defaults(project.template) else {}
    result = build(BuildOptions(project=project, model=default_model, output=out, build_wheels=False,
                                agent_settings=settings))
    assert any(w.origin == "wheels-dir" and w.path.name == cuda_wheel.name for w in result.wheels)
    gpu = ("libcuda.so.1", "libcudart.so.12", "libcublas.so.12")
    if missing_gpu_libraries(target_python, gpu) != gpu:
        pytest.skip("this machine has NVIDIA libraries: the stub path is not what verify takes here")
    report = verify(out, profile, runtime_requirements=[e.pin for e in result.lock.provided],
                    levels=(1, 2, 3, 4), python=target_python)
    table = format_table(report)
    assert report.ok, table
    l2, l3, l4 = report.level(2), report.level(3), report.level(4)
    assert l2.details["symbols_checked"]["libcudart.so.12"] == 57, table
    assert l2.details["symbols_checked"]["libcuda.so.1"] == 11
    assert l2.details["cuda_kernels"]["lib/llama_cpp/lib/libggml-cuda.so"].startswith("144 fatbin containers")
    for level in (l3, l4):
        assert level.status == "passed"
        assert "CUDA build loaded against stubs of the target's libraries; no GPU here" in level.summary, table
        native = level.details["native"]
        assert set(native["gpu_libraries"]) == {"libcudart.so.12", "libcublas.so.12", "libcuda.so.1"}
        assert all(v.startswith("stub from the export list of") for v in native["gpu_libraries"].values())
        assert native["gpu_offload"] is False, (level.level, native, table)
    assert "no CUDA-capable device" in l3.details["native"]["ggml_cuda_init"], table
    assert "played on CPU" in l4.summary
    assert l4.details["episodes"][0]["statuses"] == ["DONE"] * 4
    print(table)
