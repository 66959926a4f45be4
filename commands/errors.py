"""Errors every mode understands, and the process exit codes they map to (kept stable)."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Documented in the README; scripts rely on these numbers."""

    SUCCESS = 0
    ERROR = 1
    USAGE = 2
    CONNECTION = 3
    REFUSED = 4
    TIMEOUT = 124
    """``\\watch``: --timeout passed (or --count ran out) before --until held, as timeout(1)."""
    INTERRUPTED = 130


class ShellError(Exception):
    """A failure to show the user as one line, with an optional hint."""

    exit_status = ExitStatus.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(ShellError):
    """The command line does not fit the command's declaration."""

    exit_status = ExitStatus.USAGE


class ConfigError(ShellError):
    """The configuration file or a profile is wrong."""

    exit_status = ExitStatus.USAGE


class NotConnected(ShellError):
    """A command needs a cluster and there is none."""

    exit_status = ExitStatus.CONNECTION

    def __init__(self, message: str = "not connected to a Weaviate cluster",
                 hint: str | None = r"use \connect URL|PROFILE, or start with --sandbox") -> None:
        super().__init__(message, hint)


class ConnectionFailed(ShellError):
    """Nothing answered, or the answer never came, after the retries."""

    exit_status = ExitStatus.CONNECTION


class TimedOut(ConnectionFailed):
    """The server was reached, but its answer did not come within ``seconds``."""

    def __init__(self, message: str, hint: str | None = None, seconds: float = 0.0) -> None:
        super().__init__(message, hint)
        self.seconds = seconds


class ApiError(ShellError):
    """Weaviate answered with an error status."""

    def __init__(self, status: int, method: str, path: str, message: str,
                 hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.status = status
        self.method = method
        self.path = path


class Refused(ShellError):
    """A confirmation was refused, or could not be asked in a non-interactive mode."""

    exit_status = ExitStatus.REFUSED


class WaitTimedOut(ShellError):
    """``\\watch`` gave up: its --timeout passed, or its --count ran out, before --until held."""

    exit_status = ExitStatus.TIMEOUT


class CommandFailed(ShellError):
    """A command run by another (``\\watch``) failed: its message, hint and exit status."""

    def __init__(self, message: str, hint: str | None, exit_status: int) -> None:
        super().__init__(message, hint)
        self.exit_status = ExitStatus(exit_status)  # type: ignore[misc]


class QuitRequested(Exception):  # noqa: N818 - control flow, not an error
    """``\\q``: leave the REPL."""


def excerpt(value: str, width: int = 40) -> str:
    """``value``, cut to ``width`` characters and ``...`` when longer: for quoting a pasted
    argument in a one-line message."""
    return value if len(value) <= width else value[:width] + "..."
