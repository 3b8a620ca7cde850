"""Write a tiny, deterministic, random-weight GGUF chat model for tests.

The model is a 2-layer ``llama`` architecture network with a SentencePiece-style
vocabulary (control tokens, the 256 byte-fallback tokens, printable ASCII and a few
words) of a few hundred tokens, so the file is a few hundred KB and loads in
milliseconds with llama.cpp.  Its answers are random, which is exactly what the
agent's fallbacks are tested against.

Only the ``gguf`` and ``numpy`` packages are needed (the dev environment has both).
The same arguments always give the same bytes (fixed seed, no timestamps).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: The ChatML template (as in SmolLM2 / Qwen): supports a system role.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

#: A Gemma-style template that has no system role: it raises on one.
NO_SYSTEM_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}"
    "{% endif %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}"
    "{% if message['role'] == 'assistant' %}{% set role = 'model' %}"
    "{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<|im_start|>' + role + '\n' + message['content'] | trim + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>model\n' }}{% endif %}"
)

_CONTROL = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
_WORDS = ["yes", "no", "Yes", "No", "\u2581yes", "\u2581no", "\u2581Yes", "\u2581No", "ye", "\u2581y", "\u2581n"]


def _vocab() -> tuple[list[str], list[float], list[int]]:
    tokens: list[str] = []
    scores: list[float] = []
    types: list[int] = []
    for i, tok in enumerate(_CONTROL):
        tokens.append(tok)
        scores.append(0.0)
        types.append(2 if i == 0 else 3)  # UNKNOWN, then CONTROL
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        scores.append(0.0)
        types.append(6)  # BYTE
    chars = ["\u2581"] + [chr(c) for c in range(33, 127)]
    for i, ch in enumerate(chars):
        tokens.append(ch)
        scores.append(-1000.0 - i)
        types.append(1)  # NORMAL
    for i, word in enumerate(_WORDS):
        tokens.append(word)
        scores.append(-10.0 - i)
        types.append(1)
    return tokens, scores, types


def write_tiny_gguf(
    path: str | Path,
    *,
    chat_template: str | None = CHATML_TEMPLATE,
    arch: str = "llama",
    seed: int = 0,
    n_embd: int = 64,
    n_layer: int = 2,
    n_head: int = 4,
    n_head_kv: int = 2,
    n_ff: int = 128,
    context_length: int = 4096,
) -> Path:
    """Write a tiny random-weight GGUF model to ``path`` and return the path.

    ``chat_template=None`` writes no ``tokenizer.chat_template`` at all.  Only the
    ``llama`` architecture is supported (it is the one every llama.cpp build knows).
    """
    import gguf  # dev-only dependency; imported here so that importing this module is cheap

    if arch != "llama":
        raise ValueError(f"unsupported arch {arch!r}: only 'llama' is implemented")
    out = Path(path)
    tokens, scores, types = _vocab()
    n_vocab = len(tokens)
    head_dim = n_embd // n_head
    rng = np.random.default_rng(seed)

    def mat(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * 0.5).astype(np.float16)

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)

    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_name("tiny-test-model")
    writer.add_file_type(1)  # mostly F16
    writer.add_context_length(context_length)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(head_dim)
    writer.add_vocab_size(n_vocab)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(4)  # <|im_end|>, as chat models set it
    writer.add_eot_token_id(4)
    writer.add_add_bos_token(True)
    writer.add_add_space_prefix(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    writer.add_tensor("token_embd.weight", mat(n_vocab, n_embd))
    for i in range(n_layer):
        p = f"blk.{i}."
        writer.add_tensor(p + "attn_norm.weight", ones(n_embd))
        writer.add_tensor(p + "attn_q.weight", mat(n_embd, n_embd))
        writer.add_tensor(p + "attn_k.weight", mat(head_dim * n_head_kv, n_embd))
        writer.add_tensor(p + "attn_v.weight", mat(head_dim * n_head_kv, n_embd))
        writer.add_tensor(p + "attn_output.weight", mat(n_embd, n_embd))
        writer.add_tensor(p + "ffn_norm.weight", ones(n_embd))
        writer.add_tensor(p + "ffn_gate.weight", mat(n_ff, n_embd))
        writer.add_tensor(p + "ffn_up.weight", mat(n_ff, n_embd))
        writer.add_tensor(p + "ffn_down.weight", mat(n_embd, n_ff))
    writer.add_tensor("output_norm.weight", ones(n_embd))
    writer.add_tensor("output.weight", mat(n_vocab, n_embd))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def raw_gguf(
    path: Path,
    *,
    kv: Sequence[tuple[str, int, bytes]] | None = None,
    tensors: Sequence[tuple[bytes, tuple[int, ...], int]] | None = None,
    pad_data: int = 128,
) -> Path:
    """A GGUF written byte by byte (hostile inputs the ``gguf`` writer would refuse):
    ``kv`` = (key, value type, packed value); ``tensors`` = (name, shape, ggml type), all at
    offset 0 followed by ``pad_data`` zero bytes."""
    import struct

    def s(raw: bytes) -> bytes:
        return struct.pack("<Q", len(raw)) + raw

    items = kv if kv is not None else [("general.architecture", 8, s(b"llama"))]
    tens = tensors if tensors is not None else [(b"t", (32,), 0)]
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tens), len(items)))
    for key, vtype, value in items:
        out += s(key.encode()) + struct.pack("<I", vtype) + value
    for name, shape, ggml_type in tens:
        out += s(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape)
        out += struct.pack("<IQ", ggml_type, 0)
    out += b"\0" * (-len(out) % 32) + b"\0" * pad_data
    path.write_bytes(bytes(out))
    return path
