"""The template stage: the agent template becomes the submission's ``main.py``.

A template is a folder (``template/`` by default) copied as it is into the submission
root, like shiv's bootstrap: ``main.py`` and the small stdlib + llama_cpp modules it
imports.  Its ``agent_settings.json`` lists every setting with its default; the builder
writes it again with the recipe's values and ``model_file`` (the GGUF's name in the
archive), and refuses a setting the template does not know.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .util.jsonio import JsonError, read_json

SETTINGS_NAME = "agent_settings.json"
#: The largest settings file read (a real one is a few hundred bytes).
SETTINGS_LIMIT = 1 << 20
ENTRY = "main.py"
_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo", "~", ".swp")


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedTemplate:
    files: tuple[tuple[str, Path], ...]  # (archive name, staged file)
    settings: Mapping[str, Any]


def template_files(template: Path) -> list[tuple[str, Path]]:
    if not template.is_dir():
        raise ConfigError(template, "template folder not found")
    if not (template / ENTRY).is_file():
        raise ConfigError(template / ENTRY, "the template has no main.py")
    out = []
    for path in sorted(template.rglob("*")):
        rel = path.relative_to(template)
        if any(p in _SKIP_DIRS for p in rel.parts) or path.name.endswith(_SKIP_SUFFIXES):
            continue
        if path.is_symlink():
            raise ConfigError(path, "symlinks are not allowed in a template")
        if path.is_file():
            out.append((rel.as_posix(), path))
    return out


def load_defaults(template: Path) -> dict[str, Any]:
    path = template / SETTINGS_NAME
    if not path.exists():
        return {}
    try:
        data = read_json(path, max_bytes=SETTINGS_LIMIT)
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from None
    except JsonError as exc:
        raise ConfigError(path, str(exc)) from None
    if not isinstance(data, dict):
        raise ConfigError(path, "must be a JSON object")
    return data


def _same_kind(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float) and isinstance(value, int):
        return True
    return type(default) is type(value)


def merge_settings(
    template: Path, overrides: Mapping[str, Any], *, model_file: str, source: Path | str = "recipe"
) -> dict[str, Any]:
    defaults = load_defaults(template)
    merged = dict(defaults)
    for key, value in overrides.items():
        if defaults and key not in defaults:
            raise ConfigError(
                source, f"unknown agent setting '{key}' (template {template} knows: {', '.join(sorted(defaults))})"
            )
        if key in defaults and not _same_kind(defaults[key], value):
            raise ConfigError(
                source, f"agent setting '{key}' must be {type(defaults[key]).__name__}, got {type(value).__name__}"
            )
        merged[key] = value
    merged["model_file"] = model_file
    return merged


def check_entry(main_py: Path) -> None:
    """The template's main.py must at least parse (verify checks the loader rules)."""
    try:
        ast.parse(main_py.read_text(encoding="utf-8"), str(main_py))
    except SyntaxError as exc:
        raise ConfigError(main_py, f"does not parse: {exc.msg} (line {exc.lineno})") from None


def render(template: Path, stage: Path, settings: Mapping[str, Any]) -> RenderedTemplate:
    """Stage the template's files; ``agent_settings.json`` is written from ``settings``."""
    files = template_files(template)
    check_entry(template / ENTRY)
    stage.mkdir(parents=True, exist_ok=True)
    out: list[tuple[str, Path]] = []
    for arcname, src in files:
        if arcname == SETTINGS_NAME:
            continue
        out.append((arcname, src))  # copied into the archive straight from the template
    settings_path = stage / SETTINGS_NAME
    settings_path.write_text(json.dumps(dict(settings), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    out.append((SETTINGS_NAME, settings_path))
    return RenderedTemplate(files=tuple(sorted(out)), settings=dict(settings))
