"""The record of what a build must reproduce (lockfiles/<lock>.builds.toml), offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from factories.projects import make_wheel, sha256

from builder.errors import ConfigError, WheelError
from builder.layout import builds_record, default_path
from builder.wheels.record import check_against_record, load_record, member_differences, write_entry

KEY = "8276a22d169710d4"


def _wheel(folder: Path, so: bytes = b"\x7fELF one") -> Path:
    return make_wheel(folder, "llama-cpp-python", "0.3.36", tag="py3-none-manylinux_2_31_x86_64",
                      files={"llama_cpp/__init__.py": b"x = 1\n", "llama_cpp/lib/libllama.so": so})


def _record(tmp_path: Path, wheel: Path, backend: str = "cpu", key: str = KEY) -> Path:
    record = tmp_path / "lockfiles" / "kaggle-2024.builds.toml"
    record.parent.mkdir(parents=True, exist_ok=True)
    write_entry(wheel, record=record, backend=backend, package="llama-cpp-python", version="0.3.36", key=key,
                sdist_sha256="c" * 64)
    return record


def test_the_record_sits_beside_the_lock() -> None:
    lock = default_path("lockfiles/kaggle-2024.txt")
    assert builds_record(lock) == lock.with_name("kaggle-2024.builds.toml")


def test_a_recorded_build_reproduces_or_names_what_differs(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "a")
    record = _record(tmp_path, wheel)
    (entry,) = load_record(record)
    assert entry.sha256 == sha256(wheel) and entry.members["llama_cpp/lib/libllama.so"][1] == len(b"\x7fELF one")
    verdict = check_against_record(wheel, record=record, backend="cpu", package="llama-cpp-python",
                                   version="0.3.36", key=KEY)
    assert verdict.startswith("reproduces the kaggle-2024.builds.toml record")
    other = _wheel(tmp_path / "b", so=b"\x7fELF one, but from /root/.cache/built/.work")
    with pytest.raises(WheelError) as exc:
        check_against_record(other, record=record, backend="cpu", package="llama-cpp-python", version="0.3.36",
                             key=KEY)
    text = str(exc.value)
    assert "\n" not in text and sha256(other) in text and entry.sha256 in text
    assert "llama_cpp/lib/libllama.so (size 43, recorded 8)" in text
    assert "dist-info/RECORD (size 389, recorded 388)" in text and "__init__.py" not in text


def test_a_build_the_record_does_not_hold_says_so(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "a")
    record = _record(tmp_path, wheel)
    verdict = check_against_record(wheel, record=record, backend="cpu", package="llama-cpp-python",
                                   version="0.3.36", key="0" * 16)
    assert verdict.startswith("no recorded cpu build of key 0000000000000000") and KEY in verdict
    assert "wheels --record" in verdict
    none = check_against_record(wheel, record=tmp_path / "missing.toml", backend="cuda", package="llama-cpp-python",
                                version="0.3.36", key=KEY)
    assert none.startswith("no recorded cuda build") and "--backend cuda" in none


def test_recording_replaces_one_backend_and_keeps_the_other(tmp_path: Path) -> None:
    cpu, cuda = _wheel(tmp_path / "cpu"), _wheel(tmp_path / "cuda", so=b"\x7fELF cuda")
    record = _record(tmp_path, cpu)
    _record(tmp_path, cuda, backend="cuda", key="1" * 16)
    newer = _wheel(tmp_path / "new", so=b"\x7fELF two")
    _record(tmp_path, newer, key="2" * 16)
    entries = {e.backend: e for e in load_record(record)}
    assert entries["cpu"].key == "2" * 16 and entries["cpu"].sha256 == sha256(newer)
    assert entries["cuda"].sha256 == sha256(cuda)
    assert record.read_text().startswith("# What each wheel")


def test_the_members_are_compared_both_ways() -> None:
    a = {"x": ("a" * 64, 1), "y": ("b" * 64, 2)}
    b = {"x": ("a" * 64, 1), "z": ("c" * 64, 3)}
    assert member_differences(a, b) == ["y (not recorded)", "z (missing)"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("format = 1", "format = 2"), "key 'format' must be 1"),
        (lambda t: t.replace('backend = "cpu"', 'backend = "cpu"\nextra = 1'), "unknown key 'wheel[0].extra'"),
        (lambda t: t.replace('sha256 = "', 'sha256 = "zz', 1), "is not a sha256"),
        (lambda t: t + "\n[[[broken", "not valid TOML"),
    ],
)
def test_a_broken_record_is_a_one_line_error_naming_it(tmp_path: Path, edit: object, message: str) -> None:
    record = _record(tmp_path, _wheel(tmp_path / "a"))
    record.write_text(edit(record.read_text()))  # type: ignore[operator]
    with pytest.raises(ConfigError, match=re.escape(message)) as exc:
        load_record(record)
    assert str(record) in str(exc.value) and "\n" not in str(exc.value)
