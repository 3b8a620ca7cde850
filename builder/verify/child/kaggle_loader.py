"""The Kaggle loader, emulated once: what kaggle-environments' ``agent.py`` does with a
file agent (``get_last_callable`` without its fallback).  The verify child runs it, and
the tests load agents with the same function.

Read the source, ``compile(src, path, "exec")``, ``sys.path.append(dirname(path))``,
``exec(code, env)`` with ``env = {}`` (no ``__file__``, no ``__name__``), ``sys.path.pop()``,
and the agent is the LAST callable bound at module level.  Stdlib only, Python 3.10.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def load_like_kaggle(path: str) -> Any:
    """The agent callable of ``main.py`` at ``path``, loaded exactly as Kaggle loads it."""
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    code_object = compile(raw, path, "exec")
    env: dict[str, Any] = {}
    sys.path.append(os.path.dirname(path))
    exec(code_object, env)
    sys.path.pop()
    return [v for v in env.values() if callable(v)][-1]
