"""The running sandbox as the route handlers and guards see it (``sandbox.app.App`` is one).

A Protocol, so that the route modules do not import the app that imports them: the app
builds every part below and its route table, and each handler receives it as its first
argument.
"""

from __future__ import annotations

from typing import Protocol

from sandbox.auth import Auth
from sandbox.backups import FilesystemBackend
from sandbox.core import Core
from sandbox.exports import Exports
from sandbox.faults import Faults, RequestLog
from sandbox.metrics import Metrics
from sandbox.replication import Replication
from sandbox.router import Router
from sandbox.task_store import Tasks


class State(Core, Protocol):
    """Everything one sandbox serves, with the knobs that change how it answers."""

    hostname: str
    ready: bool
    auth: Auth
    faults: Faults
    request_log: RequestLog
    router: Router[State]
    tasks: Tasks
    runtime_reindex: bool  # RUNTIME_REINDEX_ENABLED
    blockmax_properties: set[tuple[str, str]]
    backups: FilesystemBackend
    exports: Exports
    failing_modules: set[str]
    replication: Replication
    metrics: Metrics | None

    def reset(self, seed: str = "none") -> None:
        """Replace the database by a seed's; every node healthy, every module answering."""
        ...
