"""Shared by the ``\\migrate`` tests: a dispatcher on a source sandbox that can open a second
cluster, and every object of a collection as the server returns it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.context import Connection, Session
from commands.dispatch import Dispatcher
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.registry import Registry
from tests.test_commands_backup_support import live

REGISTRY = Registry.from_modules(MODULES)


def connect(target: str, api_key: str | None = None, secondary: bool = False) -> Connection:
    return open_connection(target, api_key=api_key)


def dispatcher(url: str, state_dir: Path, **settings: Any) -> Dispatcher:
    """A dispatcher connected to ``url``, without a person to confirm anything."""
    session = Session(connection=Connection(api=RestClient(url), url=url), connector=connect,
                      state_dir=state_dir, **settings)
    return Dispatcher(REGISTRY, session, MemoryAuditLog(), None)


def state(url: str, collection: str, tenant: str | None = None) -> dict[str, tuple]:
    """Every object of one partition: id -> (properties, vector, vectors)."""
    return {oid: (obj.get("properties"), obj.get("vector"), obj.get("vectors"))
            for oid, obj in live(url, collection, tenant).items()}


def mutating(url: str) -> list[dict]:
    """The mutating ``/v1`` requests a sandbox has logged."""
    return [e for e in httpx.get(f"{url}/__sandbox/requests").json() if e["mutating"]]


def clear_log(*urls: str) -> None:
    for url in urls:
        httpx.delete(f"{url}/__sandbox/requests").raise_for_status()

