"""Recipes: parsing, strict errors that name the key and the file, relative paths, and the
spec: the command line winning over the recipe, the recipe over the defaults, each chosen
once (offline, on the mini project)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from factories.paths import ROOT
from factories.projects import PROFILE, mini_project

from builder.__main__ import main
from builder.errors import ConfigError
from builder.layout import PACKAGED, Project, default_path
from builder.lock import load_lock
from builder.model import DEFAULT_MODEL
from builder.profile import load_profile
from builder.recipe import find_recipe, load_recipe
from builder.spec import Overrides, resolve_spec, spec_of
from builder.template import merge_settings


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_full_recipe_paths_are_relative_to_its_folder(tmp_path: Path) -> None:
    recipe = _write(tmp_path / "recipes" / "mine.toml", """
profile = "kaggle-2024"
model = "../models/m.gguf"
template = "tpl"
requirements = "mine.in"
output = "/abs/out.tar.gz"
[agent]
n_ctx = 2048
temperature_ask = 0.3
[archive]
compresslevel = 9
weights_compresslevel = 1
""")
    r = load_recipe(recipe, project=Project(tmp_path))
    assert r.name == "mine"
    assert r.model == tmp_path / "models" / "m.gguf"
    assert r.template == tmp_path / "recipes" / "tpl"
    assert r.requirements == tmp_path / "recipes" / "mine.in"
    assert r.lock is None  # the recipe says nothing: the spec chooses
    assert r.output == Path("/abs/out.tar.gz")
    assert dict(r.agent) == {"n_ctx": 2048, "temperature_ask": 0.3}
    assert (r.compresslevel, r.weights_compresslevel) == (9, 1)
    spec = resolve_spec(Project(tmp_path), recipe)
    assert spec.lock == tmp_path / "lockfiles" / "mine.txt"  # default lock: <root>/lockfiles/<name>.txt
    assert (spec.requirements, spec.model, spec.template) == (r.requirements, r.model, r.template)
    assert (spec.compresslevel, spec.weights_compresslevel, spec.output) == (9, 1, r.output)


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        ('modle = "x.gguf"\n', "modle", "unknown key 'modle'"),
        ("[archive]\nlevel = 3\n", "archive.level", "unknown key 'archive.level'"),
        ("[agnet]\nn_ctx = 1\n", "agnet", "unknown key 'agnet'"),
        ("model = 3\n", "model", "key 'model' must be str, got int"),
        ('[archive]\ncompresslevel = "6"\n', "archive.compresslevel", "'archive.compresslevel' must be int, got str"),
        ("[archive]\nweights_compresslevel = 12\n", "archive.weights_compresslevel", "must be 0..9, got 12"),
        ('agent = "fast"\n', "agent", "key 'agent' must be dict, got str"),
        ('lock = "x.txt"\n', "lock", "key 'lock' needs 'requirements'"),
    ],
)
def test_recipe_errors_name_key_and_file(tmp_path: Path, body: str, key: str, problem: str) -> None:
    recipe = _write(tmp_path / "bad.toml", body)
    with pytest.raises(ConfigError) as info:
        load_recipe(recipe, project=Project(tmp_path))
    message = str(info.value)
    assert message.startswith(f"{recipe}: "), message
    assert f"'{key}'" in message and problem in message, message


def test_pyproject_tool_builder(tmp_path: Path) -> None:
    py = _write(tmp_path / "pyproject.toml", '[project]\nname = "my-agent"\n[tool.builder]\nmodel = "w.gguf"\n')
    assert find_recipe(Project(tmp_path), None) == py
    r = load_recipe(py, project=Project(tmp_path))
    assert (r.name, r.model) == ("my-agent", tmp_path / "w.gguf")
    _write(py, '[tool.builder]\nmodle = "w.gguf"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: unknown key 'tool.builder.modle'"):
        load_recipe(py, project=Project(tmp_path))


def test_find_recipe(tmp_path: Path) -> None:
    packaged = PACKAGED / "submission.toml"
    assert find_recipe(Project(tmp_path), None) == packaged
    _write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')  # no [tool.builder]: not a recipe
    assert find_recipe(Project(tmp_path), None) == packaged
    default = _write(tmp_path / "submission.toml", "")
    assert find_recipe(Project(tmp_path), None) == default
    assert find_recipe(Project(tmp_path), tmp_path) == default
    with pytest.raises(ConfigError, match=r"nope\.toml: recipe file not found"):
        find_recipe(Project(tmp_path), tmp_path / "nope.toml")


def test_command_line_wins_over_recipe(tmp_path: Path) -> None:
    recipe = load_recipe(_write(tmp_path / "r.toml", """
