"""The model-fit report: will these GGUF weights fit the target's GPU?

Read from the GGUF header only (:func:`builder.model.gguf.read_gguf`): architecture, parameter
count, quantisation, file size, context length, chat template, and an estimate of the
GPU memory that llama.cpp needs at the recipe's context size:

* **weights**: the bytes of every tensor (all of them are counted, although llama.cpp
  keeps ``token_embd`` on the host: a deliberate safety margin);
* **KV cache** (f16 K and V): ``n_layers × n_ctx × n_kv_heads × (key_length +
  value_length) × 2 bytes``, i.e. ``2 × n_layers × n_ctx × n_kv_heads × head_dim × 2``
  when keys and values have the same width.  ``n_kv_heads`` is ``{arch}.attention.head_count_kv``
  (else ``head_count``); where the model gives it per layer (an array, as OpenELM does) the
  sum over the layers replaces ``n_layers × n_kv_heads``; the widths are
  ``{arch}.attention.key_length`` / ``value_length`` (else ``embedding_length / head_count``);
* **overhead**: a fixed :data:`OVERHEAD_BYTES` = 1 GiB for the CUDA context and cuBLAS
  workspace (~0.3-0.5 GiB on a T4) plus llama.cpp's compute buffers (~0.25-0.5 GiB at
  ``n_batch`` 512 for 7-8 B models).

Verdict against the profile's GPU memory: *fits* (everything on the GPU), *fits with n
of N layers offloaded* (the largest n whose layers' weights and KV cache fit beside the
overhead; with n = N the output layer stays on the CPU), or *does not fit* (not one layer).
That is what a CUDA build gets; a CPU build offloads nothing whatever the agent's
``n_gpu_layers`` asks (:func:`offload_note`), and the report says so first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ModelError
from ..profile import Profile
from ..util.units import params
from .gguf import GGUFInfo, describe

GIB = 1 << 30
MIB = 1 << 20
OVERHEAD_BYTES = 1 * GIB
KV_BYTES_PER_ELEMENT = 2  # f16 K and V (llama.cpp's default cache type)

Verdict = Literal["fits", "partial", "does not fit", "no gpu"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KVShape:
    n_layers: int
    n_kv_heads: int  # the largest, where it varies by layer
    key_length: int
    value_length: int
    kv_heads_per_layer: tuple[int, ...] | None = None  # when the model varies it by layer

    @property
    def total_kv_heads(self) -> int:
        """KV heads summed over the layers."""
        if self.kv_heads_per_layer is not None:
            return sum(self.kv_heads_per_layer)
        return self.n_layers * self.n_kv_heads


@dataclass(frozen=True, slots=True, kw_only=True)
class FitEstimate:
    n_ctx: int
    n_layers: int
    weights_bytes: int
    layer_weights_bytes: int  # the weights of the repeated blocks (the part that is split by n_gpu_layers)
    kv_bytes: int
    overhead_bytes: int
    gpu_bytes: int | None  # None: the profile has no GPU
    verdict: Verdict
    layers_on_gpu: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.overhead_bytes

    @property
    def summary(self) -> str:
        if self.verdict == "fits":
            return f"fits: all {self.n_layers} layers on the GPU"
        if self.verdict == "partial":
            return (f"fits with {self.layers_on_gpu} of {self.n_layers} layers offloaded "
                    f"(set n_gpu_layers = {self.layers_on_gpu}; the rest runs on the CPU)")
        if self.verdict == "no gpu":
            return "the profile has no GPU: llama.cpp runs on the CPU"
        return "does not fit: not even one layer fits beside the overhead"


def offload_note(backend: str, n_gpu_layers: object) -> str | None:
    """What a build's ``backend`` makes of the agent's ``n_gpu_layers`` setting, when that is
    not what the setting says: a CPU build offloads no layer (llama.cpp without CUDA ignores
    the setting), a CUDA build with 0 offloads none either.  None otherwise."""
    asked = n_gpu_layers if isinstance(n_gpu_layers, int) and not isinstance(n_gpu_layers, bool) else None
    if backend == "cpu":
        wants = "" if not asked else (f": the agent's n_gpu_layers = {asked} asks for "
                                      f"{'every layer' if asked < 0 else f'{asked} layers'} on the GPU, "
                                      "which needs --backend cuda (recipe key 'backend')")
        return f"CPU build: no layer will be offloaded{wants}"
    if asked == 0:
        return "n_gpu_layers = 0: no layer will be offloaded although this is a CUDA build"
    return None


def kv_cache_bytes(shape: KVShape, n_ctx: int) -> int:
    """f16 K and V for every layer and position."""
    return n_ctx * shape.total_kv_heads * (shape.key_length + shape.value_length) * KV_BYTES_PER_ELEMENT


def estimate_fit(
    *,
    weights_bytes: int,
    layer_weights_bytes: int,
    shape: KVShape,
    n_ctx: int,
    gpu_bytes: int | None,
    overhead_bytes: int = OVERHEAD_BYTES,
) -> FitEstimate:
    """The pure estimate: see the module docstring."""
    kv = kv_cache_bytes(shape, n_ctx)
    total = weights_bytes + kv + overhead_bytes
    n = shape.n_layers
    if gpu_bytes is None:
        verdict: Verdict = "no gpu"
        layers = 0
    elif total <= gpu_bytes:
        verdict, layers = "fits", n
    else:
        per_layer = (layer_weights_bytes + kv) / n if n else float("inf")
        room = gpu_bytes - overhead_bytes
        layers = min(n, int(room // per_layer)) if room > 0 and per_layer > 0 else 0
        verdict = "partial" if layers > 0 else "does not fit"
    return FitEstimate(n_ctx=n_ctx, n_layers=n, weights_bytes=weights_bytes, layer_weights_bytes=layer_weights_bytes,
                       kv_bytes=kv, overhead_bytes=overhead_bytes, gpu_bytes=gpu_bytes, verdict=verdict,
                       layers_on_gpu=layers)


def kv_shape(info: GGUFInfo) -> KVShape:
    """The KV-cache geometry from the GGUF metadata; a missing key is a :class:`ModelError`."""
    arch = info.architecture

    def need(key: str) -> int:
        value = info.meta_int(f"{arch}.{key}")
        if value is None or value <= 0:
            raw = info.metadata.get(f"{arch}.{key}")
            what = "has no" if raw is None else f"has {value} for" if value is not None else f"has {describe(raw)} for"
            raise ModelError(f"{info.path}: metadata {what} '{arch}.{key}': cannot estimate the KV cache")
        return value

    def per_layer(key: str) -> tuple[int, ...] | None:
        items = info.meta_ints(f"{arch}.{key}")
        if items is not None and (len(items) != n_layers or min(items, default=0) < 0):
            raise ModelError(
                f"{info.path}: '{arch}.{key}' has {len(items)} per-layer values for {n_layers} layers"
                if len(items) != n_layers
                else f"{info.path}: '{arch}.{key}' has a negative value"
            )
        return items

    n_layers = need("block_count")
    heads = per_layer("attention.head_count")
    n_head = max(heads) if heads else need("attention.head_count")
    kv_heads = per_layer("attention.head_count_kv")
    if kv_heads is None and info.meta_int(f"{arch}.attention.head_count_kv") is None:
        kv_heads = heads  # no KV count: as many as the query heads, layer by layer
    n_kv = max(kv_heads) if kv_heads else (info.meta_int(f"{arch}.attention.head_count_kv") or n_head)
    if n_head <= 0:
        raise ModelError(f"{info.path}: metadata has no '{arch}.attention.head_count': cannot estimate the KV cache")
    head_dim = need("embedding_length") // n_head
    k = info.meta_int(f"{arch}.attention.key_length") or head_dim
    v = info.meta_int(f"{arch}.attention.value_length") or head_dim
    return KVShape(n_layers=n_layers, n_kv_heads=n_kv, key_length=k, value_length=v, kv_heads_per_layer=kv_heads)


def layer_weights(info: GGUFInfo) -> int:
    return sum(t.nbytes for t in info.tensors if t.name.startswith("blk."))


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelReport:
    info: GGUFInfo
    shape: KVShape
    fit: FitEstimate
    gpu_name: str | None
    profile: str
    notes: tuple[str, ...]
    backend: str  # what the build's llama-cpp-python is built for (the spec's)
    offload: str | None  # :func:`offload_note`: when the backend overrules n_gpu_layers

    @property
    def verdict(self) -> str:
        """The line a person reads first: the offload note when there is one, else the fit."""
        return self.offload or self.fit.summary

    def to_json(self) -> dict[str, Any]:
        i, f = self.info, self.fit
        return {
            "file": i.path.name,
            "architecture": i.architecture,
            "name": i.name,
            "parameters": i.n_parameters,
            "quantization": i.file_type,
            "size": i.size,
            "context_length": i.context_length,
            "chat_template": i.has_chat_template,
            "kv": {"n_layers": self.shape.n_layers, "n_kv_heads": self.shape.n_kv_heads,
                   "kv_heads_per_layer": list(self.shape.kv_heads_per_layer or []) or None,
                   "key_length": self.shape.key_length, "value_length": self.shape.value_length},
            "estimate": {
                "profile": self.profile,
                "gpu": self.gpu_name,
                "gpu_bytes": f.gpu_bytes,
                "n_ctx": f.n_ctx,
                "weights_bytes": f.weights_bytes,
                "kv_cache_bytes": f.kv_bytes,
                "overhead_bytes": f.overhead_bytes,
                "total_bytes": f.total_bytes,
                "verdict": f.verdict,
                "layers_on_gpu": f.layers_on_gpu,
                "n_layers": f.n_layers,
                "summary": f.summary,
            },
            "backend": self.backend,
            "offload": self.offload,
            "verdict": self.verdict,
            "notes": list(self.notes),
        }


def inspect_model(
    info: GGUFInfo, profile: Profile, *, n_ctx: int, backend: str, n_gpu_layers: object
) -> ModelReport:
    """The model's report at ``n_ctx`` for a build for ``backend`` whose agent asks for
    ``n_gpu_layers``."""
    if n_ctx <= 0:
        raise ModelError(f"{info.path}: n_ctx must be positive, got {n_ctx}")
    shape = kv_shape(info)
    weights = sum(t.nbytes for t in info.tensors)
    gpu = int(profile.gpu.memory_gib * GIB) if profile.gpu is not None else None
    fit = estimate_fit(weights_bytes=weights, layer_weights_bytes=layer_weights(info) or weights,
                       shape=shape, n_ctx=n_ctx, gpu_bytes=gpu)
    notes: list[str] = []
    if info.context_length is not None and n_ctx > info.context_length:
        notes.append(f"n_ctx {n_ctx} is larger than the model's trained context {info.context_length}")
    if not info.has_chat_template:
        notes.append("no tokenizer.chat_template: the agent falls back to a plain prompt format")
    return ModelReport(info=info, shape=shape, fit=fit, gpu_name=profile.gpu.name if profile.gpu else None,
                       profile=profile.name, notes=tuple(notes), backend=backend,
                       offload=offload_note(backend, n_gpu_layers))


def _kv_heads(s: KVShape) -> str:
    per = s.kv_heads_per_layer
    if per is None or len(set(per)) == 1:
        return str(s.n_kv_heads)
    return f"{min(per)}-{max(per)} by layer ({sum(per)} in all)"


def _gib(n: int) -> str:
    return f"{n / GIB:.2f} GiB"


def format_model_report(r: ModelReport) -> str:
    i, f, s = r.info, r.fit, r.shape
    rows = [
        ("file", f"{i.path.name} ({i.size / 1e6:,.1f} MB)"),
        ("architecture", i.architecture + (f" ({i.name})" if i.name else "")),
        ("parameters", f"{params(i.n_parameters)} ({i.n_parameters:,})"),
        ("quantization", i.file_type or "?"),
        ("context length", str(i.context_length) if i.context_length else "?"),
        ("chat template", "yes" if i.has_chat_template else "no"),
        ("layers / KV heads", f"{s.n_layers} / {_kv_heads(s)} × {s.key_length}"
         + (f"+{s.value_length}" if s.value_length != s.key_length else "")),
        ("", ""),
        (f"GPU memory at n_ctx {f.n_ctx}", ""),
        ("  weights", _gib(f.weights_bytes)),
        ("  KV cache (f16)", _gib(f.kv_bytes)),
        ("  CUDA + compute overhead", _gib(f.overhead_bytes)),
        ("  total", _gib(f.total_bytes)),
        (f"  {r.gpu_name or 'GPU'} ({r.profile})", _gib(f.gpu_bytes) if f.gpu_bytes is not None else "none"),
        ("verdict", r.verdict),
    ]
    if r.offload is not None and r.backend == "cpu":
        rows.append(("with --backend cuda", f.summary))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}".rstrip() for k, v in rows]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)
