from __future__ import annotations

import base64
import csv
import hashlib
from pathlib import Path

import pytest
from factories.archives import build_so, gcc
from factories.projects import make_wheel, sha256

from builder.lock import LockEntry
from builder.vendor import vendor
from builder.wheels.check import CheckedWheel


def _checked(wheel: Path, name: str, version: str = "1.0") -> CheckedWheel:
    entry = LockEntry(name=name, version=version, hashes=(sha256(wheel),), provided=False, via=())  # type: ignore[arg-type]
    return CheckedWheel(entry=entry, path=wheel, sha256=sha256(wheel), origin="wheels-dir")


def _record(lib: Path) -> dict[str, str]:
    rec = next(lib.glob("*.dist-info/RECORD"))
    return {row[0]: row[1] for row in csv.reader(rec.read_text().splitlines()) if row}


def test_prunes_what_the_runtime_never_uses(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path / "w",
        "pkg",
        files={
            "pkg/__init__.py": b"X = 1\n",
            "pkg/stale.pyc": b"junk",
            "pkg/lib/cmake/pkg-config.cmake": b"cmake",
            "pkg/lib/pkgconfig/pkg.pc": b"pc",
            "pkg/include/pkg.h": b"/* h */",
            "lib/libstray.so": b"stray",
            "include/stray.h": b"stray",
        },
        scripts={"pkg-cli": b"#!python\nprint(1)\n"},
    )
    lib = tmp_path / "submission" / "lib"
    (dist,) = vendor([_checked(wheel, "pkg")], lib)
    files = sorted(p.relative_to(lib).as_posix() for p in lib.rglob("*") if p.is_file())
    assert files == [
        "pkg-1.0.dist-info/INSTALLER",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/RECORD",
        "pkg-1.0.dist-info/WHEEL",
        "pkg/__init__.py",
    ]
    pruned = {p.path: p.reason for p in dist.pruned}
    assert "top-level folder 'lib/'" in pruned["lib/libstray.so"]
    assert "top-level folder 'include/'" in pruned["include/stray.h"]
    assert {
        "pkg/stale.pyc",
        "pkg/lib/cmake/pkg-config.cmake",
        "pkg/lib/pkgconfig/pkg.pc",
        "pkg/include/pkg.h",
        "scripts/pkg-cli",
    } <= set(pruned)
    assert not list(lib.rglob("*.pyc")) and not (tmp_path / "submission" / "bin").exists()
    # RECORD lists exactly what is there, with correct hashes
    record = _record(lib)
    assert set(record) == set(files)
    data = (lib / "pkg" / "__init__.py").read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert record["pkg/__init__.py"] == f"sha256={digest}"


def test_fresh_lib_each_time(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    (lib / "leftover").mkdir(parents=True)
    vendor([_checked(make_wheel(tmp_path / "w"), "tinypkg")], lib)
    assert not (lib / "leftover").exists()


@pytest.mark.skipif(gcc() is None, reason="gcc is needed to build test shared objects")
def test_triplicated_shared_libraries_reduced_to_loader_and_soname_chain(tmp_path: Path) -> None:
    base = build_so(tmp_path, "libbase.so", "int b(void){return 1;}\n", soname="libbase.so.0")
    (tmp_path / "libbase.so.0").write_bytes(base)
    top = build_so(tmp_path, "libtop.so", "int b(void); int t(void){return b();}\n", soname="libtop.so.0", libs=[])
    # link libtop against libbase by SONAME
    import subprocess

    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-o",
            str(tmp_path / "libtop.so"),
            str(tmp_path / "libtop.so.c"),
            f"-L{tmp_path}",
            "-l:libbase.so.0",
            "-Wl,-soname,libtop.so.0",
            "-Wl,-rpath,$ORIGIN",
        ],
        check=True,
    )
    top = (tmp_path / "libtop.so").read_bytes()
    files = {"pkg/__init__.py": b"", "pkg/loader.py": b'lib = load_shared_library("top", base)\n'}
    for name, data in (("libbase", base), ("libtop", top)):
        for suffix in (".so", ".so.0", ".so.0.1.2"):
            files[f"pkg/lib/{name}{suffix}"] = data
    wheel = make_wheel(tmp_path / "w", "pkg", files=files, tag="py3-none-linux_x86_64")
    lib = tmp_path / "out" / "lib"
    (dist,) = vendor([_checked(wheel, "pkg")], lib)
    kept = sorted(p.name for p in (lib / "pkg" / "lib").iterdir())
    # libtop.so: what ctypes loads; libbase.so.0: what libtop NEEDs; nothing else
    assert kept == ["libbase.so.0", "libtop.so"]
    assert sum(p.size for p in dist.pruned) == 2 * len(base) + 2 * len(top)
