"""The engine: one loaded llama.cpp model plus KV-cache bookkeeping, cached per process.

``_ENGINES`` keeps one :class:`Engine` per model path for the whole process: when several
agents run in one process (kaggle-environments execs ``main.py`` once per agent, and they
share ``sys.modules``) they share one loaded model.  Load errors are kept in
``_LOAD_ERRORS`` so a broken model is not reloaded on every turn.

* ``llama_cpp`` and ``numpy`` are imported only when a model is loaded.
* Only the tokens after the longest common prefix with the tokens already in the KV cache
  are evaluated.  When several conversations share the model, the KV cache of sequence 0
  is saved and restored per conversation (``kv_swap``).
* Questions and guesses are sampled by an own sampler on the logits (:meth:`Engine.generate`);
  the answerer compares the likelihoods of "yes" and "no" (:meth:`Engine.choose`).
"""

from __future__ import annotations

import ctypes
import math
import os
import time
from collections.abc import Sequence
from typing import Any

from .chat import ChatFormat
from .deadline import Deadline

#: Saved KV caches kept at most (four agents need three to six; older ones are dropped).
MAX_SAVED = 16


class Engine:
    """One loaded model plus KV-cache bookkeeping for several conversations."""

    def __init__(self, model_path: str, settings: dict[str, Any]) -> None:
        t0 = time.monotonic()
        import llama_cpp
        import numpy as np

        self.np = np
        self.lc = llama_cpp
        n_threads = settings.get("n_threads")
        self.llm: Any = llama_cpp.Llama(
            model_path=model_path,
            n_ctx=int(settings["n_ctx"]),
            n_batch=int(settings["n_batch"]),
            n_gpu_layers=int(settings["n_gpu_layers"]),
            n_threads=int(n_threads) if n_threads else None,
            seed=int(settings["seed"]),
            flash_attn=bool(settings["flash_attn"]),
            logits_all=False,
            verbose=bool(settings["verbose"]),
        )
        self.model_path = model_path
        self.n_ctx = int(self.llm.n_ctx())
        self.n_batch = int(self.llm.n_batch)
        self.n_vocab = int(self.llm.n_vocab())
        self.vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self.kv_swap = bool(settings["kv_swap"])
        self.active: str | None = None
        self.saved: dict[str, tuple[Any, Any]] = {}
        self.answer_bias: float | None = None  # the answerer's calibration (agent.PROBES), once
        self.eval_tps = 0.0  # measured prompt tokens per second (0: unknown)
        bos_id, eos_id = int(self.llm.token_bos()), int(self.llm.token_eos())
        bos = self._token_text(bos_id)
        eos = self._token_text(eos_id)
        template = self.llm.metadata.get("tokenizer.chat_template")
        self.chat = ChatFormat(template, bos, eos)
        self.load_s = time.monotonic() - t0

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        try:
            return bytes(self.llm.detokenize([token], special=True)).decode("utf-8", "ignore")
        except Exception:
            return ""

    # tokens ------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        add_bos = not (self.chat.bos_token and text.startswith(self.chat.bos_token))
        return [int(t) for t in self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)]

    def detokenize(self, tokens: Sequence[int]) -> str:
        return bytes(self.llm.detokenize(list(tokens))).decode("utf-8", "ignore")

    def is_stop(self, token: int) -> bool:
        lc = self.lc
        return bool(lc.llama_vocab_is_eog(self.vocab, token) or lc.llama_vocab_is_control(self.vocab, token))

    # KV cache -----------------------------------------------------------------------

    def _activate(self, key: str) -> None:
        """Make conversation ``key`` the one in the KV cache (save/restore when switching)."""
        if self.active == key:
            return
        lc, llm = self.lc, self.llm
        if self.kv_swap and self.active is not None and llm.n_tokens > 0:
            size = int(lc.llama_state_seq_get_size(llm.ctx, 0))
            buf = (ctypes.c_uint8 * size)()
            n = int(lc.llama_state_seq_get_data(llm.ctx, buf, size, 0))
            if n > 0:
                self.saved[self.active] = (buf, llm.input_ids[: llm.n_tokens].copy())
                while len(self.saved) > MAX_SAVED:  # a long-lived process (many local episodes)
                    del self.saved[next(iter(self.saved))]  # the oldest: re-evaluated if used again
        state = self.saved.pop(key, None) if self.kv_swap else None
        if state is not None:
            buf, ids = state
            lc.llama_memory_clear(lc.llama_get_memory(llm.ctx), True)
            if int(lc.llama_state_seq_set_data(llm.ctx, buf, len(buf), 0)) > 0:
                llm.input_ids[: len(ids)] = ids
                llm.n_tokens = len(ids)
            else:
                llm.n_tokens = 0
                lc.llama_memory_clear(lc.llama_get_memory(llm.ctx), True)
        self.active = key

    def sync(self, key: str, tokens: Sequence[int], deadline: Deadline) -> int:
        """Bring the KV cache to ``tokens``, evaluating only what follows the common prefix.

        At least the last token is evaluated, so the logits are fresh.  Returns the
        number of prompt tokens evaluated.
        """
        np, llm = self.np, self.llm
        if not tokens:
            raise ValueError("empty prompt")
        if len(tokens) >= self.n_ctx:
            raise ValueError(f"prompt of {len(tokens)} tokens exceeds n_ctx {self.n_ctx}")
        self._activate(key)
        have = int(llm.n_tokens)
        m = min(have, len(tokens))
        k = 0
        if m:
            diff = np.nonzero(llm.input_ids[:m] != np.asarray(tokens[:m], dtype=llm.input_ids.dtype))[0]
            k = int(diff[0]) if len(diff) else m
        k = min(k, len(tokens) - 1)
        if k < have and not self.lc.llama_memory_seq_rm(self.lc.llama_get_memory(llm.ctx), -1, k, -1):
            k = 0  # partial removal unsupported (recurrent models): start over
            self.lc.llama_memory_clear(self.lc.llama_get_memory(llm.ctx), True)
        llm.n_tokens = k
        todo = list(tokens[k:])
        for i in range(0, len(todo), self.n_batch):
            chunk = todo[i : i + self.n_batch]
            deadline.check(len(chunk) / self.eval_tps if self.eval_tps > 0 else 0.0)
            t0 = time.monotonic()
            llm.eval(chunk)
            dt = time.monotonic() - t0
            if dt > 0 and len(chunk) >= 8:
                tps = len(chunk) / dt
                self.eval_tps = tps if self.eval_tps <= 0 else 0.5 * (self.eval_tps + tps)
        return len(todo)

    def logits(self) -> Any:
        ptr = self.lc.llama_get_logits_ith(self.llm.ctx, -1)
        return self.np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(self.np.float64)

    def log_softmax(self, logits: Any) -> Any:
        np = self.np
        m = float(np.max(logits))
        return logits - (m + math.log(float(np.sum(np.exp(logits - m)))))

    # generation ------------------------------------------------------------------------

    def sample(self, logits: Any, temperature: float, top_p: float, top_k: int, rng: Any) -> int:
        np = self.np
        if temperature <= 0:
            return int(np.argmax(logits))
        k = max(1, min(int(top_k) if top_k and top_k > 0 else len(logits), len(logits)))
        idx = np.argpartition(-logits, k - 1)[:k] if k < len(logits) else np.arange(len(logits))
        vals = logits[idx] / temperature
        order = np.argsort(-vals)
        idx, vals = idx[order], vals[order]
        p = np.exp(vals - vals[0])
        p /= p.sum()
        if 0 < top_p < 1:
            keep = int(np.searchsorted(np.cumsum(p), top_p) + 1)
            idx, p = idx[:keep], p[:keep] / p[:keep].sum()
        return int(rng.choice(idx, p=p))

    def generate(
        self,
        key: str,
        tokens: Sequence[int],
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        top_k: int,
        rng: Any,
        deadline: Deadline,
    ) -> tuple[str, int, int]:
        """Sample up to ``max_tokens`` (stops at end of turn or at a newline after text).

        Returns (text, prompt tokens evaluated, tokens generated).
        """
        n_eval = self.sync(key, tokens, deadline)
        out: list[int] = []
        text = ""
        for i in range(max(1, int(max_tokens))):
            if deadline.left() <= 0:
                break
            token = self.sample(self.logits(), temperature, top_p, top_k, rng)
            if self.is_stop(token):
                break
            out.append(token)
            text = self.detokenize(out)
            if "\n" in text.lstrip():
                break
            if i + 1 < max_tokens:
                self.llm.eval([token])
        return text, n_eval, len(out)

    def continuation(self, prompt_text: str, prompt_tokens: Sequence[int], word: str) -> list[int]:
        """The tokens that ``word`` adds right after the prompt."""
        full = self.tokenize(prompt_text + word)
        n = len(prompt_tokens)
        if len(full) > n and list(full[:n]) == list(prompt_tokens):
            return list(full[n:])
        return [int(t) for t in self.llm.tokenize(word.encode("utf-8"), add_bos=False, special=False)]

    def choose(
        self,
        key: str,
        prompt_text: str,
        tokens: Sequence[int],
        options: dict[str, Sequence[str]],
        deadline: Deadline,
    ) -> tuple[str, int, dict[str, float]]:
        """Pick the option whose spellings are most likely as the next tokens.

        Returns (label, prompt tokens evaluated, log-likelihood per label).
        """
        np = self.np
        n_eval = self.sync(key, tokens, deadline)
        base = self.log_softmax(self.logits())
        n = len(tokens)
        scores: dict[str, float] = {}
        for label, words in options.items():
            seen: set[tuple[int, ...]] = set()
            lps: list[float] = []
            for word in words:
                seq = self.continuation(prompt_text, tokens, word)
                if not seq or tuple(seq) in seen:
                    continue
                seen.add(tuple(seq))
                lp = float(base[seq[0]])
                for j in range(1, len(seq)):  # multi-token spellings: score token by token
                    deadline.check()
                    self.llm.eval([seq[j - 1]])
                    lp += float(self.log_softmax(self.logits())[seq[j]])
                self.llm.n_tokens = n
                lps.append(lp)
            if lps:
                top = max(lps)
                scores[label] = top + math.log(sum(math.exp(x - top) for x in lps))
        if not scores:
            raise ValueError("no option could be tokenized")
        label = max(scores, key=lambda lab: scores[lab])
        if np.isnan(scores[label]):
            raise ValueError("NaN likelihood")
        return label, n_eval, scores


_ENGINES: dict[str, Engine] = {}
_LOAD_ERRORS: dict[str, str] = {}


def get_engine(model_path: str, settings: dict[str, Any]) -> Engine:
    """The process-wide engine for ``model_path`` (loaded on first use; errors are sticky)."""
    key = os.path.realpath(model_path)
    engine = _ENGINES.get(key)
    if engine is not None:
        return engine
    if key in _LOAD_ERRORS:
        raise RuntimeError(_LOAD_ERRORS[key])
    try:
        engine = Engine(model_path, settings)
    except Exception as exc:
        _LOAD_ERRORS[key] = f"load failed: {type(exc).__name__}: {exc}"[:200]
        raise
    _ENGINES[key] = engine
    return engine
