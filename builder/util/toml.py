"""Strict reading of the builder's TOML files: unknown keys and wrong types are errors
that name the key and the file, and so is a file too large or nested too deep to be one
of them (one line, never a traceback)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the builder's Python 3.10
    import tomli as tomllib

T = TypeVar("T")
#: The largest TOML file read (recipes and lock inputs are small; a profile, ~10 KB).
MAX_BYTES = 16 << 20


def load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ConfigError(path, f"larger than {MAX_BYTES:,} bytes: not a file of the builder")
        return tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"not valid TOML: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(path, "not valid TOML for the builder: nested too deeply") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from None


class Table:
    """A view of one TOML table that records which keys were read."""

    def __init__(self, data: Mapping[str, Any], path: Path, prefix: str = "") -> None:
        self.data = data
        self.path = path
        self.prefix = prefix
        self._seen: set[str] = set()

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def get(self, key: str, kind: type[T], default: T | None = None, *, required: bool = False) -> T:
        self._seen.add(key)
        if key not in self.data:
            if required:
                raise ConfigError(self.path, f"missing key '{self._key(key)}'")
            return default  # type: ignore[return-value]
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(
                self.path,
                f"key '{self._key(key)}' must be {kind.__name__}, got {type(value).__name__}",
            )
        return value

    def opt(self, key: str, kind: type[T]) -> T | None:
        self._seen.add(key)
        if key not in self.data:
            return None
        return self.get(key, kind)

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        values = self.get(key, list, list(default))
        for item in values:
            if not isinstance(item, str):
                raise ConfigError(self.path, f"key '{self._key(key)}' must be a list of strings")
        return tuple(values)

    def table(self, key: str, *, required: bool = False) -> Table:
        data = self.get(key, dict, {}, required=required)
        return Table(data, self.path, f"{self._key(key)}.")

    def tables(self, key: str) -> list[Table]:
        items = self.get(key, list, [])
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ConfigError(self.path, f"'{self._key(key)}' must be an array of tables")
            out.append(Table(item, self.path, f"{self._key(key)}[{i}]."))
        return out

    def done(self) -> None:
        """Raise on the first key that was never read (an unknown key)."""
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            raise ConfigError(self.path, f"unknown key '{self._key(unknown[0])}'")
