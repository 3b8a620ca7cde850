"""What levels 3 and 4 conclude about the model on this machine: on a GPU, from llama.cpp's
load log (:mod:`.loadlog`) and the device memory the child measured; on a CPU, from the
RAM the model needs and what the process used.  Every figure says where it was measured;
nothing measured on a CPU or another GPU is called the target's (:mod:`.estimate` says
how the target is estimated, or that it cannot be).

Failures (level 3), each one line: the model did not load (an out-of-memory first, from
the log), fewer layers offloaded than the agent asks, a silent CPU fallback (a GPU here,
yet no layer, KV cache or op on it), more device memory used than the target's GPU has,
a model that does not fit this CPU machine's RAM.  ``inspect``'s prediction more than
:data:`PREDICTION_TOLERANCE` away from the measured memory is a note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...profile import Profile
from ..child.verify_protocol import EpisodeReport, MachineResult, MemoryReading, ModelProbe
from ..probe import ProbePlan
from ..stubs import NativePlan
from .estimate import GIB, TargetEstimate, describe, game_seconds, generate_tokens, target_estimate
from .libraries import DRIVER, ORIGINS
from .loadlog import LoadLog

#: inspect's prediction and the measured device memory may differ this much before a note says so.
PREDICTION_TOLERANCE = 0.10
NO_GPU = "not checked on a GPU: no NVIDIA driver/GPU on this machine"


@dataclass(slots=True)
class Findings:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def _gib(n: float) -> str:
    return f"{n / GIB:.2f} GiB"


def device_line(machine: MachineResult | None) -> str:
    """The GPU in words ("NVIDIA H100 80GB HBM3 (compute capability 9.0, driver 550.54.15,
    CUDA 12.4)"), or why there is none."""
    if machine is None or not machine["devices"]:
        why = machine["error"] if machine is not None and machine["error"] else "no NVIDIA driver/GPU on this machine"
        return f"not checked on a GPU: {why}"
    names = [f"{d['name']} (compute capability {d['compute_capability']}, {_gib(d['memory'])})"
             for d in machine["devices"]]
    driver = ", ".join(x for x in (machine["driver_version"] and f"driver {machine['driver_version']}",
                                   machine["driver"] and f"CUDA {machine['driver']}") if x)
    return "; ".join(names) + (f", {driver}" if driver else "")


def ran_on(machine: MachineResult | None, on_gpu: bool) -> str:
    """Where levels 3-4 ran: the GPU, or this machine's CPU and why not a GPU."""
    if on_gpu and machine is not None and machine["devices"]:
        return device_line(machine)
    return f"this machine's CPU ({device_line(machine) if machine else NO_GPU})"


def _target_name(profile: Profile) -> str:
    return profile.gpu.name if profile.gpu is not None else "target GPU"


def _is_target(machine: MachineResult, profile: Profile) -> bool:
    return profile.gpu is not None and all(profile.gpu.name.lower() in d["name"].lower() for d in machine["devices"])


def estimate_for(machine: MachineResult | None, profile: Profile) -> TargetEstimate | str | None:
    """How the target GPU compares with this machine's (None: this is the target's GPU)."""
    if machine is None or not machine["devices"] or profile.gpu is None or _is_target(machine, profile):
        return None
    return target_estimate(machine["devices"][0]["name"], profile.gpu.name)


# ------------------------------------------------------------------------------ level 3


