"""The emulated cluster as one object: database, auth, backups, knobs and the route table."""

from __future__ import annotations

from pathlib import Path

from sandbox import (
    aliases,
    backups,
    batch,
    cluster,
    exports,
    graphql,
    meta,
    objects,
    schema,
    tenants,
)
from sandbox.auth import Auth
from sandbox.knobs import Faults, RequestLog
from sandbox.metrics import Metrics
from sandbox.nodes import DEFAULT_INTERNAL_TIMEOUT_MS, Cluster
from sandbox.router import Router
from sandbox.store import Database

WEAVIATE_VERSION = "1.39.0"
ROUTES = [*meta.ROUTES, *schema.ROUTES, *tenants.ROUTES, *aliases.ROUTES, *objects.ROUTES,
          *batch.ROUTES, *graphql.ROUTES, *cluster.ROUTES, *backups.ROUTES,
          *exports.ROUTES]


class App:
    """Everything one sandbox serves; handlers receive it as their first argument."""

    def __init__(self, nodes: int = 1, api_keys: dict[str, str] | None = None,
                 read_only_users: set[str] | None = None, backup_dir: Path | None = None,
                 seed: str = "none", auto_schema: bool = True,
                 internal_timeout_ms: float = DEFAULT_INTERNAL_TIMEOUT_MS,
                 export: bool = False, export_dir: Path | None = None) -> None:
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        self.node_count = nodes
        self.version = WEAVIATE_VERSION
        self.hostname = "http://[::]:8080"
        self.ready = True
        self.auth = Auth(dict(api_keys or {}), set(read_only_users or ()))
        self.faults = Faults()
        self.request_log = RequestLog()
        self.router = Router(ROUTES)
        self.auto_schema = auto_schema  # AUTOSCHEMA_ENABLED; survives resets
        self.backups = backups.FilesystemBackend(backup_dir)
        self.exports = exports.Exports(export_dir, export)  # EXPORT_ENABLED, EXPORT_DEFAULT_PATH
        self.internal_timeout_ms = internal_timeout_ms
        self.db = self.fresh_database(seed)
        self.cluster = Cluster(list(self.db.nodes), internal_timeout_ms)
        self.failing_modules: set[str] = set()
        self.metrics: Metrics | None = None  # set by Sandbox(metrics=True)

    def fresh_database(self, seed: str = "none") -> Database:
        """A new database with a seed (``demo`` or ``none``) loaded."""
        if seed not in ("demo", "none"):
            raise ValueError(f"unknown seed {seed!r}: use demo or none")
        db = Database(self.node_count, self.auto_schema)
        if seed == "demo":
            from sandbox.seed import load_demo

            load_demo(db)
        return db

    def reset(self, seed: str = "none") -> None:
        """Replace every collection and alias by a seed's; every node is healthy again and
        every module answers.

        The new database is built aside and swapped in with one assignment; handlers read
        ``app.db`` once per request, so each request sees the old database or the new one.
        """
        self.db = self.fresh_database(seed)
        self.cluster = Cluster(list(self.db.nodes), self.internal_timeout_ms)
        self.failing_modules = set()

    def answering_version(self) -> str:
        """The version of the node answering REST requests."""
        node = self.cluster.answering()
        return self.version if node is None else self.cluster.version(node, self.version)

    def close(self) -> None:
        """Release what the backends hold (temporary backup directory, worker threads)."""
        self.backups.close()
        self.exports.close()
