"""GGUF weights validated from their header, before anything is written.

Only the header is read (typed key/values and tensor infos): a multi-GB file is checked
in milliseconds, and the weights' bytes are read exactly once later, by the archive
stage, which hashes them while writing.

Every size in the header is bounded before anything is read or allocated, in two classes:
what is *accepted* (a longer string, a longer array, more keys or tensors: the file is
refused) and what is *kept* (a string of up to :data:`MAX_KEPT_STRING`, the items of a
numeric array of up to :data:`SMALL_ARRAY`, and no more than :data:`KEPT_STRINGS_TOTAL`
bytes and :data:`KEPT_ITEMS_TOTAL` items in all: 65,536 keys of 1 MiB strings are a 64 GiB
header, which a sparse file holds in no disk space).  A value accepted but not kept is still
known for what it is: :class:`LongString` (its size) or :class:`ArrayValue` (its item type
and count), never mistaken for a number or for a missing key.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeGuard

from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

from ..errors import ModelError, ModelProblems

GGUF_MAGIC = b"GGUF"
#: A model file's suffix, in any case (``.gguf``, ``.GGUF``: llama.cpp and the agent
#: template go by the magic and the settings, not the case of the name).
GGUF_SUFFIX = ".gguf"
SUPPORTED_VERSIONS = (2, 3)
MAX_TENSORS = 1 << 16  # ~400 bytes kept each; the largest models have a few thousand
MAX_KV = 1 << 16
#: Bounds of every size read from the header, checked before anything is allocated.
MAX_STRING = 1 << 24  # 16 MiB: any string value (a chat template is ~10-100 KB)
MAX_KEPT_STRING = 1 << 20  # string values kept in memory up to 1 MiB; longer ones are skipped, their length kept
MAX_KEY = 1 << 10  # 1 KiB: metadata keys are short dotted names
MAX_TENSOR_NAME = 63  # llama.cpp refuses names of GGML_MAX_NAME (64) bytes or more
MAX_ARRAY = 1 << 24  # 16 M items (vocabularies are ~128k-256k)
SMALL_ARRAY = 4096  # numeric arrays up to this long are kept (per-layer values)
KEPT_STRINGS_TOTAL = 32 << 20  # string bytes kept in all; past it strings are skipped like long ones
KEPT_ITEMS_TOTAL = 1 << 18  # array items kept in all
MAX_DIMS = 8

# GGUF value types (gguf spec): id -> struct format (None for string/array)
_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
#: GGUF value type names (gguf spec), for messages.
TYPE_NAMES = {0: "uint8", 1: "int8", 2: "uint16", 3: "int16", 4: "uint32", 5: "int32", 6: "float32", 7: "bool",
              8: "string", 9: "array", 10: "uint64", 11: "int64", 12: "float64"}


@dataclass(frozen=True, slots=True)
class LongString:
    """A string value skipped, its size kept: longer than :data:`MAX_KEPT_STRING`, or past
    the :data:`KEPT_STRINGS_TOTAL` bytes of strings kept."""

    size: int  # bytes

    def __str__(self) -> str:
        if self.size <= MAX_KEPT_STRING:
            return f"a string of {self.size:,} bytes after the {KEPT_STRINGS_TOTAL:,} bytes of strings kept"
        return f"a string of {self.size:,} bytes"


@dataclass(frozen=True, slots=True)
class ArrayValue:
    """An array value: its item type and count (the items of small numeric arrays are in
    :attr:`GGUFInfo.arrays`)."""

    item_type: str
    count: int

    def __str__(self) -> str:
        return f"an array of {self.count:,} {self.item_type}"


def describe(value: object) -> str:
    """What a metadata value is, for messages ("a number", "an array of 30 int32")."""
    if isinstance(value, (LongString, ArrayValue)):
        return str(value)
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"a string of {len(value.encode()):,} bytes"
    return "missing" if value is None else type(value).__name__

#: File types (``general.file_type``, llama_ftype) by name, for reports.
FILE_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int
    nbytes: int

    @property
    def n_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True, slots=True, kw_only=True)
class GGUFInfo:
    """What the builder knows about a GGUF file after reading its header."""

    path: Path
    size: int
    version: int
    architecture: str
    name: str | None
    file_type: str | None
    context_length: int | None
    chat_template: str | None
    alignment: int
    data_offset: int
    data_end: int
    n_tensors: int
    n_parameters: int
    #: scalars and kept strings as they are; longer strings as :class:`LongString`, arrays as :class:`ArrayValue`
    metadata: dict[str, Any]
    tensors: tuple[TensorInfo, ...]
    #: the items of small numeric arrays (per-layer values such as OpenELM's head counts)
    arrays: dict[str, tuple[int | float, ...]] = field(default_factory=dict)

    @property
    def chat_template_size(self) -> int:
        """Bytes of ``tokenizer.chat_template`` (0: none); a template over
        :data:`MAX_KEPT_STRING` is accepted but not kept (``chat_template`` is None)."""
        value = self.metadata.get("tokenizer.chat_template")
        if isinstance(value, LongString):
            return value.size
        return len(value.encode()) if isinstance(value, str) else 0

    @property
    def has_chat_template(self) -> bool:
        return self.chat_template_size > 0

    def meta_ints(self, key: str) -> tuple[int, ...] | None:
        """A per-layer integer array's items (None when the key is a scalar or absent)."""
        items = self.arrays.get(key)
        return tuple(int(x) for x in items) if items is not None else None

    def meta_int(self, key: str) -> int | None:
        """An integer value (a float one truncated); None when absent, not a number, or not finite."""
        value = self.metadata.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return int(value) if math.isfinite(value) else None


