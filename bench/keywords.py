"""Make the agent template's candidate list, ``agent20q/keywords.json``, from kaggle-environments.

The list is the competition's public keyword list: ``KEYWORDS_JSON`` of
``kaggle_environments/envs/llm_20_questions/keywords.py`` in kaggle-environments 1.14.15
(the last release during the competition; 579 "things" and 563 "place" entries, with
``alts``).  The file is read as text and its one string constant parsed (nothing of the
package is imported); its sha256 is recorded in the output, which holds one entry per line
(``[keyword, alt, ...]``) in the package's order, so a diff shows what changed::

    python -m bench.keywords [--source .../keywords.py] [--output PATH] [--check]

Without ``--source`` the file comes from the verify runtime venv (built by ``make verify``,
or here when missing).  ``--check`` only compares and exits 1 when the shipped file differs.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "template" / "agent20q" / "keywords.json"
PACKAGE = "kaggle-environments 1.14.15"
SOURCE_PATH = "kaggle_environments/envs/llm_20_questions/keywords.py"
#: sha256 of that file in the 1.14.15 wheel (its RECORD: F3GRzHYc...).
SOURCE_SHA256 = "177191cc761c4e0fefb8c77303d1269f84ea4eda9841511a3db57b9386712992"


def runtime_source() -> Path:
    """keywords.py in the verify runtime venv (kaggle-environments 1.14.15)."""
    from builder.layout import Project
    from builder.lock import load_lock
    from builder.profile import resolve_profile
    from builder.spec import resolve_spec
    from builder.util.interpreter import find_target_python
    from builder.verify.runtime import ensure_runtime

    project = Project(REPO)
    profile = resolve_profile(project, "kaggle-2024")
    spec = resolve_spec(project)
    reqs = [e.pin for e in load_lock(profile, requirements=spec.requirements, lock=spec.lock).provided]
    runtime = ensure_runtime(find_target_python(profile.python_version), profile, reqs, play=True)
    found = sorted(runtime.root.glob(f"lib/python3*/site-packages/{SOURCE_PATH}"))
    if not found:
        raise FileNotFoundError(f"{SOURCE_PATH} not in {runtime.root}")
    return found[0]


def parse_keywords(text: str) -> list[dict[str, Any]]:
    """``KEYWORDS_JSON`` of keywords.py, parsed without importing it."""
    for node in ast.parse(text).body:
        named = isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "KEYWORDS_JSON" for t in node.targets
        )
        if named and isinstance(node, ast.Assign):
            value = ast.literal_eval(node.value)
            data: list[dict[str, Any]] = json.loads(value)
            return data
    raise ValueError("no KEYWORDS_JSON assignment")


def render(data: list[dict[str, Any]], sha256: str) -> str:
    lines = [
        "{",
        f'"source": {json.dumps(f"{PACKAGE}: {SOURCE_PATH} (KEYWORDS_JSON)")},',
        f'"sha256": {json.dumps(sha256)},',
        '"made_by": "python -m bench.keywords",',
        '"format": "category -> [keyword, alt, ...] in the order of the source",',
        '"categories": {',
    ]
    for i, cat in enumerate(data):
        lines.append(f"{json.dumps(cat['category'])}: [")
        words = cat["words"]
        for j, w in enumerate(words):
            entry = json.dumps([w["keyword"], *w["alts"]], ensure_ascii=False)
            lines.append(entry + ("," if j + 1 < len(words) else ""))
        lines.append("]" + ("," if i + 1 < len(data) else ""))
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.keywords", description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=None, help="keywords.py of kaggle-environments 1.14.15")
    ap.add_argument("--output", type=Path, default=OUTPUT)
    ap.add_argument("--check", action="store_true", help="compare with --output, write nothing")
    args = ap.parse_args(argv)
    source = args.source or runtime_source()
    raw = source.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if sha != SOURCE_SHA256:
        print(f"ERROR {source}: sha256 {sha} is not the 1.14.15 file's {SOURCE_SHA256}", file=sys.stderr)
        return 1
    text = render(parse_keywords(raw.decode("utf-8")), sha)
    if args.check:
        same = args.output.is_file() and args.output.read_text(encoding="utf-8") == text
        print(f"{args.output}: {'up to date' if same else 'DIFFERS'}")
        return 0 if same else 1
    args.output.write_text(text, encoding="utf-8")
    print(f"{args.output}: {len(text)} bytes from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
