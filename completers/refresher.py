"""``MetadataRefresher``: fills the ``MetadataCache`` from the cluster in daemon threads.

One refresh is one ``GET /v1/schema`` (collections, properties and multi-tenancy in a single
call), read in chunks into ``SchemaReader`` so that only the compact form is kept (the body
is never held whole: 75 MB at 10,000 collections x 50 properties), then the admin names:
``GET /v1/aliases``, ``/v1/nodes`` (minimal output: names only), ``/v1/users/db`` and
``/v1/authz/roles``; a list the server refuses (401, 403, 404: RBAC or
database users off, an old server) is simply empty, never an error. ``refresh()`` never
blocks and never queues: while a refresh runs, another request only sets a restart flag, so
a burst of schema changes costs at most one more fetch (pgcli's ``CompletionRefresher``).
Tenants and shards are loaded lazily, per collection, the first time completion asks for
them. Errors end up in the snapshot (and the toolbar), never raised to
the caller. This module must not be called from a completer expecting an answer: it only
starts work; results arrive through the cache and ``on_done``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import msgspec

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.lazy import lazy_module
from completers.compact import CompactSchema, SchemaReader
from completers.metadata import MetadataCache, MetadataSnapshot

__all__ = ["MetadataRefresher"]

logger = logging.getLogger(__name__)
tenant_ops = lazy_module("commands.ops.tenants")  # in the loading thread, not at start-up
TENANTS, SHARDS = "tenants", "shards"  # the snapshot field and the path under /v1/schema/C/


class MetadataRefresher:
    """Background loader for the completion metadata of the current connection.

    :param api_getter: returns the current connection's client, or ``None`` when
        disconnected; called in the worker thread at the start of every fetch.
    :param on_done: called (in the worker thread) after a refresh or a tenant load ends,
        successful or not; the REPL passes ``app.invalidate``.
    :param timeout: seconds for the schema request; ``tenant_timeout`` for a tenant list.
    :param retry_after: seconds before a failed tenant list is asked for again.
    """

    def __init__(self, cache: MetadataCache, api_getter: Callable[[], RestClient | None],
                 on_done: Callable[[], None] | None = None, *, timeout: float = 5.0,
                 tenant_timeout: float = 3.0, retry_after: float = 30.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.cache = cache
        self.api_getter = api_getter
        self.on_done = on_done
        self.timeout = timeout
        self.tenant_timeout = tenant_timeout
        self.retry_after = retry_after
        self.clock = clock
        self.fetches = 0  # schema fetches attempted, for tests and diagnostics
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._running = False
        self._restart = False
        self._active = 0  # live worker threads (the refresh and tenant loads)
        self._generation = 0  # bumped by reset(): results of older work are dropped
        self._jobs: dict[tuple[str, str], threading.Event] = {}  # (kind, collection)
        self._failed: dict[tuple[str, str], float] = {}
        self._stopped = False

    @property
    def is_refreshing(self) -> bool:
        """Whether a schema refresh is running."""
        return self._running

    def refresh(self) -> None:
        """Start a refresh in the background, or ask the running one to fetch again."""
        with self._lock:
            if self._stopped:
                return
            if self._running:
                self._restart = True
                return
            self._running = True
            self._active += 1
            self.cache.refreshing = True
        threading.Thread(target=self._run, name="elysiactl-metadata", daemon=True).start()

    def reset(self) -> None:
        """Forget all metadata (the connection changed) and refresh from the new cluster."""
        with self._lock:
            self._generation += 1
            self._failed.clear()
            self.cache.replace(MetadataSnapshot())
        self.refresh()

    def stop(self, timeout: float | None = 1.0) -> bool:
        """Start nothing more, drop results still in flight, and wait up to ``timeout``.

        Workers are daemon threads, so leaving without waiting is safe too.
        """
        with self._lock:
            self._stopped = True
            self._generation += 1
            self._restart = False
        return self.wait(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no refresh or tenant load is running; ``False`` on timeout (tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    def load_tenants(self, collection: str) -> threading.Event:
        """Start loading ``collection``'s tenants unless cached, loading or recently failed.

        Returns an event set once the cache holds the answer (or the load gave up).
        """
        return self._load(TENANTS, collection)

    def load_shards(self, collection: str) -> threading.Event:
        """Start loading ``collection``'s shards, as ``load_tenants`` does its tenants."""
        return self._load(SHARDS, collection)

    def _load(self, kind: str, collection: str) -> threading.Event:
        key = (kind, collection)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                return job
            job = threading.Event()
            failed = self._failed.get(key)
            if (self._stopped or collection in getattr(self.cache.snapshot, kind)
                    or (failed is not None and self.clock() - failed < self.retry_after)):
                job.set()
                return job
            self._jobs[key] = job
            self._active += 1
            generation = self._generation
        threading.Thread(target=self._load_names, args=(key, job, generation),
                         name=f"elysiactl-{kind}", daemon=True).start()
        return job

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    self._restart = False
                    generation = self._generation
                result = self._fetch()
                with self._lock:
                    if generation == self._generation:
                        self.cache.replace(result if isinstance(result, MetadataSnapshot)
                                           else self.cache.snapshot.with_error(result))
                        if isinstance(result, MetadataSnapshot):
                            self._failed.clear()
                    if not self._restart:  # decided under the lock refresh() takes
                        self._running = False
                        self.cache.refreshing = False
                        break
        finally:
            with self._lock:
                if self._running:  # only after an unexpected error
                    self._running = self._restart = self.cache.refreshing = False
            self._notify()
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _fetch(self) -> MetadataSnapshot | str:
        """One schema fetch: a new snapshot, or the error message."""
        self.fetches += 1
        try:
            api = self.api_getter()
            if api is None:
                return "not connected"
            snapshot = MetadataSnapshot.from_compact(self._schema(api), fetched_at=self.clock())
            return snapshot.with_admin_names(**self._admin_names(api))
        except ShellError as exc:
            return exc.message
        except Exception as exc:  # never into the REPL: the toolbar shows it, the log keeps it
            logger.warning("metadata refresh failed", exc_info=True)
            return f"{type(exc).__name__}: {exc}"

    def _schema(self, api: RestClient) -> CompactSchema:
        reader = SchemaReader()
        response = api.request("GET", "/v1/schema", timeout=self.timeout, stream=True)
        try:
            for chunk in response.iter_bytes():
                reader.feed(chunk)
        finally:
            response.close()
        return reader.finish()

    def _admin_names(self, api: RestClient) -> dict[str, Any]:
        """Aliases, nodes, database users and roles; what the server refuses is empty."""
        aliases = self._get(api, "/v1/aliases")
        nodes = self._get(api, "/v1/nodes")
        users = self._get(api, "/v1/users/db")
        roles = self._get(api, "/v1/authz/roles")
        return {"aliases": {a["alias"]: a.get("class", "") for a in _items(aliases, "aliases")
                            if isinstance(a.get("alias"), str)},
                "nodes": _names(_items(nodes, "nodes"), "name"),
                "users": _names(_items(users), "userId"),
                "roles": _names(_items(roles), "name")}

    def _get(self, api: RestClient, path: str) -> Any:
        try:
            return api.request("GET", path, timeout=self.tenant_timeout, retries=0).json()
        except Exception as exc:  # no permission, feature off or too old: no names
            logger.debug("GET %s for completion failed: %s", path, exc)
            return None

    def _load_names(self, key: tuple[str, str], job: threading.Event, generation: int) -> None:
        kind, collection = key
        names: Mapping[str, str] | None = None
        try:
            api = self.api_getter()
            if api is not None:
                body = api.request("GET", f"/v1/schema/{quote(collection)}/{kind}",
                                   timeout=self.tenant_timeout).content
                listed = msgspec.json.decode(body, type=list[_TENANT[kind]] | None) or ()
                # a few statuses for thousands of tenants; a tenant's as \tenants names it
                shown = tenant_ops.documented_status if kind == TENANTS else str
                shared: dict[str, str] = {}
                names = {t.name: shared.setdefault(t.status, shown(t.status)) for t in listed}
        except Exception as exc:  # a missing list only means no completions
            logger.debug("loading %s of %s failed: %s", kind, collection, exc)
        with self._lock:
            if generation == self._generation:
                if names is None:
                    self._failed[key] = self.clock()
                else:
                    loaded = names
                    self.cache.update(lambda s: _with(s, kind, collection, loaded)
                                      if collection in s.properties else s)
            del self._jobs[key]
        job.set()
        self._notify()
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def _notify(self) -> None:
        if self.on_done is None or self._stopped:
            return
        try:
            self.on_done()
        except Exception:
            logger.warning("metadata on_done callback failed", exc_info=True)


class _Tenant(msgspec.Struct):
    name: str
    status: str = msgspec.field(name="activityStatus", default="")


class _Shard(msgspec.Struct):
    name: str
    status: str = ""


_TENANT = {TENANTS: _Tenant, SHARDS: _Shard}  # only the fields completion shows


def _with(snapshot: MetadataSnapshot, kind: str, collection: str,
          names: Mapping[str, str]) -> MetadataSnapshot:
    if kind == TENANTS:
        return snapshot.with_tenants(collection, names)
    return snapshot.with_shards(collection, names)


def _items(body: Any, key: str | None = None) -> list[dict[str, Any]]:
    """The dicts of a list answer (or of ``body[key]``); anything else gives none."""
    found = body.get(key) if key and isinstance(body, dict) else body
    return [item for item in found or () if isinstance(item, dict)] \
        if isinstance(found, list) else []


def _names(items: list[dict[str, Any]], field: str) -> list[str]:
    return [item[field] for item in items if isinstance(item.get(field), str)]
