"""Reproducible builds, offline: the canonical wheel, the build's environment and flags,
the leak guard, the per-object build log, and the compiler cache's keying."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from factories.projects import PROFILE, make_wheel

from builder.profile import load_profile
from builder.wheels import buildlog, reproducible
from builder.wheels.ccache import COMPILER_CACHE_ENV, compiler_cache, enabled
from builder.wheels.cpu import CMAKE_FLAGS, CpuRecipe
from builder.wheels.source import retag

PROF = load_profile(PROFILE)


def _shuffled_wheel(folder: Path, *, mtime: tuple[int, ...], mode: int, reverse: bool) -> Path:
    """The same members as a wheel tool on another machine might write them: another order,
    another time, another umask."""
    src = make_wheel(folder, "llama-cpp-python", "0.3.36", tag="py3-none-linux_x86_64",
                     files={"llama_cpp/__init__.py": b"x = 1\n", "llama_cpp/lib/libx.so": b"\x7fELF" + b"\0" * 60})
    with zipfile.ZipFile(src) as zf:
        items = [(i.filename, zf.read(i)) for i in zf.infolist()]
    src.unlink()
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in reversed(items) if reverse else items:
            info = zipfile.ZipInfo(name, date_time=mtime)  # type: ignore[arg-type]
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, data)
    return src


def test_the_wheel_is_canonical_whatever_the_machine_wrote(tmp_path: Path) -> None:
    a = retag(_shuffled_wheel(tmp_path / "a", mtime=(2026, 12, 6, 3, 57, 48), mode=0o664, reverse=False),
              "manylinux_2_31_x86_64", 1667997441)
    b = retag(_shuffled_wheel(tmp_path / "b", mtime=(1999, 1, 2, 3, 4, 6), mode=0o600, reverse=True),
              "manylinux_2_31_x86_64", 1667997441)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        record = zf.read("llama_cpp_python-0.3.36.dist-info/RECORD").decode()
    assert names[-1].endswith("dist-info/RECORD") and names[:2] == ["llama_cpp/__init__.py", "llama_cpp/lib/libx.so"]
    assert {i.date_time for i in infos} == {(2022, 11, 9, 12, 37, 20)}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}
    assert "Tag: py3-none-manylinux_2_31_x86_64" in zipfile.ZipFile(a).read(
        "llama_cpp_python-0.3.36.dist-info/WHEEL").decode()
    assert record.splitlines()[-1] == "llama_cpp_python-0.3.36.dist-info/RECORD,,"
    assert len(record.splitlines()) == len(names)  # made anew: one row per member
    other = retag(_shuffled_wheel(tmp_path / "c", mtime=(2026, 1, 1, 0, 0, 0), mode=0o644, reverse=False),
                  "manylinux_2_31_x86_64", 1700000000)
    assert other.read_bytes() != a.read_bytes()  # the epoch is the sdist's, and it is in the bytes


def test_the_build_environment_inherits_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("CFLAGS", "-g"), ("CMAKE_ARGS", "-DGGML_CUDA=ON"), ("CC", "gcc"), ("USER", "someone"),
                        ("SOURCE_DATE_EPOCH", "1"), ("LANG", "de_DE.UTF-8"), ("TZ", "Europe/Berlin")):
        monkeypatch.setenv(name, value)
    env = reproducible.build_env(tmp_path, tmp_path / "bin", 1667997441, {"CC": "/x/zig-cc"})
    assert env["SOURCE_DATE_EPOCH"] == "1667997441" and env["LC_ALL"] == "C" and env["TZ"] == "UTC"
    assert env["CC"] == "/x/zig-cc" and "CFLAGS" not in env and "CMAKE_ARGS" not in env and "USER" not in env
    assert env["PATH"] == f"{tmp_path / 'bin'}:/usr/bin:/bin" and env["HOME"] == str(tmp_path / "home")
    assert env["GIT_DIR"].startswith(str(tmp_path))  # llama.cpp's build-info finds no repository around it


def test_every_compiler_gets_the_prefix_maps(tmp_path: Path) -> None:
    work, cache = tmp_path / "c" / "built" / ".work", tmp_path / "c"
    work.mkdir(parents=True)
    maps = reproducible.prefix_maps(work, cache)
    assert maps == (f"-ffile-prefix-map={cache}/tools=tools", f"-ffile-prefix-map={work}=build")
    cpu = CpuRecipe(jobs=2).prepare(work, PROF, toolchain=tmp_path / "py", cache=cache, log=print)
    for lang in ("C", "CXX"):
        assert cpu.settings[f"cmake.define.CMAKE_{lang}_FLAGS"] == " ".join(maps)
    assert "-DCMAKE_SHARED_LINKER_FLAGS=-Wl,--strip-all" in CMAKE_FLAGS
    assert cpu.settings["wheel.exclude"] == "/lib/;/include/"
    assert reproducible.nvcc_prefix_maps(work, cache) == tuple(f"-Xcompiler={m}" for m in maps)
    with pytest.raises(Exception, match="comma"):
        reproducible.nvcc_prefix_maps(tmp_path / "a,b", cache)
    assert reproducible.REPRODUCIBLE_SETTINGS == {"install.strip": "false", "wheel.reproducible": "true"}
    spaced = reproducible.flags_string([f"-ffile-prefix-map={tmp_path}/my cache=tools"])
    assert spaced.startswith("'") and spaced.endswith("'")  # ninja runs the command through sh


def test_a_path_left_in_a_member_is_found(tmp_path: Path) -> None:
    work = "/some/cache/built/.work"
    blob = b"\0" * ((1 << 20) - 10) + work.encode() + b"/src/x.c\0"  # across a chunk boundary
    wheel = make_wheel(tmp_path, "w", "1.0", files={"w/lib.so": blob, "w/clean.so": b"\0" * 100})
    assert reproducible.check_no_leak(wheel, [work, "/some/cache/tools"]) == ["w/lib.so"]
    assert reproducible.check_no_leak(wheel, ["/elsewhere/built/.work"]) == []


def test_source_epoch_is_the_sdists_newest_member(tmp_path: Path) -> None:
    import tarfile

    sdist = tmp_path / "p-1.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        for name, mtime in (("p-1/a", 1600000000), ("p-1/b", 1667997441)):
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            tf.addfile(info)
    assert reproducible.source_epoch(sdist) == 1667997441


NINJA_LOG = """# ninja log v7
0\t2100\t0\tvendor/llama.cpp/ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/template-instances/mmq-instance-q4_0.cu.o\tabc
0\t900\t0\tvendor/llama.cpp/ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/template-instances/fattn-mma-f16-instance-ncols1_1-ncols2_8.cu.o\tabc
900\t1500\t0\tvendor/llama.cpp/ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/template-instances/fattn-vec-instance-f16-f16.cu.o\tabc
900\t1200\t0\tvendor/llama.cpp/ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/template-instances/fattn-tile-instance-dkq64-dv64.cu.o\tabc
1500\t4500\t0\tvendor/llama.cpp/ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/mmvq.cu.o\tabc
0\t500\t0\tvendor/llama.cpp/ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/template-instances/mmf-instance-ncols_1.cu.o\tabc
2100\t2600\t0\tvendor/llama.cpp/src/CMakeFiles/llama.dir/llama.cpp.o\tabc
4500\t5000\t0\tvendor/llama.cpp/bin/libggml-cuda.so\tabc
garbage line
4600\t9999999999999999999999\t0
"""


def test_the_build_log_is_summed_by_kernel_family(tmp_path: Path) -> None:
    (tmp_path / ".ninja_log").write_text(NINJA_LOG)
    steps = buildlog.read_ninja_log(tmp_path / ".ninja_log")
    summary = buildlog.summarize(steps)
    fams = summary["families"]
    assert list(fams) == ["mmq", "mmf", "fattn-mma", "fattn-tile", "fattn-vec", "other .cu", "CPU sources", "link"]
    assert fams["mmq"]["seconds"] == 2.1 and fams["other .cu"]["slowest"] == "mmvq.cu.o"
    assert summary["steps"] == 8 and summary["ninja_wall_s"] == 5.0 and summary["step_seconds"] == 8.4
    lines = buildlog.format_families(summary)
    assert lines[0].split()[:3] == ["family", "steps", "step-min"] and lines[-1].startswith("total")
    assert buildlog.read_ninja_log(tmp_path / "missing") == []


def test_the_build_tree_memory_is_sampled() -> None:
    proc = subprocess.Popen(["python3", "-c", "import time; b = bytearray(64 << 20); time.sleep(1.5)"])
    try:
        with buildlog.TreePeak(interval=0.2) as peak:
            proc.wait()
    finally:
        proc.kill()
    assert peak.peak_kib > 60 << 10


def test_the_compiler_cache_is_inside_the_builders_cache_and_can_be_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "ccache").write_text("")
    cc = compiler_cache(tmp_path / "bin", tmp_path / "cache", ("ziglang==0.17.0",))
    assert cc is not None and cc.folder == tmp_path / "cache" / "ccache"
    env = cc.env(tmp_path / "tmp")
    assert env["CCACHE_DIR"] == str(cc.folder) and env["CCACHE_COMPILERCHECK"].startswith("string:")
    other = compiler_cache(tmp_path / "bin", tmp_path / "cache", ("ziglang==0.18.0",))
    assert other is not None and other.identity != cc.identity  # another compiler never hits
    monkeypatch.setenv(COMPILER_CACHE_ENV, "off")
    assert not enabled() and compiler_cache(tmp_path / "bin", tmp_path / "cache", ()) is None


def _gcc() -> str | None:
    return shutil.which("gcc")


@pytest.mark.network  # the pinned toolchain venv's ccache (cached after the first run)
@pytest.mark.skipif(_gcc() is None, reason="gcc is needed to compile a test object")
def test_the_compiler_cache_hits_only_the_same_compile(tmp_path: Path, toolchain_python: Path) -> None:
    """An unchanged compile hits, a changed flag or source misses, and an object from the
    cache has the same bytes as a fresh one (gcc with the prefix maps, in two folders)."""
    cc = compiler_cache(toolchain_python.parent, tmp_path / "cache", ("gcc",))
    assert cc is not None
    src = tmp_path / "work" / "src" / "t.c"
    src.parent.mkdir(parents=True)
    src.write_text('const char *where(void) { return __FILE__; }\nint f(int x) { return x * 3; }\n')
    env = {**os.environ, **cc.env(tmp_path)}
    maps = list(reproducible.prefix_maps(tmp_path / "work", tmp_path / "cache"))

    def compile_(*flags: str, cached: bool = True, out: str = "t.o") -> tuple[bytes, dict[str, int]]:
        cc.zero(env)
        argv = [*([str(cc.program)] if cached else []), "gcc", *maps, *flags, "-c", str(src), "-o",
                str(tmp_path / out)]
        subprocess.run(argv, env=env, check=True, cwd=tmp_path)
        return (tmp_path / out).read_bytes(), cc.stats(env)

    first, s1 = compile_("-O2")
    again, s2 = compile_("-O2")
    flag, s3 = compile_("-O1")
    fresh, _ = compile_("-O2", cached=False, out="fresh.o")
    assert s1["cache_miss"] == 1 and s2["direct_cache_hit"] + s2["preprocessed_cache_hit"] == 1, (s1, s2)
    assert s3["cache_miss"] == 1, s3  # a changed flag cannot hit
    assert again == first == fresh and flag != first
    assert str(tmp_path) not in first.decode("latin-1")
    src.write_text(src.read_text() + "int g(void) { return 1; }\n")
    _, s4 = compile_("-O2")
    assert s4["cache_miss"] == 1, s4  # a changed source cannot hit


@pytest.mark.network  # the pinned toolchain venv's zig (cached after the first run)
def test_zig_objects_hold_no_build_path_and_a_lost_map_is_caught(tmp_path: Path, toolchain_python: Path) -> None:
    """The CPU recipe's zig wrappers and prefix maps, on a tiny C file in two build folders:
    the objects are identical and hold neither folder; without the maps the leak guard
    names the member that holds the build folder's path."""
    objects = []
    for name in ("one", "two-deeper/x"):
        cache = tmp_path / name / "cache"
        work = cache / "built" / ".work"
        (work / "src").mkdir(parents=True)
        src = work / "src" / "t.c"
        src.write_text('const char *where(void) { return __FILE__; }\n')
        prepared = CpuRecipe().prepare(work, PROF, toolchain=toolchain_python, cache=cache, log=print)
        env = {**os.environ, **prepared.env}
        for flags, out in ((prepared.settings["cmake.define.CMAKE_C_FLAGS"], "t.o"), ("", "bare.o")):
            subprocess.run(f'{prepared.env["CC"]} {flags} -O2 -c {src} -o {work / out}', shell=True, env=env,
                           check=True)
        objects.append(((work / "t.o").read_bytes(), work))
        wheel = make_wheel(tmp_path / name / "w", "w", "1.0",
                           files={"w/t.o": (work / "t.o").read_bytes(), "w/bare.o": (work / "bare.o").read_bytes()})
        assert reproducible.check_no_leak(wheel, [str(work), str(cache / "tools")]) == ["w/bare.o"]
    assert objects[0][0] == objects[1][0]
    assert b"build/src/t.c" in objects[0][0]


