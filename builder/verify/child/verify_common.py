"""Helpers both child modes use (stdlib only, Python 3.10)."""

from __future__ import annotations

import importlib
import importlib.metadata
import os

from verify_protocol import PreloadReport


def tail(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]


def _import_names(dist: str) -> list[str]:
    return _top_names(importlib.metadata.distribution(dist))


def _top_names(d: importlib.metadata.Distribution) -> list[str]:
    top = d.read_text("top_level.txt")
    if top:
        names = [n.strip() for n in top.splitlines() if n.strip()]
    else:
        names = []
        for f in d.files or ():
            first = f.parts[0] if f.parts else ""
            if first.endswith(".py"):
                first = first[:-3]
            if first and "." not in first and first not in ("__pycache__", "bin") and first not in names:
                names.append(first)
    return [n for n in names if not n.startswith("_")] or names


def _import_each(dist: str, names: list[str], out: PreloadReport) -> list[tuple[str, str]]:
    """Import ``names`` of ``dist``; record each module's file (or the error) in ``out``."""
    done: list[tuple[str, str]] = []
    for name in names:
        try:
            mod = importlib.import_module(name)
        except BaseException as exc:
            out["errors"].append(f"{dist}: import {name} failed: {exc!r}")
            continue
        where = getattr(mod, "__file__", None) or ""
        out["modules"][name] = where
        done.append((name, where))
    return done


def preload(dists: list[str], agent_dir: str) -> PreloadReport:
    out: PreloadReport = {"modules": {}, "errors": []}
    for dist in dists:
        try:
            names = _import_names(dist)
        except importlib.metadata.PackageNotFoundError:
            out["errors"].append(f"{dist}: not installed in the runtime venv")
            continue
        for name, where in _import_each(dist, names, out):
            if where.startswith(agent_dir + os.sep):
                out["errors"].append(f"{name} was imported from the archive ({where}), not the runtime")
    return out


def import_vendored(lib: str) -> PreloadReport:
    """Import each top-level module of each distribution in ``lib`` (on sys.path by now,
    put there by main.py) and say where it came from."""
    out: PreloadReport = {"modules": {}, "errors": []}
    for d in sorted(importlib.metadata.distributions(path=[lib]), key=lambda d: d.metadata["Name"] or ""):
        dist = d.metadata["Name"] or "?"
        for name, where in _import_each(dist, _top_names(d), out):
            if not where.startswith(lib + os.sep):
                out["errors"].append(f"{dist}: {name} was imported from {where or '?'}, not from lib/")
    return out
