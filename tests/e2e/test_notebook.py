"""Where Kaggle competitors work: a Kaggle notebook, emulated.

A fresh CPython 3.10 venv holding the profile's provided packages (hash-pinned from the
lock: numpy, jinja2, MarkupSafe, typing_extensions; pandas, requests, jsonschema) and
kaggle-environments 1.14.15 — torch and transformers are left out: a CUDA torch is GBs, and
the game module needs only their names (verify's import shims) — plus the builder itself,
installed from its built wheel (not editable).  In an empty folder, with the model file
outside it: `python -m builder build` then `python -m builder verify --here` (levels 3-4 in
that very environment) pass, the archive vendors nothing the venv provides, and nothing is
written but the output in the working folder (where Kaggle takes `submission.tar.gz` from)
and the builder's cache: not in HOME, TMPDIR or the model's folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from factories.paths import ROOT
from factories.projects import project_lock

from builder.layout import cache_dir
from builder.pip import Pip, make_venv
from builder.profile import Profile
from builder.util.hashing import write_pinned

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.network]


def _notebook_venv(tmp: Path, target_python: Path, profile: Profile, wheel: Path) -> Path:
    python = make_venv(target_python, tmp / "notebook-venv")
    pip = Pip(python)
    lock = project_lock(ROOT, profile)
    provided = tmp / "provided.txt"
    provided.write_text("".join(
        write_pinned(tmp / f"{e.name}.txt", e.pin, e.hashes).read_text() for e in lock.provided), encoding="utf-8")
    pip.install("--require-hashes", "-r", str(provided), what="the notebook's provided packages")
    pip.install("pandas==2.2.2", "jsonschema", "requests", what="what kaggle_environments imports")
    pip.install("kaggle-environments==1.14.15", what="kaggle-environments", extra=["--no-deps"])
    pip.install(str(wheel), what="the builder from its wheel")
    return python


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def test_the_installed_builder_builds_and_verifies_here_in_a_notebook(
    tmp_path: Path, target_python: Path, profile: Profile, default_model: Path, builder_wheel: Path
) -> None:
    python = _notebook_venv(tmp_path, target_python, profile, builder_wheel)
    work, home, tmp = tmp_path / "kaggle-working", tmp_path / "home", tmp_path / "tmp"
    for folder in (work, home, tmp):
        folder.mkdir()
    inputs = tmp_path / "kaggle-input"
    inputs.mkdir()
    model = inputs / default_model.name
    os.link(default_model, model)
    before_inputs = _tree(inputs)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "TMPDIR": str(tmp), "LANG": "C.UTF-8",
           "BUILDER_CACHE_DIR": str(cache_dir())}  # the cache holds the CPU wheel built once

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), "-m", "builder", *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=1800, check=False)

    built = run("build", "--model", str(model), "--output", "submission.tar.gz")
    assert built.returncode == 0, built.stderr[-3000:]
    assert "the running interpreter" not in built.stderr  # found without saying: no pyenv needed
    checked = run("verify", "submission.tar.gz", "--here", "--json")
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    report = json.loads(checked.stdout)
    assert [lvl["status"] for lvl in report["levels"]] == ["passed"] * 4, report["levels"]
    assert report["verdict"] == "OK", report["gaps"]
    model_probe = report["levels"][2]["details"]["model"]
    play = report["levels"][3]["details"]
    assert model_probe["load_s"] >= 0 and model_probe["generate_tps"] > 0
    assert play["turn_max_s"] < play["act_timeout_s"] and play["kaggle_environments"] == "1.14.15"
    with tarfile.open(work / "submission.tar.gz") as tf:
        tops = {n.split("/")[1] for n in tf.getnames() if n.startswith("lib/") and n.count("/") >= 1}
    assert tops == {"llama_cpp", "llama_cpp_python-0.3.36.dist-info", "diskcache", "diskcache-5.6.3.dist-info"}
    # nothing written but the output (in the working folder, where Kaggle takes it from), the
    # games' pages beside it (the notebook's output a person opens), and the cache
    pages = {"submission.episodes", "submission.episodes/index.html", "submission.episodes/episode-1.html",
             "submission.episodes/episode-2.html"}
    assert _tree(work) == {"submission.tar.gz", "submission.manifest.json", "submission.report.json", *pages}
    assert report["pages"] == str(work / "submission.episodes" / "index.html")
    assert _tree(home) == set() and _tree(tmp) == set(), (_tree(home), _tree(tmp))
    assert _tree(inputs) == before_inputs
