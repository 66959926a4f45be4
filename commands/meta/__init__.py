"""Meta-command declarations: thin adapters from arguments to operations and results."""

from __future__ import annotations

from types import ModuleType

from commands.meta import (
    alias,
    backup,
    data,
    health,
    inspect,
    lifecycle,
    lifecycle_remove,
    migrate,
    optimize,
    rbac_roles,
    rbac_users,
    replication,
    restore,
    scale,
    session,
    shards,
    stats,
    tenant,
)

MODULES: tuple[ModuleType, ...] = (inspect, shards, data, lifecycle, lifecycle_remove, backup,
                                   restore, session, stats, health, optimize, migrate, tenant,
                                   alias, replication, scale, rbac_users, rbac_roles)
