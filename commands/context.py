"""The session (connection and context) and what a command handler receives.

The shell builds connections (it knows profiles and config files); commands ask
for one through ``Session.connector``, so ``\\connect`` stays in the core.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commands.api.client import RestClient
from commands.errors import NotConnected
from commands.safety import DEFAULT_PROTECTED, Confirmer, Decision, Plan, approve

Progress = Callable[[str, int | None], AbstractContextManager[Callable[[int], None]]]
"""``progress(description, total)`` gives a context manager yielding ``advance(n)``; the
shell draws a bar on a terminal and nothing elsewhere."""


@dataclass
class Connection:
    """A live cluster connection and what was learned when opening it."""

    api: RestClient
    url: str
    profile: str | None = None
    server_version: str | None = None
    identity: str = "unknown"
    tier: str | None = None


@dataclass
class Session:
    """State that outlives one command: connection, current collection, output settings."""

    connection: Connection | None = None
    connector: Callable[[str], Connection] | None = None
    collection: str | None = None
    tenant: str | None = None
    format: str = "table"
    expanded: bool = False
    history: list[str] = field(default_factory=list)
    listeners: list[Callable[[str], None]] = field(default_factory=list)
    confirmer: Confirmer | None = None
    assume_yes: bool = False
    dry_run: bool = False
    protected: tuple[str, ...] = DEFAULT_PROTECTED
    template_dirs: tuple[Path, ...] = ()
    progress: Progress | None = None

    @property
    def api(self) -> RestClient:
        """The REST client, or ``NotConnected`` with a hint."""
        if self.connection is None:
            raise NotConnected()
        return self.connection.api

    def replace_connection(self, connection: Connection | None) -> None:
        """Swap the connection, close the old one and tell listeners (cache refresh)."""
        old, self.connection = self.connection, connection
        if old is not None and old is not connection:
            old.api.close()
        self.collection = self.tenant = None
        self.notify("connection")

    def notify(self, event: str) -> None:
        """Tell listeners that ``event`` (``connection`` or ``schema``) happened."""
        for listener in list(self.listeners):
            listener(event)


@dataclass
class CommandContext:
    """What a handler gets besides its arguments."""

    session: Session
    arguments: dict[str, Any]
    registry: Any = None
    audit: Any = None
    decision: Decision | None = None
    objects_affected: int | None = None

    @property
    def api(self) -> RestClient:
        return self.session.api

    def approve(self, plan: Plan, *, force: bool = False, dry_run: bool = False,
                allow_protected: bool = False) -> Decision:
        """Pass ``plan`` through the safety gate with this session's settings."""
        session = self.session
        tier = session.connection.tier if session.connection else None
        self.decision = None
        self.decision = approve(plan, confirmer=session.confirmer,
                                force=force or session.assume_yes,
                                dry_run=dry_run or session.dry_run,
                                allow_protected=allow_protected,
                                production=tier == "production")
        return self.decision
