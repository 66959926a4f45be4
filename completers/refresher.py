"""``MetadataRefresher``: fills the ``MetadataCache`` from the cluster in daemon threads.

One refresh is one ``GET /v1/schema`` (collections, properties and multi-tenancy in a single
call). ``refresh()`` never blocks and never queues: while a refresh runs, another request
only sets a restart flag, so a burst of schema changes costs at most one more fetch
(pgcli's ``CompletionRefresher``). Tenants are loaded lazily, per collection, the first time
completion asks for them. Errors end up in the snapshot (and the toolbar), never raised to
the caller. This module must not be called from a completer expecting an answer: it only
starts work; results arrive through the cache and ``on_done``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from urllib.parse import quote

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.ops.schema import fetch_schema
from completers.metadata import MetadataCache, MetadataSnapshot

__all__ = ["MetadataRefresher"]

logger = logging.getLogger(__name__)


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
        self._tenant_jobs: dict[str, threading.Event] = {}
        self._tenant_failed: dict[str, float] = {}
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
            self._tenant_failed.clear()
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
        with self._lock:
            job = self._tenant_jobs.get(collection)
            if job is not None:
                return job
            job = threading.Event()
            failed = self._tenant_failed.get(collection)
            if (self._stopped or collection in self.cache.snapshot.tenants
                    or (failed is not None and self.clock() - failed < self.retry_after)):
                job.set()
                return job
            self._tenant_jobs[collection] = job
            self._active += 1
            generation = self._generation
        threading.Thread(target=self._load_tenants, args=(collection, job, generation),
                         name="elysiactl-tenants", daemon=True).start()
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
                            self._tenant_failed.clear()
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
            classes = fetch_schema(api, timeout=self.timeout)
            return MetadataSnapshot.from_schema(classes, fetched_at=self.clock())
        except ShellError as exc:
            return exc.message
        except Exception as exc:  # never into the REPL: the toolbar shows it, the log keeps it
            logger.warning("metadata refresh failed", exc_info=True)
            return f"{type(exc).__name__}: {exc}"

    def _load_tenants(self, collection: str, job: threading.Event, generation: int) -> None:
        tenants: Mapping[str, str] | None = None
        try:
            api = self.api_getter()
            if api is not None:
                body = api.request("GET", f"/v1/schema/{quote(collection)}/tenants",
                                   timeout=self.tenant_timeout).json()
                tenants = {t["name"]: str(t.get("activityStatus", "")) for t in body or ()
                           if isinstance(t, dict) and isinstance(t.get("name"), str)}
        except Exception as exc:  # a missing tenant list only means no tenant completions
            logger.debug("loading tenants of %s failed: %s", collection, exc)
        with self._lock:
            if generation == self._generation:
                if tenants is None:
                    self._tenant_failed[collection] = self.clock()
                else:
                    loaded = tenants
                    self.cache.update(lambda s: s.with_tenants(collection, loaded)
                                      if collection in s.properties else s)
            del self._tenant_jobs[collection]
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