class _Reader:
    """Little-endian reads from a stream, with the offset kept for error messages."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh = fh
        self.size = size
        self.pos = 0
        self.kept_bytes = 0  # of string values kept
        self.kept_items = 0  # of array items kept

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise ModelError(f"header truncated at byte {self.pos} (wanted {n} more bytes)")
        data = self.fh.read(n)
        if len(data) != n:
            raise ModelError(f"header truncated at byte {self.pos}")
        self.pos += n
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise ModelError(f"header truncated at byte {self.pos} (wanted {n} more bytes)")
        self.fh.seek(n, 1)
        self.pos += n

    def string(self, limit: int = MAX_STRING, what: str = "string", keep: int | None = None) -> str | LongString:
        """A string of at most ``limit`` bytes (longer: a ModelError before anything is read);
        one longer than ``keep`` is skipped and returned as a :class:`LongString`."""
        at = self.pos
        n = int(self.unpack("<Q"))
        if n > limit:
            raise ModelError(f"{what} of {n} bytes at byte {at} (at most {limit} are accepted)")
        if keep is not None and (n > keep or self.kept_bytes + n > KEPT_STRINGS_TOTAL):
            self.skip(n)
            return LongString(n)
        if keep is not None:
            self.kept_bytes += n
        return self.read(n).decode("utf-8", errors="replace")

    def name(self, limit: int, what: str) -> str:
        text = self.string(limit, what)
        assert isinstance(text, str)
        return text

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string(keep=MAX_KEPT_STRING)
        if vtype == _ARRAY:
            itype = self.unpack("<I")
            count = self.unpack("<Q")
            if count > MAX_ARRAY:
                raise ModelError(f"array of {count} items at byte {self.pos} is not plausible")
            array = ArrayValue(TYPE_NAMES.get(itype, str(itype)), count)
            if itype in _SCALARS:
                fmt = _SCALARS[itype]
                raw = self.read(struct.calcsize(fmt) * count)
                if count <= SMALL_ARRAY and fmt != "<?" and self.kept_items + count <= KEPT_ITEMS_TOTAL:
                    self.kept_items += count
                    return _Array(array, struct.unpack(f"<{count}{fmt[1:]}", raw))
                return array  # long arrays are not needed past their type and length
            if itype == _STRING:
                for _ in range(count):
                    at = self.pos
                    n = self.unpack("<Q")
                    if n > MAX_STRING:
                        raise ModelError(f"string of {n} bytes at byte {at} (at most {MAX_STRING} are accepted)")
                    self.skip(n)
                return array
            raise ModelError(f"array of unsupported type {itype} at byte {self.pos}")
        raise ModelError(f"unknown value type {vtype} at byte {self.pos}")


@dataclass(frozen=True, slots=True)
class _Array:
    value: ArrayValue
    items: tuple[int | float, ...]


def is_gguf_name(name: str) -> bool:
    """Whether ``name`` ends with the GGUF suffix, in any case (the one check of it)."""
    return name.lower().endswith(GGUF_SUFFIX) and len(name) > len(GGUF_SUFFIX)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _tensor_nbytes(ggml_type: int, shape: tuple[int, ...]) -> int:
    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    except (ValueError, KeyError):
        raise ModelError(f"unknown tensor type {ggml_type}") from None
    n = 1
    for d in shape:
        n *= d
    if shape and shape[0] % block:
        raise ModelError(f"first dimension {shape[0]} is not a multiple of the block size {block}")
    return n // block * type_size


def read_gguf(path: Path) -> GGUFInfo:
    """Read and validate the header of one GGUF file.

    Every problem found is reported together, as one :class:`ModelProblems`, naming the file.
    """
    try:
        size = path.stat().st_size
        fh = path.open("rb")
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a directory, not a GGUF file") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model: {exc.strerror}") from None
    with fh:
        try:
            return _parse(path, fh, size)
        except ModelProblems:
            raise
        except ModelError as exc:
            raise ModelProblems(path, [str(exc)], "not a valid GGUF file") from None


def _read_head(r: _Reader, fh: IO[bytes]) -> tuple[int, int, int]:
    """Magic, version and the two counts, each checked before anything is read past them."""
    magic = fh.read(4)
    r.pos = len(magic)
    if magic != GGUF_MAGIC:
        raise ModelError(f"not a GGUF file (magic {magic!r}, expected b'GGUF')")
    version = r.unpack("<I")
    if version not in SUPPORTED_VERSIONS:
        raise ModelError(f"unsupported GGUF version {version} (supported: 2, 3)")
    n_tensors = r.unpack("<Q")
    n_kv = r.unpack("<Q")
    if n_tensors > MAX_TENSORS or n_tensors == 0:
        raise ModelError(f"implausible tensor count {n_tensors}")
    if n_kv > MAX_KV:
        raise ModelError(f"implausible key/value count {n_kv}")
    return version, n_tensors, n_kv


def _read_kv(r: _Reader, n_kv: int) -> tuple[dict[str, Any], dict[str, tuple[int | float, ...]]]:
    """The typed key/values; small numeric arrays keep their items, others their length."""
    metadata: dict[str, Any] = {}
    arrays: dict[str, tuple[int | float, ...]] = {}
    for _ in range(n_kv):
        key = r.name(MAX_KEY, "metadata key")
        vtype = r.unpack("<I")
        value = r.value(vtype)
        if isinstance(value, _Array):
            arrays[key] = value.items
            value = value.value
        metadata[key] = value
    return metadata, arrays


def _read_tensors(r: _Reader, n_tensors: int, problems: list[str]) -> list[TensorInfo]:
    tensors: list[TensorInfo] = []
    for _ in range(n_tensors):
        name = r.name(MAX_TENSOR_NAME, "tensor name")
        n_dims = r.unpack("<I")
        if n_dims == 0 or n_dims > MAX_DIMS:
            raise ModelError(f"tensor {name!r} has {n_dims} dimensions")
        shape = tuple(r.unpack("<Q") for _ in range(n_dims))
        ggml_type = r.unpack("<I")
        offset = r.unpack("<Q")
        try:
            nbytes = _tensor_nbytes(ggml_type, shape)
        except ModelError as exc:
            problems.append(f"tensor {name!r}: {exc}")
            nbytes = 0
        tensors.append(TensorInfo(name=name, shape=shape, ggml_type=ggml_type, offset=offset, nbytes=nbytes))
    return tensors


def _layout(
    header_end: int, size: int, metadata: dict[str, Any], tensors: list[TensorInfo], problems: list[str]
) -> tuple[int, int, int]:
    """(alignment, data offset, data end): every tensor aligned and inside the file."""
    alignment = metadata.get("general.alignment", 32)
    if not _is_int(alignment) or alignment <= 0 or alignment & (alignment - 1):
        problems.append(f"general.alignment {alignment!r} is not a power of two")
        alignment = 32
    data_offset = (header_end + alignment - 1) // alignment * alignment
    data_end = data_offset
    for t in tensors:
        if t.offset % alignment:
            problems.append(f"tensor {t.name!r} offset {t.offset} is not aligned to {alignment}")
        data_end = max(data_end, data_offset + t.offset + t.nbytes)
    if size < data_end:
        problems.append(
            f"file is truncated: {size} bytes, but its tensor data needs {data_end} ({data_end - size} bytes missing)"
        )
    return alignment, data_offset, data_end


def _parse(path: Path, fh: IO[bytes], size: int) -> GGUFInfo:
    r = _Reader(fh, size)
    version, n_tensors, n_kv = _read_head(r, fh)
    metadata, arrays = _read_kv(r, n_kv)
    problems: list[str] = []
    tensors = _read_tensors(r, n_tensors, problems)
    alignment, data_offset, data_end = _layout(r.pos, size, metadata, tensors, problems)
    raw_arch = metadata.get("general.architecture")
    arch = raw_arch if isinstance(raw_arch, str) else ""
    if raw_arch is None or raw_arch == "":
        problems.append("metadata has no 'general.architecture'")
    elif not arch:
        problems.append(f"'general.architecture' is {describe(raw_arch)}, not an architecture name")
    template = metadata.get("tokenizer.chat_template")
    if template is not None and not isinstance(template, (str, LongString)):
        problems.append(f"'tokenizer.chat_template' is {describe(template)}, not a string")
    if problems:
        raise ModelProblems(path, problems, "not a valid GGUF file")
    ftype = metadata.get("general.file_type")
    ctx = metadata.get(f"{arch}.context_length")
    model_name = metadata.get("general.name")
    return GGUFInfo(
        path=path,
        size=size,
        version=version,
        architecture=arch,
        name=model_name if isinstance(model_name, str) else None,
        file_type=FILE_TYPES.get(ftype, str(ftype)) if _is_int(ftype) else None,
        context_length=ctx if _is_int(ctx) else None,
        chat_template=template if isinstance(template, str) else None,
        alignment=alignment,
        data_offset=data_offset,
        data_end=data_end,
        n_tensors=n_tensors,
        n_parameters=sum(t.n_elements for t in tensors),
        metadata=metadata,
        tensors=tuple(tensors),
        arrays=arrays,
    )
