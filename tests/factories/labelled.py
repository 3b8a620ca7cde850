"""The labelled question sets of the agent's tests, in ``tests/template/data/``.

``labelled_questions.tsv`` is the in-sample set (the rows the code was developed against, the
previous session's held-out rows among them); ``heldout_questions.tsv`` is written apart from the
agent's code, to measure it on rows it was not developed against.
"""

from __future__ import annotations

from pathlib import Path

from factories.paths import ROOT

DATA = ROOT / "tests" / "template" / "data"
LABELLED = DATA / "labelled_questions.tsv"
HELDOUT = DATA / "heldout_questions.tsv"


def labelled_rows(path: Path = LABELLED) -> list[tuple[str, str, str, str, str]]:
    """(kind, keyword, category, question, true answer) per row; kind "open" is labelled by hand."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        kind, keyword, category, question, answer = line.split("\t")
        rows.append((kind, keyword, category, question, answer))
    return rows
