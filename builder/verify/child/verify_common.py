"""Helpers both child modes use (stdlib only, Python 3.10)."""

from __future__ import annotations

import ctypes
import importlib
import importlib.metadata
import os

from verify_protocol import NativeReport, NativeStub, PreloadReport

_RTLD_DI_LINKMAP = 2


class _LinkMap(ctypes.Structure):
    _fields_ = [("l_addr", ctypes.c_void_p), ("l_name", ctypes.c_char_p)]


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
        where = getattr(mod, "__file__", None)
        where = where if isinstance(where, str) else ""
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


def _loaded_file(lib: ctypes.CDLL, fallback: str) -> str:
    """The file the dynamic loader mapped for ``lib`` (dlinfo RTLD_DI_LINKMAP)."""
    try:
        dl = ctypes.CDLL("libdl.so.2")
        lm = ctypes.POINTER(_LinkMap)()
        if dl.dlinfo(ctypes.c_void_p(lib._handle), _RTLD_DI_LINKMAP, ctypes.byref(lm)) == 0 and lm:
            name: bytes | None = lm.contents.l_name
            if name:
                return os.path.realpath(name.decode("utf-8", "replace"))
    except (OSError, AttributeError, ValueError):
        pass
    return fallback


def _try_real(soname: str) -> tuple[ctypes.CDLL | None, str]:
    try:
        return ctypes.CDLL(soname, mode=ctypes.RTLD_GLOBAL), ""
    except OSError as exc:
        return None, str(exc)


def load_natives(stubs: list[NativeStub]) -> NativeReport:
    """Before any code of the archive runs: for each GPU library the archive needs, load
    the real one if this process can (then its stub is never used), else its stub (the
    host made one for each library it found missing), RTLD_GLOBAL, so the archive's
    libraries bind to it by SONAME.  A real
    library may need another one that only a stub provides: stubs are loaded one at a
    time, a library whose own file is missing first, and the real ones are tried again
    after each."""
    out: NativeReport = {"stubs": [], "real": {}, "errors": []}
    todo = list(stubs)
    while todo:
        absent: list[NativeStub] = []
        for spec in list(todo):
            real, why = _try_real(spec["soname"])
            if real is not None:
                out["real"][spec["soname"]] = _loaded_file(real, spec["soname"])
                todo.remove(spec)
            elif why.startswith(spec["soname"] + ":"):
                absent.append(spec)  # its own file is missing, not one it needs
        if not todo:
            break
        stubbed = [spec for spec in todo if spec["path"]]
        for spec in [spec for spec in todo if not spec["path"]]:
            if not stubbed:  # nothing left that could make it loadable
                out["errors"].append(f"{spec['soname']}: the host found it, but this process cannot load it")
                todo.remove(spec)
        if not stubbed:
            break
        spec = next((s for s in absent if s["path"]), stubbed[0])
        todo.remove(spec)
        try:
            ctypes.CDLL(spec["path"], mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            out["errors"].append(f"{spec['soname']}: its stub {spec['path']} did not load: {exc}")
            continue
        out["stubs"].append(spec["soname"])
    return out
