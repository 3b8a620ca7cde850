"""Dotted version numbers as comparable tuples (glibc, GLIBCXX, Python, CUDA)."""

from __future__ import annotations


def version_tuple(text: str) -> tuple[int, ...]:
    """The leading numeric parts of ``text``: ``"2.31"`` → (2, 31), ``"3.4.28"`` → (3, 4, 28),
    ``"12.1.105"`` → (12, 1, 105); parsing stops at the first part that is not a number."""
    out: list[int] = []
    for part in text.split("."):
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out)


def major_minor(text: str) -> tuple[int, int]:
    """The first two parts (``"3.10.13"`` → (3, 10)); a ValueError when there are fewer."""
    parts = version_tuple(text)
    if len(parts) < 2:
        raise ValueError(f"not a MAJOR.MINOR version: {text!r}")
    return parts[0], parts[1]
