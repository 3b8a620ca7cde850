"""Helpers for the agent-template tests: obs builders, a submission folder, the Kaggle loader."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from factories.paths import ROOT

TEMPLATE = ROOT / "template"
KAGGLE_LOADER = ROOT / "builder" / "verify" / "child" / "kaggle_loader.py"
#: What ``make_submission`` leaves out of the template tree (caches, byte code).
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache", ".ruff_cache")

#: Loads main.py with THE emulation of kaggle-environments' loader (the verify child's
#: ``kaggle_loader.load_like_kaggle``: read, compile, append the folder, exec with empty
#: globals, pop, take the LAST callable), then plays a few turns.  argv: the loader's
#: folder, main.py path, JSON list of [obs, cfg] turns, number of execs (agents).
LOADER = r"""
import json, os, sys

sys.path.insert(0, sys.argv.pop(1))
from kaggle_loader import load_like_kaggle as load
sys.path.pop(0)

path, turns, n_agents = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
before = list(sys.path)
agents = [load(path) for _ in range(n_agents)]
out = {"names": [a.__name__ for a in agents], "argcount": [a.__code__.co_argcount for a in agents]}
out["moves"] = [[a(obs, cfg) for obs, cfg in turns] for a in agents]
mod = sys.modules.get("agent20q")
out["module_file"] = getattr(mod, "__file__", None)
out["engines"] = len(getattr(mod, "_ENGINES", {}))
out["load_errors"] = list(getattr(mod, "_LOAD_ERRORS", {}).values())
out["sys_path0"] = sys.path[0]
out["sys_path_added"] = sys.path[: len(sys.path) - len(before)]
out["sys_path_kept"] = sys.path[len(sys.path) - len(before):] == before
print("RESULT " + json.dumps(out))
"""


def obs(
    turn: str,
    questions: list[str] | None = None,
    answers: list[str] | None = None,
    guesses: list[str] | None = None,
    *,
    keyword: str = "",
    category: str = "",
    overage: float = 300.0,
) -> dict[str, Any]:
    """An observation as kaggle-environments builds it (role derived from the turn)."""
    questions = list(questions or [])
    return {
        "turnType": turn,
        "role": "answerer" if turn == "answer" else "guesser",
        "questions": questions,
        "answers": list(answers or []),
        "guesses": list(guesses or []),
        "keyword": keyword,
        "category": category,
        "step": 3 * max(0, len(questions) - (0 if turn == "ask" else 1)),
        "remainingOverageTime": overage,
    }


def make_submission(folder: Path, model: Path | None, lib: Path | None, settings: dict[str, Any] | None = None) -> Path:
    """A submission folder: the template tree (``main.py``, ``agent20q/``), ``lib`` (symlink), the model,
    merged settings."""
    shutil.copytree(TEMPLATE, folder, ignore=_SKIP, dirs_exist_ok=True)
    if lib is not None:
        (folder / "lib").symlink_to(lib, target_is_directory=True)
    data = json.loads((TEMPLATE / "agent_settings.json").read_text())
    if model is not None:
        shutil.copy2(model, folder / model.name)
        data["model_file"] = model.name
    data.update(settings or {})
    (folder / "agent_settings.json").write_text(json.dumps(data, indent=2))
    return folder / "main.py"


def run_loader(
    python: str,
    main_py: Path,
    turns: list[tuple[dict[str, Any], dict[str, Any]]],
    n_agents: int,
    cwd: Path,
    timeout: float = 120,
) -> dict[str, Any]:
    """Run LOADER in a fresh interpreter (no PYTHONPATH) from ``cwd``; return its RESULT."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    proc = subprocess.run(
        [python, "-c", LOADER, str(KAGGLE_LOADER.parent), str(main_py), json.dumps(turns), str(n_agents)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise AssertionError(f"loader failed rc={proc.returncode}\nstdout={proc.stdout}\nstderr={proc.stderr}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    result["stderr"] = proc.stderr
    return result


def import_agent_module(lib: Path | None) -> Any:
    """Import the template's ``agent20q`` package in this process (``lib`` first on sys.path)."""
    for p in (str(TEMPLATE), str(lib) if lib else None):
        if p and p not in sys.path:
            sys.path.insert(0, p)
    return importlib.import_module("agent20q")  # TEMPLATE/agent20q/, put on sys.path above
