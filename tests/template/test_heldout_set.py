"""The held-out question set (``tests/template/data/heldout_questions.tsv``) keeps its format.

The set is data written apart from the agent's code; these checks are on its shape only: five
tab-separated fields a row, a known kind, a yes/no answer, enough rows of both answers in every
rule class, and keywords (with their category) from the game's public list that the template ships.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from factories.labelled import HELDOUT, labelled_rows

KEYWORDS_JSON = Path(__file__).resolve().parents[2] / "template" / "agent20q" / "keywords.json"
HEADER = "# kind\tkeyword\tcategory\tquestion\tanswer"
RULE_KINDS = (
    "first_letter",
    "last_letter",
    "contains_letter",
    "letter_range",
    "letter_set",
    "negation",
    "letter_count",
    "word_count",
    "alphabetical",
    "is_it",
    "in_list",
    "category",
)
KINDS = frozenset((*RULE_KINDS, "open"))
MIN_ROWS = 20


def format_problems(text: str) -> list[str]:
    """Every problem of the file's layout, one line each (line numbers 1-based)."""
    lines = text.splitlines()
    problems = [] if lines and lines[0] == HEADER else [f"line 1: not the column header {HEADER!r}"]
    seen: set[tuple[str, str]] = set()
    for no, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            problems.append(f"line {no}: {len(fields)} tab-separated fields, not 5")
            continue
        kind, keyword, category, question, answer = fields
        if kind not in KINDS:
            problems.append(f"line {no}: unknown kind {kind!r}")
        if category not in ("things", "place"):
            problems.append(f"line {no}: category {category!r} is not 'things' or 'place'")
        if answer not in ("yes", "no"):
            problems.append(f"line {no}: answer {answer!r} is not 'yes' or 'no'")
        if not keyword.strip() or not question.strip() or question != question.strip():
            problems.append(f"line {no}: empty keyword or question, or question with outer spaces")
        if (keyword, question.lower()) in seen:
            problems.append(f"line {no}: the same question for {keyword!r} twice")
        seen.add((keyword, question.lower()))
    return problems


def test_every_line_is_a_comment_or_a_five_field_row() -> None:
    assert format_problems(HELDOUT.read_text(encoding="utf-8")) == []


def test_the_format_check_sees_broken_rows() -> None:
    broken = "\n".join(
        [
            HEADER,
            "first_letter\tLaptop\tthings\tDoes it start with L?\tyes",
            "first_letter\tLaptop\tthings\tDoes it start with L?\tyes",
            "guess\tLaptop\tthings\tIs it a laptop?\tYes",
            "open\tLaptop\tobject\tIs it alive?",
            "open\tLaptop\tstuff\tIs it alive? \tno",
        ]
    )
    assert format_problems(broken) == [
        "line 3: the same question for 'Laptop' twice",
        "line 4: unknown kind 'guess'",
        "line 4: answer 'Yes' is not 'yes' or 'no'",
        "line 5: 4 tab-separated fields, not 5",
        "line 6: category 'stuff' is not 'things' or 'place'",
        "line 6: empty keyword or question, or question with outer spaces",
    ]
    assert format_problems("kind\tkeyword\n")[0].startswith("line 1: not the column header")


def answers_per_kind() -> dict[str, Counter[str]]:
    per: dict[str, Counter[str]] = {}
    for kind, _keyword, _category, _question, answer in labelled_rows(HELDOUT):
        per.setdefault(kind, Counter())[answer] += 1
    return per


@pytest.mark.parametrize("kind", [*RULE_KINDS, "open"])
def test_every_class_has_enough_rows_of_both_answers(kind: str) -> None:
    answers = answers_per_kind().get(kind, Counter())
    assert answers["yes"] + answers["no"] >= MIN_ROWS, f"{kind}: {dict(answers)}"
    assert answers["yes"] > 0 and answers["no"] > 0, f"{kind}: {dict(answers)}"


def test_keywords_and_categories_come_from_the_public_list() -> None:
    categories = json.loads(KEYWORDS_JSON.read_text(encoding="utf-8"))["categories"]
    category_of = {names[0]: category for category, words in categories.items() for names in words}
    wrong = sorted(
        {
            f"{keyword!r} ({category})"
            for _kind, keyword, category, _question, _answer in labelled_rows(HELDOUT)
            if category_of.get(keyword) != category
        }
    )
    assert wrong == [], f"not a keyword of that category in {KEYWORDS_JSON.name}: {wrong}"
