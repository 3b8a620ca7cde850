"""Issue 6: the shipped second recipe builds a submission from a different GGUF file than
the default (here a tiny random-weight chat model written by the test) and it passes every
level of verify, play included."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from factories.gguf import write_tiny_gguf
from factories.paths import ROOT

from builder.__main__ import main
from builder.layout import PACKAGED

pytestmark = [pytest.mark.slow, pytest.mark.network, pytest.mark.e2e]


def test_tiny_model_recipe_builds_and_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = write_tiny_gguf(tmp_path / "other-model.gguf")
    out = tmp_path / "tiny-model.tar.gz"
    recipe = ["--root", str(ROOT), "build", "--recipe", str(PACKAGED / "recipes" / "tiny-model.toml"),
              "--model", str(model), "--output", str(out)]
    assert main(recipe) == 0
    with tarfile.open(out) as tar:
        names = tar.getnames()
        settings = json.loads(tar.extractfile("agent_settings.json").read())  # type: ignore[union-attr]
    assert "other-model.gguf" in names and "SmolLM2-135M-Instruct.Q4_1.gguf" not in names
    assert settings["model_file"] == "other-model.gguf" and settings["n_ctx"] == 2048  # the recipe's [agent]
    capsys.readouterr()
    assert main(["--root", str(ROOT), "verify", str(out), "--json", "--episodes", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [lv["status"] for lv in report["levels"]] == ["passed", "passed", "passed", "passed"], report


def test_extra_package_recipe_vendors_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """recipes/extra-package.toml: its own requirements and committed lock add a pure-Python
    package (Unidecode) to lib/ beside llama_cpp, and the result passes verify's levels 1-3:
    level 3 imports every vendored module on the target interpreter, from lib/."""
    out = tmp_path / "extra-package.tar.gz"
    recipe = ["--root", str(ROOT), "build", "--recipe", str(PACKAGED / "recipes" / "extra-package.toml"),
              "--output", str(out)]
    assert main(recipe) == 0
    with tarfile.open(out) as tar:
        top = {n.split("/")[1] for n in tar.getnames() if n.startswith("lib/") and n.count("/") >= 1}
    assert {"unidecode", "llama_cpp", "diskcache"} <= top
    assert not {"numpy", "jinja2", "markupsafe", "typing_extensions"} & top  # provided by the target
    report_json = json.loads((tmp_path / "extra-package.report.json").read_text())
    vendored = {v["name"].lower() for v in report_json["vendored"]}
    assert vendored == {"diskcache", "llama-cpp-python", "unidecode"}
    capsys.readouterr()
    assert main(["--root", str(ROOT), "verify", str(out), "--json", "--levels", "1,2,3"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [lv["status"] for lv in report["levels"]][:3] == ["passed", "passed", "passed"], report
    imported = report["levels"][2]["details"]["vendored_modules"]
    assert {"unidecode", "llama_cpp", "diskcache"} <= set(imported)
    assert all("/kaggle_simulations/agent/lib/" in where for where in imported.values())
