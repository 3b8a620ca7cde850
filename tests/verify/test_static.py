"""Verify level 2: the archive against the profile, nothing from it run (offline)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from factories.archives import GOOD_MAIN, build_archive, build_so, dist_info, gcc, good_files

from builder.layout import default_path
from builder.profile import Profile
from builder.verify import format_table, verify
from builder.verify.static import analyze_source

PY310 = (3, 10)

needs_gcc = pytest.mark.skipif(gcc() is None, reason="gcc is not installed: cannot build test ELF files")


def _level2(tmp_path: Path, profile: Profile, files: dict[str, bytes]) -> str:
    archive = build_archive(tmp_path / "s.tar.gz", files)
    report = verify(archive, profile, levels=(1, 2))
    assert report.level(1).status == "passed", format_table(report)
    r = report.level(2)
    return "\n".join(r.problems) if r.status == "failed" else "passed"


def _main(extra: str, before: str = "") -> dict[str, bytes]:
    return good_files(before + GOOD_MAIN + extra)


# ----------------------------------------------------------------- main.py emulation


def test_good_passes_and_names_agent(tmp_path: Path, profile: Profile) -> None:
    archive = build_archive(tmp_path / "s.tar.gz", good_files())
    report = verify(archive, profile, levels=(1, 2))
    assert report.level(2).status == "passed", format_table(report)
    assert report.level(2).details["agent"] == "agent"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("from json import dumps\n", "binds 'dumps' after the agent 'agent'"),
        ("from os.path import *\n", "after the agent 'agent'"),
        ("class Helper:\n    pass\n", "binds the class 'Helper' after the agent function 'agent'"),
        ("fallback = lambda obs: 'no'\n", "binds the lambda 'fallback' after the agent function 'agent'"),
    ],
)
def test_trailing_callable_hijacks_agent(tmp_path: Path, profile: Profile, tail: str, expected: str) -> None:
    assert expected in _level2(tmp_path, profile, _main("\n" + tail))


def test_trailing_module_import_is_not_a_callable(tmp_path: Path, profile: Profile) -> None:
    # a module object is not callable: 'import json' after the agent does not hijack it
    assert _level2(tmp_path, profile, _main("\nimport json\n")) == "passed"


def test_rebound_name_keeps_its_first_place() -> None:
    # exec's namespace is a dict: rebinding 'dumps' keeps its (early) position
    src = b"dumps = None\n" + GOOD_MAIN.encode() + b"from json import dumps\n"
    found = analyze_source(src, "main.py", PY310, is_main=True)
    assert found.problems == ()
    assert found.agent == "agent"


def test_unknown_binding_after_agent_is_a_note() -> None:
    src = GOOD_MAIN.encode() + b"\nHANDLER = make_handler()\n"
    found = analyze_source(src, "main.py", PY310, is_main=True)
    assert found.problems == ()
    assert any("cannot tell statically whether 'HANDLER'" in n for n in found.notes)


def test_no_function_at_all() -> None:
    found = analyze_source(b"x = 1\n", "main.py", PY310, is_main=True)
    assert "no function is bound at module level" in found.problems[0]


def test_reads_file(tmp_path: Path, profile: Profile) -> None:
    src = GOOD_MAIN.replace("_HERE = sys.path[-1]", "_HERE = os.path.dirname(__file__)")
    assert "main.py:6: reads __file__" in _level2(tmp_path, profile, good_files(src))


def test_sys_path_append(tmp_path: Path, profile: Profile) -> None:
    src = GOOD_MAIN.replace('sys.path.insert(0, os.path.join(_HERE, "lib"))', "sys.path.append(_HERE + '/lib')")
    problems = _level2(tmp_path, profile, good_files(src))
    assert "main.py:7: sys.path.append(...)" in problems
    assert "lib/ is never put on sys.path" in problems


def test_append_in_root_module_is_found(tmp_path: Path, profile: Profile) -> None:
    files = good_files()
    files["helper.py"] = b"import sys as s\ns.path += ['x']\n"
    assert "helper.py:2: sys.path += ..." in _level2(tmp_path, profile, files)


def test_syntax_of_a_newer_python(tmp_path: Path, profile: Profile) -> None:
    src = GOOD_MAIN + "\ntry:\n    pass\nexcept* ValueError:\n    pass\n"
    assert "does not parse for Python 3.10" in _level2(tmp_path, profile, good_files(src))


def test_agent_settings_model_file(tmp_path: Path, profile: Profile) -> None:
    files = good_files()
    files["agent_settings.json"] = b'{"model_file": "other.gguf"}'
    assert "model_file 'other.gguf' is not a file at the archive root" in _level2(tmp_path, profile, files)
    files = good_files()
    files["tiny.gguf"] = b"NOPE" + bytes(20)
    assert "tiny.gguf: not a GGUF file" in _level2(tmp_path, profile, files)


# ---------------------------------------------------------------------------- lib/


def test_shadowed_provided_package(tmp_path: Path, profile: Profile) -> None:
    files = good_files()
    files.update(dist_info("numpy", "1.26.4", {"numpy/__init__.py": b""}, tag="cp310-cp310-manylinux_2_17_x86_64"))
    problems = _level2(tmp_path, profile, files)
    assert "lib/numpy-1.26.4.dist-info: numpy 1.26.4 is shadowed" in problems
    assert "the target uses numpy==1.26.4" in problems


def test_shadowed_package_without_metadata(tmp_path: Path, profile: Profile) -> None:
    files = good_files()
    files["lib/typing_extensions.py"] = b""
    problems = _level2(tmp_path, profile, files)
    assert "lib/typing_extensions.py: typing-extensions ? is shadowed" in problems
    assert "typing-extensions==4.12.2" in problems
    assert "lib/typing_extensions.py: no wheel metadata" in problems


@pytest.mark.parametrize(
    "tag", ["cp311-cp311-manylinux_2_17_x86_64", "py3-none-manylinux_2_35_x86_64", "py3-none-win_amd64"]
)
def test_wheel_tag_does_not_fit(tmp_path: Path, profile: Profile, tag: str) -> None:
    files = good_files()
    files.update(dist_info("fast", "2.0", {"fast/__init__.py": b""}, tag=tag))
    assert f"wheel tags {tag} do not fit the target (cp310, glibc 2.31, x86_64)" in _level2(tmp_path, profile, files)


def test_wheel_tag_fits(tmp_path: Path, profile: Profile) -> None:
    files = good_files()
    files.update(dist_info("fast", "2.0", {"fast/__init__.py": b""}, tag="py3-none-linux_x86_64"))
    assert _level2(tmp_path, profile, files) == "passed"


def test_record_mismatch_and_missing_metadata(tmp_path: Path, profile: Profile) -> None:
    files = good_files()
    files["lib/tinypkg/__init__.py"] = b"VALUE = 2\n"
    del files["lib/tinypkg-1.0.dist-info/WHEEL"]
    problems = _level2(tmp_path, profile, files)
    assert "lib/tinypkg/__init__.py: differs from its wheel's RECORD" in problems
    assert "lib/tinypkg-1.0.dist-info: missing WHEEL" in problems


# ----------------------------------------------------------------------------- ELF

LIB_C = "int used(void) { return 1; }\n"


def _elf_files(tmp_path: Path, so: bytes, extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    files = good_files()
    files.update(dist_info("llama_cpp_python", "0.3.2", {"llama_cpp/__init__.py": b""}, tag="py3-none-linux_x86_64"))
    files["lib/llama_cpp/lib/libllama.so"] = so
    files.update(extra or {})
    return files


@needs_gcc
def test_elf_needs_library_the_profile_lacks(tmp_path: Path, profile: Profile) -> None:
    build_so(tmp_path, "libfoo.so", LIB_C, soname="libfoo.so.1")
    so = _link(tmp_path, "libneeds.so", ["-L", str(tmp_path), "-lfoo"])
    problems = _level2(tmp_path, profile, _elf_files(tmp_path, so))
    assert "lib/llama_cpp/lib/libllama.so: needs libfoo.so.1, which is neither in the archive (no RUNPATH)" in problems


@needs_gcc
def test_elf_resolves_through_origin_runpath(tmp_path: Path, profile: Profile) -> None:
    foo = build_so(tmp_path, "libfoo.so", LIB_C, soname="libfoo.so.1")
    so = _link(tmp_path, "libneeds.so", ["-L", str(tmp_path), "-lfoo", "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags"])
    files = _elf_files(tmp_path, so, {"lib/llama_cpp/lib/libfoo.so.1": foo})
    assert _level2(tmp_path, profile, files) == "passed"


@needs_gcc
def test_elf_needs_newer_glibc(tmp_path: Path, profile: Profile) -> None:
    # closefrom() first appeared in glibc 2.34 (this machine's gcc links against a newer glibc)
    src = "void closefrom(int);\nvoid shut(void) { closefrom(3); }\n"
    so = build_so(tmp_path, "libnew.so", src)
    problems = _level2(tmp_path, profile, _elf_files(tmp_path, so))
    assert "lib/llama_cpp/lib/libllama.so: needs GLIBC_2.34, the target has glibc 2.31" in problems


@needs_gcc
def test_cuda_build_passes_level2(tmp_path: Path, profile: Profile) -> None:
    build_so(tmp_path, "libcuda.so", "int cuInit(void) { return 0; }\n", soname="libcuda.so.1")
    so = _link(tmp_path, "libggml-cuda.so", ["-L", str(tmp_path), "-lcuda"], call="cuInit")
    archive = build_archive(tmp_path / "s.tar.gz", _elf_files(tmp_path, so))
    report = verify(archive, profile, levels=(1, 2))
    assert report.level(2).status == "passed", format_table(report)
    assert report.level(2).details["gpu_libraries"] == ["libcuda.so.1"]
    assert report.level(2).details["symbols_checked"] == {"libcuda.so.1": 1}


@needs_gcc
def test_without_an_export_list_to_stub_the_runtime_levels_are_skipped(tmp_path: Path) -> None:
    """A profile that lists no export lists cannot stub a missing GPU library: levels 3-4
    are skipped, saying why (and level 2 does not check the symbols)."""
    from builder.profile import load_profile

    text = (default_path("lockfiles/profiles/kaggle-2024.toml")).read_text()
    text = text[: text.index("\n[[native]]\n")].replace('exports = "kaggle-2024.exports.json.gz"\n', "")
    (tmp_path / "bare.toml").write_text(text)
    bare = load_profile(tmp_path / "bare.toml")
    build_so(tmp_path, "libcuda.so", LIB_C, soname="libcuda.so.1")
    so = _link(tmp_path, "libggml-cuda.so", ["-L", str(tmp_path), "-lcuda"])
    archive = build_archive(tmp_path / "s.tar.gz", _elf_files(tmp_path, so))
    probed: list[Sequence[str]] = []

    def no_driver(_python: Path, libs: Sequence[str]) -> Sequence[str]:
        probed.append(libs)
        return libs

    report = verify(archive, bare, levels=(1, 2, 3, 4), python=Path(sys.executable), gpu_probe=no_driver)
    assert report.level(2).status == "passed", format_table(report)
    assert report.level(2).gaps == ("the symbols the archive's libraries import were not checked: profile "
                                    "'kaggle-2024' has no export lists",)
    assert report.level(2).summary == "passed with 1 gap"
    assert report.level(3).summary.startswith("skipped: needs libcuda.so.1 (a GPU build; this machine has no NVIDIA"), \
        format_table(report)
    assert "profile 'kaggle-2024' has no export list to stub it" in report.level(3).summary
    assert report.level(4).status == "skipped"
    assert report.verdict == "PASSED WITH GAPS"
    assert [g.split(":")[0] for g in report.gaps] == ["level 2 (static)", "level 3 (import) not run",
                                                      "level 4 (play) not run"]
    assert probed == [("libcuda.so.1",)]


@needs_gcc
def test_unreadable_elf(tmp_path: Path, profile: Profile) -> None:
    files = _elf_files(tmp_path, b"\x7fELF" + b"\xff" * 40)
    assert "unreadable ELF file" in _level2(tmp_path, profile, files)


def _link(tmp_path: Path, name: str, args: Sequence[str], call: str = "used") -> bytes:
    import subprocess

    src = tmp_path / f"{name}.c"
    src.write_text(f"int {call}(void);\nint call(void) {{ return {call}(); }}\n", encoding="utf-8")
    out = tmp_path / name
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(out), str(src), *args], check=True, capture_output=True)
    return out.read_bytes()


@pytest.mark.parametrize(
    "guard",
    [
        'if "__file__" in globals():\n    HERE = __file__\n',
        "try:\n    HERE = __file__\nexcept NameError:\n    HERE = None\n",
    ],
)
def test_guarded_file_read_is_allowed(guard: str) -> None:
    found = analyze_source((guard + GOOD_MAIN).encode(), "main.py", PY310, is_main=True)
    assert found.problems == ()


def test_file_read_in_else_branch_is_not_guarded() -> None:
    src = 'if "__file__" in globals():\n    HERE = 1\nelse:\n    HERE = __file__\n' + GOOD_MAIN
    found = analyze_source(src.encode(), "main.py", PY310, is_main=True)
    assert "main.py:4: reads __file__" in found.problems[0]


def test_template_agent_passes_static_checks() -> None:
    template = default_path("template")
    sources = sorted(template.rglob("*.py"))
    assert template / "main.py" in sources and len(sources) > 1
    for path in sources:
        rel = path.relative_to(template).as_posix()
        found = analyze_source(path.read_bytes(), rel, PY310, is_main=rel == "main.py")
        assert found.problems == (), found.problems
        if rel == "main.py":
            assert found.agent == "agent"


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("import sys\nsys.path.append('/x')\n", "agentpkg/helpers.py:2: sys.path.append(...)"),
        ("try:\n    pass\nexcept* ValueError:\n    pass\n", "agentpkg/helpers.py: does not parse for Python 3.10"),
    ],
    ids=["sys-path-append", "py311-syntax"],
)
def test_package_modules_of_the_agent_are_checked(tmp_path: Path, profile: Profile, module: str, expected: str) -> None:
    """The template is a package (agent20q/): its modules are the agent's code too."""
    files = _main("")
    files["agentpkg/__init__.py"] = b""
    files["agentpkg/helpers.py"] = module.encode()
    assert expected in _level2(tmp_path, profile, files)
