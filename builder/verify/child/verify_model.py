"""Level 3's proof that the model loads: the archive's own llama_cpp loads the archive's
GGUF at the agent's own settings (``n_ctx``, ``n_batch``, ``n_gpu_layers``, flash
attention, threads: the host read them from ``agent_settings.json``), evaluates a prompt
and generates a few tokens (stdlib + llama_cpp, Python 3.10).

What an agent does with a load error (the template catches it and plays canned fallback
moves) cannot hide it here.  llama.cpp logs to stderr (fd 2) with ``verbose=True``; the
load and the evaluation are framed by :data:`LOAD_BEGIN` / :data:`LOAD_END` lines there,
and the host reads that part of the log (layers offloaded, buffers per device, errors),
even when this process dies in the middle.  On a GPU the devices' memory is read before
the load, after it and after generating.
"""

from __future__ import annotations

import array
import ctypes
import math
import os
import sys
import time
import traceback
from typing import Any

from verify_common import tail
from verify_cuda import memory_reading, peak_rss
from verify_protocol import LOAD_BEGIN, LOAD_END, MemoryReading, ModelProbe, ModelRequest

#: The text the prompt is made of (repeated up to the requested number of tokens).
PROMPT = ("Twenty questions is a game where one player thinks of a thing or a place and the other asks "
          "questions that can be answered with yes or no. ")


def _say(line: str) -> None:
    sys.stderr.write(f"\n{line}\n")
    sys.stderr.flush()


def _prompt(llm: Any, want: int) -> list[int]:
    tokens = [int(t) for t in llm.tokenize(PROMPT.encode(), add_bos=True)]
    more = [int(t) for t in llm.tokenize(PROMPT.encode(), add_bos=False)]
    while len(tokens) < want and more:
        tokens += more
    return tokens[: max(want, 1)]


def _argmax(llama_cpp: Any, llm: Any, n_vocab: int) -> tuple[int, bool]:
    """The last token's most likely next token, and whether its logits are all finite (read
    from llama.cpp: ``logits_all=False`` keeps no scores in Python).  numpy when there is one
    (llama_cpp needs it), else the array module."""
    ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    try:
        import numpy as np
    except ImportError:
        values = array.array("f")
        values.frombytes(ctypes.string_at(ptr, 4 * n_vocab))
        best = max(values)
        return values.index(best), math.isfinite(sum(values))
    logits = np.ctypeslib.as_array(ptr, shape=(n_vocab,))
    return int(np.argmax(logits)), bool(np.isfinite(logits).all())


def _generate(llama_cpp: Any, llm: Any, prompt: list[int], n: int) -> bool:
    """Evaluate ``prompt`` (if any), then ``n`` greedy tokens one by one; whether every
    logit seen was a finite number."""
    if prompt:
        llm.eval(prompt)
    n_vocab = int(llm.n_vocab())
    finite = True
    for _ in range(n):
        best, ok = _argmax(llama_cpp, llm, n_vocab)
        finite = finite and ok
        llm.eval([best])
    return finite


def probe_model(req: ModelRequest) -> ModelProbe:
    """Load the model as the agent would, then evaluate ``prompt_tokens`` tokens at once and
    generate ``generate_tokens`` greedy tokens one by one."""
    out: ModelProbe = {"model": os.path.basename(req["path"]), "error": "", "n_gpu_layers": req["n_gpu_layers"]}
    memory: list[MemoryReading] = []
    _say(LOAD_BEGIN)
    try:
        import llama_cpp

        if req["gpu"]:
            memory.append(memory_reading("before"))
        start = time.perf_counter()
        llm = llama_cpp.Llama(
            model_path=req["path"], n_ctx=req["n_ctx"], n_batch=req["n_batch"], n_gpu_layers=req["n_gpu_layers"],
            flash_attn=req["flash_attn"], n_threads=req["n_threads"], logits_all=False, verbose=True,
        )
        out["load_s"] = time.perf_counter() - start
        out["gpu_offload_supported"] = bool(llama_cpp.llama_supports_gpu_offload())
        if req["gpu"]:
            memory.append(memory_reading("loaded"))
        room = max(1, int(llm.n_ctx()) - req["generate_tokens"] - 8)
        tokens = _prompt(llm, min(req["prompt_tokens"], room))
        start = time.perf_counter()
        _generate(llama_cpp, llm, tokens, 1)  # the first evaluation pays one-off costs (kernels, buffers)
        out["warmup_s"] = time.perf_counter() - start
        llm.reset()
        start = time.perf_counter()
        llm.eval(tokens)
        out["prompt_tokens"] = len(tokens)
        out["prompt_tps"] = len(tokens) / max(time.perf_counter() - start, 1e-9)
        start = time.perf_counter()
        finite = _generate(llama_cpp, llm, [], req["generate_tokens"])
        out["generated_tokens"] = req["generate_tokens"]
        out["generate_tps"] = req["generate_tokens"] / max(time.perf_counter() - start, 1e-9)
        out["finite_logits"] = finite
        if req["gpu"]:
            memory.append(memory_reading("generated"))
        out["peak_rss"] = peak_rss()
        llm.close()
    except BaseException:
        out["error"] = tail(traceback.format_exc(), 1200)
    finally:
        _say(LOAD_END)
    if memory:
        out["memory"] = memory
    return out
