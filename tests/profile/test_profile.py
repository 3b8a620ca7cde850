from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from factories.paths import ROOT

from builder.errors import ConfigError
from builder.layout import Project, default_path
from builder.profile import dump_profile, find_profile, load_profile
from builder.profile.model import SOURCE_KEYS

SHIPPED = default_path("lockfiles/profiles/kaggle-2024.toml")


def test_shipped_profile_values() -> None:
    p = load_profile(SHIPPED)
    assert (p.name, p.python_version, p.machine, p.glibc, p.glibcxx) == (
        "kaggle-2024",
        "3.10",
        "x86_64",
        "2.31",
        "3.4.28",
    )
    assert p.provided_by_name("NumPy") is not None and p.provided_by_name("numpy").version == "1.26.4"  # type: ignore[union-attr]
    assert {"numpy", "jinja2", "markupsafe", "typing-extensions", "torch", "transformers"} <= p.provided_names
    assert "libcuda.so.1" in p.gpu_libraries and "libcuda.so.1" in p.system_libraries
    assert p.gpu is not None and p.gpu.memory_gib == 15.0


def test_every_value_says_where_it_came_from() -> None:
    text = SHIPPED.read_text()
    assert text.count("best known") >= 4
    for block in text.split("[[provided]]")[1:]:
        assert "source = " in block


def test_supported_tags_follow_glibc_and_python() -> None:
    tags = {str(t) for t in load_profile(SHIPPED).supported_tags()}
    assert "cp310-cp310-manylinux_2_31_x86_64" in tags
    assert "cp310-cp310-manylinux_2_17_x86_64" in tags
    assert "py3-none-linux_x86_64" in tags and "py3-none-any" in tags
    assert "cp310-cp310-manylinux_2_35_x86_64" not in tags
    assert "cp311-cp311-manylinux_2_31_x86_64" not in tags


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('machine = "x86_64"', 'machine = "x86_64"\nglibcc = "2.31"', r"p\.toml: unknown key 'platform\.glibcc'"),
        ('glibc = "2.31"', "glibc = 2.31", r"p\.toml: key 'platform\.glibc' must be str"),
        ('glibc = "2.31"', 'glibc = "two"', r"p\.toml: key 'platform\.glibc' is not a version"),
        ('glibcxx = "3.4.28"', 'glibcxx = "3.4"', r"p\.toml: key 'platform\.glibcxx' needs 3 parts"),
        ('implementation = "cp"', 'implementation = "pp"', r"p\.toml: key 'python\.implementation' must be 'cp'"),
        ('gpu_libraries = ["libcuda.so.1",', 'gpu_libraries = ["libnvidia.so.1", "libcuda.so.1",',
         r"p\.toml: 'system\.gpu_libraries' lists libnvidia\.so\.1"),
    ],
    ids=["unknown-key", "wrong-type", "not-a-version", "short-version", "implementation", "gpu-lib"],
)
def test_bad_profile_names_key_and_file(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = SHIPPED.read_text()
    assert old in text
    bad = tmp_path / "p.toml"
    bad.write_text(text.replace(old, new))
    with pytest.raises(ConfigError, match=message):
        load_profile(bad)


def test_unknown_profile_lists_known(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no such profile 'nope' .*kaggle-2024"):
        find_profile(Project(ROOT), "nope")


def test_dump_load_round_trip(tmp_path: Path) -> None:
    """A profile written by the TOML writer reads back equal, every source included."""
    shipped = load_profile(SHIPPED)
    text = dump_profile(shipped, ["a header line", ""])
    assert text.startswith("# a header line\n#\n")
    out = tmp_path / "again.toml"
    out.write_text(text)
    again = load_profile(out)
    assert dataclasses.replace(again, path=shipped.path) == shipped
    assert set(again.sources) == set(SOURCE_KEYS)
    assert dump_profile(again, ["a header line", ""]) == text
