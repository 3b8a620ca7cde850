"""Build once, reuse anywhere: a wheelhouse (wheels + provenance.json), offline with tiny
wheels that stand for a build of the current lock."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from factories.projects import PROFILE, make_wheel, mini_project, sha256, write_lock

from builder.__main__ import main
from builder.errors import WheelError
from builder.layout import PROVENANCE_FILE
from builder.lock import LockEntry
from builder.profile import load_profile
from builder.wheels.check import CheckedWheel
from builder.wheels.cpu import CpuRecipe
from builder.wheels.cuda import CudaRecipe
from builder.wheels.cuda.lock import load_cuda_lock
from builder.wheels.source import Recipe, build_key
from builder.wheels.wheelhouse import MATCHED, expected, export, load_provenance, take

PROF = load_profile(PROFILE)
SDIST = "c" * 64
ENTRY = LockEntry(name="llama-cpp-python", version="0.3.36", hashes=(SDIST,), provided=False, via=())  # type: ignore[arg-type]


RECIPES: dict[str, Recipe] = {"cpu": CpuRecipe(), "cuda": CudaRecipe(lock=load_cuda_lock())}


def _built(tmp_path: Path, so: bytes = b"not an ELF file", recipe: Recipe = RECIPES["cpu"]) -> CheckedWheel:
    """A wheel in a cache's built/<key>/ folder with the build.json a build of the lock writes."""
    key = build_key(ENTRY, SDIST, PROF, recipe)
    folder = tmp_path / "cache" / "built" / key
    wheel = make_wheel(folder, "llama-cpp-python", "0.3.36", tag="py3-none-manylinux_2_31_x86_64",
                       files={"llama_cpp/__init__.py": b"x = 1\n", "llama_cpp/lib/libllama.so": so})
    facts = {"wheel": wheel.name, "sha256": sha256(wheel), "backend": recipe.backend, "key": key, "package": ENTRY.name,
             "version": ENTRY.version, "sdist_sha256": SDIST, "profile": PROF.name,
             **json.loads(json.dumps(recipe.key_material(PROF))), "measured": {"wall_s": 1.0}}
    (folder / "build.json").write_text(json.dumps(facts))
    return CheckedWheel(entry=ENTRY, path=wheel, sha256=sha256(wheel), origin="built")


def _house(tmp_path: Path, recipe: Recipe = RECIPES["cpu"]) -> Path:
    house = tmp_path / "house"
    export([_built(tmp_path, recipe=recipe)], house)
    return house


def _edit(house: Path, change: Callable[[dict[str, Any]], None]) -> None:
    prov = house / PROVENANCE_FILE
    doc = json.loads(prov.read_text())
    change(doc)
    prov.write_text(json.dumps(doc))


def test_an_exported_wheel_is_taken_instead_of_a_build(tmp_path: Path) -> None:
    house = _house(tmp_path)
    (entry,) = load_provenance(house / PROVENANCE_FILE)
    assert entry["sha256"] == sha256(house / entry["file"]) and entry["toolchain_lock"]
    assert entry["key"] == build_key(ENTRY, SDIST, PROF, CpuRecipe()) and entry["builder"]
    assert "measured" not in entry  # what a build cost is no provenance
    assert take(house, ENTRY, PROF, CpuRecipe()) == house / entry["file"]
    assert take(tmp_path / "empty", ENTRY, PROF, CpuRecipe()) is None  # no provenance file: not a wheelhouse
    other = LockEntry(name="diskcache", version="5.6.3", hashes=("d" * 64,), provided=False, via=())  # type: ignore[arg-type]
    assert take(house, other, PROF, CpuRecipe()) is None  # nothing exported for that package: the build goes on


def test_exporting_again_keeps_the_other_entries(tmp_path: Path) -> None:
    house = _house(tmp_path)
    _edit(house, lambda d: d["wheels"].append({**d["wheels"][0], "backend": "cuda", "file": "x-1-py3-none-any.whl"}))
    export([_built(tmp_path)], house)
    assert sorted(e["backend"] for e in load_provenance(house / PROVENANCE_FILE)) == ["cpu", "cuda"]
    with pytest.raises(WheelError, match="nothing to export"):
        export([CheckedWheel(entry=ENTRY, path=house / "x.whl", sha256="0", origin="downloaded")], tmp_path / "e")
    assert not (tmp_path / "e").exists()


@pytest.mark.parametrize(("backend", "field"), [(b, f) for b, r in RECIPES.items() for f in MATCHED
                                                 if f != "package" and f in expected(ENTRY, SDIST, PROF, r)])
