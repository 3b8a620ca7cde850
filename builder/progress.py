"""Progress of the long steps, as an injectable factory.

The library never draws anything: a step that can take more than a second asks the
``ProgressFactory`` it was given for a :class:`Task` and reports to it (bytes hashed
and archived, files compiled).  The default factory, :func:`no_progress`, does nothing.
The CLI injects :class:`TerminalProgress` (tqdm bars on stderr), which is quiet when
stderr is not a terminal.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import IO, Any, Protocol

Log = Callable[[str], None]


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


_COMPILING = re.compile(r"^wheels: compiling (\d+)/(\d+)\b")


class CompileProgress(AbstractContextManager["CompileProgress"]):
    """A log filter for the CPU wheel build: its ``compiling n/m`` lines drive a bar.

    :mod:`builder.cpuwheel` reports compile progress only as log lines; this turns them
    into a task (opened at the first such line, closed on exit) and passes every line on.
    """

    def __init__(self, log: Log, progress: ProgressFactory) -> None:
        self._log = log
        self._progress = progress
        self._cm: AbstractContextManager[Task] | None = None
        self._task: Task | None = None

    def __call__(self, message: str) -> None:
        m = _COMPILING.match(message)
        if m is not None:
            done, total = int(m.group(1)), int(m.group(2))
            if self._task is None:
                self._cm = self._progress("compiling llama-cpp-python", total, "files")
                self._task = self._cm.__enter__()
            self._task.update(done, total)
        self._log(message)

    def __exit__(self, *exc: object) -> None:
        if self._cm is not None:
            self._cm.__exit__(None, None, None)
        self._cm = self._task = None


class _TqdmTask:
    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def advance(self, n: int) -> None:
        self._bar.update(n)

    def update(self, completed: int, total: int | None = None) -> None:
        if total is not None and total != self._bar.total:
            self._bar.total = total
        self._bar.update(completed - self._bar.n)


class TerminalProgress:
    """tqdm bars on ``stream`` (default stderr); silent when it is not a terminal.

    Use :meth:`log` for message lines while bars may be shown: it prints above them.
    """

    def __init__(self, stream: IO[str] | None = None, *, enabled: bool | None = None) -> None:
        self._stream = stream
        self._enabled = enabled

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
            yield _NullTask()
            return
        from tqdm import tqdm  # type: ignore[import-untyped]

        scaled = unit == "B"
        bar = tqdm(total=total, desc=description, unit=unit or "it", unit_scale=scaled,
                   unit_divisor=1024 if scaled else 1000, file=self.stream, leave=False,
                   dynamic_ncols=True, mininterval=0.2)
        try:
            yield _TqdmTask(bar)
        finally:
            bar.close()

    def log(self, message: str) -> None:
        if self.enabled:
            from tqdm import tqdm

            tqdm.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)
