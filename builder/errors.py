"""One exception root for the whole builder.

The library raises; only the CLI (``builder.__main__``) turns a :class:`BuilderError`
into a line on stderr and an exit code.  Every message is built before the raise and
names the file it is about and what to do next.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

# ------------------------------------------------------------------- the exit codes

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NO_INTERPRETER = 3
EXIT_GAPS = 4
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143

#: Every exit code of ``python -m builder`` and what it means: the one table ``--help``
#: prints and the README copies (tests/test_cli.py pins both, and every code the CLI and
#: the error classes use, against it).
EXIT_CODES: Mapping[int, str] = {
    EXIT_OK: "done; verify: OK, or PASSED WITH GAPS without --strict",
    EXIT_ERROR: "an error (a bad input, a failed download or build: the ERROR line says which), "
                "or verify FAILED (a level found a problem)",
    EXIT_USAGE: "the command line is wrong (unknown option or argument)",
    EXIT_NO_INTERPRETER: "no interpreter of the profile's Python version (3.10 for kaggle-2024) was found",
    EXIT_GAPS: "verify --strict: PASSED WITH GAPS (a level was skipped or checked in part)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); nothing was replaced",
    EXIT_BROKEN_PIPE: "the reader of stdout left (e.g. piped into head)",
    EXIT_TERMINATED: "terminated (SIGTERM); nothing was replaced",
}


def exit_codes_text(width: int = 88) -> str:
    """:data:`EXIT_CODES` as the lines ``--help`` ends with."""
    lines = ["exit codes:"]
    for code, what in EXIT_CODES.items():
        lines += textwrap.wrap(what, width, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
    return "\n".join(lines)


class BuilderError(Exception):
    """Root of every error the builder reports to a user."""

    exit_code: int = EXIT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


#: The longest problem line shown: names from untrusted input are cut to fit.
LINE_LIMIT = 500


def clip(text: str, limit: int = LINE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (``…`` and the count of the rest)."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def _where(path: Path | str | None) -> str:
    return f"{path}: " if path is not None else ""


class ConfigError(BuilderError):
    """A profile, recipe or lockfile input is wrong."""

    def __init__(self, path: Path | str | None, problem: str) -> None:
        super().__init__(f"{_where(path)}{problem}")
        self.path = path
        self.problem = problem


class InterpreterNotFound(BuilderError):
    """No target interpreter of the profile's Python version could be found."""

    exit_code = EXIT_NO_INTERPRETER


class LockError(BuilderError):
    """Resolving or reading the lockfile failed."""


class ProvidedConflict(LockError):
    """A requirement conflicts with a package the target runtime already provides."""

    def __init__(self, path: Path | str, requirement: str, provided: str, profile: str) -> None:
        super().__init__(
            f"{path}: requirement '{requirement}' conflicts with '{provided}' "
            f"that the target profile '{profile}' already imports (a vendored copy would be "
            "shadowed); relax the requirement or use another profile"
        )
        self.requirement = requirement
        self.provided = provided


class PipError(BuilderError):
    """A pip or pip-tools subprocess failed."""


class WheelError(BuilderError):
    """A wheel is missing, has the wrong hash, or does not fit the target."""


class ModelError(BuilderError):
    """The GGUF weights are missing or invalid."""


class ArchiveError(BuilderError):
    """Writing or reading the submission archive failed."""


class VerifyError(BuilderError):
    """``verify`` found a failing level (raised only by the CLI path that wants an exception)."""


class ProblemsError(BuilderError):
    """Several problems of one check, collected and reported together.

    The message's first line names the subject and the number of problems; the
    following lines list them, so the one-line summary stays readable on a terminal.
    """

    #: at most this many problems are listed; the rest are counted ("… and 29,990 more")
    SHOWN = 20

    def __init__(self, subject: Path | str, problems: Iterable[str], base: str = "") -> None:
        self.problems = tuple(problems)
        self.subject = subject
        head = f"{subject}: {base or 'check failed'} ({len(self.problems)} problem"
        head += "s)" if len(self.problems) != 1 else ")"
        if len(self.problems) == 1:
            message = f"{subject}: {clip(self.problems[0])}"
        else:
            message = head + "".join(f"\n  - {clip(p)}" for p in self.problems[: self.SHOWN])
            if len(self.problems) > self.SHOWN:
                message += f"\n  … and {len(self.problems) - self.SHOWN:,} more"
        super().__init__(message)


class WheelProblems(ProblemsError, WheelError):
    """Collected wheel problems."""


class ModelProblems(ProblemsError, ModelError):
    """Collected GGUF problems."""
