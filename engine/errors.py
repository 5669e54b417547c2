"""Error hierarchy of Lvyue; each class maps to one documented exit code."""

from __future__ import annotations

from dataclasses import dataclass


class ExitCode:
    OK = 0
    REFUSED = 1
    BAD_INPUT = 2
    CONFLICT = 3
    NOT_FOUND = 4
    VERIFICATION_FAILED = 5
    INTERNAL = 70
    INTERRUPTED = 130


class LvyueError(Exception):
    """Base class; `message` is already translated for the user."""

    exit_code = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInputError(LvyueError):
    exit_code = ExitCode.BAD_INPUT


class RefusedError(LvyueError):
    """A move the process rules do not allow (wrong state, role, guard)."""

    exit_code = ExitCode.REFUSED


class ConflictError(LvyueError):
    exit_code = ExitCode.CONFLICT


class NotFoundError(LvyueError):
    exit_code = ExitCode.NOT_FOUND


class VerificationError(LvyueError):
    exit_code = ExitCode.VERIFICATION_FAILED


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, located as precisely as known."""

    file: str
    line: int | None
    column: int | None
    message: str
    path: str = ""

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        return f"{place}: {self.message}"


class DefinitionError(BadInputError):
    """A file (process, org, mapping) failed loading or validation."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