def judge_load(probe: ModelProbe | None, plan: ProbePlan, log: LoadLog, machine: MachineResult | None,
               profile: Profile) -> Findings:
    """Level 3's verdict on the model load at the agent's settings (``machine``: the GPU the
    CUDA build ran on; None: it ran on the CPU)."""
    f = Findings()
    on_gpu = machine is not None and bool(machine["devices"])
    f.details["ran_on"] = ran_on(machine, on_gpu)
    f.details["settings"] = {k: plan.request[k] for k in ("n_ctx", "n_batch", "n_gpu_layers", "flash_attn",
                                                          "n_threads")} if plan.request else None
    f.notes += plan.notes
    if plan.request is None or probe is None:
        _not_loaded(plan, f)
        return f
    name = probe["model"] or "the model"
    f.details["model"] = {k: v for k, v in probe.items() if k not in ("error", "memory")}
    f.details["load_log"] = _log_details(log)
    if probe["error"]:
        last = [ln for ln in probe["error"].strip().splitlines() if ln.strip()][-1:] or ["?"]
        reason = (f"out of memory: {log.oom[0]}" if log.oom else
                  f"{last[0]}" + (f" (llama.cpp: {'; '.join(log.errors[-2:])})" if log.errors else ""))
        f.problems.append(f"{name}: llama.cpp cannot load it with the archive's llama_cpp at n_ctx "
                          f"{plan.request['n_ctx']}: {reason}")
        return f
    if probe.get("finite_logits") is False:
        f.problems.append(f"{name}: loads, but its logits are not finite numbers (NaN/inf): broken weights")
    limit = profile.timeouts.act_timeout_s + profile.timeouts.overage_s
    load_s = float(probe.get("load_s", 0.0))
    if load_s > limit:
        f.problems.append(f"{name}: loading took {load_s:.1f}s, more than the first step's {limit:.0f}s with overage")
    if on_gpu:
        assert machine is not None
        _offload(name, plan, log, f)
        _device_memory(name, probe.get("memory", []), plan, profile, machine, f)
    else:
        _ram(name, probe, plan, f)
    _speeds(name, probe, machine if on_gpu else None, profile, f)
    return f


def _not_loaded(plan: ProbePlan, f: Findings) -> None:
    if plan.ram is not None and not plan.ram.fits:
        assert plan.prediction is not None and plan.ram.available_bytes is not None
        fit = plan.prediction.fit
        f.problems.append(
            f"{plan.model.name if plan.model else 'the model'}: does not fit this machine's RAM at the agent's "
            f"settings: needs ~{_gib(plan.ram.need_bytes)} (weights {_gib(fit.weights_bytes)} + KV cache "
            f"{_gib(fit.kv_bytes)} at n_ctx {fit.n_ctx} + compute buffers), {_gib(plan.ram.available_bytes)} "
            "available: not loaded here (verify on a GPU machine, or one with more RAM)")
        f.details["ram"] = {"need_bytes": plan.ram.need_bytes, "available_bytes": plan.ram.available_bytes}
    elif plan.why_not:
        f.problems.append(f"the model: {plan.why_not}")


def _log_details(log: LoadLog) -> dict[str, Any]:
    return {"offloaded": f"{log.offloaded[0]}/{log.offloaded[1]}" if log.offloaded else None,
            "layers_by_device": dict(log.layers), "buffers": {k: dict(v) for k, v in log.buffers.items()},
            "n_ctx": log.n_ctx, "flash_attn": log.flash_attn, "graph_splits": log.splits,
            "devices": [d.name for d in log.devices], "oom": list(log.oom), "errors": list(log.errors)}


def _offload(name: str, plan: ProbePlan, log: LoadLog, f: Findings) -> None:
    """Fewer layers than asked, or a GPU here and yet the work on the CPU: each a failure."""
    assert plan.request is not None
    asked = plan.request["n_gpu_layers"]
    if asked == 0:
        f.notes.append(f"{name}: the agent asks for no GPU layers (n_gpu_layers = 0): it runs on the CPU")
        return
    if log.offloaded is None:
        why = log.cuda_failed or "llama.cpp found no GPU device (no 'offloaded X/Y layers to GPU' in its log)"
        f.problems.append(f"{name}: silent CPU fallback: a GPU is here, but llama.cpp offloaded nothing: {why}")
        return
    got, total = log.offloaded
    want = total if asked < 0 or asked > total else asked
    if got < want:
        f.problems.append(f"{name}: llama.cpp offloaded {got}/{total} layers to the GPU; the agent asks for "
                          f"{'all' if asked < 0 else asked} (n_gpu_layers = {asked})")
    device_model = sum(log.on_device("model").values())
    if want > 0 and log.buffers.get("model") and device_model == 0:
        f.problems.append(f"{name}: silent CPU fallback: every model buffer is on the host "
                          f"({', '.join(log.buffers['model'])}) although {got} layers were offloaded")
    if want >= total and log.buffers.get("KV") and not log.on_device("KV"):
        f.problems.append(f"{name}: silent CPU fallback: the KV cache is on the host "
                          f"({', '.join(log.buffers['KV'])}) with every layer on the GPU")
    f.problems += [f"{name}: silent CPU fallback: {line}" for line in log.misplaced[:3]]
    f.notes.append(f"{name}: llama.cpp offloaded {got}/{total} layers to the GPU; model buffers "
                   + ", ".join(f"{n} {_gib(b)}" for n, b in log.buffers.get("model", {}).items())
                   + "; KV cache " + (", ".join(f"{n} {_gib(b)}" for n, b in log.buffers.get("KV", {}).items()) or "?"))


