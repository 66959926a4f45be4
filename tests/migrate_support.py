"""Shared by the ``\\migrate`` tests: a dispatcher on a source sandbox that can open a second
cluster, and every object of a collection as the server returns it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    out, after = {}, ""
    with httpx.Client(base_url=url, timeout=60) as http:
        while True:
            params = {"class": collection, "limit": 1000, "after": after, "include": "vector"}
            if tenant:
                params["tenant"] = tenant
            response = http.get("/v1/objects", params=params)
            response.raise_for_status()
            page = response.json()["objects"]
            if not page:
                return out
            for obj in page:
                out[obj["id"]] = (obj.get("properties"), obj.get("vector"), obj.get("vectors"))
            after = page[-1]["id"]


def mutating(url: str) -> list[dict]:
    """The mutating ``/v1`` requests a sandbox has logged."""
    return [e for e in httpx.get(f"{url}/__sandbox/requests").json() if e["mutating"]]


def clear_log(*urls: str) -> None:
    for url in urls:
        httpx.delete(f"{url}/__sandbox/requests").raise_for_status()


def recording(descriptions: list[str], before: Callable[[str], None] | None = None):
    """A ``Session.progress`` that draws nothing and records each bar's description
    (``before`` is called with it first: a test's hook into the phases of a command)."""
    @contextmanager
    def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        descriptions.append(description)
        if before is not None:
            before(description)
        yield lambda n: None

    return progress
