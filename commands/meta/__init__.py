"""Meta-command declarations: thin adapters from arguments to operations and results."""

from __future__ import annotations

from types import ModuleType

from commands.meta import (
    alias,
    alter,
    backup,
    data,
    elysia,
    export,
    graphql,
    health,
    indexes,
    inspect,
    lifecycle,
    lifecycle_remove,
    migrate,
    optimize,
    rbac_roles,
    rbac_users,
    record,
    replication,
    restore,
    scale,
    session,
    session_craft,
    shards,
    stats,
    tenant,
    undo,
    watch,
)

MODULES: tuple[ModuleType, ...] = (inspect, shards, data, lifecycle, lifecycle_remove, backup,
                                   restore, session, stats, health, optimize, migrate, alter,
                                   indexes, tenant, alias, replication, scale, rbac_users,
                                   rbac_roles, elysia, export, watch, undo,
                                   session_craft, record, graphql)
