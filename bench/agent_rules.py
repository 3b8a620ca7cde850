"""The answerer on labelled questions: in-sample and held-out, side by side (``bench --only rules``).

Two labelled files in the format of ``tests/template/data/labelled_questions.tsv`` (``kind``,
``keyword``, ``category``, ``question``, ``answer`` per row; ``#`` lines are comments):

* in-sample: ``labelled_questions.tsv``, the rows the answerer's code was written against;
* held-out: ``heldout_questions.tsv``, rows written apart from the code (its note says how);
  a missing file is reported as "not available", never as passed.

Rule-shaped rows (every kind but ``open``), per kind: how many rows, how many code answered
and got right, how many it declined (left to the model) and how many it answered wrong
("confident-wrong"; the target is none).  Open rows: code must decline them all; the default
model answers them with the default settings (a child process: ``python bench/agent_rules.py
MODEL --lib LIB --rows FILE``, one JSON line per row) and the report gives the yes-rate
against the file's base rate, the accuracy and the balanced accuracy (the mean of the recall
of "yes" and of "no": 50 % for any constant or random answerer), each with its standard
error: ``sqrt(p (1 - p) / n)`` for a rate, and for the balanced accuracy the standard error
of the mean of two independent proportions, ``sqrt(r1 (1 - r1) / n1 + r0 (1 - r0) / n0) / 2``.
Rows share keywords and questions, so these errors are a lower bound.

``python -m bench.agent_rules --calibrate`` prints the ``calibration_margin`` that makes the
yes-rate of the in-sample open rows equal their base rate (the setting in
``agent_settings.json`` is chosen that way, on in-sample rows only).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template"
DATA = REPO / "tests" / "template" / "data"
IN_SAMPLE = DATA / "labelled_questions.tsv"
HELD_OUT = DATA / "heldout_questions.tsv"


class Row(NamedTuple):
    kind: str
    keyword: str
    category: str
    question: str
    answer: str


class LabelledError(ValueError):
    """A labelled file that cannot be read (the message names the file and the line)."""


def read_rows(path: Path) -> list[Row] | None:
    """The rows of a labelled file; None when the file does not exist."""
    if not path.is_file():
        return None
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 5 or parts[4] not in ("yes", "no"):
            raise LabelledError(f"{path}:{n}: expected 5 tab-separated fields ending in yes/no, got {line[:80]!r}")
        rows.append(Row(*parts))
    return rows


def _agent_module(agent_dir: Path = TEMPLATE) -> Any:
    if str(agent_dir) not in sys.path:
        sys.path.insert(0, str(agent_dir))
    return importlib.import_module("agent20q")


class KindScore(NamedTuple):
    n: int
    right: int
    declined: int
    wrong: int


def score_rules(rows: Sequence[Row], mod: Any = None) -> dict[str, KindScore]:
    """Per kind: rows, answered right by code, declined (the model's), answered wrong by code.
    For ``open`` rows "right" and "wrong" count the ones code answered at all (it should not)."""
    mod = mod or _agent_module()
    cands = {c.key: c for c in mod.load_candidates(str(TEMPLATE))}
    known = mod.oracle.known_names(cands.values())  # as the agent builds it (places read in lower case)
    tally: dict[str, Counter[str]] = {}
    for row in rows:
        alts = cands[row.keyword.lower()].alts if row.keyword.lower() in cands else ()
        decision = mod.decide(row.question, mod.Subject(row.keyword, alts, row.category), known)
        if decision is None:
            outcome = "declined"
        else:
            outcome = "right" if decision.answer == row.answer else "wrong"
        tally.setdefault(row.kind, Counter())[outcome] += 1
    return {
        kind: KindScore(sum(c.values()), c["right"], c["declined"], c["wrong"]) for kind, c in sorted(tally.items())
    }


# ------------------------------------------------------------------------- open rows


class OpenScore(NamedTuple):
    n: int
    base_rate: float  # share of rows whose answer is yes
    yes_rate: float
    accuracy: float
    balanced: float
    balanced_se: float
    n_yes: int
    n_no: int


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n) if n else float("nan")


def skill(scored: Sequence[tuple[str, float]]) -> tuple[float, float]:
    """How well the model's calibrated margin ranks the "yes" rows above the "no" rows, whatever
    the margin: the area under the ROC curve (the chance that a random "yes" row scores above a
    random "no" row, ties half; 0.5 is no skill) and its standard error (Hanley and McNeil, 1982).
    ``(nan, nan)`` without rows of both answers."""
    pos = sorted(x for t, x in scored if t == "yes")
    neg = sorted(x for t, x in scored if t == "no")
    n1, n0 = len(pos), len(neg)
    if not n1 or not n0:
        return float("nan"), float("nan")
    wins = 0.0
    lo = hi = 0  # neg[:lo] < x, neg[:hi] <= x, for the rising x of pos
    for x in pos:
        while lo < n0 and neg[lo] < x:
            lo += 1
        hi = max(hi, lo)
        while hi < n0 and neg[hi] <= x:
            hi += 1
        wins += lo + 0.5 * (hi - lo)
    a = wins / (n1 * n0)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0)
    return a, math.sqrt(max(var, 0.0))


def score_open(pairs: Sequence[tuple[str, str]]) -> OpenScore:
    """(truth, answer) pairs -> rates; balanced accuracy with the SE of a mean of two proportions."""
    n = len(pairs)
    yes = [a for t, a in pairs if t == "yes"]
    no = [a for t, a in pairs if t == "no"]
    r1 = sum(a == "yes" for a in yes) / len(yes) if yes else float("nan")
    r0 = sum(a == "no" for a in no) / len(no) if no else float("nan")
    return OpenScore(
        n=n,
        base_rate=len(yes) / n if n else float("nan"),
        yes_rate=sum(a == "yes" for _t, a in pairs) / n if n else float("nan"),
        accuracy=sum(t == a for t, a in pairs) / n if n else float("nan"),
        balanced=(r1 + r0) / 2,
        balanced_se=math.sqrt(r1 * (1 - r1) / len(yes) + r0 * (1 - r0) / len(no)) / 2 if yes and no else float("nan"),
        n_yes=len(yes),
        n_no=len(no),
    )


def answer_open(
    rows: Sequence[Row], model: Path, lib: Path, settings: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The default agent's answers to ``rows`` (a child process loads the model)."""
    request = json.dumps({"rows": [r._asdict() for r in rows], "settings": settings or {}})
    proc = subprocess.run(
        [sys.executable, str(Path(__file__)), str(model), "--lib", str(lib)],
        input=request,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": ""},
    )
    if proc.returncode != 0:
        from builder.errors import BuilderError

        raise BuilderError(f"bench: open questions failed: {proc.stderr[-800:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _child(model: str, lib: str) -> int:
    """Read {"rows": [...], "settings": {...}} on stdin; print one JSON line per row."""
    request = json.loads(sys.stdin.read())
    sys.path.insert(0, lib)
    mod = _agent_module()
    settings = dict(mod.DEFAULTS)
    settings.update(json.loads((TEMPLATE / "agent_settings.json").read_text(encoding="utf-8")))
    settings.update(request["settings"], model_file=str(Path(model).resolve()), log=False)
    agents: dict[str, Any] = {}
    for row in request["rows"]:
        agent = agents.setdefault(row["keyword"], mod.Agent(str(TEMPLATE), settings))
        obs = {"turnType": "answer", "questions": [row["question"]], "answers": [], "guesses": [],
               "keyword": row["keyword"], "category": row["category"], "remainingOverageTime": 300}
        answer = agent.act(obs, {"actTimeout": 60})
        info = agent.last
        scores = info.get("scores") or {}
        print(json.dumps({
            "truth": row["answer"], "answer": answer, "decided_by": info["decided_by"],
            "delta": scores.get("yes", 0.0) - scores.get("no", 0.0) if scores else None,
            "calibrated": info.get("calibrated_delta"), "bias": agent.engine.answer_bias if agent.engine else None,
        }), flush=True)
    return 0


def margin_for_rate(calibrated: Sequence[float], rate: float) -> float:
    """The margin that answers yes to a share ``rate`` of these calibrated deltas (the
    midpoint between the two deltas around the cut)."""
    ordered = sorted(calibrated, reverse=True)
    k = round(rate * len(ordered))
    if k <= 0:
        return ordered[0] + 1e-3
    if k >= len(ordered):
        return ordered[-1] - 1e-3
    return (ordered[k - 1] + ordered[k]) / 2


# ---------------------------------------------------------------------------- report


def _pct(x: float) -> str:
    return "   -" if math.isnan(x) else f"{100 * x:4.1f}"


def rule_table(ins: dict[str, KindScore], held: dict[str, KindScore] | None) -> Iterator[str]:
    yield ("kind              | in-sample:  rows  right  declined  WRONG | held-out:  rows  right  declined  WRONG")
    kinds = sorted(set(ins) | set(held or {}), key=lambda k: (k == "open", k))
    for kind in kinds:
        a = ins.get(kind)
        b = (held or {}).get(kind)
        left = f"{a.n:16d} {a.right:6d} {a.declined:9d} {a.wrong:6d}" if a else f"{'-':>16} {'':6} {'':9} {'':6}"
        if held is None:
            right = "    not available"
        else:
            right = f"{b.n:15d} {b.right:6d} {b.declined:9d} {b.wrong:6d}" if b else f"{'-':>15}"
        yield f"{kind:17} |{left} |{right}"


def open_line(name: str, s: OpenScore) -> str:
    return (
        f"{name}: {s.n} open rows ({s.n_yes} yes / {s.n_no} no): base rate {_pct(s.base_rate)} %, answered yes "
        f"{_pct(s.yes_rate)} % (+-{_pct(_se(s.yes_rate, s.n)).strip()}), accuracy {_pct(s.accuracy)} % "
        f"(+-{_pct(_se(s.accuracy, s.n)).strip()}; constant 'no': {_pct(1 - s.base_rate)} %), balanced accuracy "
        f"{_pct(s.balanced)} % +- {_pct(s.balanced_se).strip()} (SE; chance 50 %)"
    )


def skill_line(got: Sequence[dict[str, Any]]) -> str:
    """The model's skill on open rows, whatever the margin (see :func:`skill`)."""
    scored = [(g["truth"], float(g["calibrated"])) for g in got if g.get("calibrated") is not None]
    if not scored:
        return "model skill not measured (no calibrated margins: answer_calibration is 'none')"
    auc, se = skill(scored)
    return (f"model skill (ROC AUC of the calibrated margin, {len(scored)} rows) {auc:.3f} +- {se:.3f} "
            "(0.5: none; the margin sets only how often it says yes)")


def bench_rules(model: Path, lib: Path) -> Iterator[str]:
    mod = _agent_module()
    ins_rows = read_rows(IN_SAMPLE) or []
    held_rows = read_rows(HELD_OUT)
    ins, held = score_rules(ins_rows, mod), (score_rules(held_rows, mod) if held_rows is not None else None)
    for line in rule_table(ins, held):
        yield f"agent rules: {line}"
    for name, scores in (("in-sample", ins), ("held-out", held)):
        if scores is None:
            yield f"agent rules: {name}: not available ({HELD_OUT.relative_to(REPO)} is missing)"
            continue
        shaped = [s for k, s in scores.items() if k != "open"]
        yield (f"agent rules: {name}: rule-shaped {sum(s.n for s in shaped)} rows, right "
               f"{sum(s.right for s in shaped)}, declined {sum(s.declined for s in shaped)}, confident-wrong "
               f"{sum(s.wrong for s in shaped)}")
    for name, rows in (("in-sample", ins_rows), ("held-out", held_rows)):
        if rows is None:
            yield f"agent open: {name}: not available"
            continue
        got = answer_open([r for r in rows if r.kind == "open"], model, lib)
        by_model = [(g["truth"], g["answer"]) for g in got if g["decided_by"] == "model"]
        yield f"agent open: {open_line(name, score_open(by_model))}"
        yield f"agent open: {name}: {skill_line([g for g in got if g['decided_by'] == 'model'])}"
        if len(by_model) != len(got):
            who = Counter(g["decided_by"] for g in got)
            yield f"agent open: {name}: {len(got) - len(by_model)} open rows not answered by the model: {dict(who)}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--lib", required=True, help="a folder holding llama_cpp/")
    ap.add_argument("--calibrate", action="store_true",
                    help="print the calibration_margin that matches the in-sample base rate")
    args = ap.parse_args(argv)
    if not args.calibrate:
        return _child(args.model, args.lib)
    rows = [r for r in read_rows(IN_SAMPLE) or [] if r.kind == "open"]
    got = answer_open(rows, Path(args.model), Path(args.lib), {"calibration_margin": 0.0})
    calibrated = [g["calibrated"] for g in got]
    base = sum(r.answer == "yes" for r in rows) / len(rows)
    margin = margin_for_rate(calibrated, base)
    print(f"in-sample open rows: {len(rows)}, base rate {100 * base:.1f} %; calibration_margin {margin:.4f}")
    print(f"in-sample open rows: {skill_line(got)}")
    for m in (0.0, margin):
        pairs = [(g["truth"], "yes" if g["calibrated"] > m else "no") for g in got]
        print(f"margin {m:.4f}: {open_line('in-sample', score_open(pairs))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
