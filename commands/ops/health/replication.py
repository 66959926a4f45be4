"""Replication checks: replicas against the factor (H10), factor 1 on several nodes (H11),
async replication that stopped comparing (H12), from the verbose ``/v1/nodes`` and the
class definitions (OPERATIONS.md §1.6, §1.10).
"""

from __future__ import annotations

from typing import Any

from commands.ops.health.model import Check, Evidence, Status, counted, listed, scope

ASYNC_FREQUENCY_MS = 30_000  # async replication compares every 30 s by default (§1.6)
STALLED_AFTER = 10  # comparisons missed before the replication counts as stalled [JUDGEMENT]


def checks(evidence: Evidence, unseen: str = "") -> list[Check]:
    """The replication checks that apply (H11 only on several nodes, H12 only with data);
    ``unseen`` names the shards no live node reported."""
    found = [check_replicas(evidence, unseen), check_factor(evidence), check_async(evidence)]
    return [c for c in found if c is not None]


def check_replicas(evidence: Evidence, unseen: str = "") -> Check:
    """Every shard has as many replicas as its replication factor (H10, crit); only the
    shards some live node reports can be judged (``unseen`` names the others)."""
    short: dict[str, tuple[int, int]] = {}
    for node in evidence.nodes or []:
        for shard in node.get("shards") or []:
            have, want = shard.get("numberOfReplicas"), shard.get("replicationFactor")
            if isinstance(have, int) and isinstance(want, int) and have < want:
                short[f"{shard.get('class')}/{shard.get('name')}"] = (have, want)
    if not short:
        return Check("replicas", Status.OK,
                     f"every reported shard has its replication factor's replicas ({unseen})"
                     if unseen else "every shard has its replication factor's replicas")
    hint = ("under-replicated: COPY a replica to another node: \\replicate C SHARD --from NODE "
            "--to NODE (POST /v1/replication/replicate, needs REPLICA_MOVEMENT_ENABLED=true)")
    items = tuple(Check(f"shard {label}", Status.CRIT,
                        f"{counted(have, 'replica')} of factor {want}", hint)
                  for label, (have, want) in sorted(short.items()))
    return Check("replicas", Status.CRIT,
                 f"{counted(len(items), 'shard')} under-replicated: "
                 f"{listed(sorted(short))}", hint, items)


def check_factor(evidence: Evidence) -> Check | None:
    """No collection without replicas on a multi-node cluster (H11, warn); none on one node."""
    nodes = len(evidence.nodes or [])
    if nodes < 2 or not evidence.classes:
        return None
    single = sorted(c["class"] for c in evidence.classes
                    if ((c.get("replicationConfig") or {}).get("factor") or 1) == 1)
    if not single:
        return Check("replication factor", Status.OK,
                     f"every collection of {scope(evidence)} has replicas")
    hint = ("no high availability: one node down makes their shards unavailable; raise the "
            "factor to 3 (v1.35+: \\replicate scale C --factor 3, POST /v1/replication/scale "
            "with REPLICA_MOVEMENT_ENABLED, "
            "older: recreate); \\optimize COLLECTION --analyze")
    items = tuple(Check(f"collection {name}", Status.WARN, f"factor 1 on {nodes} nodes", hint)
                  for name in single)
    return Check("replication factor", Status.WARN,
                 f"factor 1 on a {nodes}-node cluster: {listed(single)}", hint, items)


def _frequency_ms(cls: dict[str, Any] | None) -> int:
    config = ((cls or {}).get("replicationConfig") or {}).get("asyncConfig") or {}
    return config.get("frequency") or ASYNC_FREQUENCY_MS


def check_async(evidence: Evidence) -> Check | None:
    """Async replication still compares replicas (H12, warn): a loaded shard with factor > 1
    whose last comparison began more than ten periods ago (by this machine's clock).
    Shards without status entries (async replication off, or not run yet) are not judged."""
    if evidence.read_at_ms is None:
        return None
    classes = {c["class"]: c for c in evidence.classes}
    items, judged = [], 0
    for node in evidence.nodes or []:
        for shard in node.get("shards") or []:
            statuses = shard.get("asyncReplicationStatus") or []
            if (shard.get("replicationFactor") or 1) < 2 or not statuses:
                continue
            judged += 1
            last = max(s.get("startDiffTimeUnixMillis") or 0 for s in statuses)
            period = _frequency_ms(classes.get(shard.get("class")))
            age_s = (evidence.read_at_ms - last) // 1000
            if age_s * 1000 > STALLED_AFTER * period:
                items.append(Check(f"shard {shard.get('class')}/{shard.get('name')}",
                                   Status.WARN, f"on {node.get('name')}: last comparison "
                                   f"began {age_s:,} s ago (every {period // 1000:,} s)",
                                   HINT_ASYNC))
    if not judged:
        return None
    if not items:
        return Check("async replication", Status.OK,
                     f"comparing on all {counted(judged, 'replicated shard replica')}")
    return Check("async replication", Status.WARN,
                 f"stalled on {counted(len(items), 'shard replica')}: "
                 f"{listed([i.check.removeprefix('shard ') for i in items])}", HINT_ASYNC,
                 tuple(items))


HINT_ASYNC = ("async replication stopped comparing replicas: check ASYNC_REPLICATION_DISABLED "
              "and the nodes' logs for async replication errors")
