"""The builder's own distribution: a wheel of this project carries exactly the files of the
package (its modules, the packaged default project, the tool locks, the files verify runs
in the target interpreter) and nothing else: no benchmark, no tests (pypa/build's
``test_self_packaging``)."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from factories.paths import ROOT

#: Where the build backend maps the repository's top-level folders in the wheel (pyproject.toml).
MAPPED = {"template": "builder/defaults/template", "lockfiles": "builder/defaults/lockfiles"}


@pytest.mark.slow
@pytest.mark.network  # build isolation fetches the build backend from PyPI
def test_wheel_has_every_module(builder_wheel: Path) -> None:
    names = {n for n in zipfile.ZipFile(builder_wheel).namelist() if ".dist-info/" not in n}
    tracked = subprocess.run(["git", "ls-files", "builder", *MAPPED], cwd=ROOT, capture_output=True, text=True,
                             check=True)
    sources = set()
    for name in tracked.stdout.split():
        top, _, rest = name.partition("/")
        sources.add(f"{MAPPED[top]}/{rest}" if top in MAPPED else name)
    for wanted in ("builder/verify/child/__main__.py", "builder/verify/shims/torch/__init__.py",
                   "builder/defaults/template/main.py", "builder/defaults/lockfiles/kaggle-2024.txt",
                   "builder/defaults/recipes/tiny-model.toml",
                   "builder/lock/tools.txt", "builder/wheels/toolchain.txt"):
        assert wanted in sources and wanted in names, wanted
    assert names == sources, (sorted(sources - names), sorted(names - sources))
