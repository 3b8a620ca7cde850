"""The turn's time budget: a deadline checked between evaluation chunks and tokens."""

from __future__ import annotations

import time


class TimeUp(Exception):
    """Raised when the turn's deadline is reached."""


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, needed: float = 0.0) -> None:
        if self.left() <= needed:
            raise TimeUp()
