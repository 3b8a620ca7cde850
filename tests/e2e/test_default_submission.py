"""End to end: the default submission (SmolLM2-135M + the portable CPU llama-cpp-python),
built by the CLI, its exact contents, a byte-identical rebuild, and ``verify`` with all
four levels, real episodes of the real engine included."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from factories.paths import ROOT
from factories.projects import project_lock

from builder.__main__ import main
from builder.layout import Project
from builder.profile import resolve_profile
from builder.verify import format_table, verify
from builder.verify.lineups import DEFAULT_EPISODES, lineups

MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.network]


@pytest.fixture(scope="module")
def default_submission(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "submission.tar.gz"
    assert main(["--root", str(ROOT), "build", "--output", str(out)]) == 0
    return out


def test_exact_members(default_submission: Path) -> None:
    with tarfile.open(default_submission) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    outside_lib = [n for n in names if n != "lib" and not n.startswith("lib/")]
    # archive order: the weights, the rest sorted by path components (folders first), the
    # manifest; the agent's package is the template's tracked files, nothing more (no .pyc)
    package = sorted(p.name for p in (ROOT / "template" / "agent20q").iterdir() if p.suffix in (".py", ".json"))
    assert {"__init__.py", "agent.py", "oracle.py", "keywords.json"} <= set(package)
    assert outside_lib == [
        MODEL,
        "agent20q",
        *(f"agent20q/{name}" for name in package),
        "agent_settings.json",
        "main.py",
        "MANIFEST.json",
    ]
    lib_top = sorted({n.split("/")[1] for n in names if n.startswith("lib/") and n.count("/") >= 1})
    assert lib_top == ["diskcache", "diskcache-5.6.3.dist-info", "llama_cpp", "llama_cpp_python-0.3.36.dist-info"]
    sos = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("lib/llama_cpp/lib/"))
    assert sos == ["libggml-base.so.0", "libggml-cpu.so.0", "libggml.so", "libggml.so.0", "libllama.so"]
    assert not [n for n in names if n.endswith((".pyc", ".h", ".cmake", ".pc")) or "/bin/" in n]
    lib_bytes = sum(m.size for m in members if m.name.startswith("lib/") and m.isfile())
    assert 6e6 < lib_bytes < 12e6, lib_bytes  # ~9 MB; `pip install -t` gives 122 MB
    model = next(m for m in members if m.name == MODEL)
    assert model.size == 98_362_432


def test_rebuild_is_byte_identical(default_submission: Path, tmp_path: Path) -> None:
    again = tmp_path / "submission.tar.gz"
    assert main(["--root", str(ROOT), "build", "--output", str(again)]) == 0
    first = json.loads(default_submission.with_name("submission.manifest.json").read_text())
    second = json.loads(again.with_name("submission.manifest.json").read_text())
    assert second["archive"] == first["archive"]
    assert again.read_bytes() == default_submission.read_bytes()


def test_default_submission_passes_all_levels(default_submission: Path, tmp_path: Path) -> None:
    """What `make verify` plays by default: every level passes with nothing left unchecked
    (OK), the template reports every move of ours, the games are shown and written as pages."""
    profile = resolve_profile(Project(ROOT), "kaggle-2024")
    lock = project_lock(ROOT, profile)
    report = verify(
        default_submission,
        profile,
        runtime_requirements=[e.pin for e in lock.provided],
        levels=(1, 2, 3, 4),
        pages=tmp_path / "pages",
    )
    table = format_table(report)
    print(table)
    summary = {r.name: r.summary for r in report.levels}
    assert summary == {"archive": "passed", "static": "passed", "import": "passed", "play": "passed"}, summary
    assert report.verdict == "OK", table
    play = report.level(4).details
    assert play["kaggle_environments"] == "1.14.15"
    assert [e["lineup"] for e in play["episodes"]] == lineups(DEFAULT_EPISODES)
    assert [set(e["statuses"]) for e in play["episodes"]] == [{"DONE"}] * DEFAULT_EPISODES
    moves = play["agent_moves"]
    assert moves["moves"] == moves["reported"] == moves["report_lines"] > 0, moves
    assert moves["unattributed_lines"] == moves["inference_failures"] == 0 and moves["load_errors"] == []
    assert moves["agent_names_the_channel"] is True
    assert len(report.level(4).sections) == DEFAULT_EPISODES and report.pages is not None and report.pages.is_file()
    model = report.level(3).details["model"]  # level 3 loaded the model itself and evaluated tokens
    assert model["model"] == MODEL and model["prompt_tps"] > 0 and model["finite_logits"] is True
    assert 0 < play["model_load_s"] < profile.timeouts.act_timeout_s
    assert 0 < play["turn_max_s"] < profile.timeouts.act_timeout_s
    assert play["gpu_offload"] is False  # a CPU build on a machine without a GPU
