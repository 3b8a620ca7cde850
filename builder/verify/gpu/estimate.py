"""The numbers levels 3-4 reason with when the machine is not the target.

* **Another GPU than the target's**: generation in llama.cpp is bound by memory bandwidth
  (every weight is read once per token), prompt processing by FP16 tensor throughput.  So
  the target's generation speed is estimated as the measured one times the ratio of the
  two GPUs' memory bandwidth, its prompt speed by the ratio of their dense FP16 tensor
  TFLOPS, and a turn's latency by the larger of the two slow-downs (a bound, not a
  prediction).  :data:`GPUS` holds the vendors' datasheet figures of common GPUs; a GPU
  not in it cannot be compared, and the report says so.  The model load time cannot be
  estimated (it is the disk's and the PCIe bus's): the report says that too.
* **A CPU machine**: the model must fit its RAM at the agent's settings (the weights, the
  f16 KV cache at ``n_ctx``, :data:`CPU_OVERHEAD_BYTES` for llama.cpp's compute buffers),
  and a game is estimated from level 3's measured speeds (:func:`game_seconds`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

GIB = 1 << 30
#: llama.cpp's compute buffers and the process around them on a CPU (a few hundred MiB for 7-8B models).
CPU_OVERHEAD_BYTES = GIB // 2


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuSpec:
    name: str
    bandwidth_gbs: float  # memory bandwidth, GB/s
    fp16_tflops: float  # dense FP16 tensor throughput (FP32 accumulate where the datasheet says so)


#: Datasheet figures, matched by the longest name contained in the device's name (best known:
#: the vendors' published numbers; a board's clocks may differ).
GPUS: tuple[GpuSpec, ...] = (
    GpuSpec(name="T4", bandwidth_gbs=320, fp16_tflops=65),
    GpuSpec(name="P100", bandwidth_gbs=732, fp16_tflops=18.7),
    GpuSpec(name="V100", bandwidth_gbs=900, fp16_tflops=112),
    GpuSpec(name="A10G", bandwidth_gbs=600, fp16_tflops=70),
    GpuSpec(name="A10", bandwidth_gbs=600, fp16_tflops=125),
    GpuSpec(name="L4", bandwidth_gbs=300, fp16_tflops=121),
    GpuSpec(name="L40S", bandwidth_gbs=864, fp16_tflops=362),
    GpuSpec(name="A100-PCIE-40GB", bandwidth_gbs=1555, fp16_tflops=312),
    GpuSpec(name="A100-SXM4-40GB", bandwidth_gbs=1555, fp16_tflops=312),
    GpuSpec(name="A100 80GB PCIe", bandwidth_gbs=1935, fp16_tflops=312),
    GpuSpec(name="A100-SXM4-80GB", bandwidth_gbs=2039, fp16_tflops=312),
    GpuSpec(name="H100 PCIe", bandwidth_gbs=2000, fp16_tflops=756),
    GpuSpec(name="H100 80GB HBM3", bandwidth_gbs=3350, fp16_tflops=989),
    GpuSpec(name="H100 NVL", bandwidth_gbs=3900, fp16_tflops=835),
    GpuSpec(name="H200", bandwidth_gbs=4800, fp16_tflops=989),
    GpuSpec(name="RTX 3090", bandwidth_gbs=936, fp16_tflops=71),
    GpuSpec(name="RTX 4090", bandwidth_gbs=1008, fp16_tflops=165),
)


def gpu_spec(name: str) -> GpuSpec | None:
    """The datasheet entry of a device name ("NVIDIA H100 80GB HBM3", "Tesla T4"), or None."""
    hits = [g for g in GPUS if g.name.lower() in name.lower()]
    return max(hits, key=lambda g: len(g.name)) if hits else None


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetEstimate:
    """The target GPU's speed estimated from a measurement on another GPU."""

    measured_on: str
    target: str
    generate_factor: float  # target time / measured time for generation (bandwidth ratio)
    prompt_factor: float  # the same for prompt processing (FP16 TFLOPS ratio)

    @property
    def turn_factor(self) -> float:
        """A turn mixes both: the larger slow-down bounds it."""
        return max(self.generate_factor, self.prompt_factor)

    @property
    def how(self) -> str:
        return (f"estimate: generation scaled by memory bandwidth ({self.measured_on} / {self.target} = "
                f"{self.generate_factor:.2f}x slower on the {self.target}), prompt processing by dense FP16 "
                f"tensor TFLOPS ({self.prompt_factor:.2f}x), a turn by the larger; datasheet figures")


