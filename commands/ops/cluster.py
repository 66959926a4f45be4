"""Nodes and shards: ``GET /v1/nodes[/{class}]`` and ``GET /v1/schema/{class}/shards``.

Object counts from ``/v1/nodes`` are approximate: a node counts flushed on-disk
segments only, so fresh writes may be missing until a memtable flushes
(REST-BEHAVIOUR.md §9.1). A shard with several replicas appears once per node;
its count is the largest replica count. Inactive tenants are not loaded and do
not appear at all; lazily loaded shards appear with ``loaded: false`` and no count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient


@dataclass(frozen=True, slots=True)
class ShardReplica:
    """One shard as one node reports it."""

    collection: str
    shard: str
    node: str
    objects: int | None
    status: str | None
    loaded: bool
    compressed: bool
    vector_queue: int | None


@dataclass(frozen=True, slots=True)
class NodeSummary:
    """One node of the cluster."""

    name: str
    status: str
    version: str | None
    objects: int | None
    shards: int | None
    operational_mode: str | None


@dataclass(frozen=True, slots=True)
class ShardSummary:
    """One physical shard of a collection with its replicas."""

    name: str
    status: str | None
    nodes: tuple[str, ...]
    objects: int | None


def fetch_nodes(api: RestClient, collection: str | None = None) -> list[dict[str, Any]]:
    """``GET /v1/nodes?output=verbose`` (or ``/v1/nodes/{collection}``): the nodes' JSON."""
    path = "/v1/nodes" if collection is None else f"/v1/nodes/{collection}"
    return api.get_json(path, output="verbose").get("nodes") or []


def replicas(nodes: list[dict[str, Any]]) -> list[ShardReplica]:
    """Every shard replica the nodes report, sorted by collection, shard and node."""
    out = []
    for node in nodes:
        for shard in node.get("shards") or []:
            loaded = shard.get("loaded", True) is not False
            out.append(ShardReplica(
                collection=shard.get("class", ""), shard=shard.get("name", ""),
                node=node.get("name", ""),
                objects=shard.get("objectCount") if loaded else None,
                status=shard.get("vectorIndexingStatus"), loaded=loaded,
                compressed=bool(shard.get("compressed")),
                vector_queue=shard.get("vectorQueueLength")))
    return sorted(out, key=lambda r: (r.collection, r.shard, r.node))


def shard_counts(nodes: list[dict[str, Any]]) -> dict[tuple[str, str], int | None]:
    """Approximate objects per ``(collection, shard)``: the largest count over its replicas."""
    counts: dict[tuple[str, str], int | None] = {}
    for rep in replicas(nodes):
        key = (rep.collection, rep.shard)
        known = counts.get(key)
        if rep.objects is None:
            counts.setdefault(key, None)
        elif known is None or rep.objects > known:
            counts[key] = rep.objects
    return counts


def collection_counts(nodes: list[dict[str, Any]]) -> dict[str, int]:
    """Approximate objects per collection: the sum over its shards (loaded shards only)."""
    totals: dict[str, int] = defaultdict(int)
    for (collection, _shard), count in shard_counts(nodes).items():
        totals[collection] += count or 0
    return dict(totals)


def shard_names(nodes: list[dict[str, Any]]) -> dict[str, set[str]]:
    """The loaded shards (for multi-tenant classes: the active tenants) per collection."""
    names: dict[str, set[str]] = defaultdict(set)
    for collection, shard in shard_counts(nodes):
        names[collection].add(shard)
    return dict(names)


def list_nodes(api: RestClient) -> list[NodeSummary]:
    """Every node with its status, version and totals, in one request."""
    out = []
    for node in fetch_nodes(api):
        stats = node.get("stats") or {}
        out.append(NodeSummary(
            name=node.get("name", ""), status=node.get("status", "UNKNOWN"),
            version=node.get("version"), objects=stats.get("objectCount"),
            shards=stats.get("shardCount"), operational_mode=node.get("operationalMode")))
    return sorted(out, key=lambda n: n.name)


def fetch_shards(api: RestClient, collection: str,
                 tenant: str | None = None) -> list[dict[str, Any]]:
    """``GET /v1/schema/{collection}/shards``: status per shard and per node."""
    return api.get_json(f"/v1/schema/{collection}/shards", tenant=tenant) or []


def set_shard_status(api: RestClient, collection: str, shard: str, status: str) -> None:
    """``PUT /v1/schema/{collection}/shards/{shard}``: READY, READONLY or INDEXING on every
    replica of the shard (an unknown shard is a silent no-op from 1.38 on, RB§6.1)."""
    api.request("PUT", f"/v1/schema/{collection}/shards/{shard}", json={"status": status})


def list_shards(api: RestClient, collection: str) -> list[ShardSummary]:
    """The shards of one collection: status, replica nodes and approximate object count.

    ``collection`` must be the canonical class name (two requests: shards and nodes).
    """
    statuses = fetch_shards(api, collection)
    nodes = fetch_nodes(api, collection)
    counts = shard_counts(nodes)
    placement: dict[str, set[str]] = defaultdict(set)
    for rep in replicas(nodes):
        placement[rep.shard].add(rep.node)
    out = []
    for shard in statuses:
        name = shard.get("name", "")
        holders = set(shard.get("per_node_status") or {}) or placement.get(name, set())
        out.append(ShardSummary(name=name, status=shard.get("status"),
                                nodes=tuple(sorted(holders)),
                                objects=counts.get((collection, name))))
    return sorted(out, key=lambda s: s.name)


def shards_per_node(nodes: list[dict[str, Any]]) -> dict[str, int]:
    """How many shard replicas each node holds (nodes with none are listed with 0)."""
    out = {node.get("name", ""): 0 for node in nodes}
    for rep in replicas(nodes):
        out[rep.node] = out.get(rep.node, 0) + 1
    return dict(sorted(out.items()))
