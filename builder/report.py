"""The build report: what went into the archive, what the target provides instead,
what was pruned and what that saved, the model, and the archive's size and hash.

:func:`make_report` turns a :class:`BuildResult` into plain data;
:func:`format_report` renders it as a short table for the CLI, and
:func:`write_report` writes the same data as JSON beside the archive
(``submission.report.json`` next to ``submission.tar.gz``), atomically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .archive import ArchiveResult
from .lock import Lock
from .model import GGUFInfo, PackagedModel
from .profile import Profile
from .spec import BuildSpec
from .util.fs import write_text_atomic
from .util.units import human, params
from .vendor import VendoredDist
from .wheels import CheckedWheel

REPORT_FORMAT = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    """What a build produced (:func:`builder.pipeline.build` returns it; the report is made from it)."""

    spec: BuildSpec  # what was asked for, every default resolved
    profile: Profile
    lock: Lock
    model: GGUFInfo
    wheels: tuple[CheckedWheel, ...]
    vendored: tuple[VendoredDist, ...]
    settings: Mapping[str, Any]
    archive: ArchiveResult
    timings: Mapping[str, float]
    report: Path | None = None  # the JSON build report beside the archive


@dataclass(frozen=True, slots=True, kw_only=True)
class VendoredRow:
    name: str
    version: str
    size: int
    files: int
    wheel: str
    origin: str
    pruned_files: int
    pruned_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvidedRow:
    name: str
    version: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PrunedRow:
    reason: str
    files: int
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildReport:
    profile: str
    build: Mapping[str, Any]  # what the spec chose: recipe, backend, gzip levels, the agent settings it set
    vendored: tuple[VendoredRow, ...]
    provided: tuple[ProvidedRow, ...]
    pruned: tuple[PrunedRow, ...]
    model: Mapping[str, Any]
    archive: Mapping[str, Any]
    timings: Mapping[str, float]

    @property
    def vendored_size(self) -> int:
        return sum(v.size for v in self.vendored)

    @property
    def pruned_size(self) -> int:
        return sum(p.size for p in self.pruned)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "profile": self.profile,
            "build": dict(self.build),
            "vendored": [_row(v) for v in self.vendored],
            "vendored_size": self.vendored_size,
            "provided": [_row(p) for p in self.provided],
            "pruned": [_row(p) for p in self.pruned],
            "pruned_size": self.pruned_size,
            "model": dict(self.model),
            "archive": dict(self.archive),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


def _row(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def _reason_group(reason: str) -> str:
    """Pruning reasons name files ("duplicate of libllama.so"); group them by their kind."""
    head = reason.split(":", 1)[0]
    for word in (" of ", " for ", " ("):
        head = head.split(word, 1)[0]
    return head.strip() or reason


def make_report(result: BuildResult) -> BuildReport:
    origins = {str(w.entry.name): w.origin for w in result.wheels}
    vendored = tuple(
        VendoredRow(name=v.name, version=v.version, size=v.size, files=v.files, wheel=v.wheel,
                    origin=origins.get(v.name, "?"), pruned_files=len(v.pruned), pruned_size=v.pruned_size)
        for v in result.vendored
    )
    provided = []
    for e in result.lock.provided:
        pkg = result.profile.provided_by_name(e.name)
        provided.append(ProvidedRow(name=str(e.name), version=e.version, source=pkg.source if pkg else ""))
    groups: dict[str, list[int]] = {}
    for v in result.vendored:
        for p in v.pruned:
            g = groups.setdefault(_reason_group(p.reason), [0, 0])
            g[0] += 1
            g[1] += p.size
    pruned = tuple(PrunedRow(reason=r, files=n, size=s)
                   for r, (n, s) in sorted(groups.items(), key=lambda kv: (-kv[1][1], kv[0])))
    return BuildReport(profile=result.profile.name, build=_build_row(result), vendored=vendored,
                       provided=tuple(provided), pruned=pruned, model=_model_row(result),
                       archive=_archive_row(result), timings=dict(result.timings))


def _build_row(result: BuildResult) -> dict[str, Any]:
    """The spec's choices, without a path of this machine (the report lies beside the archive)."""
    spec = result.spec
    return {
        "recipe": spec.name,
        "backend": spec.backend,
        "compresslevel": spec.compresslevel,
        "weights_compresslevel": spec.weights_compresslevel,
        "agent_settings": {k: result.settings[k] for k in sorted(spec.agent)},
        "model_source": spec.model.requirement if isinstance(spec.model, PackagedModel) else "file",
    }


def _model_row(result: BuildResult) -> dict[str, Any]:
    m = result.model
    record = next((f for f in result.archive.files if f.path == m.path.name), None)
    return {
        "file": m.path.name,
        "architecture": m.architecture,
        "name": m.name,
        "quantization": m.file_type,
        "parameters": m.n_parameters,
        "size": m.size,
        "sha256": record.sha256 if record else None,
        "context_length": m.context_length,
        "chat_template": m.has_chat_template,
    }


def _archive_row(result: BuildResult) -> dict[str, Any]:
    return {
        "file": result.archive.path.name,
        "size": result.archive.size,
        "crc32": f"{result.archive.identity.crc32:08x}",
        "manifest_sha256": result.archive.identity.manifest_sha256,
        "files": len(result.archive.files),
        "manifest": result.archive.manifest_path.name,
    }


def write_report(report: BuildReport, path: Path) -> Path:
    """Write ``report`` as JSON to ``path`` atomically (temp file + ``os.replace``)."""
    return write_text_atomic(path, json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n")


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
    return [line(headers), line(tuple("-" * w for w in widths)), *(line(r) for r in rows)]


def format_report(report: BuildReport) -> str:
    b = report.build
    out: list[str] = [f"Build report (recipe {b['recipe']}, profile {report.profile}, backend {b['backend']})", ""]
    n = len(report.vendored)
    out.append(f"Vendored into lib/: {n} package{'s' if n != 1 else ''}, {human(report.vendored_size)}")
    out += _table(("package", "version", "size", "files", "pruned", "wheel (origin)"), [
        (v.name, v.version, human(v.size), str(v.files), human(v.pruned_size), f"{v.wheel} ({v.origin})")
        for v in report.vendored
    ])
    out.append("")
    out.append(f"Provided by the target (never vendored): {len(report.provided)}")
    if report.provided:
        out += _table(("package", "version", "source"), [(p.name, p.version, p.source) for p in report.provided])
    out.append("")
    out.append(f"Pruned: {sum(p.files for p in report.pruned)} files, saved {human(report.pruned_size)}")
    if report.pruned:
        out += _table(("reason", "files", "saved"), [(p.reason, str(p.files), human(p.size)) for p in report.pruned])
    out.append("")
    m = report.model
    out.append(f"Model:   {m['file']}  {m['architecture']} {m['quantization'] or '?'}, "
               f"{params(m['parameters'])} params, {human(m['size'])}, "
               f"chat template {'yes' if m['chat_template'] else 'no'}")
    if m["sha256"]:
        out.append(f"         sha256 {m['sha256']}")
    a = report.archive
    out.append(f"Archive: {a['file']}  {human(a['size'])}, {a['files']} files, gzip level {b['compresslevel']} "
               f"(weights {b['weights_compresslevel']})")
    out.append(f"         MANIFEST.json sha256 {a['manifest_sha256']}, gzip CRC-32 {a['crc32']}")
    return "\n".join(out)
