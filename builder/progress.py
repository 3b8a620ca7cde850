"""Progress of the long steps, as an injectable factory.

The library never draws anything: a step that can take more than a second asks the
``ProgressFactory`` it was given for a :class:`Task` and reports to it (bytes hashed,
archived and downloaded, files compiled; a wait for another build's lock reports nothing
but lasts).  The default factory, :func:`no_progress`, does nothing.

The CLI injects :class:`TerminalProgress`, which draws on stderr: on a terminal a live
tqdm bar with the elapsed time and an estimate of the rest, redrawn every second even
while nothing is reported; elsewhere (a log, CI, a notebook cell) a line every
:data:`HEARTBEAT_S` seconds at most while a step lasts ("compiling: 35/140 files (25%),
2m10s elapsed, about 6m30s left") and one when it ends, so a long step is never silent
for longer and a short one prints nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import IO, Any, Protocol

from .util.units import human

Log = Callable[[str], None]
#: Off a terminal: the longest a running step stays silent.
HEARTBEAT_S = 30.0
#: How often the ticker redraws a bar or checks whether a heartbeat line is due.
TICK_S = 1.0


class Task(Protocol):
    """One running step."""

    def advance(self, n: int) -> None:
        """``n`` more units are done."""

    def update(self, completed: int, total: int | None = None) -> None:
        """``completed`` units are done (of ``total``, when it is known only now)."""


#: ``factory(description, total, unit)``: a context manager giving a :class:`Task`.
#: ``unit`` is ``"B"`` for bytes (shown scaled) or a word such as ``"files"``.
ProgressFactory = Callable[[str, int | None, str], AbstractContextManager[Task]]


class _NullTask:
    def advance(self, n: int) -> None:
        pass

    def update(self, completed: int, total: int | None = None) -> None:
        pass


@contextmanager
def no_progress(description: str, total: int | None, unit: str) -> Iterator[Task]:
    """The library's default: report to nobody."""
    yield _NullTask()


class RecordingTask:
    """A task that keeps what it was told (tests, and the build report's timings)."""

    def __init__(self, description: str, total: int | None, unit: str) -> None:
        self.description = description
        self.total = total
        self.unit = unit
        self.completed = 0
        self.closed = False

    def advance(self, n: int) -> None:
        self.completed += n

    def update(self, completed: int, total: int | None = None) -> None:
        self.completed = completed
        if total is not None:
            self.total = total


class RecordingProgress:
    """A factory that records every task it hands out."""

    def __init__(self) -> None:
        self.tasks: list[RecordingTask] = []

    @contextmanager
    def __call__(self, description: str, total: int | None, unit: str) -> Iterator[Task]:
        task = RecordingTask(description, total, unit)
        self.tasks.append(task)
        try:
            yield task
        finally:
            task.closed = True


class _TqdmTask:
    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def advance(self, n: int) -> None:
        self._bar.update(n)

    def update(self, completed: int, total: int | None = None) -> None:
        if total is not None and total != self._bar.total:
            self._bar.total = total
        self._bar.update(completed - self._bar.n)


def duration(seconds: float) -> str:
    """``45s``, ``3m05s``, ``1h02m``."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class HeartbeatTask:
    """A task off a terminal: a line at most every ``interval`` seconds while it runs
    (:meth:`tick`, called by updates and by the ticker), and one at the end when any was
    written.  ``clock`` is injectable (tests use a fake one)."""

    def __init__(self, description: str, total: int | None, unit: str, *, write: Log,
                 clock: Callable[[], float] = time.monotonic, interval: float = HEARTBEAT_S) -> None:
        self.description = description
        self.total = total
        self.unit = unit
        self.completed = 0
        self._write = write
        self._clock = clock
        self._interval = interval
        self._started = self._last = clock()
        self._lines = 0
        self._lock = threading.Lock()

    def advance(self, n: int) -> None:
        self.completed += n
        self.tick()

    def update(self, completed: int, total: int | None = None) -> None:
        self.completed = completed
        if total is not None:
            self.total = total
        self.tick()

    def tick(self) -> None:
        """Write a line when ``interval`` seconds have passed since the last one."""
        with self._lock:
            now = self._clock()
            if now - self._last < self._interval:
                return
            self._last = now
            self._lines += 1
        self._write(self.line(now))

    def close(self) -> None:
        if self._lines:
            self._write(f"{self.description}: done in {duration(self._clock() - self._started)}")

    def _amount(self, n: int) -> str:
        return human(n) if self.unit == "B" else f"{n:,}"

    def line(self, now: float) -> str:
        elapsed = now - self._started
        done, total = self.completed, self.total
        parts = []
        if total:
            unit = "" if self.unit == "B" else f" {self.unit}"
            parts.append(f"{self._amount(done)}/{self._amount(total)}{unit} ({done * 100 // total}%)")
        elif done:
            parts.append(f"{self._amount(done)}" + ("" if self.unit == "B" else f" {self.unit}"))
        parts.append(f"{duration(elapsed)} elapsed")
        if total and 0 < done < total:
            parts.append(f"about {duration(elapsed * (total - done) / done)} left")
        return f"{self.description}: {', '.join(parts)}"


@contextmanager
def ticking(tick: Callable[[], None], every: float | None) -> Iterator[None]:
    """Call ``tick`` every ``every`` seconds on a daemon thread while the body runs (None:
    never; the caller ticks)."""
    if not every:
        yield
        return
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            tick()

    thread = threading.Thread(target=run, name="progress-ticker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class TerminalProgress:
    """Progress on ``stream`` (default stderr): a live tqdm bar on a terminal, heartbeat
    lines elsewhere (see the module docstring).  ``enabled`` forces the bar on or off;
    ``clock``, ``interval`` and ``tick`` (seconds between redraws and checks, None: no
    ticker thread) are injectable for tests.

    Use :meth:`log` for message lines while bars may be shown: it prints above them.
    """

    def __init__(self, stream: IO[str] | None = None, *, enabled: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, interval: float = HEARTBEAT_S,
                 tick: float | None = TICK_S) -> None:
        self._stream = stream
        self._enabled = enabled
        self._clock = clock
        self._interval = interval
        self._tick = tick

    @property
    def stream(self) -> IO[str]:
        """The stream given, else ``sys.stderr`` as it is now (tests replace it)."""
        return self._stream if self._stream is not None else sys.stderr

    @property
    def enabled(self) -> bool:
        if self._enabled is not None:
            return self._enabled
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty is not None and isatty())

    @contextmanager
    def __call__(self, description: str, total: int | None, unit: str) -> Iterator[Task]:
        if not self.enabled:
            task = HeartbeatTask(description, total, unit, write=self._line, clock=self._clock,
                                 interval=self._interval)
            with ticking(task.tick, self._tick):
                yield task
            task.close()
            return
        from tqdm import tqdm  # type: ignore[import-untyped]

        scaled = unit == "B"
        bar = tqdm(total=total, desc=description, unit=unit or "it", unit_scale=scaled,
                   unit_divisor=1024 if scaled else 1000, file=self.stream, leave=False,
                   dynamic_ncols=True, mininterval=0.2)
        try:
            with ticking(bar.refresh, self._tick):  # the elapsed time moves while nothing is reported
                yield _TqdmTask(bar)
        finally:
            bar.close()

    def _line(self, message: str) -> None:
        print(f"* {message}", file=self.stream, flush=True)

    def log(self, message: str) -> None:
        if self.enabled:
            from tqdm import tqdm

            tqdm.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)
