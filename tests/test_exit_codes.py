"""Every exit code of ``python -m builder`` is in one table (``builder.errors.EXIT_CODES``),
printed by ``--help`` and copied into the README: a code the CLI or an error class uses
that the table does not list fails here, and so does a README that says otherwise."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from factories.archives import build_archive, good_files
from factories.paths import ROOT
from factories.projects import mini_project
from test_imports import _modules

import builder
from builder import __main__ as cli
from builder.errors import EXIT_CODES, EXIT_ERROR, EXIT_GAPS, EXIT_OK, EXIT_USAGE, BuilderError, exit_codes_text


def _error_classes() -> set[type[BuilderError]]:
    for name in _modules():  # every module of the builder (not the runtime code it runs elsewhere)
        importlib.import_module(name)
    found: set[type[BuilderError]] = set()
    todo: list[type[BuilderError]] = [BuilderError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo += cls.__subclasses__()
    return found


def test_every_error_class_exits_with_a_documented_code() -> None:
    classes = _error_classes()
    assert len(classes) > 10  # the walk found the stages' error classes
    undocumented = {c.__qualname__: c.exit_code for c in classes if c.exit_code not in EXIT_CODES}
    assert not undocumented


def test_the_cli_returns_only_documented_codes() -> None:
    """Every ``return`` of the CLI module is a named code of the table or a value computed
    from one (``exc.exit_code``, checked above): no bare number."""
    tree = ast.parse(Path(cli.__file__).read_text(encoding="utf-8"))
    names = {n for n in dir(builder.errors) if n.startswith("EXIT_") and n != "EXIT_CODES"}
    assert {getattr(builder.errors, n) for n in names} == set(EXIT_CODES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            for leaf in ast.walk(node.value):
                assert not (isinstance(leaf, ast.Constant) and isinstance(leaf.value, int)), \
                    f"builder/__main__.py:{node.lineno}: a bare exit code; name it in builder.errors.EXIT_CODES"
                if isinstance(leaf, ast.Name) and leaf.id.startswith("EXIT_"):
                    assert leaf.id in names, f"builder/__main__.py:{node.lineno}: {leaf.id}"


def test_help_ends_with_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["verify", "--help"]):
        with pytest.raises(SystemExit) as exited:
            cli.main(argv)
        assert exited.value.code == EXIT_OK
        out = capsys.readouterr().out
        assert out.rstrip().endswith(exit_codes_text()), out
    assert all(f"  {code:<4} " in exit_codes_text() for code in EXIT_CODES)
    with pytest.raises(SystemExit) as exited:
        cli.main(["verify", "--no-such-option"])
    assert exited.value.code == EXIT_USAGE


def test_the_readme_lists_the_same_table() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Exit codes"):]
    section = section[: section.index("\n\n", section.index("| code |"))]
    rows = {int(m[1]): m[2] for m in re.finditer(r"^\| (\d+) \| (.+?) \|$", section, re.M)}
    assert rows == dict(EXIT_CODES)


def test_verify_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """OK or gaps: 0; gaps with --strict: 4; FAILED: 1 (levels 1-2 only: 3-4 are gaps)."""
    root = mini_project(tmp_path / "proj")["root"]
    archive = build_archive(tmp_path / "good.tar.gz", good_files())
    assert cli.main(["--root", str(root), "verify", str(archive), "--levels", "1,2"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "\nPASSED WITH GAPS\n  - level 3 (import) not run: not requested\n" in out, out
    assert cli.main(["--root", str(root), "verify", str(archive), "--levels", "1,2", "--strict"]) == EXIT_GAPS
    capsys.readouterr()
    bad = build_archive(tmp_path / "bad.tar.gz", {k: v for k, v in good_files().items() if k != "main.py"})
    assert cli.main(["--root", str(root), "verify", str(bad), "--levels", "1,2", "--json"]) == EXIT_ERROR
    assert '"verdict": "FAILED"' in capsys.readouterr().out
    assert cli.main(["--root", str(root), "verify", str(archive), "--episodes", "0"]) == EXIT_ERROR
    assert "ERROR --episodes: expected at least 1 episode, got 0" in capsys.readouterr().err
