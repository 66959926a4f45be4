"""Tenants of multi-tenant collections: ``GET /v1/schema/{class}/tenants`` (REST-BEHAVIOUR.md §5).

Weaviate stores and returns its internal status names (``HOT``, ``COLD``,
``FROZEN``); the shell shows the documented ones (``ACTIVE``, ``INACTIVE``,
``OFFLOADED``) and leaves transitional states (``FREEZING``...) as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.ops import cluster

DOCUMENTED = {"HOT": "ACTIVE", "COLD": "INACTIVE", "FROZEN": "OFFLOADED"}


@dataclass(frozen=True, slots=True)
class TenantSummary:
    """One tenant; ``objects`` is approximate and None when the tenant is not loaded."""

    name: str
    status: str
    objects: int | None


def documented_status(status: str | None) -> str:
    """``HOT`` -> ``ACTIVE``, ``COLD`` -> ``INACTIVE``, ``FROZEN`` -> ``OFFLOADED``; others as-is.

    An empty status is reported by Weaviate as ``HOT``, so it reads ``ACTIVE``.
    """
    status = (status or "HOT").upper()
    return DOCUMENTED.get(status, status)


def fetch_tenants(api: RestClient, collection: str) -> list[dict[str, Any]]:
    """The raw tenant list of one collection, in one request (unordered, as Weaviate sends it)."""
    return api.get_json(f"/v1/schema/{collection}/tenants") or []


def list_tenants(api: RestClient, collection: str) -> list[TenantSummary]:
    """Every tenant with its documented status and approximate object count, sorted by name.

    ``collection`` must be the canonical class name; two requests (tenants and nodes).
    """
    tenants = fetch_tenants(api, collection)
    counts = cluster.shard_counts(cluster.fetch_nodes(api, collection))
    out = []
    for tenant in tenants:
        name = tenant.get("name", "")
        status = documented_status(tenant.get("activityStatus"))
        objects = counts.get((collection, name)) if status == "ACTIVE" else None
        out.append(TenantSummary(name=name, status=status, objects=objects))
    return sorted(out, key=lambda t: t.name)


def status_counts(tenants: list[dict[str, Any]]) -> dict[str, int]:
    """How many tenants are in each (documented) status."""
    out: dict[str, int] = {}
    for tenant in tenants:
        status = documented_status(tenant.get("activityStatus"))
        out[status] = out.get(status, 0) + 1
    return dict(sorted(out.items()))


def tenant_hint(api: RestClient, collection: str, limit: int = 5) -> str:
    """A hint naming a few active tenants, for errors about a missing or unusable tenant."""
    try:
        tenants = fetch_tenants(api, collection)
    except ShellError:  # a hint must never hide the original error
        return f"pass --tenant T; \\tenants {collection} lists the tenants"
    active = sorted(t.get("name", "") for t in tenants
                    if documented_status(t.get("activityStatus")) == "ACTIVE")
    if not active:
        return f"{collection} has no active tenant; \\tenants {collection} lists them all"
    shown = ", ".join(active[:limit]) + (", ..." if len(active) > limit else "")
    return f"pass --tenant T, e.g. --tenant {active[0]} (active tenants: {shown})"
