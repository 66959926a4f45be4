"""Data checks: unreported shards, shard status, compression and tenants (and, in order,
the replication checks), from one verbose ``/v1/nodes`` (plus, for one collection, its
``per_node_status`` and tenant list).

Without a collection each check summarises every collection in one row; its items
(``--detailed``) name each problem shard or tenant. Rule ids are OPERATIONS.md §1.10's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from commands.ops.cluster import ShardReplica, replicas
from commands.ops.collections import is_multi_tenant, vectors
from commands.ops.health import coverage, replication
from commands.ops.health.model import Check, Evidence, Status, counted, listed, scope, unreadable
from commands.ops.tenants import documented_status
from commands.ops.versions import version_tuple

DISK_READONLY_DEFAULT = 90  # DISK_USE_READONLY_PERCENTAGE (OPERATIONS.md §1.3)
AUTO_RECOVERY = (1, 36)  # shards READONLY for resource pressure recover by themselves
PQ_SQ_TRAINING_LIMIT = 100_000  # default trainingLimit (OPERATIONS.md §1.5)
TRANSITIONAL = ("FREEZING", "UNFREEZING")
NOT_IN_VERBOSE = ("READONLY", "LOADING", "LAZY_LOADING")  # per_node_status worth reporting


def checks(evidence: Evidence) -> list[Check]:
    """The data checks; none when /v1/nodes could not be read (the nodes row says why)."""
    if evidence.nodes is None:
        return []
    found = shard_replicas(evidence)
    found_gaps = coverage.gaps(evidence, found)
    unseen = coverage.unseen(found_gaps)
    schema = unreadable("schema", evidence, "schema", "the schema could not be read, so the "
                        "checks that need it (compression, replication factor, tenants) were "
                        "skipped")
    shards = None if schema else unreadable("shard status", evidence, "shards")
    out = [schema, shards, coverage.check_reachable(evidence, found_gaps),
           check_readonly(evidence, found, unseen), check_indexing(evidence, found),
           check_loading(evidence, found),
           None if schema else check_compression(evidence, found),
           *replication.checks(evidence, unseen), check_tenants(evidence)]
    return [c for c in out if c is not None]


def shard_replicas(evidence: Evidence) -> list[ShardReplica]:
    """Every shard replica as the nodes report them, plus the READONLY or loading ones that
    only the shard status names. Replicas of inactive tenants are left out: they are not
    loaded, so the status they show is stale (and nodes verbose leaves them out too)."""
    found = replicas(evidence.nodes or [])
    seen = {(r.collection, r.shard, r.node): i for i, r in enumerate(found)}
    inactive = {t.get("name") for t in evidence.tenants or []
                if documented_status(t.get("activityStatus")) != "ACTIVE"}
    for shard in evidence.shards or []:
        if shard.get("name") in inactive:
            continue
        for node, status in (shard.get("per_node_status") or {}).items():
            key = (evidence.collection or "", shard.get("name", ""), node)
            if key not in seen:
                if status in NOT_IN_VERBOSE:
                    found.append(ShardReplica(*key, None, status, False, False, None))
            elif status == "READONLY":  # the per-node status is the one writes obey
                found[seen[key]] = replace(found[seen[key]], status=status)
    return found


def _node_versions(evidence: Evidence) -> dict[str, tuple[int, ...]]:
    return {n.get("name", ""): version_tuple(n.get("version")) for n in evidence.nodes or []}


def _shard_label(rep: ShardReplica) -> str:
    return f"{rep.collection}/{rep.shard}"


def readonly_cause(node: str, readonly: int, total: int, of: str,
                    version: tuple[int, ...]) -> tuple[str, str, str]:
    """What is READONLY on one node, its likely cause and the fix (H6; OPERATIONS.md §1.3:
    disk pressure makes ALL shards of a node READONLY; no GET exposes the reason)."""
    reset = 'PUT /v1/schema/{c}/shards/{s} {"status":"READY"}'
    if readonly < total:
        return (f"{readonly} of {total} shards{of} on {node} READONLY",
                "likely set by hand (disk pressure would make all of them READONLY)",
                f"if nobody meant it: {reset}; reads work, writes fail until then")
    if version and version < AUTO_RECOVERY:
        recovery = f"then {reset} for each (before v1.36 they stay READONLY)"
    else:
        recovery = "v1.36+ returns them to READY by itself once usage is below the threshold"
    disk = f"free disk on {node} (or raise DISK_USE_READONLY_PERCENTAGE); {recovery}"
    if total > 1:
        return (f"all {total} shards{of} on {node} READONLY",
                f"likely disk pressure on {node} (>= {DISK_READONLY_DEFAULT}% used by default)",
                disk)
    return (f"the only shard{of} on {node} READONLY", f"disk pressure on {node} or set by hand",
            f"if disk: {disk}; if by hand: {reset}")


def check_readonly(evidence: Evidence, found: list[ShardReplica], unseen: str = "") -> Check:
    """No shard replica is READONLY (H6, crit): writes to it fail. ``unseen`` names the
    shards no live node reported, which it could not judge."""
    readonly = [r for r in found if r.status == "READONLY"]
    if not readonly:
        return Check("readonly shards", Status.OK,
                     f"no READONLY shard in {scope(evidence)} "
                     f"({counted(len(found), 'shard replica')}{'; ' + unseen if unseen else ''})")
    totals: dict[str, int] = defaultdict(int)
    for rep in found:
        totals[rep.node] += 1
    per_node: dict[str, int] = defaultdict(int)
    by_shard: dict[str, list[ShardReplica]] = defaultdict(list)
    for rep in readonly:
        per_node[rep.node] += 1
        by_shard[_shard_label(rep)].append(rep)
    of = f" of {evidence.collection}" if evidence.collection else ""
    versions = _node_versions(evidence)
    causes = {node: readonly_cause(node, count, totals[node], of, versions.get(node, ()))
              for node, count in sorted(per_node.items())}
    items = []
    for label, reps in sorted(by_shard.items()):
        nodes = sorted(r.node for r in reps)
        _, cause, hint = causes[nodes[0]]
        items.append(Check(f"shard {label}", Status.CRIT,
                           f"READONLY on {', '.join(nodes)}: {cause}",
                           hint.replace("{c}", reps[0].collection).replace("{s}", reps[0].shard)))
    return Check("readonly shards", Status.CRIT,
                 "; ".join(f"{fact}: {cause}" for fact, cause, _ in causes.values()),
                 "; ".join(dict.fromkeys(hint for _, _, hint in causes.values())), tuple(items))


def check_indexing(evidence: Evidence, found: list[ShardReplica]) -> Check:
    """No async-indexing backlog (H7, warn): queued objects are not vector-searchable yet."""
    busy = [r for r in found if r.status == "INDEXING" or (r.vector_queue or 0) > 0]
    if not busy:
        return Check("indexing", Status.OK, "no vector-index queue")
    total = sum(r.vector_queue or 0 for r in busy)
    largest = max(busy, key=lambda r: r.vector_queue or 0)
    hint = ("async indexing backlog: queued objects are not vector-searchable yet; it drains "
            "by itself (watch it with \\stats --watch); if it keeps growing, check the "
            "node's CPU and ASYNC_INDEXING_BATCH_SIZE")
    items = tuple(Check(f"shard {_shard_label(r)}", Status.WARN,
                        f"{r.status} on {r.node}, vector queue {r.vector_queue or 0:,}", hint)
                  for r in sorted(busy, key=lambda r: (_shard_label(r), r.node)))
    return Check("indexing", Status.WARN,
                 f"{counted(len(busy), 'shard replica')} INDEXING, vector queue "
                 f"{total:,} in total (largest {largest.vector_queue or 0:,}: "
                 f"{_shard_label(largest)} on {largest.node})", hint, items)


def check_loading(evidence: Evidence, found: list[ShardReplica]) -> Check | None:
    """Shards still loading (H8, info): startup or lazy loading; a row only when some are."""
    loading = [r for r in found if r.status in ("LOADING", "LAZY_LOADING")]
    if not loading:
        return None
    hint = "startup or lazy loading: they load by themselves (lazy ones on first use)"
    items = tuple(Check(f"shard {_shard_label(r)}", Status.INFO, f"{r.status} on {r.node}",
                        hint) for r in loading)
    return Check("loading", Status.INFO,
                 f"{counted(len(loading), 'shard replica')} loading: "
                 f"{listed(sorted({_shard_label(r) for r in loading}))}", hint, items)


def _compression_due(cls: dict[str, Any], objects: int, async_indexing: bool) -> str | None:
    """The configured quantizer that should be applied by now, if any (H9; §1.5: PQ/SQ with
    async indexing wait for trainingLimit vectors, RQ compresses from the first one)."""
    for vec in vectors(cls):
        if not vec.compression or vec.index_type == "dynamic":
            continue  # a dynamic index starts flat: its compression comes later
        config = cls.get("vectorIndexConfig") if vec.name is None else \
            ((cls.get("vectorConfig") or {}).get(vec.name) or {}).get("vectorIndexConfig")
        limit = ((config or {}).get(vec.compression) or {}).get("trainingLimit") \
            or PQ_SQ_TRAINING_LIMIT
        if vec.compression in ("rq", "bq") or not async_indexing or objects >= limit:
            return vec.compression
    return None


def check_compression(evidence: Evidence, found: list[ShardReplica]) -> Check:
    """Configured compression is applied on loaded shards (H9, warn)."""
    classes = {c["class"]: c for c in evidence.classes}
    # §1.4: batchStats.queueLength is absent exactly when async indexing is on.
    async_nodes = {n.get("name") for n in evidence.nodes or []
                   if n.get("batchStats") is not None and "queueLength" not in n["batchStats"]}
    configured = sorted(name for name, cls in classes.items()
                        if any(v.compression for v in vectors(cls)))
    items = []
    for rep in found:
        cls = classes.get(rep.collection)
        if cls is None or not rep.loaded or rep.compressed or not rep.objects:
            continue
        due = _compression_due(cls, rep.objects, rep.node in async_nodes)
        if due:
            items.append(Check(f"shard {_shard_label(rep)}", Status.WARN,
                               f"{due} configured, not compressed on {rep.node} "
                               f"({rep.objects:,} objects)",
                               f"look for 'vector compression failed' in {rep.node}'s log"))
    if not items:
        return Check("compression", Status.OK,
                     f"applied where configured ({listed(configured)})" if configured else
                     "no vector compression configured")
    return Check("compression", Status.WARN,
                 f"configured but not applied on {counted(len(items), 'shard replica')}: "
                 f"{listed([i.check.removeprefix('shard ') for i in items])}",
                 "compression did not apply: look for 'vector compression failed' in the "
                 "nodes' logs; \\optimize COLLECTION --analyze", tuple(items))


def check_tenants(evidence: Evidence) -> Check | None:
    """No tenant stuck in FREEZING/UNFREEZING (H13, warn). Read for one collection only:
    for all of them it would cost a request per collection (OPERATIONS.md §4)."""
    if evidence.collection is None:
        multi = sorted(c["class"] for c in evidence.classes if is_multi_tenant(c))
        if not multi:
            return None
        return Check("tenants", Status.INFO,
                     f"tenant states not read for {counted(len(multi), 'multi-tenant collection')}"
                     " (a request each)",
                     f"\\health {multi[0]} checks its tenants")
    if evidence.tenants is None:
        return unreadable("tenants", evidence, "tenants")
    counts: dict[str, int] = defaultdict(int)
    for tenant in evidence.tenants:
        counts[documented_status(tenant.get("activityStatus"))] += 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    stuck = sorted((t.get("name", ""), t.get("activityStatus")) for t in evidence.tenants
                   if t.get("activityStatus") in TRANSITIONAL)
    if not stuck:
        return Check("tenants", Status.OK, f"{len(evidence.tenants)} tenants: {summary}"
                     if evidence.tenants else "no tenants")
    hint = ("an offload or reload is in progress or stuck (Weaviate does not say since when): "
            "if it stays, check the offload module (offload-s3) and the nodes' logs; "
            f"\\tenants {evidence.collection} lists them")
    items = tuple(Check(f"tenant {evidence.collection}/{name}", Status.WARN, status, hint)
                  for name, status in stuck)
    return Check("tenants", Status.WARN,
                 f"{len(stuck)} in transition: {listed([f'{n} {s}' for n, s in stuck])} "
                 f"(of {len(evidence.tenants)}: {summary})", hint, items)
