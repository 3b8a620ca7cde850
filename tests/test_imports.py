"""Every module of the builder imports on its own, in a fresh interpreter: an import cycle
(or a module that only works after another one was imported) fails here (pip-tools'
``test_circular_imports``).  And the imports run one way: shared rooms use no stage, a
stage uses no later stage, and no two rooms import each other, however late the import."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import builder

#: Runtime code that is not imported by the builder: it runs as files elsewhere (the
#: target interpreter, a notebook) and is checked by its own tests and lint.
_NOT_MODULES = ("builder.defaults", "builder.verify.child.", "builder.verify.shims", "builder.profile.capture_snippet")


def _modules() -> list[str]:
    names = ["builder"] + [m.name for m in pkgutil.walk_packages(builder.__path__, "builder.")]
    return sorted(n for n in names if not n.startswith(_NOT_MODULES) or n == "builder.verify.child.verify_protocol")


def test_the_walk_finds_the_stages() -> None:
    found = set(_modules())
    for stage in ("builder.lock", "builder.wheels", "builder.model", "builder.archive", "builder.verify",
                  "builder.pipeline", "builder.spec", "builder.layout"):
        assert stage in found


@pytest.mark.parametrize("module", _modules())
def test_module_imports_alone(module: str) -> None:
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------- the direction of imports

#: The package's own folder (where a module's file is looked for).
PACKAGE = Path(builder.__file__).resolve().parent
#: Shared tools: rooms of their own that any stage may use; they use no stage (``builder``: its
#: ``__init__``, the version).
SHARED = ("builder", "errors", "util", "layout", "progress", "native", "pip")
#: The stages in pipeline order: each may import the shared rooms and the stages before it.
STAGES = ("profile", "lock", "wheels", "vendor", "model", "template", "archive", "verify")
#: The wiring on top: the recipe and the spec resolved from it, the report, the orchestrator, the CLI;
#: they may import anything below.
TOP = ("recipe", "spec", "report", "pipeline", "starter", "__main__")


def _room(module: str) -> str:
    """``builder.wheels.cuda.lock`` -> ``wheels``; ``builder.pipeline`` -> ``pipeline``; ``builder`` -> ``builder``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "builder"


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def _import_edges() -> dict[str, set[tuple[str, str]]]:
    """room -> {(room it imports, where)}, from every import statement of the builder's modules,
    those inside functions and ``TYPE_CHECKING`` blocks included (a late import is still an arrow)."""
    edges: dict[str, set[tuple[str, str]]] = {}
    for module in _modules():
        rel = Path(*module.split(".")[1:]) if "." in module else Path()
        init = PACKAGE / rel / "__init__.py"
        path = init if init.is_file() else (PACKAGE / rel).with_suffix(".py")
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        targets: list[str] = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    targets.append(full if _is_module(full) else target)
            elif isinstance(node, ast.Import):
                targets += [alias.name for alias in node.names]
        for target in targets:
            if target.split(".")[0] == "builder" and _room(target) != _room(module):
                edges.setdefault(_room(module), set()).add((_room(target), module))
    return edges


def test_every_room_is_placed() -> None:
    rooms = {_room(m) for m in _modules()}
    assert rooms <= set(SHARED + STAGES + TOP), sorted(rooms - set(SHARED + STAGES + TOP))


def test_no_import_runs_back_up_the_stages() -> None:
    wrong = []
    for room, targets in _import_edges().items():
        for target, where in targets:
            if room in SHARED and target not in SHARED:
                wrong.append(f"{where} (a shared room) imports the stage '{target}'")
            elif room in STAGES and target in STAGES and STAGES.index(target) > STAGES.index(room):
                wrong.append(f"{where} (stage '{room}') imports the later stage '{target}'")
            elif room in STAGES + SHARED and target in TOP:
                wrong.append(f"{where} imports '{target}', which wires the stages together")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_package_level_cycle() -> None:
    graph = {room: {t for t, _ in targets} for room, targets in _import_edges().items()}
    cycles = []

    def visit(room: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(room, ())):
            if nxt in path:
                cycles.append(" -> ".join([*path[path.index(nxt):], nxt]))
            elif len(path) < len(graph) + 1:
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert not cycles, sorted(set(cycles))
