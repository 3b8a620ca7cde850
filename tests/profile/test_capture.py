"""Runtime-profile capture → import round trip: the snippet runs on this machine's Python in a
subprocess (with a stand-in ``kaggle_environments``), its JSON becomes a profile TOML, and
``load_profile`` accepts it with the captured values."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from factories.projects import copy_profile

from builder.__main__ import main
from builder.errors import ConfigError
from builder.layout import Project
from builder.profile import load_profile
from builder.profile.capture import SNIPPET, capture_snippet, cpu_level, import_profile


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    copy_profile(root / "lockfiles" / "profiles")
    return root


def _run_snippet(tmp_path: Path, kaggle_env: str | None) -> Path:
    work = tmp_path / "notebook"
    work.mkdir()
    (work / "cell.py").write_text(capture_snippet())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if kaggle_env is not None:
        fake = tmp_path / "site"
        (fake / "kaggle_environments").mkdir(parents=True)
        (fake / "kaggle_environments" / "__init__.py").write_text(kaggle_env)
        env["PYTHONPATH"] = str(fake)
    proc = subprocess.run([sys.executable, "cell.py"], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "wrote " in proc.stdout
    return work / "runtime-profile.json"


def test_snippet_is_stdlib_only() -> None:
    tree = ast.parse(SNIPPET.read_text())
    optional = {"packaging"}  # imported inside try/except, used when present
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top in optional or top == "__future__", name


def test_capture_import_round_trip(tmp_path: Path, root: Path) -> None:
    # a stand-in kaggle_environments that imports one real installed distribution
    captured = _run_snippet(tmp_path, "import json\nimport packaging.version\n")
    doc = json.loads(captured.read_text())
    assert doc["imported"]["ok"] is True and "packaging" in doc["imported"]["dists"]
    assert "json" not in doc["imported"]["dists"]  # stdlib modules are not distributions

    done = import_profile(captured, project=Project(root), name="here")
    assert done.path == root / "lockfiles" / "profiles" / "here.toml"
    prof = load_profile(done.path)
    assert prof.name == "here"
    assert prof.python_version == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert prof.glibc == os.confstr("CS_GNU_LIBC_VERSION").split()[1]  # type: ignore[union-attr]
    loaded = [s for s in doc["libstdcxx"] if s["loaded"]]
    if loaded:
        assert prof.glibcxx == loaded[0]["max"]
    assert "libc.so.6" in prof.system_libraries
    assert set(prof.gpu_libraries) == set(doc["cuda_libraries"])
    pkg = prof.provided_by_name("packaging")
    assert pkg is not None and pkg.version == importlib.metadata.version("packaging")
    assert pkg.source.startswith(f"captured on {doc['captured']}")
    text = done.path.read_text()
    assert f"captured on {doc['captured']}" in text
    assert prof.agent_dir == "/kaggle_simulations/agent" and prof.timeouts.act_timeout_s == 60.0  # from the base


def test_capture_without_kaggle_environments(tmp_path: Path, root: Path) -> None:
    captured = _run_snippet(tmp_path, None)
    doc = json.loads(captured.read_text())
    assert doc["imported"]["ok"] is False
    done = import_profile(captured, project=Project(root), name="bare", base=None)
    assert load_profile(done.path).provided == ()
    assert any("kaggle_environments" in n for n in done.notes)


def _kaggle_like() -> dict[str, Any]:
    return {
        "format": 1, "captured": "2024-07-01", "machine": "x86_64", "glibc": "2.31",
        "python": {"version": "3.10.14", "implementation": "cpython", "tags": ["cp310-cp310-manylinux_2_31_x86_64"]},
        "libstdcxx": [
            {"path": "/opt/conda/lib/libstdc++.so.6.0.32", "loaded": True, "max": "3.4.32", "versions": []},
            {"path": "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.28", "loaded": False, "max": "3.4.28",
             "versions": []},
        ],
        "libraries": {"libc.so.6": "/lib/x86_64-linux-gnu/libc.so.6", "libgomp.so.1": "/usr/lib/libgomp.so.1"},
        "cuda_libraries": {"libcudart.so.12": "/usr/local/cuda/lib64/libcudart.so.12",
                           "libcuda.so.1": "/usr/lib/x86_64-linux-gnu/libcuda.so.1"},
        "gpus": [{"name": "Tesla T4", "memory_mib": 15360, "compute_capability": "7.5", "driver": "535.161.08"}],
        "cpu_flags": sorted({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave", "cx16",
                             "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3", "avx512f"}),
        "imported": {"ok": True, "modules": ["numpy", "torch"], "dists": ["numpy", "torch", "weird"]},
        "installed": {"numpy": "1.26.4", "torch": "2.1.2+cu121", "weird": "not a version"},
    }


def test_import_a_kaggle_like_capture(tmp_path: Path, root: Path) -> None:
    captured = tmp_path / "kaggle.json"
    captured.write_text(json.dumps(_kaggle_like()))
    done = import_profile(captured, project=Project(root), name="kaggle-captured")
    p = done.profile
    assert (p.python_version, p.glibc, p.glibcxx, p.cpu_baseline) == ("3.10", "2.31", "3.4.32", "x86-64-v3")
    assert p.gpu is not None and (p.gpu.name, p.gpu.memory_gib, p.gpu.compute_capability) == ("Tesla T4", 15.0, "7.5")
    assert p.gpu.source == "captured on 2024-07-01: nvidia-smi (driver 535.161.08)"
    assert p.gpu_libraries == ("libcuda.so.1", "libcudart.so.12")
    assert p.system_libraries == ("libc.so.6", "libgomp.so.1", "libcuda.so.1", "libcudart.so.12")
    assert [(x.name, x.version) for x in p.provided] == [("numpy", "1.26.4"), ("torch", "2.1.2+cu121"),
                                                         ("weird", None)]
    assert any("weird" in n and "not a PEP 440 version" in n for n in done.notes)
    # the generated profile is usable for tags: manylinux up to glibc 2.31
    assert str(p.supported_tags()[0]) == "cp310-cp310-manylinux_2_31_x86_64"


def test_import_errors(tmp_path: Path, root: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ConfigError, match=r"bad.json: key 'format' must be 1"):
        import_profile(bad, project=Project(root), name="x")
    bad.write_text("not json")
    with pytest.raises(ConfigError, match=r"bad.json: not valid JSON"):
        import_profile(bad, project=Project(root), name="x")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_kaggle_like()))
    with pytest.raises(ConfigError, match=r"kaggle-2024\.toml: profile exists; pass --force"):
        import_profile(good, project=Project(root), name="kaggle-2024")
    with pytest.raises(ConfigError, match="--name: a profile name is"):
        import_profile(good, project=Project(root), name="../evil")
    assert not [f for f in (root / "lockfiles" / "profiles").iterdir() if f.name.endswith(".tmp")]


def test_cpu_level() -> None:
    v3 = {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave", "cx16", "lahf_lm", "popcnt",
          "sse4_1", "sse4_2", "ssse3"}
    assert cpu_level(v3) == "x86-64-v3"
    assert cpu_level(v3 - {"avx2"}) == "x86-64-v2"
    assert cpu_level({"sse2"}) == "x86-64"
    assert cpu_level(v3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}) == "x86-64-v4"


def test_cli_capture_and_import(tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "capture"]) == 0
    assert capsys.readouterr().out == SNIPPET.read_text()
    captured = tmp_path / "kaggle.json"
    captured.write_text(json.dumps(_kaggle_like()))
    assert main(["--root", str(root), "profile", "import", str(captured), "--name", "k"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(root / "lockfiles" / "profiles" / "k.toml")
    assert "* profile: 'k': Python 3.10, glibc 2.31, GLIBCXX 3.4.32, 3 provided packages" in err
    assert main(["--root", str(root), "profile", "import", str(captured), "--name", "k"]) == 1
    assert "ERROR" in capsys.readouterr().err
    assert main(["--root", str(root), "profile", "import", str(captured), "--name", "k", "--force"]) == 0
