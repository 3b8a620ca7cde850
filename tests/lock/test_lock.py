from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest
from factories.paths import ROOT
from factories.projects import PROFILE, make_wheel, project_lock, sha256, write_lock

from builder.errors import ConfigError, LockError, PipError, ProvidedConflict
from builder.lock import Lock, compile_lock, load_lock, parse_lock
from builder.lock.lockfile import PROVIDED_MARK, VENDORED_MARK
from builder.lock.resolve import check_provided_conflicts, read_requirements
from builder.pip import Pip, scrubbed_env
from builder.profile import Profile, load_profile


def _load(project: Path, profile: Profile) -> Lock:
    return load_lock(profile, requirements=project / "lockfiles" / "kaggle-2024.in",
                     lock=project / "lockfiles" / "kaggle-2024.txt")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "lockfiles" / "profiles").mkdir(parents=True)
    (tmp_path / "lockfiles" / "profiles" / "kaggle-2024.toml").write_text(PROFILE.read_text())
    (tmp_path / "lockfiles" / "kaggle-2024.in").write_text("tinypkg==1.0\n")
    return tmp_path


def test_committed_lock_is_current_and_split() -> None:
    profile = load_profile(PROFILE)
    lock = project_lock(ROOT, profile)
    assert {e.name for e in lock.vendored} == {"llama-cpp-python", "diskcache"}
    assert {e.pin for e in lock.provided} == {
        "numpy==1.26.4",
        "jinja2==3.1.4",
        "markupsafe==2.1.5",
        "typing-extensions==4.12.2",
    }
    assert all(e.hashes for e in lock.entries)
    text = lock.path.read_text()
    assert text.count(PROVIDED_MARK) == 4 and text.count(VENDORED_MARK) == 2
    assert "/tmp" not in text  # no machine paths leak into the committed lock


def test_stale_lock_is_refused(project: Path) -> None:
    write_lock(project, {"tinypkg": ("1.0", ["a" * 64])})
    profile = load_profile(project / "lockfiles" / "profiles" / "kaggle-2024.toml")
    assert _load(project, profile).get("tinypkg") is not None
    (project / "lockfiles" / "kaggle-2024.in").write_text("tinypkg==1.0\nother\n")
    with pytest.raises(LockError, match=r"kaggle-2024\.txt: stale: .* run `make lock"):
        _load(project, profile)


def test_lock_marks_must_match_profile(project: Path) -> None:
    out = write_lock(project, {"numpy": ("1.26.4", ["b" * 64])})
    profile = load_profile(project / "lockfiles" / "profiles" / "kaggle-2024.toml")
    assert parse_lock(out, profile).get("numpy").provided  # type: ignore[union-attr]
    assert PROVIDED_MARK in out.read_text() and VENDORED_MARK not in out.read_text()
    without = dataclasses.replace(profile, provided=tuple(p for p in profile.provided if p.name != "numpy"))
    with pytest.raises(LockError, match="numpy is marked provided but profile 'kaggle-2024' says otherwise"):
        parse_lock(out, without)


@pytest.mark.parametrize(
    ("edit", "what"),
    [
        (lambda t: t.replace("--hash=sha256:" + "b" * 64, "--hash=sha256:" + "c" * 64), "a provided entry's hash"),
        (lambda t: t.replace("--hash=sha256:" + "a" * 64, "--hash=sha256:" + "d" * 64), "a vendored entry's hash"),
        (lambda t: t.replace(PROVIDED_MARK, VENDORED_MARK), "a mark"),
        (lambda t: t + "# a comment at the end\n", "a line added"),
        (lambda t: t.replace("    # via -r lockfiles/x.in\n", "", 1), "a comment line removed"),
    ],
    ids=["provided-hash", "vendored-hash", "mark", "added", "removed"],
)
def test_a_hand_edit_of_any_line_is_refused(project: Path, edit: Callable[[str], str], what: str) -> None:
    """A lock whose hash was edited on an unused or provided entry was accepted silently."""
    out = write_lock(project, {"numpy": ("1.26.4", ["b" * 64]), "tinypkg": ("1.0", ["a" * 64])})
    profile = load_profile(project / "lockfiles" / "profiles" / "kaggle-2024.toml")
    parse_lock(out, profile)
    text = out.read_text()
    edited = edit(text)
    assert edited != text, what
    out.write_text(edited)
    with pytest.raises(LockError, match=r"kaggle-2024\.txt: edited by hand"):
        parse_lock(out, profile)


