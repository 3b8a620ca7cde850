"""How each level's verdict is made, from what was observed: level 1 from the archive scan,
level 2 from the static findings, levels 3 and 4 from the child's typed result
(:mod:`.child.verify_protocol`, checked against its type when it was read: keys the
protocol always writes are read as such).  Nothing here runs code or touches the archive.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from ..profile import Profile
from .child.verify_protocol import (
    EpisodeReport,
    ImportRequest,
    ImportResult,
    ModelProbe,
    NativeReport,
    PlayResult,
    TurnReport,
)
from .games import ENDED, Move, Played, decided_counts, game_lines, one_line
from .report import LevelResult, Section, judged
from .runtime import ChildRun
from .scan import ArchiveScan
from .static import StaticFindings
from .stubs import NativePlan

#: What a child level's result is: the import's or the play's.
R = TypeVar("R", ImportResult, PlayResult)
Loaded = Literal["loaded", "failed", "unused"]


def level1(scan: ArchiveScan) -> LevelResult:
    details = {
        "members": scan.members,
        "files": len(scan.files),
        "payload_bytes": scan.payload_bytes,
        "archive_bytes": scan.archive_size,
        "archive_sha256": scan.archive_sha256,
        "extracted": scan.root is not None,
    }
    return judged(1, scan.problems, scan.notes, 0.0, details, gaps=scan.gaps)


def level2(found: StaticFindings) -> LevelResult:
    return judged(2, found.problems, found.notes, 0.0, found.details, gaps=found.gaps)


# ----------------------------------------------- levels 3 and 4: the child's result


@dataclass(slots=True)
class _Findings:
    """A child level's problems, notes and details as they are collected."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)


def _opening(n: int, what: str, run: ChildRun[Any, R]) -> tuple[R, _Findings] | LevelResult:
    """What levels 3 and 4 open with: a child that gave no usable result is the verdict;
    else its result, with what importing the target's packages first went wrong."""
    found = _Findings(details={"child_seconds": round(run.seconds, 3)})
    failure = run.failure()
    if failure is not None or run.result is None:
        return judged(n, [f"{what}: {failure}"], [], run.seconds, found.details)
    found.problems += [f"preload: {e}" for e in run.result["preload"]["errors"]]
    return run.result, found


def _closing(
    n: int, found: _Findings, run: ChildRun[Any, Any], native: NativeReport, plan: NativePlan | None,
    offload: bool | None, *, loaded: Loaded,
) -> LevelResult:
    """What levels 3 and 4 close with: what the GPU libraries were (real or stubs) and what
    that proves, before the level's own findings; then the verdict."""
    nprob, nnotes, ndetails, qualifier = _natives(n, plan, native, offload, run.stderr_path, loaded=loaded)
    gaps = list(found.gaps)
    if ndetails:
        found.details["native"] = ndetails
        if "not_proven" in ndetails:
            gaps.insert(0, f"not proven {ndetails['not_proven']} (the CUDA build was loaded against stubs of the "
                           "target's libraries)")
    result = judged(n, [*nprob, *found.problems], [*nnotes, *found.notes], run.seconds, found.details, gaps=gaps)
    return dataclasses.replace(result, qualifier=qualifier) if qualifier else result


