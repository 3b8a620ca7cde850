"""Level 3's model load as the host plans it, before the child runs.

The agent's own settings (``agent_settings.json`` at the archive root, as level 1 read it;
a key it lacks takes the value of the builder's template, and the report says which were
assumed), the GGUF they name (else the first one at the root), ``inspect``'s fit
prediction at the agent's ``n_ctx`` (:mod:`builder.model.fit`, read from the GGUF header
only), and on a machine without a GPU whether the model fits this machine's RAM at those
settings: when it does not, it is not loaded (the machine would swap or kill it) and
level 3 says so.  What the child is asked to do is the typed :class:`ModelRequest`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BuilderError
from ..layout import TEMPLATE, default_path
from ..model import read_gguf
from ..model.fit import ModelReport, inspect_model
from ..profile import Profile
from ..template import SETTINGS_NAME, load_defaults
from ..util.jsonio import JsonError, parse_json
from .child.verify_protocol import ModelRequest
from .gpu.estimate import RamFit, mem_available, ram_fit

#: The settings the load reads, with the llama.cpp argument each one is.
LOAD_KEYS = ("n_ctx", "n_batch", "n_gpu_layers", "flash_attn", "n_threads")
#: Prompt and generated tokens evaluated for the speeds: (GPU, CPU).
PROMPT_TOKENS = (512, 64)
GENERATE_TOKENS = (64, 16)
_SETTINGS_LIMIT = 1 << 20
#: The largest values verify passes to llama.cpp from an archive's settings (read from untrusted input).
MAX_N_CTX = 1 << 20
MAX_THREADS = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbePlan:
    settings: Mapping[str, Any]  # the agent's, over the template's defaults
    assumed: tuple[str, ...]  # load settings the archive does not set (the template's values were used)
    model: Path | None
    request: ModelRequest | None  # None: the model is not loaded (``why_not``)
    prediction: ModelReport | None
    prediction_error: str = ""
    ram: RamFit | None = None  # a machine without a GPU: the model against its RAM
    why_not: str = ""
    gpu: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


def agent_settings(texts: Mapping[str, bytes]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The archive's ``agent_settings.json`` over the builder template's defaults, and the
    load settings (:data:`LOAD_KEYS`) it does not set."""
    defaults = load_defaults(default_path(TEMPLATE))
    raw = texts.get(SETTINGS_NAME, b"")
    try:
        own = parse_json(raw, max_bytes=_SETTINGS_LIMIT) if raw else {}
    except JsonError:  # level 2 says what is wrong with it
        own = {}
    own = own if isinstance(own, dict) else {}
    return {**defaults, **own}, tuple(k for k in LOAD_KEYS if k not in own)


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def model_file(agent_dir: Path, settings: Mapping[str, Any]) -> Path | None:
    name = settings.get("model_file")
    if isinstance(name, str) and name and "/" not in name and (agent_dir / name).is_file():
        return agent_dir / name
    ggufs = sorted(p for p in agent_dir.glob("*") if p.name.lower().endswith(".gguf") and p.is_file())
    return ggufs[0] if ggufs else None


def _meminfo() -> str:
    try:
        return Path("/proc/meminfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""


def plan_probe(agent_dir: Path, texts: Mapping[str, bytes], profile: Profile, *, gpu: bool,
               cuda_build: bool = False, meminfo: str | None = None) -> ProbePlan:
    """What level 3 loads and how (``gpu``: a GPU runs the archive's CUDA build here;
    ``cuda_build``: the archive is a CUDA build, run here or not, for ``inspect``'s
    prediction of what its ``n_gpu_layers`` offloads)."""
    settings, assumed = agent_settings(texts)
    path = model_file(agent_dir, settings)
    if path is None:
        return ProbePlan(settings=settings, assumed=assumed, model=None, request=None, prediction=None,
                         why_not="no .gguf file at the archive root", gpu=gpu)
    n_ctx = _int(settings.get("n_ctx"), 4096)
    threads = _int(settings.get("n_threads"), 0)
    if not 0 < n_ctx <= MAX_N_CTX or threads > MAX_THREADS:
        return ProbePlan(settings=settings, assumed=assumed, model=path, request=None, prediction=None, gpu=gpu,
                         why_not=f"agent_settings.json: n_ctx {n_ctx} / n_threads {threads} out of the range verify "
                                 f"loads (n_ctx 1-{MAX_N_CTX}, n_threads up to {MAX_THREADS})")
    request: ModelRequest = {
        "path": str(path), "n_ctx": n_ctx, "n_batch": min(max(1, _int(settings.get("n_batch"), 512)), n_ctx),
        "n_gpu_layers": _int(settings.get("n_gpu_layers"), -1), "flash_attn": settings.get("flash_attn") is True,
        "n_threads": threads if threads > 0 else None,
        "prompt_tokens": PROMPT_TOKENS[0 if gpu else 1], "generate_tokens": GENERATE_TOKENS[0 if gpu else 1],
        "gpu": gpu,
    }
    try:
        prediction: ModelReport | None = inspect_model(read_gguf(path), profile, n_ctx=n_ctx,
                                                       backend="cuda" if gpu or cuda_build else "cpu",
                                                       n_gpu_layers=request["n_gpu_layers"])
        error = ""
    except BuilderError as exc:
        prediction, error = None, str(exc)
    notes = [f"agent_settings.json does not set {', '.join(assumed)}: the builder template's values were used"] \
        if assumed else []
    if gpu or prediction is None:
        return ProbePlan(settings=settings, assumed=assumed, model=path, request=request, prediction=prediction,
                         prediction_error=error, gpu=gpu, notes=tuple(notes))
    fit = prediction.fit
    ram = ram_fit(weights_bytes=fit.weights_bytes, kv_bytes=fit.kv_bytes,
                  available_bytes=mem_available(_meminfo() if meminfo is None else meminfo))
    why = "" if ram.fits else "it does not fit this machine's RAM at the agent's settings"
    return ProbePlan(settings=settings, assumed=assumed, model=path, request=request if ram.fits else None,
                     prediction=prediction, prediction_error=error, ram=ram, why_not=why, gpu=gpu, notes=tuple(notes))
