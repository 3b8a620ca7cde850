"""JSON from outside the builder, parsed within bounds: the one parser for every JSON
document the builder reads that it did not just write itself (an archive's
``MANIFEST.json`` and ``agent_settings.json``, the sidecar, a verify child's result, a
captured runtime profile, ``--set`` values, the builder's own cache records).

:func:`json.loads` alone turns a 200,000-deep ``[[[…`` into ``RecursionError`` (a traceback,
not a problem) and 32 MiB of ``[{},{},…]`` into 700 MB of dicts.  :func:`parse_json`
bounds the text (``max_bytes``), the values in it (``max_items``, counted from the text
before anything is built: every value but the first follows a ``,`` or opens a container)
and the nesting (``max_depth``, measured on what was parsed, without recursion), refuses
``NaN`` and ``Infinity`` (not JSON), and reports every failure as one :class:`JsonError`
line.  Whoever reads the result may walk it recursively: it is at most ``max_depth`` deep.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ..errors import clip, one_line

#: Defaults: nesting far beyond any real document, values for a manifest of 100,000 files (4 each).
MAX_DEPTH = 64
MAX_ITEMS = 500_000


class JsonError(ValueError):
    """Why a JSON document was refused, as one line (no file name: the caller names it)."""


class NotJson(JsonError):
    """The text is not JSON at all (as opposed to JSON beyond the bounds)."""


def _refuse_constant(name: str) -> object:
    raise JsonError(f"{name} is not JSON")


def parse_json(
    raw: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS
) -> object:
    """The value of the JSON text ``raw``; :class:`JsonError` when it is not JSON or is
    larger, holds more values or is nested deeper than allowed."""
    size = len(raw)
    if size > max_bytes:
        raise JsonError(f"{size:,} bytes (at most {max_bytes:,} are read)")
    items = _count(raw, ",") + _count(raw, "[") + _count(raw, "{")
    if items > max_items:
        raise JsonError(f"about {items:,} values (at most {max_items:,})")
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise JsonError(f"nested deeper than {max_depth} levels") from None
    except JsonError:
        raise
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an int of too many digits
        raise NotJson(f"not valid JSON ({clip(one_line(str(exc)), 200)})") from None
    if _depth(value, max_depth) > max_depth:
        raise JsonError(f"nested deeper than {max_depth} levels")
    return value


def read_json(path: Path, *, max_bytes: int, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> object:
    """:func:`parse_json` of the file ``path``, read no further than ``max_bytes`` + 1
    (OSError when it cannot be read)."""
    with path.open("rb") as fh:
        raw = fh.read(max_bytes + 1)
    return parse_json(raw, max_bytes=max_bytes, max_depth=max_depth, max_items=max_items)


def _count(raw: bytes | str, char: str) -> int:
    return raw.count(char.encode()) if isinstance(raw, bytes) else raw.count(char)


def _depth(value: object, limit: int) -> int:
    """How deep ``value`` nests (a scalar is 0), walked with a stack; stops past ``limit``."""
    deepest = 0
    todo: list[tuple[object, int]] = [(value, 0)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        todo.extend((child, depth) for child in children if isinstance(child, (dict, list)))
    return deepest
