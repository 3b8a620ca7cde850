"""What levels 3 and 4 conclude on a GPU machine and on a CPU one, offline: from typed child
results, load logs written with llama.cpp's own formats, device memory readings and the
host's plan of the load (no GPU, no child).  Nothing here is a GPU measurement: these are
the verdicts' logic on given numbers."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from factories.gguf import write_tiny_gguf
from factories.llamalog import cuda_init, oom, t4_load
from factories.native import machine

from builder.profile import Profile
from builder.progress import no_progress
from builder.verify.child.verify_protocol import EpisodeReport, MachineResult, MemoryReading, ModelProbe
from builder.verify.gpu.estimate import (
    CPU_OVERHEAD_BYTES,
    GIB,
    game_seconds,
    generate_tokens,
    gpu_spec,
    mem_available,
    target_estimate,
)
from builder.verify.gpu.judge import footprint, gpu_section, judge_load, judge_play_time
from builder.verify.gpu.libraries import Chosen, RuntimePlan
from builder.verify.gpu.loadlog import parse
from builder.verify.levels import CodeOptions, Session, _play_gate, scheduled
from builder.verify.lineups import lineups, our_roles
from builder.verify.probe import ProbePlan, plan_probe
from builder.verify.report import VerifyReport, format_table
from builder.verify.stubs import NativePlan

MIB = 1 << 20
T4 = machine(["libcuda.so.1"], found={"libcuda.so.1": "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"},
             devices=[("Tesla T4", "7.5", 15 << 30)], driver="12.4", driver_version="550.54.15")
H100 = machine(["libcuda.so.1"], found={"libcuda.so.1": "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"},
               devices=[("NVIDIA H100 80GB HBM3", "9.0", 80 << 30)], driver="12.4", driver_version="550.54.15")
SETTINGS = {"model_file": "m.gguf", "n_ctx": 8192, "n_batch": 512, "n_gpu_layers": -1, "flash_attn": False}


def _plan(tmp_path: Path, profile: Profile, *, gpu: bool = True, meminfo: str | None = None,
          **settings: Any) -> ProbePlan:
    agent = tmp_path / "agent"
    agent.mkdir(exist_ok=True)
    write_tiny_gguf(agent / "m.gguf")
    texts = {"agent_settings.json": json.dumps({**SETTINGS, **settings}).encode()}
    return plan_probe(agent, texts, profile, gpu=gpu, meminfo=meminfo)


def _reading(at: str, used: int, baseline: str = "nvml") -> MemoryReading:
    return {"at": at, "devices": [{"device": 0, "pci_bus_id": "00000000:01:00.0", "free": (15 << 30) - used,
                                   "total": 15 << 30}], "baseline": baseline, "rss": 400 * MIB, "error": ""}


def _probe(added: int, **over: Any) -> ModelProbe:
    """A probe that loaded and evaluated, the model having added ``added`` bytes on the device."""
    probe: ModelProbe = {"model": "m.gguf", "error": "", "load_s": 4.2, "warmup_s": 0.9, "prompt_tokens": 512,
                         "prompt_tps": 1100.0, "generated_tokens": 64, "generate_tps": 60.0, "finite_logits": True,
                         "gpu_offload_supported": True, "n_gpu_layers": -1, "peak_rss": 900 * MIB,
                         "memory": [_reading("before", 0), _reading("loaded", added - 8 * MIB),
                                    _reading("generated", added)]}
    probe.update(over)  # type: ignore[typeddict-item]
    return probe


def _predicted(plan: ProbePlan) -> int:
    assert plan.prediction is not None
    return plan.prediction.fit.total_bytes


# ------------------------------------------------------------------------------ level 3


def test_the_plan_reads_the_agents_own_settings(tmp_path: Path, profile: Profile) -> None:
    plan = _plan(tmp_path, profile, n_ctx=2048, n_threads=3)
    assert plan.request is not None
    assert {k: plan.request[k] for k in ("n_ctx", "n_batch", "n_gpu_layers", "flash_attn", "n_threads", "gpu")} == \
        {"n_ctx": 2048, "n_batch": 512, "n_gpu_layers": -1, "flash_attn": False, "n_threads": 3, "gpu": True}
    assert plan.prediction is not None and plan.prediction.fit.n_ctx == 2048
    bare = plan_probe(tmp_path / "agent", {"agent_settings.json": b'{"model_file": "m.gguf"}'}, profile, gpu=True)
    assert bare.assumed == ("n_ctx", "n_batch", "n_gpu_layers", "flash_attn", "n_threads")
    assert bare.request is not None and bare.request["n_ctx"] == 4096  # the builder template's value, said
    assert "the builder template's values were used" in bare.notes[0]
    huge = _plan(tmp_path, profile, n_ctx=1 << 40)
    assert huge.request is None and huge.why_not.startswith("agent_settings.json: n_ctx 1099511627776 / n_threads 0 "
                                                            "out of the range verify loads")
    assert judge_load(None, huge, parse([]), T4, profile).problems == [f"the model: {huge.why_not}"]


def test_a_full_offload_within_the_prediction_passes(tmp_path: Path, profile: Profile) -> None:
    plan = _plan(tmp_path, profile)
    found = judge_load(_probe(_predicted(plan)), plan, parse((cuda_init() + t4_load()).splitlines()), T4, profile)
    assert found.problems == [], found.problems
    notes = "\n".join(found.notes)
    assert "llama.cpp offloaded 33/33 layers to the GPU" in notes
    assert "within 10%" in notes and "measured on Tesla T4" in notes
    assert "estimate" not in notes  # this is the target's GPU: nothing to estimate
    assert found.details["ran_on"] == "Tesla T4 (compute capability 7.5, 15.00 GiB), driver 550.54.15, CUDA 12.4"
    assert found.details["device_memory"]["used_bytes"] == _predicted(plan)


@pytest.mark.parametrize(("log", "settings", "problem"), [
    (t4_load(offloaded=20), {}, "m.gguf: llama.cpp offloaded 20/33 layers to the GPU; the agent asks for all "
                                "(n_gpu_layers = -1)"),
    (t4_load(offloaded=20), {"n_gpu_layers": 40}, "llama.cpp offloaded 20/33 layers to the GPU; the agent asks for 40"),
    ("", {}, "m.gguf: silent CPU fallback: a GPU is here, but llama.cpp offloaded nothing"),
    (t4_load(kv_device="CPU"), {}, "m.gguf: silent CPU fallback: the KV cache is on the host (CPU) with every layer"),
])
def test_fewer_layers_or_a_silent_cpu_fallback_fails(tmp_path: Path, profile: Profile, log: str,
                                                      settings: dict[str, Any], problem: str) -> None:
    plan = _plan(tmp_path, profile, **settings)
    found = judge_load(_probe(_predicted(plan)), plan, parse(log.splitlines()), T4, profile)
    assert any(problem in p for p in found.problems), found.problems


def test_as_many_layers_as_asked_is_not_a_failure(tmp_path: Path, profile: Profile) -> None:
    plan = _plan(tmp_path, profile, n_gpu_layers=20)
    found = judge_load(_probe(_predicted(plan)), plan, parse(t4_load(offloaded=20).splitlines()), T4, profile)
    assert found.problems == []


def test_out_of_memory_is_said_from_the_log(tmp_path: Path, profile: Profile) -> None:
    plan = _plan(tmp_path, profile)
    error = "Traceback (most recent call last):\nValueError: Failed to load model from file: m.gguf"
    found = judge_load(_probe(0, error=error), plan, parse(oom().splitlines()), T4, profile)
    assert found.problems == ["m.gguf: llama.cpp cannot load it with the archive's llama_cpp at n_ctx 8192: out of "
                              "memory: ggml_backend_cuda_buffer_type_alloc_buffer: allocating 7605.33 MiB on device 0: "
                              "cudaMalloc failed: out of memory"]


def test_more_device_memory_than_the_target_has_fails_and_the_prediction_is_checked(
    tmp_path: Path, profile: Profile
) -> None:
    plan = _plan(tmp_path, profile)
    log = parse(t4_load().splitlines())
    over = judge_load(_probe(16 * GIB), plan, log, H100, profile)
    assert over.problems == ["m.gguf: uses 16.00 GiB of GPU memory at n_ctx 8192, more than the Tesla T4's 15.00 GiB "
                             "(profile 'kaggle-2024'): it would not fit"]
    off = judge_load(_probe(int(_predicted(plan) * 1.25)), plan, log, H100, profile)
    assert off.problems == []
    assert any("+25%): the prediction is off by more than 10%" in n for n in off.notes), off.notes
    assert off.details["device_memory"]["prediction_off"] == pytest.approx(0.25, abs=1e-3)


def test_the_memory_footprint_is_the_peak_above_the_baseline() -> None:
    readings = [_reading("before", 500 * MIB), _reading("loaded", 9 * GIB), _reading("generated", 8 * GIB)]
    assert footprint(readings) == (9 * GIB - 500 * MIB, 15 << 30)
    assert footprint(readings[1:]) is None  # no baseline: not measured


def test_on_another_gpu_the_target_is_estimated_and_said_so(tmp_path: Path, profile: Profile) -> None:
    plan = _plan(tmp_path, profile)
    found = judge_load(_probe(_predicted(plan)), plan, parse(t4_load().splitlines()), H100, profile)
    speed = found.details["speed"]
    est = target_estimate("NVIDIA H100 80GB HBM3", "Tesla T4")
    assert not isinstance(est, str)
    assert speed["measured_on"] == "NVIDIA H100 80GB HBM3"
    assert speed["target_estimate"]["generate_tps"] == pytest.approx(60.0 * 320 / 3350, abs=0.01)
    assert speed["target_estimate"]["prompt_tps"] == pytest.approx(1100.0 * 65 / 989, abs=0.01)
    notes = "\n".join(found.notes)
    assert "on the T4: ~72 prompt and ~5.7 generated tokens/s (estimate: generation scaled by memory bandwidth" in notes
    assert "this GPU is not compute capability 7.5: it ran the build's PTX compiled by the driver" in notes
    unknown = machine(["libcuda.so.1"], devices=[("NVIDIA Quadro Z9000", "8.6", 24 << 30)])
    found = judge_load(_probe(_predicted(plan)), plan, parse(t4_load().splitlines()), unknown, profile)
    assert "cannot estimate the Tesla T4 from the NVIDIA Quadro Z9000: no datasheet figures" in "\n".join(found.notes)


def test_on_a_cpu_the_model_must_fit_the_ram(tmp_path: Path, profile: Profile) -> None:
    tiny = _plan(tmp_path, profile, gpu=False, meminfo="MemTotal: 1000 kB\nMemAvailable:     512 kB\n")
    assert tiny.request is None and tiny.ram is not None and not tiny.ram.fits
    found = judge_load(None, tiny, parse([]), None, profile)
    assert len(found.problems) == 1
    assert found.problems[0].startswith("m.gguf: does not fit this machine's RAM at the agent's settings: needs ~")
    assert found.problems[0].endswith("0.00 GiB available: not loaded here (verify on a GPU machine, or one with "
                                      "more RAM)")
    roomy = _plan(tmp_path, profile, gpu=False, meminfo="MemAvailable: 33554432 kB\n")
    assert roomy.request is not None and roomy.request["gpu"] is False
    found = judge_load(_probe(0, memory=[]), roomy, parse([]), None, profile)
    assert found.problems == []
    assert found.details["ran_on"] == "this machine's CPU (not checked on a GPU: no NVIDIA driver/GPU on this machine)"
    assert any("not the Tesla T4's speed" in n for n in found.notes)


def test_ram_need_and_meminfo() -> None:
    assert mem_available("MemTotal: 8 kB\nMemAvailable: 4 kB\n") == 4096
    assert mem_available("nothing") is None
    assert gpu_spec("NVIDIA H100 80GB HBM3") is not None and gpu_spec("NVIDIA H100 80GB HBM3").name == "H100 80GB HBM3"  # type: ignore[union-attr]
    assert gpu_spec("NVIDIA A10G").name == "A10G"  # type: ignore[union-attr]  # the longest name wins over "A10"
    assert CPU_OVERHEAD_BYTES == GIB // 2


# ------------------------------------------------------------------------------ level 4


def lineup_roles(episodes: int) -> list[tuple[str, ...]]:
    return [our_roles(lineup) for lineup in lineups(episodes)]


def _episode(*durations: list[float]) -> EpisodeReport:
    """One episode with our agents 0 and 3 (give both their durations)."""
    return {"lineup": ["main.py", "random_answerer", "random_guesser", "main.py"], "steps": 61, "keyword": "k",
            "category": "place", "seconds": 100.0, "violations": [], "rewards": [0, 0, 0, 0],
            "statuses": ["DONE"] * 4, "rounds": [],
            "agents": [{"index": i, "status": "DONE", "reward": 0, "role": "guesser" if i == 0 else "answerer",
                        "durations": d, "overage_left": 290.0, "stderr": ""}
                       for i, d in zip((0, 3), durations, strict=True)]}


def test_level4_time_per_agent_with_where_it_was_measured(profile: Profile) -> None:
    ep = _episode([41.0, 1.2, 2.0, 70.0], [0.5, 0.1])
    found = judge_play_time([ep], H100, profile, on_gpu=True)
    assert found.details["agents"][0] == {"episode": 1, "agent": 0, "role": "guesser", "first_step_s": 41.0,
                                          "turn_max_s": 70.0, "turns_over_act_timeout": 1, "overage_left_s": 290.0}
    notes = "\n".join(found.notes)
    assert "episode 1 agent 0 (guesser): 1 turn(s) over actTimeout 60s, overage left 290.0s" in notes
    assert "times measured on NVIDIA H100 80GB HBM3" in notes
    factor = max(3350 / 320, 989 / 65)  # the larger of the bandwidth and the FP16 TFLOPS ratios
    assert f"on the T4 the slowest turn would take ~{70 * factor:.1f}s" in notes and "over actTimeout 60s" in notes
    assert "the Tesla T4's cannot be estimated from it" in notes
    cpu = judge_play_time([ep], None, profile, on_gpu=False)
    assert cpu.details["measured_on"].startswith("this machine's CPU (not checked on a GPU")
    assert "target_estimate" not in cpu.details


def test_the_game_estimate_and_the_gate_of_level_4(tmp_path: Path, profile: Profile) -> None:
    tokens = generate_tokens({"max_tokens_ask": 96, "attempts_ask": 2, "max_tokens_guess": 24, "attempts_guess": 2})
    assert tokens == {"ask": 96, "guess": 24}  # one attempt's
    # the first line-up: our guesser and our answerer (20 asks, 20 guesses, 20 answers)
    assert [our_roles(lineup) for lineup in lineups(3)] == [("guesser", "answerer"), ("guesser", "answerer"),
                                                            ("guesser", "answerer", "guesser", "answerer")]
    fast = game_seconds(lineup_roles(1), load_s=1.0, prompt_tps=320.0, generate_tps=64.0, generate_tokens=tokens,
                        act_timeout_s=60)
    assert fast == pytest.approx(1.0 + 20 * (0.2 + 1.5) + 20 * (0.2 + 0.375) + 20 * 0.2)
    one = 20 * 60 + 20 * 58 + 20 * 10  # a guesser and an answerer of ours, each turn cut at actTimeout
    slow = game_seconds(lineup_roles(2), load_s=60.0, prompt_tps=6.4, generate_tps=0.5, generate_tokens=tokens,
                        act_timeout_s=60)
    assert slow == pytest.approx(60 + 2 * one)  # the default: with our own teammate, then beside a stranger
    four = game_seconds(lineup_roles(3), load_s=60.0, prompt_tps=6.4, generate_tps=0.5, generate_tokens=tokens,
                        act_timeout_s=60)
    assert four == pytest.approx(60 + 4 * one)  # the third: four copies of ours

    plan = _plan(tmp_path, profile, gpu=False, meminfo="MemAvailable: 33554432 kB\n", max_tokens_ask=96,
                 max_tokens_guess=24)
    code = CodeOptions(python=Path("python3.10"), runtime_requirements=(), here=False, cache=tmp_path, gpu_probe=None,
                       cc=None, episodes=1, seed=0, play_timeout_s=None)
    s = Session(archive=Path("a.tar.gz"), profile=profile, wanted=frozenset({4}), scheduled=scheduled(frozenset({4})),
                say=lambda _m: None, tmp=tmp_path, progress=no_progress, code=code, probe=plan,
                measured=_probe(0, prompt_tps=6.4, generate_tps=0.5))
    why = _play_gate(s)
    # 4.2 s load + 20 asks (cut at 60 s) + 20 guesses (10 + 48 s) + 20 answers (10 s) = 2564 s
    assert why is not None and why.startswith("on this machine's CPU the episodes would take ~43 min (level 3 measured "
                                              "6.4 prompt and 0.50 generated tokens/s"), why
    assert why.endswith("more than 20 min: not played here; --episodes N plays anyway")
    s.code = dataclasses.replace(code, episodes_forced=True)
    assert _play_gate(s) is None  # --episodes given: played whatever it takes
    s.code = code
    s.measured = _probe(0)  # fast enough
    assert _play_gate(s) is None
    s.measured = _probe(0, prompt_tps=6.4, generate_tps=0.5)
    s.natives = NativePlan(profile="kaggle-2024", needed=("libcudart.so.12",), stubs=(), machine=T4,
                           runtime=RuntimePlan(chosen=(), missing=(), advice={}))
    assert _play_gate(s) is None  # on a GPU: never skipped


# ------------------------------------------------------------------------------ the report


def test_the_report_names_the_gpu_and_each_library(tmp_path: Path) -> None:
    chosen = (Chosen(soname="libcudart.so.12", origin="wheel", path=tmp_path / "rt" / "libcudart.so.12",
                     version="12.1.105"),
              Chosen(soname="libcublas.so.12", origin="dir", path=Path("/opt/cuda121/libcublas.so.12"),
                     version="12.1.3.1"))
    natives = NativePlan(profile="kaggle-2024", needed=("libcuda.so.1", "libcudart.so.12", "libcublas.so.12"),
                         stubs=(), machine=H100, runtime=RuntimePlan(chosen=chosen, missing=(), advice={}),
                         env=(("CUDA_MODULE_LOADING", "LAZY"),))
    section = gpu_section(natives, H100)
    assert section is not None and section["checked_on_gpu"] is True
    assert section["libraries"]["libcuda.so.1"] == {"origin": "the NVIDIA driver", "version": "550.54.15",
                                                    "path": "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15",
                                                    "note": None}
    assert section["libraries"]["libcudart.so.12"]["origin"] == "the profile's pinned wheel"
    report = VerifyReport(archive=Path("s.tar.gz"), profile="kaggle-2024", levels=(), timings={}, gpu=section)
    table = format_table(report).splitlines()
    assert table[1] == "GPU: NVIDIA H100 80GB HBM3 (compute capability 9.0, 80.00 GiB), driver 550.54.15, CUDA 12.4"
    assert "  libcublas.so.12 12.1.3.1: --cuda-runtime folder, /opt/cuda121/libcublas.so.12" in table
    assert report.to_json()["gpu"]["env"] == {"CUDA_MODULE_LOADING": "LAZY"}
    none = gpu_section(NativePlan(profile="kaggle-2024", needed=("libcuda.so.1",), stubs=(),
                                  machine=machine(["libcuda.so.1"])), machine(["libcuda.so.1"]))
    assert none is not None and none["checked_on_gpu"] is False
    assert none["ran_on"] == ("this machine's CPU (not checked on a GPU: no NVIDIA driver: libcuda.so.1 is not on this "
                              "machine)")
    assert gpu_section(None, None) is None
    skipped = gpu_section(None, T4)  # a GPU here, but the target's runtime could not be had
    assert skipped is not None and skipped["checked_on_gpu"] is False
    assert skipped["ran_on"].endswith("CUDA 12.4: levels 3-4 did not run on it (see level 3)")
    empty: MachineResult = machine([])
    assert gpu_section(None, empty) is not None