def _natives(
    level: int, plan: NativePlan | None, got: NativeReport, offload: bool | None, stderr: Path,
    *, loaded: Loaded,
) -> tuple[list[str], list[str], dict[str, Any], str]:
    """Problems, notes, details and the verdict's qualifier about the GPU libraries:
    which were stubs, which real, and what that proves.  ``loaded``: whether the archive's
    libraries were loaded at this level (``unused``: the agent never imported llama_cpp)."""
    if plan is None or not plan.needed:
        return [], [], {}, ""
    problems = [f"GPU libraries: {e}" for e in got["errors"]]
    notes: list[str] = []
    libraries: dict[str, str] = {}
    stubbed = [s for s in plan.stubs if s.soname in got["stubs"]]
    for soname in plan.needed:
        stub = plan.stub(soname)
        if stub is not None and stub in stubbed:
            libraries[soname] = f"stub from the export list of {stub.package} (profile '{plan.profile}')"
        elif soname in got["real"]:
            libraries[soname] = f"real: {got['real'][soname]}"
            if stub is not None:
                notes.append(f"{soname}: the real library was found ({got['real'][soname]}); its stub was not used")
        else:
            libraries[soname] = "real (found by the loader)"
    init = _stderr_line(stderr, b"ggml_cuda_init")
    details: dict[str, Any] = {"gpu_libraries": libraries, "gpu_offload": offload}
    if init:
        details["ggml_cuda_init"] = init
    if not stubbed:
        details["proven"] = f"loaded against this machine's own {', '.join(plan.needed)}"
        notes.append(f"GPU libraries: the real ones, no stubs ({', '.join(f'{k} {v}' for k, v in libraries.items())}"
                     f"); llama.cpp GPU offload: {offload if offload is not None else 'not reported'}")
        return problems, notes, details, ""
    names = ", ".join(s.soname for s in stubbed)
    if loaded == "failed":
        notes.append(f"stubs of {names} (from profile '{plan.profile}' export lists) were loaded first; "
                     "the archive's libraries did not load against them (see the problems)")
        return problems, notes, details, ""
    if loaded == "unused":
        notes.append(f"stubs of {names} were loaded, but the agent never imported llama_cpp while playing: "
                     "the CUDA build was not exercised at this level")
        return problems, notes, details, ""
    details["proven"] = (f"every symbol and version the archive imports from {names} is exported by the "
                         f"target's libraries (stubs made from profile '{plan.profile}' export lists loaded)")
    details["not_proven"] = "that the CUDA kernels run: no GPU was used, llama.cpp ran on its CPU backend"
    which = "; ".join(f"{s.soname}: {s.package}" for s in stubbed)
    notes.append(f"CUDA build loaded against stubs of the target's libraries ({which}), made from profile "
                 f"'{plan.profile}' export lists: every symbol it imports from them exists there")
    if init:
        notes.append(f"llama.cpp: {init}")
    notes.append("not proven: that the kernels run on the target's GPU (no GPU here; "
                 f"llama.cpp GPU offload: {offload if offload is not None else 'not reported'})")
    what = "llama.cpp runs on CPU" if level == 3 else "played on CPU"
    return problems, notes, details, f"CUDA build loaded against stubs of the target's libraries; no GPU here: {what}"


def _stderr_line(path: Path, marker: bytes) -> str | None:
    """The last line of the child's stderr holding ``marker`` (streamed, cut to 300 chars)."""
    found: str | None = None
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                if marker in raw:
                    found = raw.decode("utf-8", "replace").strip()[:300]
    except OSError:
        return None
    return found


def level3(run: ChildRun[ImportRequest, ImportResult], agent_dir: Path, profile: Profile,
           plan: NativePlan | None = None) -> LevelResult:
    """main.py loaded like Kaggle's loader, llama_cpp imported from lib/, every module of lib/
    imported, the model loaded and evaluated by the archive's own llama_cpp."""
    opened = _opening(3, "main.py", run)
    if isinstance(opened, LevelResult):
        return opened
    res, found = opened
    found.details["preloaded"] = sorted(res["preload"]["modules"])
    _loaded_agent(res, profile, found)
    if run.request["llama_cpp"]:
        _imported_llama(res, agent_dir, found)
    else:
        found.notes.append("llama_cpp: not vendored")
    vendored = res.get("vendored")
    if vendored is not None:
        found.problems += [f"lib/: {e}" for e in vendored["errors"]]
        found.details["vendored_modules"] = vendored["modules"]
        if vendored["modules"]:
            found.notes.append(f"imported from lib/: {', '.join(sorted(vendored['modules']))}")
    if "model" in res:
        mprob, mnotes, found.details["model"] = _model_probe(res["model"], profile)
        found.problems += mprob
        found.notes += mnotes
    offload = res["llama_cpp"]["gpu_offload"] if "llama_cpp" in res else None
    failed = "llama_cpp_error" in res or bool(vendored and vendored["errors"])
    return _closing(3, found, run, res["native"], plan, offload, loaded="failed" if failed else "loaded")


def _loaded_agent(res: ImportResult, profile: Profile, found: _Findings) -> None:
    """The agent Kaggle's loader found in main.py, and how long loading took."""
    if "agent" not in res:
        error = res.get("load_error", "the child reported neither the agent nor an error")
        found.problems.append(f"main.py: loading it like Kaggle's agent.py raised:\n{error}")
        return
    agent = res["agent"]
    found.details["agent"] = agent["name"]
    found.details["load_s"] = round(res["load_s"], 3)
    argc = agent["argcount"]
    if not agent["is_function"]:
        found.notes.append(f"the agent {agent['name']!r} is not a plain function")
    elif argc is not None and argc > 2:
        found.problems.append(
            f"main.py: the agent {agent['name']!r} takes {argc} positional args; Kaggle passes (obs, cfg)"
        )
    limit = profile.timeouts.act_timeout_s + profile.timeouts.overage_s
    if found.details["load_s"] > limit:
        found.problems.append(
            f"main.py: loading took {found.details['load_s']:.1f}s, over the {limit:.0f}s of the first step + overage"
        )


