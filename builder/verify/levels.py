"""The verdict of each level from what was observed: level 1 from the archive scan, levels
3 and 4 from the child's result (:mod:`.child.verify_protocol`).  Nothing here runs code."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Literal, cast

from ..profile import Profile
from .child.verify_protocol import ImportResult, ModelProbe, NativeReport, PlayResult, PreloadReport, TurnReport
from .report import LevelResult, judged
from .runtime import ChildRun
from .scan import ArchiveScan
from .stubs import NativePlan


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


def _natives(
    level: int, plan: NativePlan | None, report: NativeReport | None, offload: bool | None, stderr: Path,
    *, loaded: Literal["loaded", "failed", "unused"],
) -> tuple[list[str], list[str], dict[str, Any], str]:
    """Problems, notes, details and the verdict's qualifier about the GPU libraries:
    which were stubs, which real, and what that proves.  ``loaded``: whether the archive's
    libraries were loaded at this level (``unused``: the agent never imported llama_cpp)."""
    if plan is None or not plan.needed:
        return [], [], {}, ""
    got = report or NativeReport(stubs=[], real={}, errors=[])
    problems = [f"GPU libraries: {e}" for e in got.get("errors", [])]
    notes: list[str] = []
    libraries: dict[str, str] = {}
    stubbed = [s for s in plan.stubs if s.soname in got.get("stubs", [])]
    for soname in plan.needed:
        stub = plan.stub(soname)
        if stub is not None and stub in stubbed:
            libraries[soname] = f"stub from the export list of {stub.package} (profile '{plan.profile}')"
        elif soname in got.get("real", {}):
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


def level3(
    run: ChildRun, scan: ArchiveScan, agent_dir: Path, profile: Profile, llama: bool,
    native: NativePlan | None = None,
) -> LevelResult:
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
    if "model" in res:
        mprob, mnotes, details["model"] = _model_probe(res["model"], profile)
        problems += mprob
        notes += mnotes
    offload = res["llama_cpp"]["gpu_offload"] if "llama_cpp" in res else None
    failed = "llama_cpp_error" in res or bool(vendored and vendored.get("errors"))
    nprob, nnotes, ndetails, qualifier = _natives(3, native, res.get("native"), offload, run.stderr_path,
                                                  loaded="failed" if failed else "loaded")
    if ndetails:
        details["native"] = ndetails
    result = judged(3, [*nprob, *problems], [*nnotes, *notes], run.seconds, details)
    return dataclasses.replace(result, qualifier=qualifier) if qualifier else result


def _model_probe(probe: ModelProbe, profile: Profile) -> tuple[list[str], list[str], dict[str, Any]]:
    """Level 3's verdict on the archive's model, loaded by the archive's own llama_cpp."""
    name = probe.get("model") or "the model"
    details: dict[str, Any] = {k: v for k, v in probe.items() if k != "error"}
    if probe.get("error"):
        last = [ln for ln in str(probe["error"]).strip().splitlines() if ln.strip()][-1:] or ["?"]
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


def _agent_turns(report: TurnReport | None) -> tuple[list[str], list[str], dict[str, Any]]:
    """Level 4's verdict on what the agents said of their turns (``GGUF_AGENT_REPORT``): a
    model that did not load, or inference that failed, fails the level even though every
    move was legal (canned fallback moves); a move made because time ran out is a note."""
    if report is None or report["lines"] == 0:
        return [], ["the agents reported nothing through GGUF_AGENT_REPORT (an agent other than this builder's "
                    "template?): a fallback move cannot be told from a model's"], {}
    turns = report["turns"]
    problems: list[str] = []
    load_errors = sorted({str(t.get("load_error")) for t in turns if t.get("load_error")})
    problems += [f"an agent reported that its model did not load: {e[:300]}" for e in load_errors]
    failed = [t for t in turns if t.get("fallback") == "error" and not t.get("load_error")]
    for t in failed[:5]:
        problems.append(f"{t.get('agent', '?')} round {t.get('round', '?')} ({t.get('turn', '?')}): inference failed, "
                        f"a fallback move was played: {str(t.get('error', ''))[:200]}")
    if len(failed) > 5:
        problems.append(f"... and {len(failed) - 5} more turns where inference failed")
    counts: dict[str, int] = {}
    for t in turns:
        key = str(t.get("decided_by", "?"))
        counts[key] = counts.get(key, 0) + 1
    timed = sum(1 for t in turns if t.get("fallback") == "time")
    notes = [f"agent turns: {len(turns)} ({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))})"]
    if timed:
        notes.append(f"{timed} turn(s) fell back to a canned move because the turn's time ran out")
    if report["bad_lines"]:
        notes.append(f"{report['bad_lines']} unreadable report line(s)")
    return problems, notes, {"decided_by": counts, "time_fallbacks": timed, "inference_failures": len(failed),
                             "load_errors": load_errors}


def level4(run: ChildRun, profile: Profile, native: NativePlan | None = None) -> LevelResult:
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
        for a in ep.get("agents", []):
            i = a.get("index", "?")
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
                "lineup": ep.get("lineup"),
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
    tprob, tnotes, tdetails = _agent_turns(res.get("agent_turns"))
    problems += tprob
    notes += tnotes
    if tdetails:
        details["agent_turns"] = tdetails
    if not episodes and not problems:
        problems.append("play: no episode was played")
    used: Literal["loaded", "failed", "unused"] = (
        "loaded" if "gpu_offload" in res else "failed" if "gpu_offload_error" in res else "unused")
    nprob, nnotes, ndetails, qualifier = _natives(4, native, res.get("native"), res.get("gpu_offload"),
                                                  run.stderr_path, loaded=used)
    if ndetails:
        details["native"] = ndetails
    result = judged(4, [*nprob, *problems], [*nnotes, *notes], run.seconds, details)
    return dataclasses.replace(result, qualifier=qualifier) if qualifier else result


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
