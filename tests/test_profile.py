from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import ConfigError
from builder.profile import find_profile, load_profile

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "lockfiles" / "profiles" / "kaggle-2024.toml"


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


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text(SHIPPED.read_text().replace('machine = "x86_64"', 'machine = "x86_64"\nglibcc = "2.31"'))
    with pytest.raises(ConfigError, match=r"p\.toml: unknown key 'platform\.glibcc'"):
        load_profile(bad)


def test_wrong_type_names_key_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text(SHIPPED.read_text().replace('glibc = "2.31"', "glibc = 2.31"))
    with pytest.raises(ConfigError, match=r"p\.toml: key 'platform\.glibc' must be str"):
        load_profile(bad)


def test_unknown_profile_lists_known(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no such profile 'nope' .*kaggle-2024"):
        find_profile(ROOT, "nope")
