"""The project layout and the builder's defaults: the one owner of every file name, folder
and default value a stage would otherwise spell for itself (which default applies to a
build, after the recipe and the command line, is chosen once by :mod:`builder.spec`).

A *project* is a folder (``--root``, default ``.``) that may hold its own

    submission.toml            the default recipe (or [tool.builder] in pyproject.toml)
    lockfiles/profiles/NAME.toml   target profiles
    lockfiles/NAME.in / NAME.txt   what the agent needs / its hash-pinned lock
    template/                  the agent template (main.py, agent20q/, agent_settings.json)
    recipes/NAME.toml          further recipes
    wheels/                    hand-placed prebuilt wheels

Everything except ``wheels/`` also ships with the builder, as its *default project*: a
file or folder the project has overrides the default one, so an installed builder builds
from an empty folder.  The default project is one tree in a wheel (``builder/defaults/``:
the build backend maps the repository's ``template/`` and ``lockfiles/`` there, see
pyproject.toml) and two places in a checkout or an editable install: the repository's
``template/`` and ``lockfiles/`` (the card's top level) and ``builder/defaults/`` for the
default recipe and the named recipes.  Each file lives in one place; :data:`PACKAGED` is
the only code that knows where.  A build writes nothing into the project but its output:
its staging folder (the vendored ``lib/``, the rebuild cache) lives in the builder's cache,
one per project folder and profile.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

#: The builder's own defaults (package data): the default recipe and the named recipes, and in
#: a wheel also the template and the lockfiles (mapped there by the build backend).
PACKAGED = Path(__file__).resolve().parent / "defaults"
#: A checkout's (or an editable install's) root: its template/ and lockfiles/ are the defaults.
SOURCE_ROOT = PACKAGED.parent.parent

DEFAULT_PROFILE = "kaggle-2024"
RECIPE_FILE = "submission.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_OUTPUT = "submission.tar.gz"
TEMPLATE = "template"
LOCKFILES = "lockfiles"
PROFILES = "lockfiles/profiles"
RECIPES = "recipes"
WHEELS = "wheels"
BUILD = "stage"
#: In each staging folder: the project folder it belongs to (a folder whose project is gone
#: is removed by the next build) and the lock a build holds on it.
STAGE_OWNER = "project"
STAGE_LOCK = ".lock"
#: The cache's name under ``$XDG_CACHE_HOME`` (or ``~/.cache``).
CACHE_NAME = "gguf-submission-builder"


#: Beside a lock ``NAME.txt``: the record of what each wheel built from its sdists must
#: reproduce (builder/wheels/record.py), ``NAME.builds.toml``.
BUILDS_RECORD_SUFFIX = ".builds.toml"
#: In an exported wheelhouse (``wheels --export DIR``): the provenance of its wheels.
PROVENANCE_FILE = "provenance.json"


def builds_record(lock: Path) -> Path:
    """The record beside the lock file ``lock`` (``lockfiles/kaggle-2024.txt`` ->
    ``lockfiles/kaggle-2024.builds.toml``)."""
    return lock.with_name(lock.stem + BUILDS_RECORD_SUFFIX)


def cache_dir() -> Path:
    """``$BUILDER_CACHE_DIR``, else ``$XDG_CACHE_HOME/gguf-submission-builder``, else ``~/.cache/…``."""
    explicit = os.environ.get("BUILDER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / CACHE_NAME


def default_path(rel: str, defaults: Path = PACKAGED) -> Path:
    """Where the default project keeps ``rel`` (a path under the project root): ``defaults/rel``
    when it is there (a wheel has it all), else the source tree's ``template/`` and
    ``lockfiles/`` (a checkout), else ``defaults/rel`` (which may not exist either)."""
    own = defaults / rel
    if own.exists() or defaults != PACKAGED or rel.split("/", 1)[0] not in (TEMPLATE, LOCKFILES):
        return own
    source = SOURCE_ROOT / rel
    return source if source.exists() else own


@dataclass(frozen=True, slots=True)
class Project:
    """Paths of one project, each resolved against the default project."""

    root: Path
    defaults: Path = PACKAGED

    def find(self, rel: str) -> Path:
        """``root/rel`` when the project has it, else the default ``rel`` (which may not exist either)."""
        own = self.root / rel
        return own if own.exists() else default_path(rel, self.defaults)

    def default(self, rel: str) -> Path:
        """The default project's ``rel``, whatever the project has."""
        return default_path(rel, self.defaults)

    @property
    def template(self) -> Path:
        return self.find(TEMPLATE)

    @property
    def wheels_dir(self) -> Path:
        return self.root / WHEELS

    @property
    def default_output(self) -> Path:
        return self.root / DEFAULT_OUTPUT

    def stage_dir(self, profile: str, cache: Path | None = None) -> Path:
        """The build's staging folder: ``<cache>/stage/<project>-<profile>``, one per project
        folder (named by its resolved path's hash) and profile, never inside the project."""
        key = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:12]
        return (cache or cache_dir()) / BUILD / f"{self.root.resolve().name or 'root'}-{key}-{profile}"

    def profile_file(self, name: str) -> Path:
        return self.find(f"{PROFILES}/{name}.toml")

    def profile_names(self) -> list[str]:
        names = {p.stem for base in (self.root / PROFILES, self.default(PROFILES)) for p in base.glob("*.toml")}
        return sorted(names)

    def own_profiles_dir(self) -> Path:
        """Where ``profile import`` writes: always the project's own folder."""
        return self.root / PROFILES

    def requirements(self, profile: str) -> Path:
        """``lockfiles/PROFILE.in``: what the agent needs on that profile."""
        return self.find(f"{LOCKFILES}/{profile}.in")

    def recipe_lock(self, recipe_name: str) -> Path:
        """The lock of a recipe that names its own requirements but no lock:
        ``lockfiles/NAME.txt`` of the project (where ``lock`` writes it), unless only the
        default project has one (a packaged recipe's committed lock)."""
        rel = f"{LOCKFILES}/{recipe_name}.txt"
        own, default = self.root / rel, self.default(rel)
        return default if not own.exists() and default.exists() else own

    def named_recipe(self, name: str) -> Path:
        """``recipes/NAME.toml`` of the project, else the packaged one."""
        return self.find(f"{RECIPES}/{name}.toml")

    def recipe_names(self) -> list[str]:
        names = {p.stem for base in (self.root / RECIPES, self.default(RECIPES)) for p in base.glob("*.toml")}
        return sorted(names)


def lock_beside(requirements: Path) -> Path:
    """The lock written for ``NAME.in``: ``NAME.txt`` in the same folder."""
    return requirements.with_suffix(".txt")
