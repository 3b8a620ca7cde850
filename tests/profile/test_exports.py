"""The target's native libraries as data: the profile's ``[[native]]`` tables, the export
file beside it, ``profile exports`` (offline with packages built in the test; the real
packages in a network test) and the capture snippet's own ELF reader."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from factories.native import build_lib, deb, needs_gcc
from factories.projects import EXPORTS, PROFILE, copy_profile

from builder.errors import ConfigError
from builder.layout import cache_dir
from builder.native.elf import read_exports
from builder.pip import Pip
from builder.profile import exports as exports_mod
from builder.profile import load_profile
from builder.profile.capture import SNIPPET
from builder.profile.exports import (
    ExportData,
    decode_exports,
    encode_exports,
    profile_exports,
    read_exports_file,
)
from builder.profile.natives import refresh_exports
from builder.util.deb import DebError, extract_member
from builder.util.download import DownloadError, fetch
from builder.util.hashing import sha256_file
from builder.util.interpreter import find_target_python

# ---------------------------------------------------------------- the shipped data


def test_shipped_export_lists_match_the_profile() -> None:
    profile = load_profile(PROFILE)
    data = profile_exports(profile)
    assert data is not None
    assert set(data.libraries) == set(profile.system_libraries) == {n.soname for n in profile.natives}
    counts = {s: lib.symbol_count for s, lib in data.libraries.items()}
    assert counts["libcudart.so.12"] == 393 and counts["libcublas.so.12"] == 736
    assert counts["libcublasLt.so.12"] == 234 and counts["libcuda.so.1"] == 656
    cudart, cuda, libc = data.libraries["libcudart.so.12"], data.libraries["libcuda.so.1"], data.libraries["libc.so.6"]
    assert list(cudart.versions) == ["libcudart.so.12"] and cudart.exports("cudaMalloc", "libcudart.so.12")
    assert not cudart.exports("cudaGraphConditionalHandleCreate", None)  # CUDA 12.3: not in 12.1.105
    assert list(cuda.versions) == [""] and cuda.exports("cuMemMap", None) and len(cuda.data) == 20
    assert libc.exports("memcpy", "GLIBC_2.14") and libc.exports("memcpy", "GLIBC_2.2.5")
    assert not libc.defines_version("GLIBC_2.32")
    assert data.libraries["libstdc++.so.6"].defines_version("GLIBCXX_3.4.28")
    assert not data.libraries["libstdc++.so.6"].defines_version("GLIBCXX_3.4.29")
    natives = {n.soname: n for n in profile.natives}
    assert natives["libcuda.so.1"].label == "libcuda1 550.163.01-2, best known"
    assert natives["libcudart.so.12"].label == "nvidia-cuda-runtime-cu12 12.1.105"


def test_the_file_is_deterministic_and_compact() -> None:
    raw = EXPORTS.read_bytes()
    assert raw[:4] == b"\x1f\x8b\x08\x00" and raw[4:8] == bytes(4)  # gzip, no file name, mtime 0
    data = read_exports_file(EXPORTS)
    assert encode_exports(data) == raw  # what the reader read is written back byte for byte
    assert len(raw) < 100_000


# ---------------------------------------------------------------- refusing stale or broken files


def test_a_stale_file_is_refused(tmp_path: Path) -> None:
    path = copy_profile(tmp_path)
    text = path.read_text().replace("nvidia-cuda-runtime-cu12==12.1.105", "nvidia-cuda-runtime-cu12==12.4.127")
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"stale for profile 'kaggle-2024' \(regenerate it: `python -m builder "
                                          r"profile exports --profile kaggle-2024`\):\n  - libcudart\.so\.12: "
                                          r"read from nvidia-cuda-runtime-cu12==12\.1\.105"):
        profile_exports(load_profile(path))


def test_a_missing_file_says_how_to_make_it(tmp_path: Path) -> None:
    path = copy_profile(tmp_path)
    (tmp_path / EXPORTS.name).unlink()
    with pytest.raises(ConfigError, match=r"kaggle-2024\.exports\.json\.gz: missing: make it with `python -m builder "
                                          r"profile exports --profile kaggle-2024`"):
        profile_exports(load_profile(path))


def _gz(doc: object) -> bytes:
    return gzip.compress(json.dumps(doc).encode(), mtime=0)


def test_malformed_lists_are_all_reported(tmp_path: Path) -> None:
    good = json.loads(gzip.decompress(EXPORTS.read_bytes()))
    good["libraries"]["libc.so.6"]["versions"]["GLIBC_2.2.5"] = "memcpy"
    good["libraries"]["libm.so.6"]["data"] = {"x": -1}
    with pytest.raises(ConfigError, match=r"malformed export lists:\n  - libraries\.libc\.so\.6\.versions\."
                                          r"GLIBC_2\.2\.5: must be a list of symbol names\n  - "
                                          r"libraries\.libm\.so\.6\.data: must map"):
        decode_exports(_gz(good), tmp_path / "x.json.gz")
    with pytest.raises(ConfigError, match="not an export-list file of format 1"):
        decode_exports(_gz({"format": 2}), tmp_path / "x.json.gz")
    with pytest.raises(ConfigError, match="not a gzip file"):
        decode_exports(b"not gzip", tmp_path / "x.json.gz")


def test_the_decompressed_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports_mod, "MAX_JSON_BYTES", 1000)
    with pytest.raises(ConfigError, match="decompresses to more than 1000 bytes"):
        decode_exports(_gz({"format": 1, "libraries": {}, "pad": "x" * 5000}), tmp_path / "x.json.gz")


def test_every_problem_of_the_native_tables_is_reported(tmp_path: Path) -> None:
    text = PROFILE.read_text()
    text = text.replace('sha256 = "6e258468', 'sha256 = "XX258468', 1)
    text = text.replace('wheel = "nvidia-cublas-cu12==12.1.3.1"', 'wheel = "nvidia-cublas-cu12>=12"', 1)
    text = text.replace('soname = "libgomp.so.1"', 'soname = "libgomp.so.9"', 1)
    text = text.replace("size = 41400\n", "", 1)
    bad = tmp_path / "kaggle-2024.toml"
    bad.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_profile(bad)
    message = str(info.value)
    assert message.startswith(f"{bad}: 4 problem(s) in the native libraries:"), message
    assert "[[native]] 1 (libcudart.so.12): 'sha256' must be 64 lower-case hex digits" in message
    assert "(libcublas.so.12): 'wheel' must be a PyPI pin 'name==version'" in message
    assert "(libgcc_s.so.1): a .deb needs its 'size' in bytes" in message
    assert "(libgomp.so.9): libgomp.so.9 is not in 'system.libraries'" in message


# ---------------------------------------------------------------- profile exports, offline

_VERSIONED = "FOO_1 { global: foo_a; foo_data; }; FOO_2 { global: foo_b; } FOO_1;\n"


def _project(tmp: Path, natives: str, libraries: Sequence[str]) -> Path:
    text = PROFILE.read_text()
    text = text[: text.index("\n[[native]]\n")].rsplit("\n# The provided libraries'", 1)[0] + "\n" + natives
    start = text.index("libraries = [")
    end = text.index("]", start) + 1
    text = text[:start] + "libraries = " + json.dumps([*libraries]) + text[end:]
    start = text.index("gpu_libraries = [")
    end = text.index("]", start) + 1
    text = text[:start] + "gpu_libraries = []" + text[end:]
    text = text.replace('exports = "kaggle-2024.exports.json.gz"', 'exports = "t.exports.json.gz"')
    path = tmp / "t.toml"
    path.write_text(text.replace('name = "kaggle-2024"', 'name = "t"', 1))
    return path


def _wheel_with(tmp: Path, member: str, lib: Path) -> Path:
    import zipfile

    wheel = tmp / "foo_lib-1.0-py3-none-manylinux1_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(lib, member)
    return wheel


def _pip_serving(wheel: Path) -> Pip:
    """A Pip whose ``download`` copies ``wheel`` into its ``--dest`` (no network)."""

    def runner(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
        args = list(argv)
        assert "--require-hashes" in args and "--no-deps" in args and "--only-binary" in args
        shutil.copy(wheel, Path(args[args.index("--dest") + 1]) / wheel.name)
        return subprocess.CompletedProcess(args=args, returncode=0, stdout="", stderr="")

    return Pip(Path("/no/python"), runner=runner)


def _fetcher(served: bytes) -> Any:
    def fetcher(url: str, **kw: Any) -> Path:
        return fetch(url, opener=lambda _u: io.BytesIO(served), **kw)

    return fetcher


@needs_gcc
def test_profile_exports_reads_the_pinned_packages(tmp_path: Path) -> None:
    foo = build_lib(tmp_path, "libfoo.so.1", "int foo_a(void){return 1;}\nint foo_b(void){return 2;}\n"
                    "int foo_data[4];\n__thread int foo_tls;\nint foo_plain(void){return 3;}\n",
                    soname="libfoo.so.1", version_script=_VERSIONED.replace("foo_b; }", "foo_b; foo_tls; }"))
    bar = build_lib(tmp_path, "libbar.so.2", "int bar(void){return 0;}\n", soname="libbar.so.2")
    wheel = _wheel_with(tmp_path, "foo/lib/libfoo.so.1", foo)
    package = deb(tmp_path / "libbar2_1.0-1_amd64.deb", {"usr/lib/libbar.so.2.0": bar.read_bytes(),
                                                         "usr/lib/libbar.so.2": "libbar.so.2.0"})
    natives = f'''
[[native]]
soname = "libfoo.so.1"
wheel = "foo-lib==1.0"
sha256 = "{sha256_file(wheel)}"
member = "foo/lib/libfoo.so.1"
source = "documented: a test"

[[native]]
soname = "libbar.so.2"
deb = "https://deb.example/pool/libbar2_1.0-1_amd64.deb"
size = {package.stat().st_size}
sha256 = "{sha256_file(package)}"
member = "usr/lib/libbar.so.2.0"
source = "best known: a test"
'''
    path = _project(tmp_path, natives, ["libc.so.6", "libfoo.so.1", "libbar.so.2"])
    profile = load_profile(path)
    fetcher = _fetcher(package.read_bytes())
    done = refresh_exports(profile, pip=_pip_serving(wheel), cache=tmp_path / "cache", fetcher=fetcher)
    assert done.path == tmp_path / "t.exports.json.gz" and done.size == done.path.stat().st_size
    assert done.counts == {"libfoo.so.1": 5, "libbar.so.2": 1}
    data = profile_exports(profile)
    assert data is not None
    lib = data.libraries["libfoo.so.1"]
    assert {k: sorted(v) for k, v in lib.versions.items()} == {
        "FOO_1": ["foo_a", "foo_data"], "FOO_2": ["foo_b", "foo_tls"], "": ["foo_plain"]}
    assert dict(lib.data) == {"foo_data": 16} and dict(lib.tls) == {"foo_tls": 4}
    assert lib.file_sha256 == sha256_file(foo)
    assert list(data.libraries["libbar.so.2"].versions) == [""]
    first = done.path.read_bytes()
    refresh_exports(profile, pip=_pip_serving(wheel), cache=tmp_path / "cache", fetcher=fetcher)
    assert done.path.read_bytes() == first  # the same packages give the same bytes

    wrong = natives.replace('soname = "libbar.so.2"', 'soname = "libbar.so.3"')
    prof = load_profile(_project(tmp_path, wrong, ["libc.so.6", "libfoo.so.1", "libbar.so.3"]))
    with pytest.raises(ConfigError, match=r"usr/lib/libbar\.so\.2\.0 has SONAME libbar\.so\.2, the profile says "
                                          r"libbar\.so\.3"):
        refresh_exports(prof, pip=_pip_serving(wheel), cache=tmp_path / "cache", fetcher=fetcher)
    other = natives.replace(sha256_file(package), "0" * 64)
    prof = load_profile(_project(tmp_path, other, ["libc.so.6", "libfoo.so.1", "libbar.so.2"]))
    with pytest.raises(DownloadError, match=r"libbar2_1\.0-1_amd64\.deb: got \d+ bytes with sha256 [0-9a-f]{64}, the "
                                            r"lock pins"):
        refresh_exports(prof, pip=_pip_serving(wheel), cache=tmp_path / "cache2", fetcher=fetcher)


def test_a_deb_member_must_be_a_file_inside(tmp_path: Path) -> None:
    package = deb(tmp_path / "x.deb", {"usr/lib/libx.so.1.0": b"\x7fELF" + bytes(60),
                                       "usr/lib/libx.so.1": "libx.so.1.0"})
    out = io.BytesIO()
    assert extract_member(package, "usr/lib/libx.so.1.0", out, max_bytes=1000) == 64
    assert out.getvalue()[:4] == b"\x7fELF"
    with pytest.raises(DebError, match=r"usr/lib/libx\.so\.1 is a link to libx\.so\.1\.0; name the file itself"):
        extract_member(package, "usr/lib/libx.so.1", io.BytesIO(), max_bytes=1000)
    with pytest.raises(DebError, match="has no file usr/lib/nope"):
        extract_member(package, "usr/lib/nope", io.BytesIO(), max_bytes=1000)
    with pytest.raises(DebError, match="is 64 bytes, more than the 10 allowed"):
        extract_member(package, "usr/lib/libx.so.1.0", io.BytesIO(), max_bytes=10)


# ---------------------------------------------------------------- the snippet's reader


def _snippet_reader() -> Any:
    """``elf_exports`` of the capture snippet, without running the capture."""
    code = SNIPPET.read_text().split("\n_doc = capture()")[0]
    ns: dict[str, Any] = {"__name__": "snippet"}
    exec(compile(code, str(SNIPPET), "exec"), ns)
    return ns["elf_exports"]


def _as_doc(path: Path) -> dict[str, Any]:
    with open(path, "rb") as fh:
        e = read_exports(fh)
    return {"soname": e.soname, "versions": {k: sorted(v) for k, v in sorted(e.versions.items())},
            "data": dict(sorted(e.data.items())), "tls": dict(sorted(e.tls.items()))}


@needs_gcc
def test_the_snippet_reads_what_the_builder_reads(tmp_path: Path) -> None:
    foo = build_lib(tmp_path, "libfoo.so.1", "int foo_a(void){return 1;}\nint foo_b(void){return 2;}\n"
                    "int foo_data[4];\n__thread int foo_tls;\nint foo_plain(void){return 3;}\n"
                    "__attribute__((visibility(\"hidden\"))) int hidden(void){return 4;}\n",
                    soname="libfoo.so.1", version_script=_VERSIONED)
    elf_exports = _snippet_reader()
    assert elf_exports(str(foo)) == _as_doc(foo)
    host = [Path(p) for p in ("/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6")]
    for lib in (p.resolve() for p in host if p.exists()):
        assert elf_exports(str(lib)) == _as_doc(lib), lib
    (tmp_path / "not.so").write_bytes(b"not an ELF file at all" * 4)
    with pytest.raises(ValueError, match="not a 64-bit little-endian ELF file"):
        elf_exports(str(tmp_path / "not.so"))


# ---------------------------------------------------------------- the real packages


@pytest.mark.slow
@pytest.mark.network
def test_profile_exports_regenerates_the_committed_file(tmp_path: Path) -> None:
    """``profile exports`` from the pinned packages (PyPI and deb.debian.org, cached:
    nvidia-cublas-cu12 is a 410 MB wheel) writes the committed file byte for byte."""
    path = copy_profile(tmp_path)
    (tmp_path / EXPORTS.name).unlink()
    profile = load_profile(path)
    done = refresh_exports(profile, pip=Pip(find_target_python(profile.python_version)), cache=cache_dir())
    assert done.path.read_bytes() == EXPORTS.read_bytes()
    assert isinstance(profile_exports(profile), ExportData)


# ---------------------------------------------------------------- profile import of a capture


def _capture(tmp: Path, exports: dict[str, Any] | None) -> Path:
    doc: dict[str, Any] = {
        "format": 1, "captured": "2024-07-01", "machine": "x86_64", "glibc": "2.31",
        "python": {"version": "3.10.14", "implementation": "cpython", "tags": []},
        "libstdcxx": [{"path": "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.28", "loaded": True, "max": "3.4.28"}],
        "libraries": {"libc.so.6": "/lib/x86_64-linux-gnu/libc.so.6"},
        "cuda_libraries": {"libcudart.so.12": "/usr/local/cuda/lib64/libcudart.so.12"},
        "gpus": [], "cpu_flags": [], "imported": {"ok": False, "error": "none here"}, "installed": {},
    }
    if exports is not None:
        doc["exports"] = exports
    path = tmp / "runtime-profile.json"
    path.write_text(json.dumps(doc))
    return path


def test_profile_import_writes_the_captured_export_lists(tmp_path: Path) -> None:
    from builder.layout import Project
    from builder.profile.capture import import_profile

    root = tmp_path / "proj"
    copy_profile(root / "lockfiles" / "profiles")
    cudart = {"soname": "libcudart.so.12", "path": "/usr/local/cuda-12.1/lib64/libcudart.so.12.1.105",
              "sha256": "a" * 64, "versions": {"libcudart.so.12": ["cudaFree", "cudaMalloc"]}, "data": {}, "tls": {}}
    broken = {"path": "/lib/x86_64-linux-gnu/libc.so.6", "error": "not a 64-bit little-endian ELF file"}
    done = import_profile(_capture(tmp_path, {"libcudart.so.12": cudart, "libc.so.6": broken}),
                          project=Project(root), name="img")
    assert [(n.soname, n.kind, n.ref) for n in done.profile.natives] == [
        ("libcudart.so.12", "captured", "/usr/local/cuda-12.1/lib64/libcudart.so.12.1.105")]
    assert done.profile.natives[0].source == "captured on 2024-07-01: /usr/local/cuda-12.1/lib64/libcudart.so.12.1.105"
    assert "libc.so.6: no export list captured (not a 64-bit little-endian ELF file)" in done.notes
    data = profile_exports(done.profile)  # the two files agree
    assert data is not None and data.libraries["libcudart.so.12"].exports("cudaMalloc", "libcudart.so.12")
    assert (root / "lockfiles" / "profiles" / "img.exports.json.gz").is_file()

    old = import_profile(_capture(tmp_path, None), project=Project(root), name="old")
    assert old.profile.natives == () and old.profile.exports == ""
    assert any("the capture has no export lists" in n for n in old.notes)
