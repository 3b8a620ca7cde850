"""The verdict of each level from what was observed: level 1 from the archive scan, levels
3 and 4 from the child's result (:mod:`.child.verify_protocol`).  Nothing here runs code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

from ..profile import Profile
from .child.verify_protocol import ImportResult, PlayResult, PreloadReport
from .report import LevelResult, judged
from .runtime import ChildRun
from .scan import ArchiveScan


def level1(scan: ArchiveScan, seconds: float) -> LevelResult:
    details = {
        "members": scan.members,
        "files": len(scan.files),
        "payload_bytes": scan.payload_bytes,
        "archive_bytes": scan.archive_size,
        "archive_sha256": scan.archive_sha256,
        "extracted": scan.root is not None,
    }
    return judged(1, scan.problems, scan.notes, seconds, details)


def level3(run: ChildRun, scan: ArchiveScan, agent_dir: Path, profile: Profile, llama: bool) -> LevelResult:
    problems: list[str] = []
    notes: list[str] = []
    details: dict[str, Any] = {"child_seconds": round(run.seconds, 3)}
    failure = run.failure()
    if failure:
        return judged(3, [f"main.py: {failure}"], notes, run.seconds, details)
    res = cast(ImportResult, run.result or {})
    pre = res["preload"] if "preload" in res else PreloadReport(modules={}, errors=[])
    problems += [f"preload: {e}" for e in pre.get("errors", [])]
    details["preloaded"] = sorted(pre.get("modules", {}))
    if "load_error" in res:
        problems.append(f"main.py: loading it like Kaggle's agent.py raised:\n{res['load_error']}")
    else:
        agent = res.get("agent", {})
        details["agent"] = agent.get("name")
        details["load_s"] = round(float(res.get("load_s", 0.0)), 3)
        argc = agent.get("argcount")
        if not agent.get("is_function"):
            notes.append(f"the agent {agent.get('name')!r} is not a plain function")
        elif argc is not None and argc > 2:
            problems.append(
                f"main.py: the agent {agent.get('name')!r} takes {argc} positional args; Kaggle passes (obs, cfg)"
            )
        limit = profile.timeouts.act_timeout_s + profile.timeouts.overage_s
        if details["load_s"] > limit:
            problems.append(
                f"main.py: loading took {details['load_s']:.1f}s, over the {limit:.0f}s of the first step + overage"
            )
    if llama:
        if "llama_cpp_error" in res:
            problems.append(f"import llama_cpp from lib/ failed:\n{res['llama_cpp_error']}")
        else:
            info = res.get("llama_cpp", {})
            where = str(info.get("file", ""))
            if not where.startswith(str(agent_dir / "lib") + os.sep):
                problems.append(f"llama_cpp was imported from {where}, not from the archive's lib/")
            details["llama_cpp"] = info
            notes.append(f"llama_cpp {info.get('version')} from lib/; GPU offload: {info.get('gpu_offload')}")
    else:
        notes.append("llama_cpp: not vendored")
    vendored = res.get("vendored")
    if vendored is not None:
        problems += [f"lib/: {e}" for e in vendored.get("errors", [])]
        details["vendored_modules"] = vendored.get("modules", {})
        if vendored.get("modules"):
            notes.append(f"imported from lib/: {', '.join(sorted(vendored['modules']))}")
    return judged(3, problems, notes, run.seconds, details)


def level4(run: ChildRun, profile: Profile) -> LevelResult:
    problems: list[str] = []
    notes: list[str] = []
    details: dict[str, Any] = {"child_seconds": round(run.seconds, 3)}
    failure = run.failure()
    if failure:
        return judged(4, [f"play: {failure}"], notes, run.seconds, details)
    res = cast(PlayResult, run.result or {})
    problems += [f"preload: {e}" for e in (res["preload"]["errors"] if "preload" in res else [])]
    act = profile.timeouts.act_timeout_s
    episodes = res.get("episodes", [])
    overage: list[float] = []
    for n, ep in enumerate(episodes):
        tag = f"episode {n + 1} ('{ep.get('keyword')}')"
        for i, a in enumerate(ep.get("agents", [])):
            overage.append(float(a.get("overage_left", 0.0)))
            if a.get("status") != "DONE":
                tail = a.get("stderr", "").strip().splitlines()[-3:]
                why = f": {' | '.join(tail)}" if tail else ""
                problems.append(f"{tag}: agent {i} ({a.get('role')}) ended {a.get('status')}{why}")
        problems += [f"{tag}: {v}" for v in ep.get("violations", [])]
    lat = res.get("latency", {})
    details.update(
        kaggle_environments=res.get("kaggle_environments"),
        episodes=[
            {
                "keyword": ep.get("keyword"),
                "steps": ep.get("steps"),
                "seconds": round(float(ep.get("seconds", 0.0)), 3),
                "rewards": [a.get("reward") for a in ep.get("agents", [])],
                "statuses": [a.get("status") for a in ep.get("agents", [])],
            }
            for ep in episodes
        ],
        model_load_s=lat.get("first_step_max_s"),
        turn_median_s=lat.get("turn_median_s"),
        turn_max_s=lat.get("turn_max_s"),
        act_timeout_s=act,
        overage_left_min_s=min(overage) if overage else None,
        overage_s=profile.timeouts.overage_s,
        gpu_offload=res.get("gpu_offload"),
    )
    offloaded = _offload_line(run.stderr_path)
    if offloaded:
        details["offloaded"] = offloaded
    turn_max = lat.get("turn_max_s")
    if turn_max is not None:
        notes.append(
            f"model load (first step) {lat['first_step_max_s']:.2f}s; turn latency median "
            f"{lat['turn_median_s']:.2f}s, max {lat['turn_max_s']:.2f}s (actTimeout {act:.0f}s); "
            f"overage left {min(overage):.1f}/{profile.timeouts.overage_s:.0f}s"
        )
        if turn_max > act:
            notes.append(f"a turn took longer than actTimeout {act:.0f}s and spent overage")
    if "gpu_offload" in res:
        notes.append(f"llama.cpp GPU offload: {res['gpu_offload']}" + (f" ({offloaded})" if offloaded else ""))
    if not episodes and not problems:
        problems.append("play: no episode was played")
    return judged(4, problems, notes, run.seconds, details)


def _offload_line(path: Path) -> str | None:
    """The last 'offloaded X/Y layers to GPU' line llama.cpp wrote (bounded read)."""
    found: str | None = None
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                if b"offloaded" in raw and b"layers to GPU" in raw:
                    text = raw.decode("utf-8", "replace").strip()
                    found = text[text.find("offloaded") :]
    except OSError:
        return None
    return found
