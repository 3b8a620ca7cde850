"""Verify levels 3 and 4, inside the target interpreter (stdlib only, Python 3.10).

Run as ``python -I -B child.py {import|play} REQUEST.json RESULT.json``.  The builder
reads RESULT.json; this script never decides pass/fail, it reports what happened.

- ``import``: import the modules the target preloads, then load ``main.py`` exactly like
  kaggle-environments' ``agent.py`` (read, compile, ``sys.path.append(dir)``,
  ``exec(code, {})``, ``sys.path.pop()``, last callable), then ``import llama_cpp`` when
  ``lib/`` vendors it, then every top-level module of every distribution in ``lib/``.
- ``play``: ``env.run([main, main, main, main])`` of ``llm_20_questions`` per episode and
  a per-agent account of every turn.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import random
import statistics
import sys
import time
import traceback
from typing import Any


def _tail(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]


def _import_names(dist: str) -> list[str]:
    return _top_names(importlib.metadata.distribution(dist))


def _top_names(d: importlib.metadata.Distribution) -> list[str]:
    top = d.read_text("top_level.txt")
    if top:
        names = [n.strip() for n in top.splitlines() if n.strip()]
    else:
        names = []
        for f in d.files or ():
            first = f.parts[0] if f.parts else ""
            if first.endswith(".py"):
                first = first[:-3]
            if first and "." not in first and first not in ("__pycache__", "bin") and first not in names:
                names.append(first)
    return [n for n in names if not n.startswith("_")] or names


def _import_each(dist: str, names: list[str], out: dict[str, Any]) -> list[tuple[str, str]]:
    """Import ``names`` of ``dist``; record each module's file (or the error) in ``out``."""
    done: list[tuple[str, str]] = []
    for name in names:
        try:
            mod = importlib.import_module(name)
        except BaseException as exc:
            out["errors"].append(f"{dist}: import {name} failed: {exc!r}")
            continue
        where = getattr(mod, "__file__", None) or ""
        out["modules"][name] = where
        done.append((name, where))
    return done


def preload(dists: list[str], agent_dir: str) -> dict[str, Any]:
    out: dict[str, Any] = {"modules": {}, "errors": []}
    for dist in dists:
        try:
            names = _import_names(dist)
        except importlib.metadata.PackageNotFoundError:
            out["errors"].append(f"{dist}: not installed in the runtime venv")
            continue
        for name, where in _import_each(dist, names, out):
            if where.startswith(agent_dir + os.sep):
                out["errors"].append(f"{name} was imported from the archive ({where}), not the runtime")
    return out


def import_vendored(lib: str) -> dict[str, Any]:
    """Import each top-level module of each distribution in ``lib`` (on sys.path by now,
    put there by main.py) and say where it came from."""
    out: dict[str, Any] = {"modules": {}, "errors": []}
    for d in sorted(importlib.metadata.distributions(path=[lib]), key=lambda d: d.metadata["Name"] or ""):
        dist = d.metadata["Name"] or "?"
        for name, where in _import_each(dist, _top_names(d), out):
            if not where.startswith(lib + os.sep):
                out["errors"].append(f"{dist}: {name} was imported from {where or '?'}, not from lib/")
    return out


def load_like_kaggle(path: str) -> Any:
    """kaggle_environments.agent.get_last_callable, without its fallback."""
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    code_object = compile(raw, path, "exec")
    env: dict[str, Any] = {}
    exec_dir = os.path.dirname(path)
    sys.path.append(exec_dir)
    exec(code_object, env)
    sys.path.pop()
    return [v for v in env.values() if callable(v)][-1]


def do_import(req: dict[str, Any]) -> dict[str, Any]:
    agent_dir = req["agent_dir"]
    res: dict[str, Any] = {"preload": preload(req["preload"], agent_dir)}
    start = time.perf_counter()
    try:
        agent = load_like_kaggle(req["main"])
        res["agent"] = {
            "name": getattr(agent, "__qualname__", repr(agent)),
            "module": getattr(agent, "__module__", None),
            "argcount": getattr(getattr(agent, "__code__", None), "co_argcount", None),
            "is_function": hasattr(agent, "__code__"),
        }
    except BaseException:
        res["load_error"] = _tail(traceback.format_exc())
    res["load_s"] = time.perf_counter() - start
    res["sys_path_head"] = sys.path[:3]
    if req.get("llama_cpp"):
        try:
            import llama_cpp  # type: ignore[import-not-found]

            res["llama_cpp"] = {
                "file": llama_cpp.__file__,
                "version": getattr(llama_cpp, "__version__", None),
                "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
            }
        except BaseException:
            res["llama_cpp_error"] = _tail(traceback.format_exc())
    lib = os.path.join(agent_dir, "lib")
    if "load_error" not in res and os.path.isdir(lib):
        res["vendored"] = import_vendored(lib)
    return res


