"""The CLI end to end on a mini project (offline): good build, and every bad input of the
pipeline issue: one line on stderr naming the file and the problem, a non-zero exit, and
the previous submission.tar.gz untouched."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from factories.projects import make_wheel, mini_project, sha256, write_lock

from builder.__main__ import main
from builder.archive import tar as archive_tar


@pytest.fixture()
def proj(tmp_path: Path) -> dict[str, Path]:
    return mini_project(tmp_path / "proj")


def _build(p: dict[str, Path], *extra: str, model: Path | None = None) -> int:
    return main(["--root", str(p["root"]), "build", "--model", str(model or p["model"]), *extra])


def _previous(p: dict[str, Path]) -> bytes:
    assert _build(p) == 0
    return (p["root"] / "submission.tar.gz").read_bytes()


def _one_line_error(err: str, *needles: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.startswith("ERROR")]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]


def test_good_build(proj: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert _build(proj, "--set", "n_ctx=1024") == 0
    out = proj["root"] / "submission.tar.gz"
    assert capsys.readouterr().out.strip() == str(out)
    with tarfile.open(out) as tar:
        names = tar.getnames()
        settings = json.loads(tar.extractfile("agent_settings.json").read())  # type: ignore[union-attr]
    assert names[-1] == "MANIFEST.json" and "main.py" in names and "tiny-chat.gguf" in names
    assert "lib/tinypkg/__init__.py" in names
    assert settings["model_file"] == "tiny-chat.gguf" and settings["n_ctx"] == 1024
    first = out.read_bytes()
    assert _build(proj, "--set", "n_ctx=1024") == 0
    assert out.read_bytes() == first  # reproducible


def _missing(root: Path, _good: Path) -> Path:
    return root / "nope.gguf"


def _html(root: Path, _good: Path) -> Path:
    bad = root / "weights.gguf"
    bad.write_bytes(b"<html>not found</html>" * 10)
    return bad


def _cut(root: Path, good: Path) -> Path:
    cut = root / "cut.gguf"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    return cut


@pytest.mark.parametrize(
    ("make", "needles"),
    [
        (_missing, ("nope.gguf", "model file not found")),
        (_html, ("weights.gguf", "not a GGUF file")),
        (_cut, ("cut.gguf", "truncated")),
    ],
    ids=["missing", "not-gguf", "truncated"],
)
def test_bad_model(
    proj: dict[str, Path], capsys: pytest.CaptureFixture[str], make: Callable[[Path, Path], Path],
    needles: tuple[str, ...],
) -> None:
    before = _previous(proj)
    assert _build(proj, model=make(proj["root"], proj["model"])) != 0
    _one_line_error(capsys.readouterr().err, *needles)
    assert (proj["root"] / "submission.tar.gz").read_bytes() == before


def test_wheel_with_wrong_tags(proj: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = _previous(proj)
    proj["wheel"].unlink()
    bad = make_wheel(proj["root"] / "wheels", tag="cp312-cp312-macosx_11_0_arm64")
    write_lock(proj["root"], {"tinypkg": ("1.0", [sha256(bad)])})
    assert _build(proj) != 0
    _one_line_error(capsys.readouterr().err, bad.name, "do not fit the target")
    assert (proj["root"] / "submission.tar.gz").read_bytes() == before


def test_wheel_hash_not_in_lock(proj: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = _previous(proj)
    proj["wheel"].unlink()
    other = make_wheel(proj["root"] / "wheels", files={"tinypkg/__init__.py": b"VALUE = 'tampered'\n"})
    assert _build(proj) != 0
    _one_line_error(capsys.readouterr().err, other.name, "is not in the lock")
    assert (proj["root"] / "submission.tar.gz").read_bytes() == before


def test_conflicting_provided_pin(proj: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = _previous(proj)
    (proj["root"] / "lockfiles" / "kaggle-2024.in").write_text("tinypkg==1.0\nnumpy>=2\n")
    assert main(["--root", str(proj["root"]), "lock"]) != 0
    _one_line_error(capsys.readouterr().err, "kaggle-2024.in", "numpy>=2", "numpy==1.26.4")
    assert (proj["root"] / "submission.tar.gz").read_bytes() == before


def test_missing_target_interpreter(
    proj: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _previous(proj)
    monkeypatch.setenv("TARGET_PYTHON", str(proj["root"] / "no-python3.10"))
    assert _build(proj) == 3
    _one_line_error(capsys.readouterr().err, "no-python3.10", "no CPython 3.10 found", "TARGET_PYTHON=")
    assert (proj["root"] / "submission.tar.gz").read_bytes() == before


def test_output_directory_not_writable(
    proj: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = _previous(proj)
    blocker = tmp_path / "out"
    blocker.write_text("a file where a folder should be")
    assert _build(proj, "--output", str(blocker / "submission.tar.gz")) != 0
    _one_line_error(capsys.readouterr().err, str(blocker), "output directory is not a directory")
    assert (proj["root"] / "submission.tar.gz").read_bytes() == before


def test_interrupt_during_archiving(
    proj: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _previous(proj)
    manifest_before = (proj["root"] / "submission.manifest.json").read_bytes()
    real_header = archive_tar.TarWriter.header

    def header(self: archive_tar.TarWriter, info: tarfile.TarInfo) -> None:
        real_header(self, info)
        if info.name.endswith(".gguf"):
            raise KeyboardInterrupt  # Ctrl-C while the weights are being written

    monkeypatch.setattr(archive_tar.TarWriter, "header", header)
    assert _build(proj, "--set", "n_ctx=2048") == 130
    _one_line_error(capsys.readouterr().err, "interrupted")
    assert (proj["root"] / "submission.tar.gz").read_bytes() == before
    assert (proj["root"] / "submission.manifest.json").read_bytes() == manifest_before
    assert not [p for p in proj["root"].iterdir() if p.name.endswith(".tmp")]


def test_unknown_agent_setting(proj: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert _build(proj, "--set", "n_cxt=1024") != 0
    _one_line_error(capsys.readouterr().err, "unknown agent setting 'n_cxt'")


def test_template_edit_changes_only_main(proj: dict[str, Path]) -> None:
    assert _build(proj) == 0
    out = proj["root"] / "submission.tar.gz"
    first = json.loads((proj["root"] / "submission.manifest.json").read_text())
    main_py = proj["template"] / "main.py"
    main_py.write_text(main_py.read_text() + "\n# edited\n")
    assert _build(proj) == 0
    second = json.loads((proj["root"] / "submission.manifest.json").read_text())
    changed = {a["path"] for a, b in zip(first["files"], second["files"], strict=True) if a != b}
    assert changed == {"main.py"}
    assert out.exists()
    assert not (proj["root"] / "build").exists()  # the staging folder is in the builder's cache


def test_reader_leaving_the_pipe_is_quiet(proj: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m builder inspect --json | head`: no traceback, exit 141 like a shell pipe."""
    import os
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)

    class Gone:
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            return None

        def fileno(self) -> int:
            return write_end

    monkeypatch.setattr(sys, "stdout", Gone())
    try:
        assert main(["--root", str(proj["root"]), "inspect", str(proj["model"]), "--json"]) == 141
    finally:
        os.close(write_end)
    assert "Traceback" not in capsys.readouterr().err


def test_backend_choices_are_the_wheel_stages() -> None:
    from builder.__main__ import BACKEND_CHOICES
    from builder.wheels.source import BACKENDS

    assert BACKEND_CHOICES == BACKENDS


def test_episodes_help_is_the_line_ups() -> None:
    from builder.__main__ import EPISODES_HELP
    from builder.verify.lineups import help_text

    assert EPISODES_HELP == help_text()
