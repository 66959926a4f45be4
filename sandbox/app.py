"""The emulated cluster as one object: database, auth, backups, knobs and the route table."""

from __future__ import annotations

from pathlib import Path

from sandbox import (
    aliases,
    authz_assign,
    authz_roles,
    backup_routes,
    backups,
    batch,
    cluster,
    db_users,
    export_routes,
    exports,
    graphql,
    guards,
    indexes,
    meta,
    objects,
    replication,
    replication_ops,
    replication_scale,
    schema,
    tasks,
    tenants,
)
from sandbox.auth import Auth
from sandbox.db_user_store import DbUsers
from sandbox.faults import Faults, RequestLog
from sandbox.metrics import Metrics
from sandbox.nodes import DEFAULT_INTERNAL_TIMEOUT_MS, Cluster
from sandbox.rbac import Rbac
from sandbox.router import Router
from sandbox.state import State
from sandbox.store import Database
from sandbox.task_store import Tasks

WEAVIATE_VERSION = "1.39.0"
ROUTES = [*meta.ROUTES, *schema.ROUTES, *tenants.ROUTES, *aliases.ROUTES, *objects.ROUTES,
          *batch.ROUTES, *graphql.ROUTES, *cluster.ROUTES, *backup_routes.ROUTES,
          *replication_ops.ROUTES, *replication_scale.ROUTES, *authz_roles.ROUTES,
          *authz_assign.ROUTES, *db_users.ROUTES, *indexes.ROUTES, *tasks.ROUTES,
          *export_routes.ROUTES]


class App:
    """Everything one sandbox serves (a ``sandbox.state.State``); handlers receive it as
    their first argument."""

    def __init__(self, nodes: int = 1, api_keys: dict[str, str] | None = None,
                 read_only_users: set[str] | None = None, backup_dir: Path | None = None,
                 seed: str = "none", auto_schema: bool = True,
                 internal_timeout_ms: float = DEFAULT_INTERNAL_TIMEOUT_MS,
                 replica_movement: bool = True, rbac: bool = False,
                 root_users: list[str] | None = None, db_users: bool = False,
                 runtime_reindex: bool = False, export: bool = False,
                 export_dir: Path | None = None) -> None:
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        if (rbac or db_users) and not api_keys:
            raise ValueError("RBAC and db users need API-key authentication: give api_keys")
        if rbac and read_only_users:
            raise ValueError("cannot enable adminlist and rbac at the same time")
        self.node_count = nodes
        self.version = WEAVIATE_VERSION
        self.hostname = "http://[::]:8080"
        self.ready = True
        self.db_users = DbUsers(enabled=db_users)  # AUTHENTICATION_DB_USERS_ENABLED
        self.auth = Auth(dict(api_keys or {}), set(read_only_users or ()), self.db_users)
        # AUTHORIZATION_RBAC_ENABLED, AUTHORIZATION_RBAC_ROOT_USERS
        self.rbac = Rbac(enabled=rbac, root_users=list(root_users or ()))
        self.rbac.configure(list(self.auth.keys.values()))
        self.faults = Faults()
        self.request_log = RequestLog()
        self.router: Router[State] = Router(ROUTES, guard=guards.guard)
        self.auto_schema = auto_schema  # AUTOSCHEMA_ENABLED; survives resets
        self.runtime_reindex = runtime_reindex  # RUNTIME_REINDEX_ENABLED; survives resets
        self.tasks = Tasks()
        # (class, property) whose searchable index a change-algorithm task moved to BlockMax
        self.blockmax_properties: set[tuple[str, str]] = set()
        self.backups = backups.FilesystemBackend(backup_dir)
        self.exports = exports.Exports(export_dir, export)  # EXPORT_ENABLED, EXPORT_DEFAULT_PATH
        self.internal_timeout_ms = internal_timeout_ms
        self.db = self.fresh_database(seed)
        self.cluster = Cluster(list(self.db.nodes), internal_timeout_ms)
        self.failing_modules: set[str] = set()
        # REPLICA_MOVEMENT_ENABLED (off by default in Weaviate, on here); survives resets
        self.replication = replication.Replication(enabled=replica_movement)
        self.metrics: Metrics | None = None  # set by Sandbox(metrics=True)

    def fresh_database(self, seed: str = "none") -> Database:
        """A new database with a seed (``demo`` or ``none``) loaded."""
        if seed not in ("demo", "none"):
            raise ValueError(f"unknown seed {seed!r}: use demo or none")
        if seed == "demo":
            from sandbox.seed import demo_database

            return demo_database(self.node_count, self.auto_schema)
        return Database(self.node_count, self.auto_schema)

    def reset(self, seed: str = "none") -> None:
        """Replace every collection and alias by a seed's; every node is healthy again and
        every module answers.

        The new database is built aside and swapped in with one assignment; handlers read
        ``app.db`` once per request, so each request sees the old database or the new one.
        """
        self.db = self.fresh_database(seed)
        self.cluster = Cluster(list(self.db.nodes), self.internal_timeout_ms)
        self.failing_modules = set()
        self.replication = replication.Replication(enabled=self.replication.enabled,
                                                   step_ms=self.replication.step_ms)
        self.tasks = Tasks(duration_ms=self.tasks.duration_ms)
        self.blockmax_properties = set()

    def answering_version(self) -> str:
        """The version of the node answering REST requests."""
        node = self.cluster.answering()
        return self.version if node is None else self.cluster.version(node, self.version)

    def close(self) -> None:
        """Release what the backends hold (temporary backup directory, worker threads)."""
        self.backups.close()
        self.exports.close()
