"""Meta-command declarations: thin adapters from arguments to operations and results."""

from __future__ import annotations

from types import ModuleType

from commands.meta import (
    backup,
    data,
    inspect,
    lifecycle,
    lifecycle_remove,
    migrate,
    restore,
    session,
)

MODULES: tuple[ModuleType, ...] = (inspect, data, lifecycle, lifecycle_remove, backup, restore,
                                   migrate, session)