def footprint(readings: Sequence[MemoryReading]) -> tuple[int, int] | None:
    """(bytes the process added on its devices at its peak, those devices' total), from the
    readings before the load and after it (None: not enough readings)."""
    before = next((r for r in readings if r["at"] == "before" and r["devices"]), None)
    after = [r for r in readings if r["at"] != "before" and r["devices"]]
    if before is None or not after:
        return None
    base = {d["pci_bus_id"] or str(d["device"]): d["total"] - d["free"] for d in before["devices"]}
    peak = 0
    total = 0
    for r in after:
        used = 0
        total = 0
        for d in r["devices"]:
            key = d["pci_bus_id"] or str(d["device"])
            used += max(0, d["total"] - d["free"] - base.get(key, 0))
            total += d["total"]
        peak = max(peak, used)
    return peak, total


def _device_memory(name: str, readings: Sequence[MemoryReading], plan: ProbePlan, profile: Profile,
                   machine: MachineResult, f: Findings) -> None:
    errors = sorted({r["error"] for r in readings if r["error"]})
    got = footprint(readings)
    if got is None:
        f.notes.append(f"{name}: device memory not measured ({'; '.join(errors) or 'no readings'})")
        return
    used, total = got
    baseline = next((r["baseline"] for r in readings if r["at"] == "before"), "cudart")
    counted = "the CUDA context included (NVML baseline)" if baseline == "nvml" else \
        "the CUDA context made before the first reading not counted (no NVML)"
    mem: dict[str, Any] = {"used_bytes": used, "devices_total_bytes": total, "baseline": baseline,
                           "measured_on": device_line(machine),
                           "readings": [{"at": r["at"], "used": [d["total"] - d["free"] for d in r["devices"]],
                                         "rss": r["rss"]} for r in readings]}
    f.details["device_memory"] = mem
    n_ctx = plan.request["n_ctx"] if plan.request else 0
    f.notes.append(f"{name}: measured {_gib(used)} of GPU memory in use by the model at n_ctx {n_ctx} after "
                   f"loading and generating ({counted}; on {machine['devices'][0]['name']})")
    if profile.gpu is not None:
        limit = int(profile.gpu.memory_gib * GIB)
        mem["target_bytes"] = limit
        if used > limit:
            f.problems.append(f"{name}: uses {_gib(used)} of GPU memory at n_ctx {n_ctx}, more than the "
                              f"{profile.gpu.name}'s {_gib(limit)} (profile '{profile.name}'): it would not fit")
    if plan.prediction is not None:
        predicted = plan.prediction.fit.total_bytes
        diff = (used - predicted) / predicted if predicted else 0.0
        mem["predicted_bytes"] = predicted
        mem["prediction_off"] = round(diff, 4)
        side = f"inspect predicted {_gib(predicted)}, measured {_gib(used)} ({diff:+.0%})"
        if abs(diff) > PREDICTION_TOLERANCE:
            f.notes.append(f"{name}: {side}: the prediction is off by more than "
                           f"{PREDICTION_TOLERANCE:.0%}")
        else:
            f.notes.append(f"{name}: {side}: within {PREDICTION_TOLERANCE:.0%}")