def test_lock_pins_other_than_profile_are_refused(project: Path) -> None:
    out = write_lock(project, {"numpy": ("2.0.0", ["b" * 64])})
    profile = load_profile(project / "lockfiles" / "profiles" / "kaggle-2024.toml")
    with pytest.raises(LockError, match=r"numpy==2\.0\.0 but profile 'kaggle-2024' provides numpy==1\.26\.4"):
        parse_lock(out, profile)


def test_missing_lock_says_what_to_run(project: Path) -> None:
    profile = load_profile(project / "lockfiles" / "profiles" / "kaggle-2024.toml")
    with pytest.raises(LockError, match=r"lockfile not found; run `make lock`"):
        _load(project, profile)


def test_conflicting_provided_pin_names_both(project: Path) -> None:
    src = project / "lockfiles" / "kaggle-2024.in"
    src.write_text("llama-cpp-python\nnumpy>=2\n")
    profile = load_profile(project / "lockfiles" / "profiles" / "kaggle-2024.toml")
    with pytest.raises(ProvidedConflict) as exc:
        check_provided_conflicts(src, read_requirements(src), profile)
    msg = str(exc.value)
    assert "kaggle-2024.in" in msg and "numpy>=2" in msg and "numpy==1.26.4" in msg
    assert "\n" not in msg


def test_conflict_is_found_before_any_pip(project: Path) -> None:
    (project / "lockfiles" / "kaggle-2024.in").write_text("jinja2<3\n")
    profile = load_profile(project / "lockfiles" / "profiles" / "kaggle-2024.toml")

    def no_pip(_python: Path) -> Pip:
        raise AssertionError("pip must not run")

    with pytest.raises(ProvidedConflict, match=r"'jinja2<3' conflicts with 'jinja2==3\.1\.4'"):
        compile_lock(
            profile,
            requirements=project / "lockfiles" / "kaggle-2024.in",
            lock=project / "lockfiles" / "kaggle-2024.txt",
            target_python=Path("/nonexistent"),
            cache=project / "c",
            wheels_dir=project / "wheels",
            pip_factory=no_pip,
        )


def test_bad_requirements_file(project: Path) -> None:
    src = project / "lockfiles" / "kaggle-2024.in"
    src.write_text("--extra-index-url http://x\n")
    with pytest.raises(ConfigError, match="line 1: pip options are not allowed"):
        read_requirements(src)
    src.write_text("not a requirement !!\n")
    with pytest.raises(ConfigError, match="line 1: invalid requirement"):
        read_requirements(src)


def test_pip_env_is_scrubbed() -> None:
    env = scrubbed_env(
        base={
            "PIP_FIND_LINKS": "/opt/wheels",
            "PIP_CONSTRAINT": "/etc/c.txt",
            "PIP_INDEX_URL": "file:///x",
            "PYTHONPATH": "/x",
            "HOME": "/root",
            "SSL_CERT_FILE": "/etc/ssl/certs/ca.crt",
        }
    )
    assert env["PIP_CONFIG_FILE"] == "/dev/null"
    assert not {k for k in env if k.startswith("PIP_")} - {
        "PIP_CONFIG_FILE",
        "PIP_DISABLE_PIP_VERSION_CHECK",
        "PIP_NO_INPUT",
        "PIP_NO_CACHE_DIR",
    }
    assert env["PIP_NO_CACHE_DIR"] == "1"  # pip's own cache would be a write outside the builder's
    assert "PYTHONPATH" not in env and env["HOME"] == "/root" and env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca.crt"


