"""Setting shard status (READY, READONLY): which replicas change, and why they were READONLY.

A status set through ``PUT /v1/schema/{c}/shards/{s}`` applies to every replica of the
shard. READONLY set by Weaviate's resource scanner comes from disk pressure on a node, which
makes all of that node's shards READONLY (OPERATIONS.md §1.3); the cause is inferred from
the verbose ``/v1/nodes`` with the same rule ``\\health`` uses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from commands.api.client import RestClient
from commands.errors import UsageError
from commands.ops import cluster, tenants
from commands.ops.health.data import readonly_cause
from commands.ops.versions import version_tuple


@dataclass(frozen=True, slots=True)
class ReplicaChange:
    """One shard replica whose status the command would set."""

    shard: str
    node: str
    now: str | None
    after: str


@dataclass(frozen=True, slots=True)
class StatusPlan:
    """What ``\\shards C --set S`` would do: the shards, each replica's change and, for
    replicas that are READONLY now, the likely cause and fix per node."""

    collection: str
    status: str
    shards: tuple[str, ...]
    changes: tuple[ReplicaChange, ...]
    causes: tuple[tuple[str, str, str], ...]
    inactive: tuple[str, ...] = ()
    """Inactive tenants left out of a whole-collection change."""


def choose(statuses: list[dict], wanted: list[str], collection: str) -> list[str]:
    """The shards named (all when none is), refusing names the collection does not have."""
    known = [s.get("name", "") for s in statuses]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        shown = ", ".join(sorted(known)[:10]) + (" ..." if len(known) > 10 else "")
        raise UsageError(f"{collection} has no shard {', '.join(unknown)}",
                         f"its shards: {shown or 'none'} (\\shards {collection})")
    return list(dict.fromkeys(wanted)) if wanted else sorted(known)


def plan(api: RestClient, collection: str, status: str, wanted: list[str],
         multi_tenant: bool = False) -> StatusPlan:
    """Read the shards and the nodes (verbose, every collection) and describe the change.

    Without names, a multi-tenant collection's inactive tenants are left alone: their shards
    are not loaded, so there is no status to set (named with ``--tenant`` they are tried).
    """
    statuses = cluster.fetch_shards(api, collection)
    shards = choose(statuses, wanted, collection)
    inactive: tuple[str, ...] = ()
    if multi_tenant and not wanted:
        asleep = {t.get("name") for t in tenants.fetch_tenants(api, collection)
                  if tenants.documented_status(t.get("activityStatus")) != "ACTIVE"}
        inactive = tuple(s for s in shards if s in asleep)
        shards = [s for s in shards if s not in asleep]
    nodes = cluster.fetch_nodes(api)
    changes = []
    for entry in statuses:
        if entry.get("name") not in shards:
            continue
        per_node = entry.get("per_node_status") or {}
        if not per_node:
            holders = {r.node for r in cluster.replicas(nodes)
                       if r.collection == collection and r.shard == entry.get("name")}
            per_node = dict.fromkeys(sorted(holders), entry.get("status"))
        changes += [ReplicaChange(entry["name"], node, now, status)
                    for node, now in sorted(per_node.items())]
    changes.sort(key=lambda c: (c.shard, c.node))
    return StatusPlan(collection, status, tuple(shards), tuple(changes),
                      tuple(_causes(nodes, changes, collection)), inactive)


def _causes(nodes: list[dict], changes: list[ReplicaChange],
            collection: str) -> list[tuple[str, str, str]]:
    """For each node with a READONLY replica among ``changes``: what, the cause and the fix."""
    readonly_nodes = sorted({c.node for c in changes if c.now == "READONLY"})
    if not readonly_nodes:
        return []
    totals: dict[str, int] = defaultdict(int)
    readonly: dict[str, int] = defaultdict(int)
    for rep in cluster.replicas(nodes):
        totals[rep.node] += 1
        readonly[rep.node] += rep.status == "READONLY"
    versions = {n.get("name", ""): version_tuple(n.get("version")) for n in nodes}
    out = []
    for node in readonly_nodes:
        fact, cause, fix = readonly_cause(node, readonly[node] or 1, max(totals[node], 1), "",
                                          versions.get(node, ()))
        out.append((fact, cause, fix.replace("{c}", collection).replace("{s}", "SHARD")))
    return out


def apply(api: RestClient, status_plan: StatusPlan) -> dict[str, str | None]:
    """Send one PUT per shard; each shard's status as the server reports it afterwards."""
    for shard in status_plan.shards:
        cluster.set_shard_status(api, status_plan.collection, shard, status_plan.status)
    return {s.get("name", ""): s.get("status") for s in
            cluster.fetch_shards(api, status_plan.collection)
            if s.get("name") in status_plan.shards}
