"""Every module of the builder imports on its own, in a fresh interpreter: an import cycle
(or a module that only works after another one was imported) fails here (pip-tools'
``test_circular_imports``)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

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
                  "builder.pipeline", "builder.layout"):
        assert stage in found


@pytest.mark.parametrize("module", _modules())
def test_module_imports_alone(module: str) -> None:
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
