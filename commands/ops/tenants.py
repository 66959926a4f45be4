"""Tenants of multi-tenant collections: ``/v1/schema/{class}/tenants`` (REST-BEHAVIOUR.md §5):
listing, matching names against globs, and creating, updating and deleting them in batches.

Weaviate stores and returns its internal status names (``HOT``, ``COLD``,
``FROZEN``); the shell shows the documented ones (``ACTIVE``, ``INACTIVE``,
``OFFLOADED``) and leaves transitional states (``FREEZING``...) as they are.
"""

from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.ops import cluster, objects
from commands.progress import Advance, ignore

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


# Weaviate refuses more than 100 tenants in one PUT (usecases/schema/tenant.go,
# ErrMsgMaxAllowedTenants, checked by validateTenants); POST and DELETE have no limit there,
# but they go in batches of the same size so a progress bar moves and a failure leaves a
# known part done.
BATCH = 100
STORED = {"ACTIVE": "HOT", "INACTIVE": "COLD", "OFFLOADED": "FROZEN"}
OFFLOAD_MODULE = "offload-s3"
NO_OFFLOAD = "offload-s3 module is not enabled"


@dataclass(frozen=True, slots=True)
class TenantMatch:
    """The tenants some patterns chose: ``found`` maps each to its documented status."""

    found: dict[str, str]
    empty_patterns: tuple[str, ...]


def match_tenants(tenants: list[dict[str, Any]], patterns: list[str]) -> TenantMatch:
    """The tenants whose names match any glob in ``patterns`` (case-sensitive, as Weaviate's
    names are), sorted by name, and the patterns that matched none."""
    statuses = {t.get("name", ""): documented_status(t.get("activityStatus")) for t in tenants}
    names = sorted(statuses)
    found: dict[str, str] = {}
    empty = []
    for pattern in patterns:
        hits = fnmatch.filter(names, pattern) if _is_glob(pattern) else \
            [pattern] if pattern in statuses else []
        if not hits:
            empty.append(pattern)
        found.update((n, statuses[n]) for n in hits)
    return TenantMatch(dict(sorted(found.items())), tuple(empty))


def _is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def batches(names: list[str], size: int = BATCH) -> list[list[str]]:
    """``names`` cut into lists of at most ``size``."""
    return [names[i:i + size] for i in range(0, len(names), size)]


def exact_counts(api: RestClient, collection: str, names: list[str],
                 advance: Advance = ignore,
                 workers: int = 4) -> dict[str, int]:
    """The exact object count of each (active) tenant, by GraphQL ``Aggregate``, a few at
    once; ``advance(1)`` after each."""

    def count(name: str) -> tuple[str, int]:
        found = objects.aggregate_count(api, collection, name)
        advance(1)
        return name, found

    if len(names) <= 1:
        return dict(map(count, names))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(count, names))


def status_batches(names: list[str], status: str | None) -> list[list[dict[str, str]]]:
    """The request bodies that give ``names`` a documented ``status`` (None: the server's
    default), at most ``BATCH`` tenants each. The stored names (HOT, COLD, FROZEN) are sent:
    every Weaviate with multi-tenancy accepts them; ACTIVE and the like only newer ones."""
    item = {"activityStatus": STORED[status]} if status else {}
    return [[{"name": n, **item} for n in part] for part in batches(names)]


def create_tenants(api: RestClient, collection: str, bodies: list[list[dict[str, str]]],
                   advance: Advance = ignore) -> None:
    """``POST /v1/schema/{collection}/tenants`` once per body (``status_batches``); Weaviate
    ignores names that exist already."""
    for body in bodies:
        api.request("POST", f"/v1/schema/{collection}/tenants", json=body)
        advance(len(body))


def update_tenants(api: RestClient, collection: str, bodies: list[list[dict[str, str]]],
                   advance: Advance = ignore) -> dict[str, str]:
    """``PUT /v1/schema/{collection}/tenants`` once per body (at most 100 tenants each): the
    documented status each tenant reports afterwards (``FREEZING`` while an offload runs)."""
    after: dict[str, str] = {}
    for body in bodies:
        answer = api.request("PUT", f"/v1/schema/{collection}/tenants", json=body).json()
        after.update((t.get("name", ""), documented_status(t.get("activityStatus")))
                     for t in answer or ())
        advance(len(body))
    return after


def delete_tenants(api: RestClient, collection: str, names: list[str],
                   advance: Advance = ignore) -> None:
    """``DELETE /v1/schema/{collection}/tenants`` with the names, in batches."""
    for part in batches(names):
        api.request("DELETE", f"/v1/schema/{collection}/tenants", json=part)
        advance(len(part))


def offload_enabled(api: RestClient) -> bool | None:
    """Whether ``/v1/meta`` lists the offload-s3 module (None: the server did not say)."""
    try:
        modules = (api.get_json("/v1/meta") or {}).get("modules")
    except ShellError:
        return None
    return None if not isinstance(modules, dict) else OFFLOAD_MODULE in modules