def test_a_wheel_whose_provenance_differs_is_refused_naming_the_field(tmp_path: Path, backend: str,
                                                                       field: str) -> None:
    recipe = RECIPES[backend]
    house = _house(tmp_path, recipe)
    assert take(house, ENTRY, PROF, recipe) is not None
    want = expected(ENTRY, SDIST, PROF, recipe)
    value = want[field]
    changed: Any = (value + 1 if isinstance(value, int) else "d" * 64 if field == "sdist_sha256"
                    else [*value, "x"] if isinstance(value, list) else {**value, "x": "y"} if isinstance(value, dict)
                    else {"cpu": "cuda", "cuda": "cpu"}[value] if field == "backend" else value + "-other")
    _edit(house, lambda d: d["wheels"][0].__setitem__(field, changed))
    with pytest.raises(WheelError) as exc:
        take(house, ENTRY, PROF, recipe)
    text = str(exc.value)
    assert f"field '{field}'" in text and str(house / PROVENANCE_FILE) in text and "\n" not in text


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-10]), "truncated or replaced"),
        (lambda p: p.write_bytes(p.read_bytes()[:-1] + bytes([p.read_bytes()[-1] ^ 1])), "tampered or replaced"),
        (lambda p: p.unlink(), "missing"),
    ],
)
def test_a_truncated_or_tampered_wheel_is_refused_naming_it(tmp_path: Path, damage: Callable[[Path], Any],
                                                            message: str) -> None:
    house = _house(tmp_path)
    (wheel,) = house.glob("*.whl")
    damage(wheel)
    with pytest.raises(WheelError, match=message) as exc:
        take(house, ENTRY, PROF, CpuRecipe())
    assert str(wheel) in str(exc.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "not a JSON object"),
        ('{"format": 1, "wheels": [], "signed_by": "me"}', "unknown field 'signed_by'"),
        ('{"format": 2, "wheels": []}', "field 'format' must be 1"),
        ('{"format": 1, "wheels": {}}', "field 'wheels' must be a list"),
        ('{"format": 1, "wheels": [1]}', "wheels[0] is not an object"),
        ('{"format": 1, "wheels": [{"file": "a.whl"}]}', "wheels[0] lacks the field 'sha256'"),
        (" " * (1 << 20) + "{}", "larger than"),
    ],
)
def test_a_provenance_file_that_is_not_valid_is_a_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    house = _house(tmp_path)
    (house / PROVENANCE_FILE).write_text(text)
    with pytest.raises(WheelError, match=re.escape(message)) as exc:
        take(house, ENTRY, PROF, CpuRecipe())
    assert str(house / PROVENANCE_FILE) in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("surprise", 1, "unknown field 'surprise'"),
        ("size", "12", "wheels[0].size must be int"),
        ("file", "../../etc/passwd.whl", "not a wheel file name in this folder"),
        ("sha256", "x" * 64, "is not a sha256"),
    ],
)
def test_an_entry_with_unknown_or_wrong_fields_is_refused(tmp_path: Path, field: str, value: Any,
                                                         message: str) -> None:
    house = _house(tmp_path)
    _edit(house, lambda d: d["wheels"][0].__setitem__(field, value))
    with pytest.raises(WheelError, match=re.escape(message)):
        take(house, ENTRY, PROF, CpuRecipe())


@pytest.fixture
def house_project(tmp_path: Path) -> dict[str, Path]:
    """A project whose lock vendors llama-cpp-python (sdist hash ``SDIST``) and a wheelhouse
    that holds its CPU build (a tiny wheel standing for it)."""
    paths = mini_project(tmp_path / "p")
    write_lock(paths["root"], {"tinypkg": ("1.0", [sha256(paths["wheel"])]),
                               "llama-cpp-python": ("0.3.36", [SDIST])})
    paths["house"] = _house(tmp_path)
    paths["out"] = tmp_path / "submission.tar.gz"
    return paths


def _cli(p: dict[str, Path], *extra: str) -> int:
    return main(["--root", str(p["root"]), "build", "--model", str(p["model"]), "--output", str(p["out"]), *extra])


def _one_line_error(err: str, *needles: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.startswith("ERROR")]
    assert len(lines) == 1, err
    assert all(n in lines[0] for n in needles), lines[0]


def test_a_build_takes_the_wheelhouse_and_a_bad_one_leaves_the_previous_archive(
    house_project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    p = house_project
    assert _cli(p, "--wheelhouse", str(p["house"])) == 0
    err = capsys.readouterr().err
    assert "taken from the wheelhouse" in err and "no recorded cpu build" in err
    before = p["out"].read_bytes()
    (wheel,) = p["house"].glob("*.whl")
    good = wheel.read_bytes()
    wheel.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    assert _cli(p, "--wheelhouse", str(p["house"])) != 0
    _one_line_error(capsys.readouterr().err, str(wheel), "tampered")
    wheel.write_bytes(good)
    _edit(p["house"], lambda d: d["wheels"][0].__setitem__("surprise", True))
    assert _cli(p, "--wheelhouse", str(p["house"])) != 0
    _one_line_error(capsys.readouterr().err, str(p["house"] / PROVENANCE_FILE), "unknown field 'surprise'")
    assert _cli(p, "--wheelhouse", str(p["root"] / "template")) != 0  # not a wheelhouse
    _one_line_error(capsys.readouterr().err, str(p["root"] / "template" / PROVENANCE_FILE))
    assert p["out"].read_bytes() == before
    leftovers = [q.name for q in p["out"].parent.iterdir() if q.name.startswith(".")]
    assert leftovers == []


def test_a_projects_wheels_folder_is_a_wheelhouse_too(house_project: dict[str, Path]) -> None:
    p = house_project
    for f in p["house"].iterdir():
        shutil.copy(f, p["root"] / "wheels" / f.name)
    assert _cli(p) == 0
    _edit(p["root"] / "wheels", lambda d: d["wheels"][0].__setitem__("flags", ["-DGGML_NATIVE=ON"]))
    assert _cli(p) != 0  # never used silently, never silently rebuilt
