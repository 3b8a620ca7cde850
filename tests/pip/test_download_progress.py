"""A download through pip reports its bytes where pip can say them (``--progress-bar raw``,
pip 24.1 and later), and an older pip downloads as before, in silence."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from builder.pip import Pip

#: A stand-in interpreter: ``-m pip --version`` says VERSION; ``-m pip download`` writes the
#: file and, given ``--progress-bar raw``, pip 25's raw lines (pip 23 refuses the option).
FAKE = """#!{python}
import sys
from pathlib import Path
args = sys.argv[3:]
if args == ["--version"]:
    print("pip {version} from /somewhere (python 3.10)")
    sys.exit(0)
if "--progress-bar" in args:
    if {version!r}.startswith("23."):
        sys.exit("invalid choice: 'raw'")
    for done in (0, 400, 1000):
        print(f"Progress {{done}} of 1000", flush=True)
dest = Path(args[args.index("--dest") + 1])
(dest / "pkg-1.0-py3-none-any.whl").write_bytes(b"x" * 1000)
"""


def _fake_python(tmp_path: Path, version: str) -> Path:
    python = tmp_path / f"python-pip{version}"
    python.write_text(FAKE.format(python=sys.executable, version=version))
    python.chmod(0o755)
    return python


@pytest.mark.parametrize(("version", "seen"), [("25.1.1", [(0, 1000), (400, 1000), (1000, 1000)]), ("23.0.1", [])])
def test_download_progress_where_pip_reports_it(tmp_path: Path, version: str, seen: list[tuple[int, int]]) -> None:
    got: list[tuple[int, int]] = []
    dest = tmp_path / "dl"
    Pip(_fake_python(tmp_path, version)).download("pkg==1.0", dest, what="downloading pkg",
                                                  progress=lambda done, total: got.append((done, total)))
    assert got == seen
    assert (dest / "pkg-1.0-py3-none-any.whl").stat().st_size == 1000