# --------------------------------------------------------------------------- play


def _str(x: Any) -> str:
    return x if isinstance(x, str) else repr(x)


def _account(env: Any) -> dict[str, Any]:
    steps = env.steps
    # every reset() appends an (empty) entry to env.logs without clearing it, and
    # make() + run() reset twice: align the tail of logs with steps
    logs = env.logs[len(env.logs) - len(steps) :] if len(env.logs) >= len(steps) else env.logs
    agents: list[dict[str, Any]] = []
    violations: list[str] = []
    for i in range(len(steps[0])):
        durations: list[float] = []
        for k in range(1, len(steps)):
            prev, cur = steps[k - 1][i], steps[k][i]
            if prev["status"] != "ACTIVE":
                continue
            log = logs[k][i] if k < len(logs) and i < len(logs[k]) and logs[k][i] else {}
            if "duration" in log:
                durations.append(float(log["duration"]))
            turn = prev["observation"]["turnType"]
            action = cur["action"]
            if cur["status"] in ("ERROR", "TIMEOUT", "INVALID"):
                continue  # reported by status
            where = f"agent {i} step {k} ({turn})"
            if turn == "answer":
                if action not in ("yes", "no"):
                    violations.append(f"{where}: answer {_str(action)[:60]!r} is not exactly 'yes' or 'no'")
            elif turn in ("ask", "guess"):
                limit = 750 if turn == "ask" else 100
                if not isinstance(action, str) or not action.strip():
                    violations.append(f"{where}: empty {turn}")
                elif len(action) > limit:
                    violations.append(f"{where}: {turn} is {len(action)} chars (limit {limit})")
        last = steps[-1][i]
        stderr = ""
        for k in range(len(logs) - 1, 0, -1):
            log = logs[k][i] if k < len(logs) and i < len(logs[k]) and logs[k][i] else {}
            if log.get("stderr"):
                stderr = log["stderr"]
                break
        agents.append(
            {
                "status": last["status"],
                "reward": last["reward"],
                "role": last["observation"]["role"],
                "durations": durations,
                "overage_left": last["observation"]["remainingOverageTime"],
                "stderr": _tail(stderr, 800) if last["status"] != "DONE" else "",
            }
        )
    return {"agents": agents, "violations": violations, "steps": len(steps)}


def do_play(req: dict[str, Any]) -> dict[str, Any]:
    if req.get("shims"):
        sys.path.append(req["shims"])  # after site-packages: a real torch/transformers wins
    res: dict[str, Any] = {"preload": preload(req["preload"], req["agent_dir"])}
    import kaggle_environments  # type: ignore[import-not-found]
    from kaggle_environments.envs.llm_20_questions import (  # type: ignore[import-not-found]
        llm_20_questions as game,
    )

    res["kaggle_environments"] = kaggle_environments.__version__
    episodes: list[dict[str, Any]] = []
    path = req["main"]
    for n in range(int(req["episodes"])):
        rng = random.Random(int(req.get("seed", 0)) + n)
        cat = rng.choice(game.keywords_list)
        word = rng.choice(cat["words"])
        game.category, game.keyword, game.alts = cat["category"], word["keyword"], word["alts"]
        env = kaggle_environments.make("llm_20_questions", debug=False)
        start = time.perf_counter()
        env.run([path, path, path, path])
        ep = _account(env)
        ep.update(keyword=game.keyword, category=game.category, seconds=time.perf_counter() - start)
        episodes.append(ep)
    res["episodes"] = episodes
    llama = sys.modules.get("llama_cpp")
    if llama is not None:
        try:
            res["gpu_offload"] = bool(llama.llama_supports_gpu_offload())
        except Exception as exc:
            res["gpu_offload_error"] = repr(exc)
    turns = [d for ep in episodes for a in ep["agents"] for d in a["durations"][1:]]
    firsts = [a["durations"][0] for ep in episodes for a in ep["agents"] if a["durations"]]
    res["latency"] = {
        "first_step_max_s": max(firsts) if firsts else None,
        "turn_median_s": statistics.median(turns) if turns else None,
        "turn_max_s": max(turns) if turns else None,
        "turns": len(turns),
    }
    return res


def main(argv: list[str]) -> int:
    mode, req_path, res_path = argv[1:4]
    with open(req_path, encoding="utf-8") as fh:
        req = json.load(fh)
    try:
        res = do_import(req) if mode == "import" else do_play(req)
    except BaseException:
        res = {"crash": _tail(traceback.format_exc())}
    tmp = res_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(res, fh)
    os.replace(tmp, res_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
