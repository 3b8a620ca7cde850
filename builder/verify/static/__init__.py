"""Verify level 2: the archive against the target profile, without running its code.

- the agent's own modules (:mod:`.source`): ``main.py`` parses for the profile's Python,
  the Kaggle loader emulated on its AST finds the agent (the last callable), no
  ``__file__``, ``lib/`` put first on ``sys.path`` with ``insert``;
- ``agent_settings.json`` names the GGUF at the archive root (and ``MANIFEST.json`` agrees);
- ``lib/`` (:mod:`.lib`): wheel metadata whose tags fit the profile, files that match their
  RECORD, no package the profile provides (shadowed);
- every ELF file resolves its NEEDED libraries inside the archive ($ORIGIN RUNPATH, and
  only $ORIGIN-relative entries) or from the profile's system libraries, needs no newer
  glibc/libstdc++, imports only symbols (with their versions) that the provided library
  it binds to exports (the profile's export lists), and a CUDA library carries a kernel
  for the profile's GPU (:func:`builder.wheels.native_checks.check_elfs`).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from ...profile import Profile
from ...wheels.native_checks import check_elfs, needs_gpu_driver
from ..scan import ArchiveScan
from .lib import check_lib
from .source import SourceFindings, analyze_source

__all__ = ["SourceFindings", "StaticFindings", "analyze_source", "check_static"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StaticFindings:
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    gaps: tuple[str, ...]  # what the profile's data could not check
    details: Mapping[str, object]
    gpu_libraries: tuple[str, ...]


def _check_settings(scan: ArchiveScan, problems: list[str]) -> str | None:
    raw = scan.texts.get("agent_settings.json")
    if raw is None:
        problems.append("agent_settings.json: missing at the archive root")
        return None
    try:
        doc = json.loads(raw)
        model = doc["model_file"]
        if not isinstance(model, str):
            raise TypeError("model_file is not a string")
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"agent_settings.json: no usable 'model_file' ({exc!r:.80})")
        return None
    rec = scan.files.get(model)
    if "/" in model or rec is None:
        problems.append(f"agent_settings.json: model_file {model!r} is not a file at the archive root")
    elif not rec.head.startswith(b"GGUF"):
        problems.append(f"{model}: not a GGUF file (magic {rec.head[:4]!r})")
    if scan.manifest is not None and scan.manifest.get("model_file") != model:
        problems.append(
            f"agent_settings.json: model_file {model!r} differs from MANIFEST.json "
            f"({scan.manifest.get('model_file')!r})"
        )
    return model


def check_static(scan: ArchiveScan, profile: Profile) -> StaticFindings:
    problems: list[str] = []
    notes: list[str] = []
    py = profile.python_tuple
    agent: str | None = None
    inserts = False
    for path in sorted(p for p in scan.texts if p.endswith(".py") and not p.startswith("lib/")):
        found = analyze_source(scan.texts[path], path, py, is_main=path == "main.py")
        problems += found.problems
        notes += found.notes
        inserts = inserts or found.inserts_path
        if path == "main.py":
            agent = found.agent
    if "main.py" in scan.files and "main.py" not in scan.texts:
        problems.append("main.py: larger than 16 MiB; not analysed")
    has_lib = any(p.startswith("lib/") for p in scan.files)
    if has_lib and not inserts:
        problems.append("lib/ is never put on sys.path: no sys.path.insert(0, ...) in main.py or a module of the agent")
    model = _check_settings(scan, problems)
    dists = check_lib(scan, profile, problems, notes)
    available: dict[str, set[str]] = {}
    for p in [*scan.files, *scan.symlinks]:
        available.setdefault(posixpath.dirname(p), set()).add(posixpath.basename(p))
    elf = check_elfs(scan.elfs, profile, available)
    problems += elf.problems
    notes += elf.notes
    problems += scan.elf_problems
    gpu = needs_gpu_driver(scan.elfs, profile)
    if gpu:
        notes.append(f"GPU build: needs {', '.join(gpu)} (from profile '{profile.name}')")
    details: dict[str, object] = {
        "agent": agent,
        "model_file": model,
        "vendored": dists,
        "elf_files": len(scan.elfs),
        "gpu_libraries": list(gpu),
        "symbols_checked": dict(elf.bound),
        "cuda_kernels": dict(elf.kernels),
    }
    return StaticFindings(problems=tuple(problems), notes=tuple(notes), gaps=elf.unchecked, details=details,
                          gpu_libraries=gpu)
