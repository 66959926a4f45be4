"""Weaviate versions: parsing ``/v1/meta``'s ``version`` and refusing a feature the server is
too old for with "needs Weaviate >= X" instead of its bare 404/422."""

from __future__ import annotations

import re

from commands.errors import ShellError


def version_tuple(text: str | None) -> tuple[int, ...]:
    """``"1.39.0-rc.1"`` -> ``(1, 39, 0)``; unreadable or unknown -> ``()``."""
    return tuple(int(n) for n in re.findall(r"\d+", (text or "").split("-")[0])[:3])


def at_least(text: str | None, floor: tuple[int, ...]) -> bool:
    """Whether version ``text`` is ``floor`` or newer; an unknown version counts as new (the
    server answers for itself)."""
    found = version_tuple(text)
    return not found or found >= floor


def require(server_version: str | None, floor: tuple[int, ...], feature: str) -> None:
    """Refuse ``feature`` before any request when the server is older than ``floor``."""
    if not at_least(server_version, floor):
        wanted = ".".join(map(str, floor))
        raise ShellError(f"{feature} needs Weaviate >= {wanted}; the server runs "
                         f"{server_version}", f"upgrade the cluster to {wanted} or later")
