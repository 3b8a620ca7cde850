"""Build once, reuse anywhere: a *wheelhouse* is a folder of wheels the builder built from
sdists plus ``provenance.json`` (the name is :data:`builder.layout.PROVENANCE_FILE`'s).

``python -m builder wheels --export DIR`` writes one (:func:`export`): each built wheel and
its provenance (package, version, backend, build key and format, the sdist's sha256, the
profile, target, flags, CUDA architectures, what a lean build leaves out, the toolchain
pins and their digest, the CUDA lock's digest, the builder's version, the wheel's sha256
and size).  ``--wheelhouse DIR`` (and a project's ``wheels/`` folder holding a
provenance file) makes a build take the wheel from there instead of compiling
(:func:`take`), after checking

* the provenance file: valid JSON of at most 1 MiB, no unknown field, every field of
  the right type (one-line error naming the file and the field);
* its entry against what the current lock, profile and recipe would build, field by
  field: a wheel that does not match is refused naming the first field that differs,
  never used and never silently rebuilt;
* the wheel file: its size and sha256 (a truncated or tampered wheel is refused naming
  the file); then the caller checks it like a fresh build (every native check) and
  against the record (:mod:`.record`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import WheelError
from ..layout import PROVENANCE_FILE
from ..lock import LockEntry
from ..profile import Profile
from ..util.fs import atomic_path, write_text_atomic
from ..util.hashing import sha256_file
from .check import CheckedWheel
from .source import BUILD_FORMAT, Recipe, build_key, built_facts

FORMAT = 1
MAX_BYTES = 1 << 20
MAX_WHEELS = 64
MAX_WHEEL_BYTES = 2 << 30
#: Every field an entry may have -> its JSON type; the ones in :data:`MATCHED` must equal
#: what the current build would use.
FIELDS: dict[str, type | tuple[type, ...]] = {
    "file": str, "sha256": str, "size": int,
    "package": str, "version": str, "backend": str, "build_format": int, "key": str, "sdist_sha256": str,
    "profile": str, "target": str, "architectures": str, "flags": list, "nvcc_flags": list, "wheel_exclude": str,
    "left_out": dict, "toolchain": list, "toolchain_lock": str, "cuda_lock": str, "cuda": str,
    "host_compiler": str, "builder": str,
}
REQUIRED = ("file", "sha256", "size", "package", "version", "backend", "build_format", "key", "sdist_sha256",
            "toolchain", "toolchain_lock", "builder")
#: Compared in this order: the first that differs is named.
MATCHED = ("package", "version", "backend", "build_format", "sdist_sha256", "target", "architectures", "flags",
           "nvcc_flags", "wheel_exclude", "left_out", "cuda_lock", "toolchain", "toolchain_lock", "key")


def _toolchain_digest(pins: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(pins)).encode()).hexdigest()


def expected(entry: LockEntry, sdist_sha256: str, profile: Profile, recipe: Recipe) -> dict[str, Any]:
    """The provenance fields a wheel of ``entry`` built now by ``recipe`` would have."""
    material = dict(recipe.key_material(profile))
    out: dict[str, Any] = {
        "package": entry.name, "version": entry.version, "backend": recipe.backend, "build_format": BUILD_FORMAT,
        "sdist_sha256": sdist_sha256, **{k: v for k, v in material.items() if k in FIELDS},
        "toolchain_lock": _toolchain_digest(material.get("toolchain", ())),
        "key": build_key(entry, sdist_sha256, profile, recipe),
    }
    normal: dict[str, Any] = json.loads(json.dumps(out))  # tuples as lists, as the file has them
    return normal


def of_built(wheel: Path) -> dict[str, Any]:
    """The provenance entry of a wheel built here, from the ``build.json`` beside it."""
    facts = built_facts(wheel)
    if not facts.get("key"):
        raise WheelError(f"{wheel}: no build.json with a build key beside it: only wheels built by this builder "
                         "version can be exported")
    out = {k: facts[k] for k in FIELDS if k in facts}
    out.update(file=wheel.name, sha256=sha256_file(wheel), size=wheel.stat().st_size,
               package=str(facts.get("package", "llama-cpp-python")), version=str(facts.get("version", "")),
               build_format=BUILD_FORMAT, toolchain_lock=_toolchain_digest(facts.get("toolchain", ())),
               builder=__version__)
    if not out["version"]:
        out["version"] = wheel.name.split("-")[1]
    return out


def _check_entry(path: Path, i: int, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise WheelError(f"{path}: wheels[{i}] is not an object")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise WheelError(f"{path}: wheels[{i}] has an unknown field '{unknown[0][:60]}'")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise WheelError(f"{path}: wheels[{i}] lacks the field '{missing[0]}'")
    for key, value in raw.items():
        kind = FIELDS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise WheelError(f"{path}: wheels[{i}].{key} must be {getattr(kind, '__name__', kind)}")
    name = raw["file"]
    if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".whl") or len(name) > 200:
        raise WheelError(f"{path}: wheels[{i}].file is not a wheel file name in this folder: {name[:100]!r}")
    if len(raw["sha256"]) != 64 or raw["sha256"].strip("0123456789abcdef"):
        raise WheelError(f"{path}: wheels[{i}].sha256 is not a sha256")
    return raw


def load_provenance(path: Path) -> list[dict[str, Any]]:
    """The entries of a provenance file, strictly (a one-line :class:`WheelError` naming it)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise WheelError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise WheelError(f"{path}: larger than {MAX_BYTES} bytes: not a provenance file")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WheelError(f"{path}: not valid JSON ({str(exc)[:120]})") from None
    if not isinstance(doc, dict):
        raise WheelError(f"{path}: not a JSON object")
    unknown = sorted(set(doc) - {"format", "builder", "wheels"})
    if unknown:
        raise WheelError(f"{path}: unknown field '{unknown[0][:60]}'")
    if doc.get("format") != FORMAT:
        raise WheelError(f"{path}: field 'format' must be {FORMAT}, got {str(doc.get('format'))[:20]}")
    wheels = doc.get("wheels")
    if not isinstance(wheels, list) or len(wheels) > MAX_WHEELS:
        raise WheelError(f"{path}: field 'wheels' must be a list of at most {MAX_WHEELS} entries")
    return [_check_entry(path, i, w) for i, w in enumerate(wheels)]


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def take(house: Path, entry: LockEntry, profile: Profile, recipe: Recipe) -> Path | None:
    """The wheel of ``entry`` in wheelhouse ``house`` that this build would have made, checked
    as the module docstring says; None when ``house`` has no provenance file or no entry for
    the package (then the build goes on as without it)."""
    prov = house / PROVENANCE_FILE
    if not prov.is_file():
        return None
    entries = [e for e in load_provenance(prov) if e["package"] == entry.name]
    if not entries:
        return None
    chosen = next((e for e in entries if e["backend"] == recipe.backend), entries[0])
    if chosen["sdist_sha256"] not in entry.hashes:
        raise WheelError(f"{prov}: {chosen['file']}: field 'sdist_sha256' is {chosen['sdist_sha256'][:16]}..., "
                         f"not an sdist of {entry.pin} in the lock: refused (export a build of the current lock)")
    want = expected(entry, chosen["sdist_sha256"], profile, recipe)
    for field in MATCHED:
        if field in want and not _same(chosen.get(field), want[field]):
            raise WheelError(f"{prov}: {chosen['file']}: field '{field}' is {_shown(chosen.get(field))}, this build "
                             f"needs {_shown(want[field])}: refused (export a build of the current lock and profile)")
    wheel = house / str(chosen["file"])
    if not wheel.is_file():
        raise WheelError(f"{wheel}: listed in {prov.name} but missing")
    size = wheel.stat().st_size
    if size != chosen["size"] or size > MAX_WHEEL_BYTES:
        raise WheelError(f"{wheel}: {size} bytes, {prov.name} says {chosen['size']}: truncated or replaced")
    digest = sha256_file(wheel)
    if digest != chosen["sha256"]:
        raise WheelError(f"{wheel}: sha256 {digest}, {prov.name} says {chosen['sha256']}: tampered or replaced")
    return wheel