def _imported_llama(res: ImportResult, agent_dir: Path, found: _Findings) -> None:
    """llama_cpp must come from the archive's lib/."""
    if "llama_cpp" not in res:
        error = res.get("llama_cpp_error", "the child reported neither llama_cpp nor an error")
        found.problems.append(f"import llama_cpp from lib/ failed:\n{error}")
        return
    info = res["llama_cpp"]
    if not info["file"].startswith(str(agent_dir / "lib") + os.sep):
        found.problems.append(f"llama_cpp was imported from {info['file']}, not from the archive's lib/")
    found.details["llama_cpp"] = info
    found.notes.append(f"llama_cpp {info['version']} from lib/; GPU offload: {info['gpu_offload']}")


def _model_probe(probe: ModelProbe, profile: Profile) -> tuple[list[str], list[str], dict[str, Any]]:
    """Level 3's verdict on the archive's model, loaded by the archive's own llama_cpp."""
    name = probe["model"] or "the model"
    details: dict[str, Any] = {k: v for k, v in probe.items() if k != "error"}
    if probe["error"]:
        last = [ln for ln in probe["error"].strip().splitlines() if ln.strip()][-1:] or ["?"]
        logged = "; ".join(probe.get("log_errors", [])[-2:])
        return [f"{name}: llama.cpp cannot load it with the archive's llama_cpp: {last[0]}"
                + (f" (llama.cpp: {logged})" if logged else "")], [], details
    problems: list[str] = []
    if probe.get("finite_logits") is False:
        problems.append(f"{name}: loads, but its logits are not finite numbers (NaN/inf): broken weights")
    load_s = float(probe.get("load_s", 0.0))
    limit = profile.timeouts.act_timeout_s + profile.timeouts.overage_s
    if load_s > limit:
        problems.append(f"{name}: loading took {load_s:.1f}s, more than the first step's {limit:.0f}s with overage")
    offloaded = probe.get("offloaded")
    notes = [f"{name}: loaded by the archive's llama_cpp in {load_s:.2f}s and evaluated "
             f"({probe.get('prompt_tps', 0):.0f} prompt tokens/s, {probe.get('generate_tps', 0):.1f} generated "
             f"tokens/s" + (f"; offloaded {offloaded} layers to the GPU" if offloaded else "") + ")"]
    return problems, notes, details


def level4(played: Played, profile: Profile, plan: NativePlan | None = None) -> LevelResult:
    """Every agent of ours ended DONE within the rules, and said its model worked; latency
    against the profile's timeouts; the games, as a person reads them (a section each)."""
    run = played.run
    opened = _opening(4, "play", run)
    if isinstance(opened, LevelResult):
        return opened
    res, found = opened
    overage = _episodes(res["episodes"], found)
    found.details["episodes"] = [g.to_json() for g in played.games]
    _latency(res, profile, overage, run.stderr_path, found)
    _our_moves(played, res["agent_turns"], found)
    if not res["episodes"] and not found.problems:
        found.problems.append("play: no episode was played")
    used: Loaded = "loaded" if "gpu_offload" in res else "failed" if "gpu_offload_error" in res else "unused"
    result = _closing(4, found, run, res["native"], plan, res.get("gpu_offload"), loaded=used)
    sections = tuple(Section(title=g.title, lines=tuple(game_lines(g))) for g in played.games)
    return dataclasses.replace(result, sections=sections)


def _episodes(episodes: list[EpisodeReport], found: _Findings) -> list[float]:
    """Each of our agents must end DONE, within the rules; returns the overage each had left."""
    overage: list[float] = []
    for n, ep in enumerate(episodes):
        tag = f"episode {n + 1} ('{one_line(ep['keyword'], 100)}')"
        for a in ep["agents"]:
            overage.append(a["overage_left"])
            if a["status"] != "DONE":
                tail = a["stderr"].strip().splitlines()[-3:]
                why = f": {' | '.join(tail)}" if tail else ""
                found.problems.append(f"{tag}: agent {a['index']} ({a['role']}) ended {a['status']}{why}")
        found.problems += [f"{tag}: {v}" for v in ep["violations"]]
    return overage


