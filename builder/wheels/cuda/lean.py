"""What the T4 build of llama.cpp leaves out, with llama.cpp's own build options only (no
patched sources), and the refusal of a setting that would need it.

Measured (README, ``make bench``): the FlashAttention kernels (fattn-mma, fattn-tile,
fattn-vec template instances) are ~40 % of the CUDA objects' compile time.  The agent
never uses them: llama-cpp-python 0.3.36 turns ``flash_attn=False`` into
``LLAMA_FLASH_ATTN_TYPE_DISABLED`` (never ``AUTO``), and the template's
``agent_settings.json`` says ``"flash_attn": false``.  So the build passes

* ``GGML_CUDA_FA=OFF``: the FlashAttention kernels compile to nothing
  (``GGML_CUDA_NO_FA``); with it, flash attention cannot run on the GPU (llama.cpp would
  run the op on the CPU: ollama #9425), so ``flash_attn = true`` is refused at build time,
  and so is a quantized KV cache (llama.cpp needs flash attention for a quantized V
  cache, and uses it for a quantized K cache);
* ``GGML_CUDA_FA_QUANTS=f16-f16``: the fewest fattn-vec instances llama.cpp accepts.

llama.cpp offers no option to leave out quantization types of the matrix kernels (mmq,
mmf, mmvq compile every type), so those stay.  What is left out is part of the build key
and of the wheel's provenance (``left_out`` in build.json and in an export's provenance).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ConfigError

LEAN_FLAGS = (
    "-DGGML_CUDA_FA=OFF",
    "-DGGML_CUDA_FA_QUANTS=f16-f16",
)
#: feature -> what leaves it out (provenance)
LEFT_OUT = {
    "flash_attn": "GGML_CUDA_FA=OFF: no FlashAttention kernels on the GPU",
    "quantized_kv_cache": "GGML_CUDA_FA=OFF: a quantized KV cache needs flash attention",
}
#: agent settings whose non-default values need flash attention on the GPU
_KV_TYPE_SETTINGS = ("type_k", "type_v", "cache_type_k", "cache_type_v")
_PLAIN_KV_TYPES = {"f16", "f32", "bf16", "1", "0", "30"}  # names and GGML type ids of unquantized types


def left_out() -> dict[str, str]:
    """What the CUDA build leaves out (feature -> the option that does it)."""
    return dict(LEFT_OUT)


def setting_problems(settings: Mapping[str, Any], left: Mapping[str, str]) -> list[str]:
    """Each agent setting that needs something ``left`` out, as ``KEY = VALUE needs ...``."""
    problems: list[str] = []
    if "flash_attn" in left and settings.get("flash_attn") not in (None, False, 0, "false", "False", "off"):
        problems.append(f"flash_attn = {settings['flash_attn']!r} needs flash attention, which this CUDA build "
                        f"leaves out ({left['flash_attn']}): set flash_attn = false")
    if "quantized_kv_cache" in left:
        for key in _KV_TYPE_SETTINGS:
            value = settings.get(key)
            if value is not None and str(value).strip().lower() not in _PLAIN_KV_TYPES:
                problems.append(f"{key} = {value!r} (a quantized KV cache) needs flash attention, which this CUDA "
                                f"build leaves out ({left['quantized_kv_cache']}): use f16")
    return problems


def refuse_settings(settings: Mapping[str, Any], left: Mapping[str, str], *, source: str) -> None:
    """Raise a one-line :class:`ConfigError` naming ``source`` (the recipe or the command
    line) and every setting that needs what the CUDA build leaves out."""
    problems = setting_problems(settings, left)
    if problems:
        raise ConfigError(source, "agent setting " + "; ".join(problems))
