"""The one bounded JSON parser, and the builder's inputs read through it (or through the
strict TOML reader): every failure is one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.__main__ import main
from builder.errors import ConfigError
from builder.util import toml
from builder.util.jsonio import JsonError, NotJson, parse_json, read_json


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 200_000, "nested deeper than 64 levels"),  # RecursionError inside json.loads
        (b"[" * 65 + b"]" * 65, "nested deeper than 64 levels"),  # parses, then measured
        (b'{"a": ' * 70 + b"1" + b"}" * 70, "nested deeper than 64 levels"),
        (b"[" + b"{}," * 300_000 + b"{}]", "about 600,002 values (at most 500,000)"),
        (b"x" * 101, "101 bytes (at most 100 are read)"),
        (b'{"size": NaN}', "NaN is not JSON"),
        (b"[1, 2", "not valid JSON (Expecting ',' delimiter: line 1 column 6 (char 5))"),
        (b"\xff\xfe\x00", "not valid JSON ("),
        (b"1" * 5000, "not valid JSON (Exceeds the limit (4300"),  # 3.10: "(4300)", 3.11+: "(4300 digits)"
    ],
    ids=["deep-recursion", "deep-parsed", "deep-objects", "wide", "large", "nan", "syntax", "bytes", "digits"],
)
def test_every_refusal_is_one_line(raw: bytes, message: str) -> None:
    limit = 100 if message.startswith("101 bytes") else 32 << 20
    with pytest.raises(JsonError) as info:
        parse_json(raw, max_bytes=limit)
    text = str(info.value)
    assert text.startswith(message) and "\n" not in text and len(text) < 300, text


def test_within_bounds_is_plain_json(tmp_path: Path) -> None:
    nested = b"[" * 64 + b"]" * 64
    assert parse_json(nested, max_bytes=1000) is not None
    assert parse_json('{"a": [1, 2.5, "x", null, true]}', max_bytes=100) == {"a": [1, 2.5, "x", None, True]}
    with pytest.raises(NotJson):
        parse_json(b"plain words", max_bytes=100)


def test_read_json_reads_no_further_than_the_bound(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b"0," * (1 << 20) + b"0]")
    with pytest.raises(JsonError, match=r"^1,025 bytes \(at most 1,024 are read\)$"):
        read_json(path, max_bytes=1024)


def test_a_toml_file_nested_deep_is_one_config_error(tmp_path: Path) -> None:
    """tomllib raised RecursionError (a traceback) on `a = [[[[…`."""
    for text in ("a = " + "[" * 200_000, "a = " + "{b=" * 200_000):
        path = tmp_path / "deep.toml"
        path.write_text(text)
        with pytest.raises(ConfigError, match=r"deep\.toml: not valid TOML for the builder: nested too deeply$"):
            toml.load(path)


def test_deep_recipe_and_set_values_end_in_one_error_line(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "deep.toml"
    recipe.write_text("[agent]\nn_ctx = " + "[" * 100_000 + "\n")
    assert main(["--root", str(tmp_path), "inspect", "--recipe", str(recipe), "--json"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ERROR ") and err.endswith("nested too deeply") and "\n" not in err, err
    assert main(["--root", str(tmp_path), "build", "--set", "x=" + "[" * 200_000]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "ERROR --set: x: nested deeper than 64 levels", err
