"""A synthetic GGUF with a real model's tensor shapes and random Q8_0 weights, written with
the ``gguf`` package: enough for memory, load time and speed on a GPU (the values are
random, so its answers are noise), without downloading 8.5 GB of someone's weights.

:data:`LLAMA3_8B` is Llama 3 8B (Meta-Llama-3-8B-Instruct): 32 layers, 4096 wide, 32 query
and 8 KV heads, a 14336 feed-forward, a 128,256-token vocabulary, an 8192 trained context;
at Q8_0 (34 bytes per 32 weights, norms in F32) the file is ~8.5 GB, like the real
``Meta-Llama-3-8B-Instruct.Q8_0.gguf``.  Tensors are written one at a time (the largest,
``token_embd`` and ``output``, is 558 MB), each from a seeded generator: the same shape and
seed give the same bytes.  The vocabulary is SentencePiece-style (control tokens, the 256
byte tokens, then numbered pieces) with a ChatML template, so llama.cpp and the template
agent can tokenise and chat with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

Q8_0_BLOCK = 32  # weights per block
Q8_0_BYTES = 34  # bytes per block: an f16 scale and 32 int8
CHATML = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_CONTROL = ("<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>")


@dataclass(frozen=True, slots=True, kw_only=True)
class Shape:
    name: str
    n_vocab: int
    n_embd: int
    n_layer: int
    n_head: int
    n_head_kv: int
    n_ff: int
    context: int
    rope_theta: float = 500000.0


LLAMA3_8B = Shape(name="synthetic Llama-3-8B Q8_0", n_vocab=128256, n_embd=4096, n_layer=32, n_head=32, n_head_kv=8,
                  n_ff=14336, context=8192)


def tensors(s: Shape) -> list[tuple[str, tuple[int, int] | tuple[int]]]:
    """(name, numpy shape) of every tensor, in file order (rows x columns: ggml's ne1 x ne0)."""
    head = s.n_embd // s.n_head
    out: list[tuple[str, tuple[int, int] | tuple[int]]] = [("token_embd.weight", (s.n_vocab, s.n_embd))]
    for i in range(s.n_layer):
        p = f"blk.{i}."
        out += [(p + "attn_norm.weight", (s.n_embd,)), (p + "attn_q.weight", (s.n_embd, s.n_embd)),
                (p + "attn_k.weight", (head * s.n_head_kv, s.n_embd)),
                (p + "attn_v.weight", (head * s.n_head_kv, s.n_embd)),
                (p + "attn_output.weight", (s.n_embd, s.n_embd)), (p + "ffn_norm.weight", (s.n_embd,)),
                (p + "ffn_gate.weight", (s.n_ff, s.n_embd)), (p + "ffn_up.weight", (s.n_ff, s.n_embd)),
                (p + "ffn_down.weight", (s.n_embd, s.n_ff))]
    out += [("output_norm.weight", (s.n_embd,)), ("output.weight", (s.n_vocab, s.n_embd))]
    return out


def q8_0_bytes(rows: int, cols: int) -> int:
    return rows * cols // Q8_0_BLOCK * Q8_0_BYTES


def file_bytes(s: Shape) -> int:
    """The weights' bytes (the header adds ~3 MB of vocabulary)."""
    return sum(q8_0_bytes(*shape) if len(shape) == 2 else 4 * shape[0] for _, shape in tensors(s))


def _q8_0(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Random Q8_0 blocks: int8 quants and finite f16 scales around 2e-4 (weights of ~0.015)."""
    blocks = rows * cols // Q8_0_BLOCK
    out = np.frombuffer(rng.bytes(blocks * Q8_0_BYTES), dtype=np.uint8).reshape(blocks, Q8_0_BYTES).copy()
    scales = rng.uniform(1e-4, 3e-4, blocks).astype(np.float16)
    out[:, :2] = scales.view(np.uint8).reshape(blocks, 2)
    shaped: np.ndarray = out.reshape(rows, cols // Q8_0_BLOCK * Q8_0_BYTES)
    return shaped


def _vocab(n: int) -> tuple[list[str], list[float], list[int]]:
    tokens = list(_CONTROL) + [f"<0x{b:02X}>" for b in range(256)]
    types = [2] + [3] * (len(_CONTROL) - 1) + [6] * 256  # UNKNOWN, CONTROL, BYTE
    pieces = ["\u2581"] + [chr(c) for c in range(33, 127)]
    tokens += pieces
    types += [1] * len(pieces)
    k = 0
    while len(tokens) < n:
        tokens.append(f"\u2581w{k}")
        types.append(1)
        k += 1
    scores = [0.0] * (len(_CONTROL) + 256) + [-1000.0 - i for i in range(n - len(_CONTROL) - 256)]
    return tokens[:n], scores[:n], types[:n]


def write_synthetic(path: Path, shape: Shape = LLAMA3_8B, *, seed: int = 0) -> Path:
    """Write the synthetic model to ``path`` (tensor by tensor) and return it."""
    import gguf

    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(shape.name)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_context_length(shape.context)
    writer.add_embedding_length(shape.n_embd)
    writer.add_block_count(shape.n_layer)
    writer.add_feed_forward_length(shape.n_ff)
    writer.add_head_count(shape.n_head)
    writer.add_head_count_kv(shape.n_head_kv)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_freq_base(shape.rope_theta)
    writer.add_rope_dimension_count(shape.n_embd // shape.n_head)
    writer.add_vocab_size(shape.n_vocab)
    tokens, scores, types = _vocab(shape.n_vocab)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(4)
    writer.add_eot_token_id(4)
    writer.add_add_bos_token(True)
    writer.add_add_space_prefix(False)
    writer.add_chat_template(CHATML)
    layout = tensors(shape)
    for name, dims in layout:
        if len(dims) == 2:
            rows, cols = dims
            nbytes = q8_0_bytes(rows, cols)
            writer.add_tensor_info(name, (rows, nbytes // rows), np.dtype(np.uint8), nbytes,
                                   raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor_info(name, dims, np.dtype(np.float32), 4 * dims[0])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for _name, dims in layout:
        data = _q8_0(rng, *dims) if len(dims) == 2 else np.ones(dims, dtype=np.float32)
        writer.write_tensor_data(data)
    writer.close()
    return path