def test_the_compile_timer_measures_each_compiles_cpu_time(tmp_path: Path) -> None:
    """The launcher before each compiler: the compile's own CPU time (not its duration, which
    a loaded machine stretches) by output file; the family table then says CPU-min."""
    timer = buildlog.write_timer(tmp_path)
    busy = 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'
    out = "vendor/llama.cpp/ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/template-instances/mmq-instance-q4_0.cu.o"
    assert subprocess.run([str(timer), "sh", "-c", busy, "cc", "-c", "x.cu", "-o", out]).returncode == 0
    assert subprocess.run([str(timer), "sh", "-c", "exit 3", "cc", "-o", "failed.o"]).returncode == 3
    cpu = buildlog.read_cpu_times(tmp_path / buildlog.TIMES_FILE)
    assert set(cpu) == {out, "failed.o"} and cpu[out] > 0.05
    steps = [buildlog.Step(output=out, start_ms=0, end_ms=60_000),  # a minute of wall, a fraction of CPU
             buildlog.Step(output="bin/libggml-cuda.so", start_ms=60_000, end_ms=61_000)]
    summary = buildlog.summarize(steps, cpu)
    assert summary["families"]["mmq"]["seconds"] == round(cpu[out], 3) and summary["cpu_timed_steps"] == 1
    table = buildlog.format_families(summary)
    assert "CPU-min" in table[0] and table[2].startswith("link (wall)")  # a link is not timed: its duration
    assert "step-min" in buildlog.format_families(buildlog.summarize(steps))[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compile-timer", buildlog.TIMES_FILE]