def export(wheels: Sequence[CheckedWheel], dest: Path) -> list[Path]:
    """Copy every wheel built here (origin ``built``) into ``dest`` with its provenance;
    entries of other packages or backends already in ``dest`` are kept.  Nothing is written
    when there is no built wheel."""
    built = [w for w in wheels if w.origin == "built"]
    if not built:
        raise WheelError("nothing to export: no wheel of this lock was built from an sdist (all were downloaded)")
    new = [of_built(w.path) for w in built]
    dest.mkdir(parents=True, exist_ok=True)
    prov = dest / PROVENANCE_FILE
    old = load_provenance(prov) if prov.is_file() else []
    replaced = {(e["package"], e["backend"]) for e in new}
    kept = [e for e in old if (e["package"], e["backend"]) not in replaced]
    out: list[Path] = []
    for w, e in zip(built, new, strict=True):
        target = dest / w.path.name
        if not (target.is_file() and sha256_file(target) == e["sha256"]):
            with atomic_path(target) as tmp:
                shutil.copyfile(w.path, tmp)
        out.append(target)
    entries = sorted([*kept, *new], key=lambda e: (e["package"], e["backend"]))
    write_text_atomic(prov, json.dumps({"format": FORMAT, "builder": __version__, "wheels": entries},
                                       indent=1, sort_keys=True) + "\n")
    return out


def house_key(house: Path, wheel: Path) -> str:
    """The build key the provenance of ``house`` gives ``wheel`` (checked by :func:`take`)."""
    for e in load_provenance(house / PROVENANCE_FILE):
        if e["file"] == wheel.name:
            return str(e["key"])
    return "?"


def recipe_for(backend: str) -> Recipe:
    """The recipe that builds ``backend`` (what a wheelhouse's wheel is compared with)."""
    if backend == "cuda":
        from .cuda import CudaRecipe
        from .cuda.lock import load_cuda_lock

        return CudaRecipe(lock=load_cuda_lock())
    from .cpu import CpuRecipe

    return CpuRecipe()
