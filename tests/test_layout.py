"""The packaged default project, and a project folder's own files overriding it."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.__main__ import main
from builder.errors import ConfigError, LockError
from builder.layout import PACKAGED, Project, default_path
from builder.lock import load_lock
from builder.profile import resolve_profile
from builder.recipe import find_recipe
from builder.spec import resolve_spec


def test_an_empty_folder_uses_the_packaged_defaults(tmp_path: Path) -> None:
    project = Project(tmp_path)
    assert project.template == default_path("template")
    assert project.requirements("kaggle-2024") == default_path("lockfiles/kaggle-2024.in")
    assert find_recipe(project, None) == PACKAGED / "submission.toml"
    r = resolve_spec(project)
    assert r.recipe == PACKAGED / "submission.toml"
    assert r.output == tmp_path / "submission.tar.gz"  # never inside the installed package
    assert r.template == default_path("template")
    lock = load_lock(resolve_profile(project, "kaggle-2024"), requirements=r.requirements, lock=r.lock)
    assert lock.path == default_path("lockfiles/kaggle-2024.txt")


def test_the_project_files_override_the_packaged_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tmp_path), "init"]) == 0
    project = Project(tmp_path)
    assert project.template == tmp_path / "template"
    assert find_recipe(project, None) == tmp_path / "submission.toml"
    profile = resolve_profile(project, "kaggle-2024")
    spec = resolve_spec(project)
    assert (spec.requirements, spec.lock) == (tmp_path / "lockfiles" / "kaggle-2024.in",
                                              tmp_path / "lockfiles" / "kaggle-2024.txt")
    assert load_lock(profile, requirements=spec.requirements, lock=spec.lock).path == spec.lock
    # the project's recipe is the one read ...
    recipe = tmp_path / "submission.toml"
    recipe.write_text(recipe.read_text().replace("n_ctx = 4096", "n_ctx = 1234"))
    r = resolve_spec(project)
    assert r.agent["n_ctx"] == 1234 and r.template == tmp_path / "template"
    # ... and so are its lock inputs: an edited .in makes its (copied) lock stale
    (tmp_path / "lockfiles" / "kaggle-2024.in").write_text("llama-cpp-python==0.3.36\nunidecode\n")
    with pytest.raises(LockError, match=r"kaggle-2024\.txt: stale"):
        load_lock(profile, requirements=spec.requirements, lock=spec.lock)
    # the packaged files were not touched
    assert "unidecode" not in (default_path("lockfiles/kaggle-2024.in")).read_text()


def test_init_never_overwrites(tmp_path: Path) -> None:
    assert main(["--root", str(tmp_path), "init"]) == 0
    with pytest.raises(ConfigError, match="already exists"):
        from builder.starter import init_project

        init_project(tmp_path, profile="kaggle-2024")


def test_named_recipes_are_found_in_the_project_then_the_package(tmp_path: Path) -> None:
    project = Project(tmp_path)
    assert find_recipe(project, Path("tiny-model")) == PACKAGED / "recipes" / "tiny-model.toml"
    (tmp_path / "recipes").mkdir()
    own = tmp_path / "recipes" / "tiny-model.toml"
    own.write_text('profile = "kaggle-2024"\n')
    assert find_recipe(project, Path("tiny-model")) == own
    with pytest.raises(ConfigError, match=r"named recipes: .*llama3-8b-t4"):
        find_recipe(project, Path("no-such-recipe"))
