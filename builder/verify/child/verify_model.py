"""Level 3's proof that the model loads: the archive's own llama_cpp loads the archive's
GGUF with the agent's settings and evaluates a few tokens (stdlib + llama_cpp, Python 3.10).

What an agent does with a load error (the template catches it and plays canned fallback
moves) cannot hide it here.  llama.cpp's own log (fd 2) is captured into a file during the
load to read how many layers it offloaded to a GPU.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
import traceback

from verify_common import tail
from verify_protocol import ModelProbe

#: The probe's context: enough for its prompt, small enough to load fast whatever the agent asks.
PROBE_CTX = 512
PROMPT = b"The capital of France is"
GENERATE = 8
_SETTINGS_LIMIT = 1 << 20
_OFFLOAD = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")


def _settings(agent_dir: str) -> dict[str, object]:
    path = os.path.join(agent_dir, "agent_settings.json")
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read(_SETTINGS_LIMIT))
    except (OSError, ValueError, RecursionError):  # level 2 reports what is wrong with it
        return {}
    return data if isinstance(data, dict) else {}


def _model_file(agent_dir: str, settings: dict[str, object]) -> str | None:
    name = settings.get("model_file")
    if isinstance(name, str) and name and "/" not in name:
        return os.path.join(agent_dir, name)
    ggufs = sorted(n for n in os.listdir(agent_dir) if n.lower().endswith(".gguf"))
    return os.path.join(agent_dir, ggufs[0]) if ggufs else None


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def probe_model(agent_dir: str) -> ModelProbe:
    """Load the model (the agent's n_gpu_layers, threads and batch; a small context) and
    evaluate :data:`PROMPT` then :data:`GENERATE` greedy tokens."""
    settings = _settings(agent_dir)
    path = _model_file(agent_dir, settings)
    if path is None:
        return {"model": None, "error": "no .gguf file at the archive root"}
    out: ModelProbe = {"model": os.path.basename(path), "error": ""}
    log = tempfile.TemporaryFile()
    saved = os.dup(2)
    try:
        import llama_cpp

        n_gpu_layers = _int(settings.get("n_gpu_layers"), -1)
        n_threads = settings.get("n_threads")
        start = time.perf_counter()
        os.dup2(log.fileno(), 2)
        try:
            llm = llama_cpp.Llama(
                model_path=path, n_ctx=PROBE_CTX, n_batch=min(_int(settings.get("n_batch"), 512), PROBE_CTX),
                n_gpu_layers=n_gpu_layers, n_threads=n_threads if isinstance(n_threads, int) else None,
                logits_all=False, verbose=True,
            )
        finally:
            os.dup2(saved, 2)
        out["load_s"] = time.perf_counter() - start
        tokens = llm.tokenize(PROMPT, add_bos=True)
        start = time.perf_counter()
        llm.eval(tokens)
        out["prompt_tokens"] = len(tokens)
        out["prompt_tps"] = len(tokens) / max(time.perf_counter() - start, 1e-9)
        start = time.perf_counter()
        finite = True
        for _ in range(GENERATE):
            logits = llm.scores[llm.n_tokens - 1]
            best = max(range(len(logits)), key=logits.__getitem__)
            finite = finite and all(math.isfinite(float(x)) for x in logits[:64])
            llm.eval([best])
        out["generated_tokens"] = GENERATE
        out["generate_tps"] = GENERATE / max(time.perf_counter() - start, 1e-9)
        out["finite_logits"] = finite
        out["gpu_offload_supported"] = bool(llama_cpp.llama_supports_gpu_offload())
        out["n_gpu_layers"] = n_gpu_layers
        llm.close()
    except BaseException:
        out["error"] = tail(traceback.format_exc(), 1200)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        log.seek(0)
        text = log.read(1 << 20).decode("utf-8", "replace")
        log.close()
    found = _OFFLOAD.findall(text)
    if found:
        out["offloaded"] = f"{found[-1][0]}/{found[-1][1]}"
    errors = [ln.strip() for ln in text.splitlines() if "error" in ln.lower() or "failed" in ln.lower()]
    if errors:
        out["log_errors"] = [e[:300] for e in errors[-5:]]
    cuda = [ln.strip() for ln in text.splitlines() if ln.startswith("ggml_cuda_init")]
    if cuda:
        out["cuda_init"] = cuda[-1][:300]
    return out
