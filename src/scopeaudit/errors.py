"""The exception tree and the process exit codes. Standard library only.

Every error scopeaudit raises on purpose derives from ``ScopeauditError`` and carries the exit
code the CLI should end with. Messages say what went wrong and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (DESIGN §6). The systemd unit treats 1 as success."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    BAD_INPUT = 3
    DISCOVERY_FAILED = 4
    LOCKED = 5
    INTERRUPTED = 130
    TERMINATED = 143


class ScopeauditError(Exception):
    """Root of every error scopeaudit raises on purpose."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def lines(self) -> list[str]:
        """The message as the one-line-per-problem list the CLI prints."""
        return [str(self)]


class UsageError(ScopeauditError):
    """The command line asks for something impossible or contradictory."""

    exit_code = ExitCode.USAGE


class InputError(ScopeauditError):
    """A file or value given to scopeaudit cannot be used."""

    exit_code = ExitCode.BAD_INPUT


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file: ``FILE:LINE:COLUMN: path: message``."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ValidationFailed(InputError):
    """An input file has one or more located problems; all of them are reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class ScopeRefused(ScopeauditError):
    """A probe or a scan was refused because the scope does not allow it."""

    exit_code = ExitCode.USAGE


class DiscoveryFailed(ScopeauditError):
    """Every discovery source failed: there is nothing to report."""

    exit_code = ExitCode.DISCOVERY_FAILED


class StoreLocked(ScopeauditError):
    """Another run holds the store's lock."""

    exit_code = ExitCode.LOCKED


class LabError(ScopeauditError):
    """The emulated lab could not be built, reached or torn down."""

    exit_code = ExitCode.BAD_INPUT
