"""Recipes: what to build, as data.

A recipe is a TOML file: ``submission.toml`` at the project root is the default one
(``make submission``), ``--recipe FILE`` (``make submission RECIPE=FILE``) picks another
(``--recipe NAME``: ``recipes/NAME.toml`` of the project, else a packaged recipe), and a
project may keep its recipe in the ``[tool.builder]`` table of its ``pyproject.toml``.
This module reads the file; :mod:`builder.spec` applies the command line to it and fills
in every default (command-line options override the recipe, the recipe the defaults).

Keys (all optional)::

    name = "extra-package"              # default: the file's stem (pyproject: [project].name)
    profile = "kaggle-2024"             # lockfiles/profiles/<profile>.toml
    model = "models/my-model.gguf"      # default: SmolLM2-135M-Instruct Q4_1 from PyPI
    template = "template"               # the agent template folder
    requirements = "extra-package.in"   # default: lockfiles/<profile>.in
    lock = "../lockfiles/extra-package.txt"  # default with requirements: lockfiles/<name>.txt
    output = "submission.tar.gz"
    backend = "cuda"                    # llama-cpp-python built for the profile's GPU (default "cpu")

    [agent]                             # keys of the template's agent_settings.json
    n_ctx = 4096
    n_gpu_layers = -1
    temperature_ask = 0.7

    [archive]
    compresslevel = 1
    weights_compresslevel = 0

Relative paths are relative to the recipe's folder (the default lock of a recipe with
its own ``requirements`` is ``<root>/lockfiles/<name>.txt``: :mod:`builder.spec`); ``model`` and ``output`` of
a packaged recipe are relative to the project root, never to the installed package.  Unknown keys
and wrong types are errors that name the key and the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .layout import PYPROJECT, RECIPE_FILE, Project
from .util import toml as _toml
from .wheels.source import BACKENDS, Backend


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipe:
    """A parsed recipe; ``None`` means "not set here" (a default or the command line decides)."""

    path: Path | None  # None: no recipe file (built-in defaults only)
    name: str
    profile: str | None = None
    model: Path | None = None
    template: Path | None = None
    requirements: Path | None = None
    lock: Path | None = None
    output: Path | None = None
    agent: Mapping[str, Any] = field(default_factory=dict)
    compresslevel: int | None = None
    weights_compresslevel: int | None = None
    backend: Backend | None = None

    @property
    def source(self) -> str:
        return str(self.path) if self.path is not None else "built-in defaults"


def find_recipe(project: Project, explicit: Path | None) -> Path | None:
    """``explicit`` (a file, a folder holding one, or the name of a recipe in ``recipes/``),
    else ``<root>/submission.toml``, else a ``pyproject.toml`` with ``[tool.builder]``, else
    the packaged default recipe."""
    root = project.root
    if explicit is not None:
        if explicit.is_dir():
            for name in (RECIPE_FILE, PYPROJECT):
                if (explicit / name).is_file():
                    return explicit / name
            raise ConfigError(explicit, f"no {RECIPE_FILE} or {PYPROJECT} in this folder")
        if explicit.is_file():
            return explicit
        named = project.named_recipe(str(explicit))
        if explicit.suffix == "" and "/" not in str(explicit) and named.is_file():
            return named
        known = ", ".join(project.recipe_names()) or "none"
        raise ConfigError(explicit, f"recipe file not found (named recipes: {known})")
    default = root / RECIPE_FILE
    if default.is_file():
        return default
    pyproject = root / PYPROJECT
    if pyproject.is_file() and "builder" in _toml.load(pyproject).get("tool", {}):
        return pyproject
    packaged = project.defaults / RECIPE_FILE
    return packaged if packaged.is_file() else None


def load_recipe(path: Path | None, *, project: Project) -> Recipe:
    """Parse the recipe at ``path`` (``None``: an empty recipe)."""
    if path is None:
        return Recipe(path=None, name="default")
    data = _toml.load(path)
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "builder" not in tool:
            raise ConfigError(path, "has no [tool.builder] table")
        meta = data.get("project", {})
        default_name = meta.get("name") if isinstance(meta, dict) else None
        table = _toml.Table(tool["builder"], path, "tool.builder.")
        if not isinstance(table.data, dict):
            raise ConfigError(path, "key 'tool.builder' must be a table")
        if not isinstance(default_name, str):
            default_name = path.resolve().parent.name
    else:
        table = _toml.Table(data, path)
        default_name = path.stem
    return _parse(table, path, project, default_name)


def _parse(t: _toml.Table, path: Path, project: Project, default_name: str) -> Recipe:
    base = path.parent
    packaged = project.defaults in path.resolve().parents

    def rel(key: str, *, user_file: bool = False) -> Path | None:
        value = t.opt(key, str)
        if value is None:
            return None
        if not value:
            raise ConfigError(path, f"key '{t.prefix}{key}' must not be empty")
        # a packaged recipe's model and output are the user's files: relative to the project
        return Path(os.path.normpath((project.root if user_file and packaged else base) / value))

    name = t.get("name", str, default_name)
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ConfigError(path, f"key '{t.prefix}name' must be a plain name, got {name!r}")
    profile = t.opt("profile", str)
    backend = t.opt("backend", str)
    if backend is not None and backend not in BACKENDS:
        raise ConfigError(path, f"key '{t.prefix}backend' must be one of {', '.join(BACKENDS)}, got {backend!r}")
    template, requirements, lock = (rel(k) for k in ("template", "requirements", "lock"))
    model, output = rel("model", user_file=True), rel("output", user_file=True)
    if lock is not None and requirements is None:
        raise ConfigError(path, f"key '{t.prefix}lock' needs '{t.prefix}requirements' (the file it locks)")
    agent = t.table("agent")
    settings = dict(agent.data)
    for key in settings:
        agent.get(key, object)  # every key is the template's to judge (types checked at build)
    archive = t.table("archive")
    compresslevel = _level(archive, "compresslevel")
    weights_compresslevel = _level(archive, "weights_compresslevel")
    archive.done()
    t.done()
    return Recipe(
        path=path, name=name, profile=profile, model=model, template=template,
        requirements=requirements, lock=lock, output=output, agent=settings,
        compresslevel=compresslevel, weights_compresslevel=weights_compresslevel,
        backend=backend,
    )


def _level(t: _toml.Table, key: str) -> int | None:
    value = t.opt(key, int)
    if value is not None and not 0 <= value <= 9:
        raise ConfigError(t.path, f"key '{t.prefix}{key}' must be 0..9, got {value}")
    return value
