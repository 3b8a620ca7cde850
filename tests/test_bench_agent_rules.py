"""The open-row skill measure of ``bench/agent_rules.py`` (ROC AUC and its standard error)."""

from __future__ import annotations

import math
import random

from bench import agent_rules


def _brute_auc(scored: list[tuple[str, float]]) -> float:
    pos = [x for t, x in scored if t == "yes"]
    neg = [x for t, x in scored if t == "no"]
    return sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))


def test_a_perfect_an_inverted_and_a_tied_ranking() -> None:
    assert agent_rules.skill([("yes", 2.0), ("yes", 1.5), ("no", 1.0), ("no", -3.0)])[0] == 1.0
    assert agent_rules.skill([("yes", -2.0), ("no", 1.0), ("no", 3.0)])[0] == 0.0
    assert agent_rules.skill([("yes", 0.5), ("no", 0.5), ("yes", 0.5)])[0] == 0.5


def test_the_area_is_the_share_of_yes_no_pairs_ranked_right_ties_half() -> None:
    rng = random.Random(7)
    # rounded scores: many ties, between and within the answers
    scored = [("yes" if rng.random() < 0.3 else "no", round(rng.gauss(0, 1), 1)) for _ in range(400)]
    auc, se = agent_rules.skill(scored)
    assert auc == _brute_auc(scored)
    assert 0 < se < 0.1


def test_the_error_shrinks_with_more_rows_and_is_about_hanley_mcneil_at_one_half() -> None:
    rng = random.Random(8)
    small = [("yes" if i % 4 == 0 else "no", rng.random()) for i in range(100)]
    large = [("yes" if i % 4 == 0 else "no", rng.random()) for i in range(4000)]
    assert agent_rules.skill(large)[1] < agent_rules.skill(small)[1]
    # at A = 1/2 the variance is (n1 + n0 + 1) / (12 n1 n0): 1000 yes, 3000 no
    assert math.isclose(agent_rules.skill(large)[1], math.sqrt(4001 / (12 * 1000 * 3000)), rel_tol=0.05)


def test_no_skill_without_rows_of_both_answers() -> None:
    assert all(math.isnan(x) for x in agent_rules.skill([("no", 1.0), ("no", 2.0)]))
    assert all(math.isnan(x) for x in agent_rules.skill([]))


def test_the_skill_line_says_when_nothing_was_calibrated() -> None:
    assert "not measured" in agent_rules.skill_line([{"truth": "yes", "calibrated": None}])
    line = agent_rules.skill_line([{"truth": "yes", "calibrated": 1.0}, {"truth": "no", "calibrated": 0.0}])
    assert "1.000" in line and "2 rows" in line