def _latency(res: PlayResult, profile: Profile, overage: list[float], stderr: Path, found: _Findings) -> None:
    """Model load and turn latency against actTimeout, the overage left, GPU offload."""
    act = profile.timeouts.act_timeout_s
    lat = res["latency"]
    found.details.update(
        kaggle_environments=res["kaggle_environments"],
        model_load_s=lat["first_step_max_s"],
        turn_median_s=lat["turn_median_s"],
        turn_max_s=lat["turn_max_s"],
        act_timeout_s=act,
        overage_left_min_s=min(overage) if overage else None,
        overage_s=profile.timeouts.overage_s,
        gpu_offload=res.get("gpu_offload"),
    )
    offloaded = _offload_line(stderr)
    if offloaded:
        found.details["offloaded"] = offloaded
    turn_max = lat["turn_max_s"]
    if turn_max is not None:
        found.notes.append(
            f"model load (first step) {lat['first_step_max_s'] or 0.0:.2f}s; turn latency median "
            f"{lat['turn_median_s'] or 0.0:.2f}s, max {turn_max:.2f}s (actTimeout {act:.0f}s); "
            f"overage left {min(overage, default=0.0):.1f}/{profile.timeouts.overage_s:.0f}s"
        )
        if turn_max > act:
            found.notes.append(f"a turn took longer than actTimeout {act:.0f}s and spent overage")
    if "gpu_offload" in res:
        found.notes.append(f"llama.cpp GPU offload: {res['gpu_offload']}" + (f" ({offloaded})" if offloaded else ""))


#: Inference failures listed one by one (the rest are counted).
_LISTED = 5


def _our_moves(played: Played, report: TurnReport, found: _Findings) -> None:
    """Level 4's verdict on what our agents said of their moves (``GGUF_AGENT_REPORT``): a
    model that did not load, or inference that failed, fails the level even though every
    move was legal (canned fallback moves); a fallback because time ran out is a note.  A
    move of ours the agent did not report is a problem when its code names the channel
    (it promised to report every move, as the builder's template does), else a gap: who
    made it, the model or a canned fallback, was not checked."""
    moves = [m for g in played.games for m in g.moves if m.ours and m.status not in ENDED]
    reported = [m for m in moves if m.reported]
    load_errors = sorted({m.load_error for m in reported if m.load_error})
    found.problems += [f"an agent reported that its model did not load: {one_line(e, 300)}" for e in load_errors]
    failed = [m for m in reported if m.fallback == "error" and not m.load_error]
    for m in failed[:_LISTED]:
        found.problems.append(f"episode {_episode_of(played, m)} round {m.round} ({m.turn}, seat {m.seat}): inference "
                              f"failed, a fallback move was played: {one_line(m.error, 200)}")
    if len(failed) > _LISTED:
        found.problems.append(f"... and {len(failed) - _LISTED} more moves where inference failed")
    missing = len(moves) - len(reported)
    if missing:
        what = (f"{missing} of our {len(moves)} moves were not reported through GGUF_AGENT_REPORT" if reported else
                f"none of our {len(moves)} moves was reported through GGUF_AGENT_REPORT")
        if played.reporter:
            found.problems.append(f"{what}, though the agent's code names that channel: whether the model made them "
                                  "or a canned fallback did is unknown")
        else:
            found.gaps.append(f"who made our moves, the model or a canned fallback, was not checked: {what} (the "
                              "agent does not use that channel; the builder's template does)")
    counts = decided_counts(played.games)
    if reported:
        found.notes.append(f"our moves: {len(reported)} reported ({', '.join(f'{n} {k}' for k, n in counts.items())})")
    timed = sum(1 for m in reported if m.fallback == "time")
    if timed:
        found.notes.append(f"{timed} move(s) fell back to a canned move because the turn's time ran out")
    if report["bad_lines"]:
        found.notes.append(f"{report['bad_lines']} report line(s) unreadable or with a value of the wrong type")
    if report["unattributed"]:
        found.notes.append(f"{report['unattributed']} report line(s) were written outside any move of ours")
    found.details["agent_moves"] = {"moves": len(moves), "reported": len(reported), "decided_by": counts,
                                    "time_fallbacks": timed, "inference_failures": len(failed),
                                    "load_errors": load_errors, "report_lines": report["lines"],
                                    "bad_lines": report["bad_lines"], "unattributed_lines": report["unattributed"],
                                    "agent_names_the_channel": played.reporter}


def _episode_of(played: Played, move: Move) -> int:
    return next((g.number for g in played.games if move in g.moves), 0)


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
