"""The agent template playing a 20-round game with the default model on CPU."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from builder.errors import BuilderError


def bench_agent(root: Path, model: Path, lib: Path) -> Iterator[str]:
    script = Path(__file__).with_name("agent_game.py")
    proc = subprocess.run(
        [sys.executable, str(script), str(model), "--lib", str(lib)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": ""},
    )
    if proc.returncode != 0:
        raise BuilderError(f"bench: agent benchmark failed: {proc.stderr[-600:]}")
    for line in proc.stdout.splitlines():
        yield f"agent: {line}"