def test_pip_compile_argv(tmp_path: Path) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def runner(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
        calls.append((list(argv), dict(env)))
        return subprocess.CompletedProcess(list(argv), 0, "", "")

    Pip(Path("/venv/bin/python"), runner).compile(
        tmp_path / "a.in",
        tmp_path / "a.txt",
        find_links=[tmp_path / "wheels"],
        constraints=tmp_path / "c.txt",
        cwd=tmp_path,
        what="x",
    )
    argv, env = calls[0]
    assert argv[:4] == ["/venv/bin/python", "-m", "piptools", "compile"]
    for flag in ("--generate-hashes", "--allow-unsafe", "--no-emit-index-url", "--no-emit-find-links"):
        assert flag in argv
    assert argv[argv.index("--find-links") + 1] == str(tmp_path / "wheels")
    assert argv[argv.index("--constraint") + 1] == str(tmp_path / "c.txt")
    assert env["PIP_CONFIG_FILE"] == "/dev/null"


def test_pip_failure_is_one_readable_error() -> None:
    def runner(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(list(argv), 1, "", "noise\nERROR: No matching distribution found for x\n")

    with pytest.raises(PipError, match=r"downloading x failed .*No matching distribution found for x"):
        Pip(Path("/p"), runner).run("download", "x", what="downloading x")


@pytest.mark.network
@pytest.mark.slow
def test_compile_lock_with_local_wheels(project: Path) -> None:
    """A real pip-compile run (tools venv from PyPI) resolving a local wheel: its hash goes
    into the lock, nothing of this machine's pip.conf leaks in."""
    from builder.layout import cache_dir
    from builder.util.interpreter import find_target_python

    wheel = make_wheel(project / "wheels")
    profile = load_profile(project / "lockfiles" / "profiles" / "kaggle-2024.toml")
    python = find_target_python(profile.python_version)
    lock = compile_lock(profile, requirements=project / "lockfiles" / "kaggle-2024.in",
                        lock=project / "lockfiles" / "kaggle-2024.txt", target_python=python, cache=cache_dir(),
                        wheels_dir=project / "wheels")
    entry = lock.get("tinypkg")
    assert entry is not None and entry.version == "1.0" and not entry.provided
    assert sha256(wheel) in entry.hashes
    text = lock.path.read_text()
    assert "--find-links" not in text and "/opt/" not in text and "index-url" not in text
    assert _load(project, profile).inputs_sha256 == lock.inputs_sha256


def test_tools_venv_is_keyed_by_every_pin_of_its_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-resolved dependency of pip-tools (here click) must not reuse a venv made from
    the old lock: the venv's folder is named by every pin."""
    from builder.lock import tools as lock_mod

    made: list[Path] = []

    def fake_tool_venv(_py: Path, venv: Path, _reqs: object, *, what: str) -> tuple[Path, bool]:
        made.append(venv)
        return venv / "bin" / "python", True

    monkeypatch.setattr(lock_mod, "tool_venv", fake_tool_venv)
    first = tmp_path / "tools.txt"
    first.write_text(
        f"click==8.1.0 \\\n    --hash=sha256:{'a' * 64}\npip-tools==7.5.0 \\\n    --hash=sha256:{'b' * 64}\n"
    )
    monkeypatch.setattr(lock_mod, "TOOLS_LOCK", first)
    lock_mod.tools_python(Path("/usr/bin/python3.10"), tmp_path, lambda _m: None)
    first.write_text(first.read_text().replace("click==8.1.0", "click==8.2.0"))
    lock_mod.tools_python(Path("/usr/bin/python3.10"), tmp_path, lambda _m: None)
    assert len(made) == 2 and made[0] != made[1]
