"""The audit history: one JSON object per executed command, appended to a 0600 file.

Written only by ``Dispatcher.execute`` (in its ``finally``), so no mode can skip it.
Arguments declared ``secret`` are redacted before anything is written.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol


class AuditSink(Protocol):
    """Where audit entries go."""

    def record(self, entry: dict[str, Any]) -> None: ...

    def entries(self) -> Iterator[dict[str, Any]]: ...


class JsonlAuditLog:
    """Append-only JSON lines, created with mode 0600 (the file holds who did what where)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        """Append one entry and flush it to the OS."""
        line = json.dumps(entry, default=str, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, line.encode())
            finally:
                os.close(fd)

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every readable entry, oldest first (a torn last line is skipped)."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue


class MemoryAuditLog:
    """An in-memory sink, for tests and for when the state directory is unwritable."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def record(self, entry: dict[str, Any]) -> None:
        self.items.append(entry)

    def entries(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.items))


def now_iso() -> str:
    """UTC timestamp with milliseconds, as audit entries carry it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
