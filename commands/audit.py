"""The audit history: one JSON object per executed command, appended to a 0600 file.

Written only by ``Dispatcher.execute`` (in its ``finally``), so no mode can skip it.
Arguments declared ``secret`` are redacted before anything is written. An entry is an
open dict (commands add fields); the log adds ``seq`` and ``prev`` as it appends.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from commands.audit_chain import ChainReport, Line, next_link, read_lines, verify
from commands.errors import ShellError
from commands.owner_only import open_private, private_dir


class AuditSink(Protocol):
    """Where audit entries go."""

    def record(self, entry: dict[str, Any]) -> None: ...

    def lines(self) -> Iterator[Line]: ...

    def entries(self) -> Iterator[dict[str, Any]]: ...

    def verify(self, head: str | None = None) -> ChainReport: ...


class JsonlAuditLog:
    """Append-only JSON lines, created with mode 0600 (the file holds who did what where),
    chained by ``seq`` and ``prev`` (``commands.audit_chain``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, entry: dict[str, Any]) -> None:
        """Append one entry, its ``seq`` and ``prev`` added, and flush it to the OS.

        The file is locked from reading its tail to writing the line: shells appending to
        one log at once (a REPL and a cron script) each get the next link."""
        private_dir(self.path.parent)
        fd = open_private(self.path, os.O_RDWR | os.O_APPEND)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by close
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                size += _write(fd, b"\n")  # a torn last line stays a line of its own
            seq, prev = next_link(fd, size)
            chained = {**entry, "seq": seq, "prev": prev}
            _write(fd, (json.dumps(chained, default=str, separators=(",", ":")) + "\n").encode())
        finally:
            os.close(fd)

    def lines(self) -> Iterator[Line]:
        """Every line, oldest first, unreadable ones included (their ``entry`` is None)."""
        try:
            with self.path.open("rb") as stream:
                yield from read_lines(stream)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise ShellError(f"cannot read the audit log {self.path}: {exc.strerror}") from None

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every readable entry, oldest first (unreadable lines are skipped)."""
        return (line.entry for line in self.lines() if line.entry is not None)

    def verify(self, head: str | None = None) -> ChainReport:
        """Check the whole chain (``audit_chain.verify``); an absent file is an empty log."""
        try:
            with self.path.open("rb") as stream:
                return verify(stream, str(self.path), head)
        except FileNotFoundError:
            with io.BytesIO() as empty:
                return verify(empty, str(self.path), head)
        except OSError as exc:
            raise ShellError(f"cannot read the audit log {self.path}: {exc.strerror}") from None


def _write(fd: int, data: bytes) -> int:
    """Write all of ``data`` (a regular file may take it in parts); returns its length."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    return len(data)


class MemoryAuditLog:
    """An in-memory sink, for tests and for when the state directory is unwritable."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def record(self, entry: dict[str, Any]) -> None:
        self.items.append(entry)

    def lines(self) -> Iterator[Line]:
        return (Line(n, "", entry) for n, entry in enumerate(list(self.items), 1))

    def entries(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.items))

    def verify(self, head: str | None = None) -> ChainReport:
        raise ShellError("this session keeps its audit log in memory (the state directory "
                         "is not writable): there is no file to verify",
                         r"\audit --verify --file PATH checks a log file")


def now_iso() -> str:
    """UTC timestamp with milliseconds, as audit entries carry it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
