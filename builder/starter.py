"""``python -m builder init DIR``: a starter project for users who want to change the agent.

It copies what the installed builder ships (:mod:`builder.layout`'s packaged defaults)
into ``DIR``, laid out as a project: ``submission.toml`` (the default recipe, naming its
own template), ``lockfiles/<profile>.in`` and its lock ``.txt`` (so the project builds at
once; ``make lock`` / ``python -m builder lock`` re-resolves it after an edit), and a copy
of the template.  Each of those then overrides the packaged one.  Nothing that is already
there is overwritten.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .layout import LOCKFILES, RECIPE_FILE, TEMPLATE, Project, lock_beside

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".ruff_cache")

_RECIPE_HEAD = """\
# The recipe of this project: `python -m builder build` (or `make submission` in a
# checkout) builds it from this folder.  Made by `python -m builder init`; every file beside
# it (template/, lockfiles/) overrides the one the builder ships.  Relative paths are
# relative to this file's folder.  Unknown keys are errors.

template = "template"             # edit template/agent20q/ to change the agent
output = "submission.tar.gz"
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Starter:
    root: Path
    files: tuple[Path, ...]


def init_project(dest: Path, *, profile: str) -> Starter:
    """Write the starter project into ``dest`` (made if missing); refuse to overwrite."""
    packaged = Project(dest)  # resolves against the packaged defaults: dest has nothing yet
    requirements = packaged.default(f"{LOCKFILES}/{profile}.in")
    if not requirements.is_file():
        raise ConfigError(requirements, f"the builder ships no requirements for profile '{profile}'")
    plan = {
        dest / RECIPE_FILE: None,
        dest / LOCKFILES / requirements.name: requirements,
        dest / LOCKFILES / lock_beside(requirements).name: lock_beside(requirements),
        dest / TEMPLATE: packaged.default(TEMPLATE),
    }
    present = [p for p in plan if p.exists()]
    if present:
        raise ConfigError(present[0], "already exists; `init` never overwrites (choose an empty folder)")
    (dest / LOCKFILES).mkdir(parents=True, exist_ok=True)
    recipe_body = (packaged.defaults / RECIPE_FILE).read_text(encoding="utf-8")
    body = recipe_body[recipe_body.index("profile = "):]  # the keys, without the packaged copy's comment
    (dest / RECIPE_FILE).write_text(_RECIPE_HEAD + body, encoding="utf-8")
    for target, source in plan.items():
        if source is None:
            continue
        if source.is_dir():
            shutil.copytree(source, target, ignore=_IGNORE)
        else:
            shutil.copy2(source, target)
    return Starter(root=dest, files=tuple(sorted(p for p in dest.rglob("*") if p.is_file())))
