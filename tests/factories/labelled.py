"""The labelled question set of the agent's tests: ``tests/template/data/labelled_questions.tsv``."""

from __future__ import annotations

from factories.paths import ROOT

LABELLED = ROOT / "tests" / "template" / "data" / "labelled_questions.tsv"


def labelled_rows() -> list[tuple[str, str, str, str, str]]:
    """(kind, keyword, category, question, true answer) per row; kind "open" is labelled by hand."""
    rows = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        kind, keyword, category, question, answer = line.split("\t")
        rows.append((kind, keyword, category, question, answer))
    return rows
