"""The build report: from a small real build (a tiny wheel with prunable files, a provided
pin in the lock, a tiny GGUF), as JSON beside the archive and as the CLI's table."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import tarfile
import zlib
from pathlib import Path

import pytest
from factories.projects import make_wheel, mini_project, sha256, write_lock

from builder.__main__ import main
from builder.archive import report_path as report_path_for
from builder.layout import Project
from builder.pipeline import build
from builder.report import BuildResult, format_report, make_report, next_step
from builder.spec import BuildSpec, Overrides, resolve_spec
from builder.util.interpreter import is_running_target


def _project(tmp_path: Path) -> dict[str, Path]:
    p = mini_project(tmp_path / "proj")
    p["wheel"].unlink()
    p["wheel"] = make_wheel(
        p["root"] / "wheels",
        files={
            "tinypkg/__init__.py": b"VALUE = 42\n",      # 11 bytes, kept
            "tinypkg/api.h": b"h" * 100,                 # a C header inside the package
            "include/tiny.h": b"i" * 50,                 # a top-level folder with no Python code
        },
        scripts={"tinytool": b"#!/bin/sh\necho hi\n"},  # 18 bytes, a scripts-scheme file
    )
    write_lock(p["root"], {"tinypkg": ("1.0", [sha256(p["wheel"])]), "numpy": ("1.26.4", ["0" * 64])})
    return p


@pytest.fixture()
def built(tmp_path: Path) -> tuple[dict[str, Path], BuildResult]:
    p = _project(tmp_path)
    result = build(resolve_spec(Project(p["root"]), None, Overrides(model=p["model"])))
    return p, result


def test_report_json_beside_the_archive(built: tuple[dict[str, Path], BuildResult]) -> None:
    p, result = built
    archive = p["root"] / "submission.tar.gz"
    assert result.report == p["root"] / "submission.report.json" == report_path_for(archive)
    doc = json.loads(result.report.read_text())
    assert not [f for f in p["root"].iterdir() if f.name.endswith(".tmp")]

    [vendored] = doc["vendored"]
    assert vendored["name"] == "tinypkg" and vendored["version"] == "1.0"
    assert vendored["wheel"] == p["wheel"].name and vendored["origin"] == "wheels-dir"
    assert vendored["pruned_files"] == 3 and vendored["pruned_size"] == 100 + 50 + 18
    assert doc["vendored_size"] == vendored["size"] > 11  # __init__.py + dist-info files

    assert doc["provided"] == [{"name": "numpy", "version": "1.26.4",
                                "source": "best known: TensorFlow 2.15 pins numpy<2; 1.26.4 is the last 1.x"}]
    pruned = {row["reason"]: (row["files"], row["size"]) for row in doc["pruned"]}
    assert pruned == {
        "build/dev file": (1, 100),
        "top-level folder 'include/' holds no Python code": (1, 50),
        "'scripts' scheme file": (1, 18),
    }
    assert doc["pruned_size"] == 168

    model = doc["model"]
    data = p["model"].read_bytes()
    assert model["file"] == "tiny-chat.gguf" and model["sha256"] == hashlib.sha256(data).hexdigest()
    assert (model["size"], model["architecture"], model["parameters"], model["quantization"]) == (
        len(data), "llama", 121_024, "F16")
    assert model["chat_template"] is True

    assert doc["archive"]["file"] == "submission.tar.gz"
    assert doc["archive"]["size"] == archive.stat().st_size
    data = archive.read_bytes()
    assert doc["archive"]["crc32"] == f"{zlib.crc32(gzip.decompress(data)):08x}" == data[-8:-4][::-1].hex()
    with tarfile.open(archive) as tar:
        manifest = tar.extractfile("MANIFEST.json").read()  # type: ignore[union-attr]
    assert doc["archive"]["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert doc["archive"]["files"] == len(result.archive.files)
    assert set(doc["timings_s"]) >= {"check", "wheels", "vendor", "archive", "total"}
    # what the spec chose (the packaged default recipe, no path of this machine)
    assert doc["build"] == {"recipe": "submission", "backend": "cpu", "compresslevel": 1, "weights_compresslevel": 0,
                            "agent_settings": {"n_ctx": 4096, "n_gpu_layers": -1, "temperature_ask": 0.7,
                                               "temperature_guess": 0.5, "top_k": 40, "top_p": 0.9},
                            "model_source": "file",
                            "gpu_offload": "CPU build: no layer will be offloaded: the agent's n_gpu_layers = -1 "
                                           "asks for every layer on the GPU, which needs --backend cuda (recipe key "
                                           "'backend')"}


def test_report_table(built: tuple[dict[str, Path], BuildResult]) -> None:
    _p, result = built
    text = format_report(make_report(result))
    lines = text.splitlines()
    assert lines[0] == "Build report (recipe submission, profile kaggle-2024, backend cpu)"
    assert any(ln.startswith("tinypkg ") and "1.0" in ln and "(wheels-dir)" in ln for ln in lines), text
    assert any(ln.startswith("numpy ") and "1.26.4" in ln for ln in lines), text
    assert "Pruned: 3 files, saved 168 B" in text
    assert "Model:   tiny-chat.gguf  llama F16, 121,024 params" in text
    assert f"MANIFEST.json sha256 {result.archive.identity.manifest_sha256}" in text
    assert ", gzip level 1 (weights 0)" in text


@pytest.mark.parametrize("running_target", [False, True])
def test_cli_prints_the_report_and_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, running_target: bool
) -> None:
    import builder.util.interpreter as interpreter

    monkeypatch.setattr(interpreter, "is_running_target", lambda _version: running_target)
    p = _project(tmp_path)
    assert main(["--root", str(p["root"]), "build", "--model", str(p["model"])]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(p["root"] / "submission.tar.gz")
    assert "Build report (recipe submission, profile kaggle-2024, backend cpu)" in err
    assert "Provided by the target (never vendored): 1" in err
    assert f"* report: {p['root'] / 'submission.report.json'}" in err
    # no Makefile in the project: the plain command, with --here when this interpreter is the
    # target's (a Kaggle notebook; CI's Python 3.10 run is one too)
    last = err.strip().splitlines()[-1]
    if running_target:
        assert last == (f"next: python -m builder --root {p['root']} verify --here  (checks it loads and plays "
                        "here, on this interpreter and its GPU)")
    else:
        assert last == f"next: python -m builder --root {p['root']} verify  (checks it loads and plays on the target)"


def _spec_in(root: Path, output: Path | None = None) -> BuildSpec:
    root.mkdir(parents=True, exist_ok=True)
    return resolve_spec(Project(root), None, Overrides(output=output), cache=root / "c")


def test_the_next_step_in_a_checkout_is_make_verify(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    spec = _spec_in(root)
    (root / "Makefile").write_text("PY := x\nverify: setup\n\t$(PY) -m builder verify $(ARCHIVE)\n")
    assert next_step(spec, cwd=root) == "next: make verify  (checks it loads and plays on the target)"
    given = root / "out" / "my sub.tar.gz"
    out = _spec_in(root, given)
    assert next_step(out, recipe="tiny-model", profile="kaggle-2024", output=given, cwd=tmp_path) == (
        f"next: make -C {root} verify 'ARCHIVE=out/my sub.tar.gz' RECIPE=tiny-model PROFILE=kaggle-2024"
        "  (checks it loads and plays on the target)")
    (root / "Makefile").write_text("test:\n\tpytest\n")  # a Makefile of its own, without verify
    assert next_step(spec, cwd=root).startswith("next: python -m builder verify  (")


def test_the_next_step_where_this_interpreter_is_the_target_is_verify_here(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """In a Kaggle notebook (no checkout, the running interpreter is the target) levels 3-4
    run on its own packages and GPU: ``verify --here``."""
    root = tmp_path / "working"
    spec = _spec_in(root, root / "agent.tar.gz")
    assert next_step(spec, output=root / "agent.tar.gz", here=True, cwd=root) == (
        "next: python -m builder verify " + str(root / "agent.tar.gz")
        + " --here  (checks it loads and plays here, on this interpreter and its GPU)")
    monkeypatch.setenv("TARGET_PYTHON", sys.executable)
    assert is_running_target("3.10")
    monkeypatch.setenv("TARGET_PYTHON", "/no/python3.10")
    assert not is_running_target(f"{sys.version_info[0]}.{sys.version_info[1]}")
    monkeypatch.delenv("TARGET_PYTHON")
    assert is_running_target(f"{sys.version_info[0]}.{sys.version_info[1]}") == (sys.platform == "linux")
    assert not is_running_target("2.7")


def test_params() -> None:
    from builder.util.units import params

    assert (params(8_030_000_000), params(134_515_008), params(121_024)) == ("8.03 B", "135 M", "121,024")


def test_report_path_for() -> None:
    assert report_path_for(Path("a/sub.tar.gz")) == Path("a/sub.report.json")
    assert report_path_for(Path("x.tgz")) == Path("x.report.json")
    assert report_path_for(Path("x.bin")) == Path("x.bin.report.json")
