"""The agent template with the default model on CPU: the KV-cache figure of a 20-round game,
and real ``llm_20_questions`` episodes of a submission folder in the verify runtime.

* ``kv``: a 20-round game of the model alone (``MODEL_ONLY``: no protocol, no rules, so every
  turn is the model's): per-turn latency and prompt tokens evaluated at round 2 vs 20;
* ``self-play``: kaggle-environments 1.14.15 episodes with four copies of the submission
  (the path of its ``main.py``, as Kaggle loads it) on ``SELF_PLAY`` keywords drawn from the
  public list: win rate, the round of the right guess, per-turn latency, who decided;
* ``random``: our guesser with the engine's ``random_answerer`` as its teammate (it does not
  speak the protocol), against ``random_guesser`` + our answerer: every move legal, and how
  often the model / the fallbacks played.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from builder.errors import BuilderError

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template"
SELF_PLAY = 12
RANDOM_EPISODES = 4
SEED = 2024


def _kv_game(model: Path, lib: Path) -> Iterator[str]:
    script = Path(__file__).with_name("agent_game.py")
    proc = subprocess.run(
        [sys.executable, str(script), str(model), "--lib", str(lib), "--model-only"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": ""},
    )
    if proc.returncode != 0:
        raise BuilderError(f"bench: agent benchmark failed: {proc.stderr[-600:]}")
    for line in proc.stdout.splitlines():
        yield f"agent kv: {line}"


def make_folder(folder: Path, model: Path, lib: Path, settings: dict[str, Any] | None = None) -> Path:
    """A submission folder: the template, ``lib`` and the model (symlinks), the settings."""
    shutil.copytree(TEMPLATE, folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (folder / "lib").symlink_to(lib.resolve(), target_is_directory=True)
    (folder / model.name).symlink_to(model.resolve())
    data = json.loads((TEMPLATE / "agent_settings.json").read_text(encoding="utf-8"))
    data.update(settings or {}, model_file=model.name)
    (folder / "agent_settings.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return folder / "main.py"


def episodes_plan(n_self: int = SELF_PLAY, n_random: int = RANDOM_EPISODES, seed: int = SEED) -> list[dict[str, Any]]:
    data = json.loads((TEMPLATE / "agent20q" / "keywords.json").read_text(encoding="utf-8"))["categories"]
    rows = [(cat, entry) for cat, entries in sorted(data.items()) for entry in entries]
    picked = random.Random(seed).sample(rows, n_self) + random.Random(seed + 1).sample(rows, n_random)
    plan = []
    for n, (cat, entry) in enumerate(picked):
        setup = "self-play" if n < n_self else "random"
        agents = ["main"] * 4 if setup == "self-play" else ["main", "random_answerer", "random_guesser", "main"]
        plan.append({"setup": setup, "agents": agents, "keyword": entry[0], "category": cat, "alts": entry[1:],
                     "seed": seed + n})
    return plan


def run_episodes(main_py: Path, plan: Sequence[dict[str, Any]], work: Path, timeout: float = 3600) -> dict[str, Any]:
    """The plan's episodes in the verify runtime (built when missing); the child's RESULT."""
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
    request = work / "episodes.json"
    report = work / "turns.jsonl"
    request.write_text(
        json.dumps({"main": str(main_py), "shims": str(runtime.shims), "report": str(report), "episodes": list(plan)}),
        encoding="utf-8",
    )
    script = Path(__file__).with_name("agent_episodes.py")
    proc = subprocess.run(
        [str(runtime.python), "-I", "-B", str(script), str(request)],
        capture_output=True,
        text=True,
        check=False,
        cwd=work,
        timeout=timeout,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise BuilderError(f"bench: episodes failed (rc {proc.returncode}): {proc.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def _latency(turns: Sequence[dict[str, Any]]) -> str:
    lat = sorted(float(t["latency_s"]) for t in turns)
    if not lat:
        return "no turns"
    return f"turn median {statistics.median(lat):.3f} s, max {lat[-1]:.3f} s ({len(lat)} turns)"


def summarize(result: dict[str, Any]) -> Iterator[str]:
    eps = result["episodes"]
    selfp = [e for e in eps if e["setup"] == "self-play"]
    rand = [e for e in eps if e["setup"] == "random"]
    if selfp:
        rounds = [e["won_round"][0] for e in selfp]
        won = [r for r in rounds if r is not None]
        yield (f"self-play: {len(won)}/{len(selfp)} won ({100 * len(won) / len(selfp):.0f} %), rounds "
               f"{sorted(won)}, mean {statistics.mean(won) if won else float('nan'):.1f}")
        turns = [t for e in selfp for t in e["turns"]]
        yield f"self-play: {_latency(turns)}; decided by {dict(Counter(t['decided_by'] for t in turns))}"
        for e in selfp:
            yield (f"self-play:   {e['keyword']!r} ({e['category']}): round {e['won_round'][0]}, "
                   f"statuses {e['statuses']}, {e['seconds']:.1f} s")
    for e in rand:
        ours = [t for t in e["turns"] if t["turn"] in ("ask", "guess")]
        answers = [t for t in e["turns"] if t["turn"] == "answer"]
        yield (f"random: {e['keyword']!r}: statuses {e['statuses']}, violations {len(e['violations'])}, handshake "
               f"answered {e['answers'][0] if e['answers'] else '-'}; our guesser decided by "
               f"{dict(Counter(t['decided_by'] for t in ours))}, fallbacks "
               f"{dict(Counter(t['fallback'] for t in ours))}; our answerer by "
               f"{dict(Counter(t['decided_by'] for t in answers))}; {_latency(e['turns'])}")
    bad = [v for e in eps for v in e["violations"]] + [
        f"{e['keyword']}: {s}" for e in eps for s in e["statuses"] if s != "DONE"
    ]
    yield f"episodes: {len(eps)} in kaggle-environments {result['kaggle_environments']}, problems: {bad or 'none'}"


def bench_agent(root: Path, model: Path, lib: Path) -> Iterator[str]:
    yield from _kv_game(model, lib)
    (root / "build").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-agent-", dir=root / "build") as tmp:
        work = Path(tmp).resolve()
        main_py = make_folder(work / "submission", model, lib)
        for line in summarize(run_episodes(main_py, episodes_plan(), work)):
            yield f"agent episodes: {line}"