def target_estimate(measured_on: str, target: str) -> TargetEstimate | str:
    """How the ``target`` GPU compares with the one ``measured_on``, or why it cannot be said."""
    mine, theirs = gpu_spec(measured_on), gpu_spec(target)
    if mine is None or theirs is None:
        unknown = measured_on if mine is None else target
        return f"cannot estimate the {target} from the {measured_on}: no datasheet figures for {unknown}"
    return TargetEstimate(measured_on=mine.name, target=theirs.name,
                          generate_factor=mine.bandwidth_gbs / theirs.bandwidth_gbs,
                          prompt_factor=mine.fp16_tflops / theirs.fp16_tflops)


# -------------------------------------------------------------------------- a CPU machine


@dataclass(frozen=True, slots=True, kw_only=True)
class RamFit:
    need_bytes: int  # weights + KV cache + compute buffers
    available_bytes: int | None  # MemAvailable; None: unknown (then it is not judged)

    @property
    def fits(self) -> bool:
        return self.available_bytes is None or self.need_bytes <= self.available_bytes


def ram_fit(*, weights_bytes: int, kv_bytes: int, available_bytes: int | None) -> RamFit:
    return RamFit(need_bytes=weights_bytes + kv_bytes + CPU_OVERHEAD_BYTES, available_bytes=available_bytes)


def mem_available(meminfo: str) -> int | None:
    """``MemAvailable`` of a ``/proc/meminfo`` text, in bytes."""
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024
    return None


#: The prompt tokens a model turn evaluates (the new question, answer and the turn's
#: framing; the KV cache keeps the rest): a round figure for the estimate.
PROMPT_TOKENS_PER_TURN = 64
#: A model turn of each kind, per round, by the role of the seat (an answerer answers; a
#: guesser asks and guesses), and the rounds of a game played to the end.
TURNS_BY_ROLE: Mapping[str, tuple[str, ...]] = {"guesser": ("ask", "guess"), "answerer": ("answer",)}
ROUNDS = 20


def turn_seconds(kind: str, *, prompt_tps: float, generate_tps: float, generate_tokens: Mapping[str, int]) -> float:
    """One model turn of ``kind`` at the measured speeds: its prompt, then its generated tokens
    (an answer generates none: the template compares the likelihoods of yes and no)."""
    return PROMPT_TOKENS_PER_TURN / max(prompt_tps, 1e-9) + generate_tokens.get(kind, 0) / max(generate_tps, 1e-9)


def game_seconds(
    roles: Sequence[Sequence[str]], *, load_s: float, prompt_tps: float, generate_tps: float,
    generate_tokens: Mapping[str, int], act_timeout_s: float,
) -> float:
    """How long episodes would take at these speeds, ``roles``: per episode, the roles our
    agents sit in (:func:`builder.verify.lineups.our_roles`); every turn of ours by the model
    for :data:`ROUNDS` rounds (an upper bound: rules and the protocol answer many turns at
    once, a game may end sooner), each turn cut at ``act_timeout_s`` (the agent falls back
    when its time runs out), plus one model load."""
    total = load_s
    for episode in roles:
        for role in episode:
            for kind in TURNS_BY_ROLE.get(role, ()):
                one = turn_seconds(kind, prompt_tps=prompt_tps, generate_tps=generate_tps,
                                   generate_tokens=generate_tokens)
                total += ROUNDS * min(one, act_timeout_s)
    return total


def generate_tokens(settings: Mapping[str, object]) -> dict[str, int]:
    """Tokens a turn generates at most in one attempt, from the agent's settings (the
    template's ``max_tokens_*``; verify fills what an archive lacks from the builder's
    template).  A retry (``attempts_*``) is rare: not counted."""

    def num(key: str) -> int:
        value = settings.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

    return {"ask": num("max_tokens_ask"), "guess": num("max_tokens_guess")}


def describe(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"

