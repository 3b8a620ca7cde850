"""The spec is the one owner of the build's defaults: no other module applies one, and every
command that builds on a recipe (build, wheels, verify, inspect; lock too, which needs pip)
resolves it exactly once and reads its choices from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from factories.projects import mini_project

import builder
from builder import spec as spec_mod
from builder.__main__ import main

BUILDER = Path(builder.__file__).resolve().parent

#: A build default, and the modules that may name it besides builder/spec.py, which applies it.
OWNERS: dict[str, set[str]] = {
    # defined here
    "DEFAULT_COMPRESSLEVEL": {"archive/writer.py", "archive/__init__.py"},
    "DEFAULT_WEIGHTS_COMPRESSLEVEL": {"archive/writer.py", "archive/__init__.py"},
    "DEFAULT_MODEL": {"model/packaged.py", "model/__init__.py"},
    "DEFAULT_BACKEND": set(),
    "default_output": {"layout.py"},
    "recipe_lock": {"layout.py"},
    # and starter.py copies the packaged .in with the lock beside it (no build: a new project)
    "lock_beside": {"layout.py", "starter.py"},
    # and the commands that do not build: init, profile exports/import (their subject is a profile)
    "DEFAULT_PROFILE": {"layout.py", "__main__.py", "profile/capture.py"},
}


def _names(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.alias)):
            found.add(node.name if isinstance(node, ast.FunctionDef) else node.asname or node.name)
    return found


def test_no_module_but_the_spec_applies_a_build_default() -> None:
    wrong = []
    for path in sorted(BUILDER.rglob("*.py")):
        rel = path.relative_to(BUILDER).as_posix()
        if rel == "spec.py" or rel.startswith(("defaults/", "verify/child/")):
            continue
        for name in _names(path) & set(OWNERS):
            if rel not in OWNERS[name]:
                wrong.append(f"builder/{rel} names {name}")
    assert not wrong, "\n".join(wrong)
    assert set(OWNERS) <= _names(BUILDER / "spec.py")


@pytest.mark.parametrize("command", ["build", "wheels", "verify", "inspect"])
def test_each_command_resolves_the_spec_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], command: str) -> None:
    p = mini_project(tmp_path / "proj")
    root = p["root"]
    (root / "out").mkdir()
    (root / "submission.toml").write_text('model = "tiny-chat.gguf"\noutput = "out/agent.tar.gz"\n'
                                          "[agent]\nn_ctx = 1024\n")
    assert main(["--root", str(root), "build"]) == 0  # verify and inspect read what this wrote
    capsys.readouterr()
    made = []
    real = spec_mod.spec_of

    def counting(*args: object, **kwargs: object) -> spec_mod.BuildSpec:
        made.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(spec_mod, "spec_of", counting)
    extra = {"verify": ["--levels", "1,2", "--json"], "inspect": ["--json"]}.get(command, [])
    assert main(["--root", str(root), command, *extra]) == 0, capsys.readouterr().err
    assert len(made) == 1
    out = capsys.readouterr().out
    if command == "verify":  # the recipe's output is the archive verified
        assert f'"archive": "{root / "out" / "agent.tar.gz"}"' in out
    elif command == "inspect":  # the recipe's model and its n_ctx
        assert '"file": "tiny-chat.gguf"' in out and '"n_ctx": 1024' in out
    elif command == "wheels":
        assert out.startswith("tinypkg==1.0: ") and "(wheels-dir)" in out
    else:
        assert out.strip() == str(root / "out" / "agent.tar.gz")
