"""Meta-command declarations: thin adapters from arguments to operations and results."""

from __future__ import annotations

from types import ModuleType

from commands.meta import (
    backup,
    data,
    elysia,
    export,
    health,
    inspect,
    lifecycle,
    lifecycle_remove,
    migrate,
    optimize,
    restore,
    session,
    stats,
)

MODULES: tuple[ModuleType, ...] = (inspect, data, lifecycle, lifecycle_remove, backup, restore,
                                   session, stats, health, optimize, migrate, elysia,
                                   export)