def _ram(name: str, probe: ModelProbe, plan: ProbePlan, f: Findings) -> None:
    peak = probe.get("peak_rss")
    if plan.ram is None or peak is None:
        return
    f.details["ram"] = {"need_bytes": plan.ram.need_bytes, "available_bytes": plan.ram.available_bytes,
                        "peak_rss_bytes": peak}
    f.notes.append(f"{name}: on this machine's CPU: peak resident memory {_gib(peak)} (estimated need "
                   f"{_gib(plan.ram.need_bytes)}, "
                   + (f"{_gib(plan.ram.available_bytes)} available)" if plan.ram.available_bytes else "RAM unknown)"))


def _speeds(name: str, probe: ModelProbe, machine: MachineResult | None, profile: Profile, f: Findings) -> None:
    p, g = float(probe.get("prompt_tps", 0.0)), float(probe.get("generate_tps", 0.0))
    where = machine["devices"][0]["name"] if machine else "this machine's CPU"
    speed: dict[str, Any] = {"prompt_tps": round(p, 2), "generate_tps": round(g, 2), "measured_on": where,
                             "load_s": round(float(probe.get("load_s", 0.0)), 3)}
    f.details["speed"] = speed
    f.notes.append(f"{name}: loaded in {speed['load_s']:.2f}s, {p:.0f} prompt tokens/s ({probe.get('prompt_tokens', 0)}"
                   f" tokens), {g:.1f} generated tokens/s: measured on {where}")
    if machine is None:
        f.notes.append(f"not the {_target_name(profile)}'s speed: {f.details['ran_on']}")
        return
    est = estimate_for(machine, profile)
    if isinstance(est, TargetEstimate):
        speed["target_estimate"] = {"prompt_tps": round(p / est.prompt_factor, 2),
                                    "generate_tps": round(g / est.generate_factor, 2), "how": est.how}
        f.notes.append(f"on the {est.target}: ~{p / est.prompt_factor:.0f} prompt and ~{g / est.generate_factor:.1f} "
                       f"generated tokens/s ({est.how})")
    elif isinstance(est, str):
        speed["target_estimate"] = est
        f.notes.append(est)
    cc = profile.gpu.compute_capability if profile.gpu else None
    if cc and any(d["compute_capability"] != cc for d in machine["devices"]):
        f.notes.append(f"this GPU is not compute capability {cc}: it ran the build's PTX compiled by the driver "
                       "at load (the target runs its SASS), so the load time is not the target's")


# ------------------------------------------------------------------------------ level 4


def judge_play_time(episodes: Sequence[EpisodeReport], machine: MachineResult | None, profile: Profile,
                    on_gpu: bool) -> Findings:
    """Level 4's time budget per agent, measured, with where it was measured and (on another
    GPU) how the target compares."""
    f = Findings()
    act = profile.timeouts.act_timeout_s
    agents: list[dict[str, Any]] = []
    for n, ep in enumerate(episodes):
        for a in ep["agents"]:
            turns = a["durations"][1:]
            agents.append({"episode": n + 1, "agent": a["index"], "role": a["role"],
                           "first_step_s": round(a["durations"][0], 3) if a["durations"] else None,
                           "turn_max_s": round(max(turns), 3) if turns else None,
                           "turns_over_act_timeout": sum(1 for d in turns if d > act),
                           "overage_left_s": a["overage_left"]})
    f.details["agents"] = agents
    where = ran_on(machine, on_gpu)
    f.details["measured_on"] = where
    over = [row for row in agents if row["turns_over_act_timeout"]]
    for row in over[:5]:
        f.notes.append(f"episode {row['episode']} agent {row['agent']} ({row['role']}): "
                       f"{row['turns_over_act_timeout']} turn(s) over actTimeout {act:.0f}s, overage left "
                       f"{row['overage_left_s']:.1f}s")
    f.notes.append(f"times measured on {where}")
    if not on_gpu:
        return f
    est = estimate_for(machine, profile)
    firsts = [row["first_step_s"] for row in agents if row["first_step_s"] is not None]
    worst = max((row["turn_max_s"] for row in agents if row["turn_max_s"] is not None), default=None)
    if isinstance(est, TargetEstimate) and worst is not None:
        t = worst * est.turn_factor
        f.details["target_estimate"] = {"turn_max_s": round(t, 3), "how": est.how}
        f.notes.append(f"on the {est.target} the slowest turn would take ~{t:.1f}s ({est.how})"
                       + (f": over actTimeout {act:.0f}s" if t > act else ""))
    elif isinstance(est, str):
        f.details["target_estimate"] = est
        f.notes.append(est)
    if firsts and est is not None:
        f.notes.append(f"the first step (model load) took {max(firsts):.1f}s here; the {_target_name(profile)}'s "
                       "cannot be estimated from it (disk and PCIe, not the GPU, set it)")
    return f


