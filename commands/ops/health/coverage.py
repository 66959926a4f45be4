"""Shards that no live node reports: their data is unreachable, and every other data check
(READONLY, replicas, indexing) could only judge the shards it saw.

The expected shards: for one single-tenant collection its shard status list (every
physical shard, named even when no replica answered), else its ``shardingConfig
.actualCount``; for one multi-tenant collection its ACTIVE tenants (inactive ones are not
loaded, so no node reports them); without a collection, ``actualCount`` of every
single-tenant collection (tenant lists are not read then: a request each, §4). A node
that is down or gone reports nothing (OPERATIONS.md §1.2).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from commands.ops.cluster import ShardReplica
from commands.ops.collections import is_multi_tenant
from commands.ops.health.cluster import expected_nodes
from commands.ops.health.model import Check, Evidence, Status, counted, listed
from commands.ops.tenants import documented_status

ANSWERING = ("HEALTHY", "UNHEALTHY")  # UNHEALTHY nodes still answer their peers (§1.2)


@dataclass(frozen=True, slots=True)
class Gap:
    """One collection's shards: how many are expected, and those no live node reports
    (named when the shard status or tenant list named them, else only counted)."""

    collection: str
    expected: int
    missing: int
    names: tuple[str, ...] = ()
    noun: str = "shard"


def _expected(evidence: Evidence, cls: dict[str, Any]) -> list[str] | int | None:
    """The shard (or active tenant) names expected, or only their number, or None when
    this collection cannot be judged."""
    if is_multi_tenant(cls):
        if evidence.collection is None or evidence.tenants is None:
            return None  # not read (or unreadable: the tenants row says why)
        return [t.get("name", "") for t in evidence.tenants
                if documented_status(t.get("activityStatus")) == "ACTIVE"]
    if evidence.collection is not None and evidence.shards is not None:
        return [s.get("name", "") for s in evidence.shards]
    count = (cls.get("shardingConfig") or {}).get("actualCount")
    return count if isinstance(count, int) and count > 0 else None


def gaps(evidence: Evidence, found: list[ShardReplica]) -> list[Gap]:
    """Per judged collection, its expected shards and the unreported ones (missing may
    be 0); a collection that cannot be judged is left out."""
    reported: dict[str, set[str]] = defaultdict(set)
    for rep in found:
        reported[rep.collection].add(rep.shard)
    out = []
    for cls in evidence.classes:
        name, expected = cls["class"], _expected(evidence, cls)
        if isinstance(expected, int):
            out.append(Gap(name, expected, max(expected - len(reported[name]), 0)))
        elif expected is not None:
            missing = tuple(sorted(set(expected) - reported[name]))
            out.append(Gap(name, len(expected), len(missing), missing,
                           "active tenant" if is_multi_tenant(cls) else "shard"))
    return out


def unseen(found_gaps: list[Gap]) -> str:
    """``1 shard not reported by any live node`` (empty when none), for the summaries of
    the checks that could judge only the shards they saw."""
    missing = sum(g.missing for g in found_gaps)
    return f"{counted(missing, 'shard')} not reported by any live node" if missing else ""


def _down(evidence: Evidence) -> list[str]:
    """Nodes that answer nothing: down, timed out, or gone from /v1/nodes."""
    present = {n.get("name") for n in evidence.nodes or []}
    down = [f"{n.get('name')} {n.get('status')}" for n in evidence.nodes or []
            if n.get("status") not in ANSWERING]
    return sorted(down + [f"{name} missing" for name in expected_nodes(evidence)
                          if name not in present])


def check_reachable(evidence: Evidence, found_gaps: list[Gap]) -> Check | None:
    """Every expected shard is reported by a live node (crit otherwise, with a node down:
    its data is unreachable); no row when no collection could be judged."""
    if not found_gaps:
        return None
    short = sorted((g for g in found_gaps if g.missing), key=lambda g: g.collection)
    if not short:
        total = sum(g.expected for g in found_gaps)
        whole = f"the {counted(len(found_gaps), 'single-tenant collection')}"
        return Check("reachable shards", Status.OK,
                     f"every {found_gaps[0].noun} of {evidence.collection or whole} ({total}) "
                     "is reported by a live node")
    down = _down(evidence)
    if down:
        status, fact = Status.CRIT, "not reported by any live node"
        hint = (f"the nodes holding them do not answer ({listed(down)}): bring them back; a "
                "shard without a replica on another node (factor 1) has no other copy")
    else:
        # Every node answers, so none of them is down: RBAC filters verbose /v1/nodes per
        # collection (OPERATIONS.md §4), or a node lost the shard.
        status, fact = Status.WARN, "not reported by any node, though every node answers"
        hint = ("this key may not read these collections' node statistics (RBAC): run "
                "\\health with a key allowed to; if it may, check the nodes' logs")
    items = []
    for gap in short:
        if gap.names:
            label = gap.noun.split()[-1]
            items += [Check(f"{label} {gap.collection}/{name}", status, fact, hint)
                      for name in gap.names]
        else:
            items.append(Check(f"shards of {gap.collection}", status,
                               f"{gap.missing} of {counted(gap.expected, 'shard')} {fact}",
                               f"{hint}; \\health {gap.collection} names them"))
    missing = sum(g.missing for g in short)
    if evidence.collection is not None:
        what = (f"{missing} of {counted(short[0].expected, short[0].noun)} of "
                f"{evidence.collection} {'is' if missing == 1 else 'are'} {fact}")
    else:
        what = (f"{counted(missing, 'shard')} {fact} "
                f"({listed([f'{g.collection} {g.missing} of {g.expected}' for g in short])})")
    if down:
        what += f": {'its' if missing == 1 else 'their'} data is unreachable"
    return Check("reachable shards", status, what, hint, tuple(items))
