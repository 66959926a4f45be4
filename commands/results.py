"""What commands return: pure data that renderers turn into tables, JSON or YAML.

``to_data()`` is the machine contract behind ``--format json|yaml``; it must stay stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Table:
    """Rows under named columns; JSON is a list of objects keyed by column."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    title: str | None = None
    note: str | None = None

    def to_data(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class Record:
    """One thing described field by field (``\\show``, ``\\conninfo``)."""

    fields: dict[str, Any]
    title: str | None = None

    def to_data(self) -> dict[str, Any]:
        return dict(self.fields)


@dataclass(frozen=True, slots=True)
class Document:
    """Raw JSON-like data shown as it is (a class definition, an object)."""

    data: Any
    title: str | None = None

    def to_data(self) -> Any:
        return self.data


@dataclass(frozen=True, slots=True)
class Text:
    """Plain text the user asked for (help); goes to stdout."""

    text: str

    def to_data(self) -> str:
        return self.text


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Message:
    """A sentence for the user; goes to stderr, never into machine output."""

    text: str
    level: Level = Level.INFO
    secret: bool = False
    """It shows a secret once (a new API key): never recorded (``\\record``)."""

    def to_data(self) -> None:
        return None


Result = Table | Record | Document | Text | Message


@dataclass(slots=True)
class Outcome:
    """The envelope of one executed command line."""

    command: str | None
    results: list[Result] = field(default_factory=list)
    format: str | None = None
    error: Exception | None = None
    status: str = "ok"
    duration_s: float = 0.0
    exit_code: int = 0
    confirmation: str = "not-needed"
    objects_affected: int | None = None
    audit_fields: dict[str, Any] = field(default_factory=dict)
    """More fields for the command's audit entry (``safety_backup``, ``undid``)."""
