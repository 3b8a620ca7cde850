"""Where the tests find the repository, defined once: every test and factory imports it."""

from __future__ import annotations

from pathlib import Path

#: The repository root: the checkout whose ``builder/``, ``template/``, ``lockfiles/`` and
#: ``bench/`` the tests run against (the default project of ``Project(ROOT)``).
ROOT = Path(__file__).resolve().parents[2]