def play_estimate(probe: ModelProbe | None, settings: Mapping[str, Any], roles: Sequence[Sequence[str]],
                  profile: Profile) -> float | None:
    """Seconds the episodes would take at level 3's measured speeds, ``roles``: per episode,
    the roles our agents sit in (None: no speeds)."""
    if probe is None or probe["error"] or not probe.get("generate_tps") or not probe.get("prompt_tps"):
        return None
    return game_seconds(roles, load_s=float(probe.get("load_s", 0.0)), prompt_tps=float(probe["prompt_tps"]),
                        generate_tps=float(probe["generate_tps"]), generate_tokens=generate_tokens(settings),
                        act_timeout_s=profile.timeouts.act_timeout_s)


def too_slow(seconds: float, limit_s: float, probe: ModelProbe) -> str:
    return (f"on this machine's CPU the episodes would take ~{describe(seconds)} (level 3 measured "
            f"{float(probe.get('prompt_tps', 0)):.1f} prompt and {float(probe.get('generate_tps', 0)):.2f} generated "
            f"tokens/s; every turn of ours by the model, each cut at actTimeout), more than {describe(limit_s)}: "
            "not played here; --episodes N plays anyway")


# ------------------------------------------------------------------------------ the report


def gpu_section(natives: NativePlan | None, machine: MachineResult | None) -> dict[str, Any] | None:
    """The report's GPU facts (None: the archive needs no GPU library, or levels 3-4 did not
    get that far): where levels 3-4 ran, the devices, the driver, and each GPU library
    loaded with where it came from."""
    if machine is None:
        return None
    on_gpu = natives is not None and natives.on_gpu
    libraries: dict[str, dict[str, str | None]] = {}
    if natives is not None and natives.runtime is not None:
        for c in natives.runtime.chosen:
            libraries[c.soname] = {"origin": ORIGINS[c.origin], "version": c.version, "path": str(c.path),
                                   "note": c.note or None}
    found = {lib["soname"]: lib["path"] for lib in machine["libraries"]}
    for soname in natives.needed if natives is not None else ():
        stub = natives.stub(soname) if natives is not None else None
        if soname in libraries:
            continue
        if stub is not None:
            libraries[soname] = {"origin": f"stub from the export list of {stub.package}", "version": None,
                                 "path": str(stub.path), "note": None}
        elif found.get(soname):
            what = "the NVIDIA driver" if soname == DRIVER else "this machine's own"
            version = machine["driver_version"] or None if soname == DRIVER else None
            libraries[soname] = {"origin": what, "version": version, "path": found[soname], "note": None}
    where = ran_on(machine, on_gpu) if on_gpu or not machine["devices"] else \
        f"{device_line(machine)}: levels 3-4 did not run on it (see level 3)"
    return {"checked_on_gpu": on_gpu, "ran_on": where, "devices": list(machine["devices"]),
            "driver_version": machine["driver_version"] or None, "driver_cuda": machine["driver"] or None,
            "libraries": libraries, "env": dict(natives.env) if natives is not None else {}}
