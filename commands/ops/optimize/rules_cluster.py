"""``\\optimize`` rules for placement: replication, shard count, READONLY shards, tenants."""

from __future__ import annotations

import json

from commands.ops.optimize.measure import Measurements, Recommendation, Rule, setting

LARGE_SHARD = 100_000
"""A shard this large makes an uneven shard layout matter (T18) [JUDGEMENT]."""
SHOWN = 3
"""REST calls spelled out in a ``change`` before the rest are counted."""


def _calls(calls: list[str]) -> str:
    shown = "; ".join(calls[:SHOWN])
    return shown + (f"; ... ({len(calls)} calls in all)" if len(calls) > SHOWN else "")


def replication(m: Measurements) -> list[Recommendation]:
    """H11/T20: factor 1 on several nodes; T21: an even factor."""
    nodes, rf = len(m.nodes), m.replication_factor
    if nodes < 2:
        return []
    if rf == 1:
        target, rule, severity = min(3, nodes), "T20/H11", "medium"
        reason = (f"replication factor 1 on a {nodes}-node cluster: each shard lives on one "
                  "node, so its data is unavailable while that node is down")
        if nodes == 2:
            reason += "; with a third node, factor 3 would tolerate one node down at QUORUM"
    elif rf % 2 == 0:
        target = rf + 1 if rf < nodes else rf - 1
        if target < 3:
            return []
        rule, severity = "T21", "low"
        reason = (f"an even replication factor ({rf}): QUORUM needs {rf // 2 + 1} of {rf}, so it "
                  f"tolerates no more failures than {rf - 1} replicas would")
    else:
        return []
    effect = (f"every shard on {target} nodes: reads scale with the replicas and a node can "
              "fail without losing availability")
    if m.at_least((1, 35)):
        effect += (f". v1.35+ can raise it without a copy when REPLICA_MOVEMENT_ENABLED is set: "
                   f"GET /v1/replication/scale?collection={m.name}&replicationFactor={target}, "
                   "POST /v1/replication/scale, wait for the operations, then PUT the factor "
                   "(inferred sequence)")
    return [setting(
        (("replicationConfig.factor", target),), "copy",
        rule="replication-factor", operations_rule=rule, severity=severity, reason=reason,
        effect=effect, source="D/weaviate/concepts/cluster; D/weaviate/best-practices",
        impact=float(m.objects))]


def shard_count(m: Measurements) -> list[Recommendation]:
    """T18: fewer shards than nodes (or not a multiple of them) on a collection with data."""
    nodes = len(m.nodes)
    desired = int((m.cls.get("shardingConfig") or {}).get("desiredCount") or 0)
    if m.multi_tenant or nodes < 2 or not m.objects or not desired or desired % nodes == 0:
        return []
    target = -(-desired // nodes) * nodes
    holders = sorted({r.node for r in m.replicas})
    what = "fewer shards than" if desired < nodes else "a shard count that is not a multiple of"
    return [setting(
        (("shardingConfig.desiredCount", target),), "copy", rule="shard-count",
        operations_rule="T18",
        severity="medium" if m.largest_shard >= LARGE_SHARD else "low",
        reason=f"{desired} shard(s) on {nodes} nodes, {what} the node count: {len(holders)} of "
               f"{nodes} nodes hold this collection's data ({', '.join(holders)}), the largest "
               f"shard {m.largest_shard:,} objects; adding nodes does not move shards",
        effect=f"{target} shards spread data, imports and query work evenly over {nodes} nodes",
        source="D/weaviate/concepts/cluster", impact=float(m.objects))]


def readonly_shards(m: Measurements) -> list[Recommendation]:
    """OPERATIONS.md §1.3: READONLY shards that an operator can return to READY."""
    found = m.readonly_shards()
    if not found:
        return []
    where = sorted({n for nodes in found.values() for n in nodes})
    listed = ", ".join(f"{s} ({', '.join(n)})" for s, n in list(found.items())[:SHOWN])
    listed += f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    recovery = ("v1.36+ returns shards made READONLY by disk pressure to READY by itself, so "
                "one still READONLY was set by hand or the disk is still full" if
                m.at_least((1, 36)) else "before v1.36 Weaviate never returns them to READY itself")
    calls = [f'PUT /v1/schema/{m.name}/shards/{s} {{"status":"READY"}}' for s in found]
    return [Recommendation(
        rule="shard-readonly", operations_rule="§1.3/H6", severity="high",
        reason=f"{len(found)} shard(s) READONLY: {listed}; writes to them fail with 'store is "
               "read-only'. Weaviate sets READONLY itself when disk use on a node passes "
               "DISK_USE_READONLY_PERCENTAGE (default 90%), or an operator set it; the reason is "
               f"not visible over REST; {recovery}",
        change=_calls(calls), applies="in-place",
        effect=f"writes are accepted again on every replica (the status goes through RAFT). "
               f"Check free disk on {', '.join(where)} first: a shard forced READY while the "
               "disk is above the threshold stays writable without protection",
        source="D/deploy/configuration/persistence; D/deploy/faqs", shards=tuple(found),
        impact=float(sum(m.shard_objects.get(s, 0) for s in found)))]


def offload_tenants(m: Measurements) -> list[Recommendation]:
    """T30: INACTIVE tenants that the offload-s3 module could move to cloud storage."""
    status = m.tenant_status or {}
    inactive = sorted(t for t, s in status.items() if s == "INACTIVE")
    if not inactive or "offload-s3" not in m.modules:
        return []
    chunks = [inactive[i:i + 100] for i in range(0, len(inactive), 100)]  # RB§5: ≤100 per PUT
    calls = [f"PUT /v1/schema/{m.name}/tenants " + json.dumps(
        [{"name": t, "activityStatus": "OFFLOADED"} for t in chunk], separators=(",", ":"))
        for chunk in chunks]
    return [Recommendation(
        rule="offload-tenants", operations_rule="T30", severity="low",
        reason=f"{len(inactive)} of {len(status)} tenants are INACTIVE and the offload-s3 module "
               "is enabled",
        change=_calls(calls), applies="rest-call",
        effect="OFFLOADED tenants move to cloud storage and free the nodes' disk; reactivating "
               "one downloads it (slow), while INACTIVE ones reactivate fast from local disk",
        source="D/weaviate/starter-guides/managing-resources/tenant-states; "
               "D/deploy/configuration/tenant-offloading", impact=float(len(inactive)))]


CLUSTER_RULES: tuple[Rule, ...] = (readonly_shards, replication, shard_count, offload_tenants)