profile = "p1"
output = "a.tar.gz"
[agent]
n_ctx = 1024
top_k = 5
[archive]
compresslevel = 9
"""), project=Project(tmp_path))
    cli = Overrides(profile="p2", agent={"n_ctx": 2048}, weights_compresslevel=3)
    r = spec_of(recipe, cli, project=Project(tmp_path))
    assert r.profile == "p2" and r.output == tmp_path / "a.tar.gz"
    assert dict(r.agent) == {"n_ctx": 2048, "top_k": 5}
    assert (r.compresslevel, r.weights_compresslevel) == (9, 3)
    # the lock inputs follow the profile the command line chose
    assert (r.requirements, r.lock) == (default_path("lockfiles/p2.in"), default_path("lockfiles/p2.txt"))
    empty = spec_of(load_recipe(None, project=Project(tmp_path)), Overrides(), project=Project(tmp_path),
                    cache=tmp_path / "cache")
    assert (empty.profile, empty.output, empty.compresslevel, empty.weights_compresslevel) == (
        "kaggle-2024", tmp_path / "submission.tar.gz", 1, 0)
    assert (empty.model, empty.template, empty.backend, empty.cache) == (
        DEFAULT_MODEL, default_path("template"), "cpu", tmp_path / "cache")
    assert (empty.requirements, empty.lock) == (default_path("lockfiles/kaggle-2024.in"),
                                                default_path("lockfiles/kaggle-2024.txt"))
    assert (empty.agent, empty.agent_source) == ({}, "built-in defaults [agent]")


def test_shipped_recipes_parse_and_the_template_knows_their_settings() -> None:
    for path in [PACKAGED / "submission.toml", *sorted((PACKAGED / "recipes").glob("*.toml"))]:
        r = resolve_spec(Project(ROOT), path)
        assert r.template.resolve() == (default_path("template")).resolve(), path
        merge_settings(r.template, r.agent, model_file="m.gguf", source=str(path))
    extra = resolve_spec(Project(ROOT), Path("extra-package"))
    assert extra.requirements == PACKAGED / "recipes" / "extra-package.in"
    assert extra.lock == default_path("lockfiles/extra-package.txt")
    # the committed lock is current for its requirements and vendors the extra package
    lock = load_lock(load_profile(PROFILE), requirements=extra.requirements, lock=extra.lock)
    assert {e.name for e in lock.vendored} == {"llama-cpp-python", "diskcache", "unidecode"}


# --- through the CLI, on the offline mini project -----------------------------------------


def _settings(archive: Path) -> dict[str, object]:
    with tarfile.open(archive) as tar:
        data = tar.extractfile("agent_settings.json").read()  # type: ignore[union-attr]
    return dict(json.loads(data))


def test_cli_reads_default_recipe_and_options_override_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = mini_project(tmp_path / "proj")
    root = p["root"]
    _write(root / "submission.toml", 'model = "tiny-chat.gguf"\noutput = "out/agent.tar.gz"\n'
                                     "[agent]\nn_ctx = 1024\ntop_k = 7\n")
    (root / "out").mkdir()
    assert main(["--root", str(root), "build"]) == 0
    out = root / "out" / "agent.tar.gz"
    assert capsys.readouterr().out.strip() == str(out)
    assert _settings(out)["n_ctx"] == 1024 and _settings(out)["top_k"] == 7

    other = root / "other.tar.gz"
    assert main(["--root", str(root), "build", "--set", "n_ctx=2048", "--output", str(other)]) == 0
    assert _settings(other)["n_ctx"] == 2048 and _settings(other)["top_k"] == 7  # --set wins, per key


def test_cli_recipe_option_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = mini_project(tmp_path / "proj")
    root = p["root"]
    chosen = _write(root / "recipes" / "small.toml", 'model = "../tiny-chat.gguf"\noutput = "../small.tar.gz"\n'
                                                    "[agent]\nn_ctx = 512\n")
    assert main(["--root", str(root), "build", "--recipe", str(chosen)]) == 0
    assert _settings(root / "small.tar.gz")["n_ctx"] == 512
    capsys.readouterr()

    bad = _write(root / "recipes" / "bad.toml", '[archive]\ncompresslevel = "high"\n')
    assert main(["--root", str(root), "build", "--recipe", str(bad)]) != 0
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("ERROR")]
    assert err == [f"ERROR {bad}: key 'archive.compresslevel' must be int, got str"]

    typo = _write(root / "recipes" / "typo.toml", 'model = "../tiny-chat.gguf"\n[agent]\nn_cxt = 512\n')
    assert main(["--root", str(root), "build", "--recipe", str(typo)]) != 0
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("ERROR")]
    assert len(err) == 1 and str(typo) in err[0] and "unknown agent setting 'n_cxt'" in err[0], err
