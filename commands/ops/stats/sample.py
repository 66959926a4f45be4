"""``\\stats``: samples of the cluster at a bounded cost, growth between samples, and rows.

What each sample asks for (OPERATIONS.md §4, the polling tiers):

* every sample: ``GET /v1/nodes`` minimal (status, version, mode, batch rate and queue:
  the cheapest cluster-wide signal), and ``GET /v1/nodes/{c}?output=verbose`` for the
  collections shown only (at most ``limit`` of them);
* every 60 s: ``GET /v1/schema`` (which collections match), the tenants of the
  multi-tenant collections shown, and ``GET /v1/nodes?output=verbose`` (the full scan of
  every shard) only when more collections match than are shown, to pick the largest;
* every ``max(interval, 5 s)``: the Prometheus endpoint, when one is known (§1.9).

A one-shot sample runs the same plan inline (errors propagate), each request within
``ONE_SHOT_TIMEOUT``; when more collections match than are shown it reads their rows from
the one full verbose answer instead. A late answer is reported as late, naming its request,
never as an unreachable server.
Growth is ``(objects now - objects before) / seconds`` between two answers of the same
source, so a one-shot sample has none. Counts from ``/v1/nodes`` lag writes until a
memtable flushes (§1.5), so growth is coarse; the nodes' ``batchStats.ratePerSecond``
and the metrics' import rate are the finer signals (§4).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from commands.api.client import RestClient
from commands.errors import TimedOut
from commands.ops import cluster, tenants
from commands.ops.collections import is_multi_tenant, matches
from commands.ops.stats.metrics import (
    MetricsSource,
    MetricsSummary,
    Scrape,
    combine,
    rounded,
    window,
)
from commands.ops.stats.poll import Poller, Stale

SLOW_EVERY = 60.0  # schema, tenants, full verbose: tier 3 (§4)
ONE_SHOT_TIMEOUT = 10.0
"""Seconds a one-shot sample waits for each answer: a node slower than this delays every
``/v1/nodes`` answer, up to the server's 30 s peer deadline (OPERATIONS.md §1.2)."""
METRICS_EVERY = 5.0  # a scrape costs in proportion to the series (§4: 5-15 s)
WORKERS = 8  # schema and minimal nodes must not queue behind slow verbose calls
COLUMNS = {
    "collection": ("collection", "objects", "growth_per_s", "shards", "tenants", "status",
                   "vector_queue", "objects_per_node"),
    "node": ("collection", "node", "objects", "growth_per_s", "shards", "status",
             "vector_queue"),
    "shard": ("collection", "shard", "objects", "growth_per_s", "status", "nodes",
              "vector_queue"),
    "tenant": ("collection", "tenant", "status", "objects", "growth_per_s", "vector_queue"),
}
ROW_UNITS = {"node": "collection and node", "shard": "shard", "tenant": "tenant"}
REACHABLE = ("HEALTHY", "UNHEALTHY")
NODES, SCHEMA, FULL = "/v1/nodes", "/v1/schema", "/v1/nodes?output=verbose"


@dataclass(frozen=True)
class StatsOptions:
    """What to sample: ``interval`` None is a one-shot sample; ``limit`` 0 shows every row."""

    patterns: tuple[str, ...] = ()
    by: str = "collection"
    limit: int = 20
    interval: float | None = None
    metrics_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Frame:
    """One sample as the user sees it: rows, nodes, metrics, and what is stale."""

    number: int
    time: str
    interval_s: float | None
    by: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    metrics: MetricsSummary | None
    stale: list[Stale]
    matched: int
    notes: list[str] = field(default_factory=list)
    nothing_matches: str | None = None
    """Why no collection is watched (also among ``notes``): a dashboard says it at the top."""

    def to_data(self) -> dict[str, Any]:
        """The machine form: one NDJSON line of ``--watch``, or the one-shot JSON."""
        return {"sample": self.number, "time": self.time, "interval_s": self.interval_s,
                "by": self.by, "rows": self.rows, "nodes": self.nodes,
                "metrics": self.metrics.to_data() if self.metrics else None,
                "stale": [s.to_data() for s in self.stale], "matched": self.matched,
                "notes": self.notes}


class Growth:
    """Objects per second per row, between two answers of different age."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, ...], tuple[float, int | None, float | None]] = {}

    def rate(self, key: tuple[str, ...], at: float | None, objects: int | None) -> float | None:
        """The growth of ``key`` whose count ``objects`` arrived at ``at``; an answer seen
        before keeps the rate it had (a stale sample does not reset growth to nothing)."""
        if at is None:
            return None
        before = self._seen.get(key)
        if before is not None and at <= before[0]:
            return before[2]
        rate = None
        if before is not None and before[1] is not None and objects is not None:
            rate = round((objects - before[1]) / (at - before[0]), 2)
        self._seen[key] = (at, objects, rate)
        return rate


class Sampler:
    """Takes samples of one cluster; keep it across the samples of a ``--watch``."""

    def __init__(self, api: RestClient, options: StatsOptions,
                 clock: Callable[[], float] = time.monotonic,
                 metrics_every: float = METRICS_EVERY) -> None:
        self.api = api
        self.options = options
        self.clock = clock
        watch = options.interval is not None
        # The client gives up before the next redraw is due (§4: timeout below the interval).
        self.timeout = max(0.05, 0.9 * options.interval) if watch else ONE_SHOT_TIMEOUT
        self.poller = Poller(WORKERS if watch else None, clock)
        self.metrics = [MetricsSource(url, timeout=self.timeout)
                        for url in dict.fromkeys(options.metrics_urls)]
        self.metrics_every = max(options.interval or 0.0, metrics_every)
        self.growth = Growth()
        self.number = 0
        self.limit = options.limit
        """Rows shown (0: all); a dashboard lowers it to what fits on the screen."""
        self._scrapes: dict[str, list[Scrape]] = {}  # per endpoint: the last two

    def close(self) -> None:
        """Release threads and the metrics connection."""
        self.poller.close()
        for source in self.metrics:
            source.close()

    def _get(self, path: str, **params: Any) -> Any:
        """``GET`` once, within the sampler's timeout; a late answer names its request."""
        try:
            return self.api.request("GET", path, params=params, timeout=self.timeout,
                                    retries=0).json()
        except TimedOut as exc:
            # §1.2: the answering node waits for every peer, so one slow node delays them all
            why = " (a slow node delays every /v1/nodes answer)" if path.startswith(
                "/v1/nodes") else ""
            raise TimedOut(f"{path} did not answer within {exc.seconds:g} s{why}", exc.hint,
                           exc.seconds) from None

    def sample(self) -> Frame:
        """One sample: at most ``0.9 * interval`` long in a watch, whatever the cluster does."""
        self.number += 1
        poller, opts = self.poller, self.options
        poller.begin()
        deadline = self.clock() + 0.9 * (opts.interval or 0.0)
        poller.want(SCHEMA, lambda: self._get(SCHEMA).get("classes") or [], SLOW_EVERY)
        poller.want(NODES, lambda: self._get("/v1/nodes", output="minimal").get("nodes") or [])
        for source in self.metrics:
            poller.want(f"metrics {source.url}", source.scrape, self.metrics_every,
                        optional=True)
        poller.settle(deadline)
        classes = {c["class"]: c for c in poller.get(SCHEMA) or []
                   if matches(c["class"], opts.patterns)}
        # --by tenant ranks the multi-tenant collections only: the others have no tenant rows
        ranked = {n: c for n, c in classes.items() if opts.by != "tenant" or is_multi_tenant(c)}
        shown = self._choose(ranked, deadline)
        full = poller.get(FULL) if opts.interval is None else None
        for name in shown:
            if full is None:
                poller.want(f"/v1/nodes/{name}", lambda n=name: self._get(
                    f"/v1/nodes/{n}", output="verbose").get("nodes") or [])
            if is_multi_tenant(classes[name]) and opts.by in ("collection", "tenant"):
                poller.want(f"/v1/schema/{name}/tenants", lambda n=name: self._get(
                    f"/v1/schema/{n}/tenants") or [], SLOW_EVERY)
        poller.settle(deadline)
        if any(s.key.startswith("/v1/nodes/") and "not found" in (s.error or "")
               for s in poller.stale()):
            poller.forget(SCHEMA)  # a collection was dropped: the next sample forgets it too
        return self._frame(classes, shown, len(ranked))

    def _choose(self, classes: dict[str, dict[str, Any]], deadline: float) -> list[str]:
        """The collections shown: all that match, or the ``limit`` largest (from the full
        verbose answer, asked for only then)."""
        limit = self.limit
        if not limit or len(classes) <= limit:
            return sorted(classes)
        self.poller.want(FULL, lambda: self._get("/v1/nodes", output="verbose").get(
            "nodes") or [], SLOW_EVERY)
        self.poller.settle(deadline)
        counts = cluster.collection_counts(self.poller.get(FULL) or [])
        return sorted(classes, key=lambda c: (-counts.get(c, 0), c))[:limit]

    def _nodes_of(self, name: str) -> tuple[list[dict[str, Any]], float | None]:
        """The verbose node answer holding ``name``'s shards, and when it arrived."""
        for key in (f"/v1/nodes/{name}", FULL):
            if self.poller.get(key) is not None:
                return self.poller.get(key), self.poller.at(key)
        return [], None

    def _frame(self, classes: dict[str, dict[str, Any]], shown: list[str],
               ranked: int) -> Frame:
        """The frame of ``shown``, the largest of the ``ranked`` collections of ``classes``."""
        opts = self.options
        rows: list[dict[str, Any]] = []
        notes: list[str] = []
        missing: set[str] = set()
        for name in shown:
            nodes, at = self._nodes_of(name)
            missing |= {n.get("name", "") for n in nodes if n.get("status") not in REACHABLE}
            tenant_list = self.poller.get(f"/v1/schema/{name}/tenants")
            rows += ROWS[opts.by](name, classes[name], nodes, tenant_list, at, self.growth)
        rows.sort(key=lambda r: (-(r["objects"] or 0), *(str(v) for v in list(r.values())[:2])))
        total = len(rows)
        if self.limit:
            rows = rows[:self.limit]
        shown_note = _shown_note(opts.by, len(rows), total, len(shown), ranked)
        if shown_note:
            notes.append(shown_note)
        nothing = None
        if not classes and self.poller.get(SCHEMA) is not None:
            nothing = ("no collection matches " + " and ".join(repr(p) for p in opts.patterns)
                       if opts.patterns else "no collections")
            notes.append(nothing)
        elif opts.by == "tenant" and not any(is_multi_tenant(classes[n]) for n in shown):
            notes.append("no multi-tenant collection here: --by tenant has no rows")
        if missing:
            notes.append(f"not counted: the shards on {', '.join(sorted(missing))} "
                         "(unreachable in /v1/nodes)")
        if self.number == 1 and opts.interval is None:
            notes.append("growth needs two samples: \\stats --watch shows it")
        summary = self._metrics()
        if summary is not None and opts.by == "collection":
            for row in rows:
                row["query_ms"] = rounded(summary.latency_by_collection.get(row["collection"]))
        columns = COLUMNS[opts.by] + (("query_ms",) if summary and opts.by == "collection"
                                      else ())
        return Frame(number=self.number, time=datetime.now(UTC).isoformat(timespec="milliseconds"),
                     interval_s=opts.interval, by=opts.by, columns=columns, rows=rows,
                     nodes=[_node_row(n) for n in self.poller.get(NODES) or []],
                     metrics=summary, stale=self.poller.stale(), matched=len(classes),
                     notes=notes, nothing_matches=nothing)

    def _metrics(self) -> MetricsSummary | None:
        """The endpoints' figures over each one's last two scrapes (a late endpoint counts
        with its last window)."""
        for source in self.metrics:
            scrape = self.poller.get(f"metrics {source.url}")
            known = self._scrapes.setdefault(source.url, [])
            if scrape is not None and (not known or scrape.at > known[-1].at):
                self._scrapes[source.url] = [*known[-1:], scrape]
        windows = [window(pair[-1], pair[0] if len(pair) == 2 else None)
                   for pair in self._scrapes.values() if pair]
        if not windows:
            return None
        return combine(tuple(s.url for s in self.metrics), windows)


def _shown_note(by: str, rows: int, total: int, collections: int, matched: int) -> str | None:
    """What the rows are when some are left out: the largest collections, or (``--by`` node,
    shard, tenant) the largest rows of the largest collections."""
    if not total or (rows == total and collections == matched):
        return None
    largest = "the largest" if collections == 1 else f"the {collections} largest"
    kind = "multi-tenant collections" if by == "tenant" else "collections"
    if by == "collection":
        what = f"{largest} of {matched} matching collections"
    else:
        what = (f"{rows} of {total}" if rows < total else f"{total}") + \
            f" rows (one per {ROW_UNITS[by]}, the largest first)"
        if collections < matched:
            what += f", from {largest} of {matched} matching {kind}"
    return what + "; narrow with PATTERN, or --limit 0 for all"


def _node_row(node: dict[str, Any]) -> dict[str, Any]:
    batch = node.get("batchStats") or {}
    return {"node": node.get("name"), "status": node.get("status"),
            "version": node.get("version"), "mode": node.get("operationalMode"),
            # §1.4: queueLength is absent when async indexing is on
            "batch_rate": batch.get("ratePerSecond"), "batch_queue": batch.get("queueLength")}


def _statuses(replicas: list[cluster.ShardReplica]) -> str | None:
    """``READY`` or ``READY 2, READONLY 1``: the shard statuses of some replicas."""
    counts = Counter(r.status or "?" for r in replicas)
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{s} {n}" for s, n in sorted(counts.items())) or None


def _replicas(name: str, nodes: list[dict[str, Any]]) -> list[cluster.ShardReplica]:
    return [r for r in cluster.replicas(nodes) if r.collection == name]


def _grouped(name: str, nodes: list[dict[str, Any]],
             by: str) -> dict[str, list[cluster.ShardReplica]]:
    """The collection's replicas by ``node`` or by ``shard``, sorted by that name."""
    groups: dict[str, list[cluster.ShardReplica]] = defaultdict(list)
    for rep in _replicas(name, nodes):
        groups[getattr(rep, by)].append(rep)
    return dict(sorted(groups.items()))


def _shard_objects(name: str, nodes: list[dict[str, Any]]) -> dict[str, int | None]:
    return {shard: n for (c, shard), n in cluster.shard_counts(nodes).items() if c == name}


def _queue(replicas: list[cluster.ShardReplica]) -> int:
    return sum(r.vector_queue or 0 for r in replicas)


def collection_rows(name: str, cls: dict[str, Any], nodes: list[dict[str, Any]],
                    tenant_list: list[dict[str, Any]] | None, at: float | None,
                    growth: Growth) -> list[dict[str, Any]]:
    """One row for the collection: objects, growth, shards, tenants by status, queue, per node."""
    reps = _replicas(name, nodes)
    per_shard = _shard_objects(name, nodes)
    objects = sum(n or 0 for n in per_shard.values()) if at is not None else None
    per_node: dict[str, int] = defaultdict(int)
    for rep in reps:
        per_node[rep.node] += rep.objects or 0
    sharding = cls.get("shardingConfig") or {}
    mt = is_multi_tenant(cls)
    return [{"collection": name, "objects": objects,
             "growth_per_s": growth.rate((name,), at, objects),
             "shards": len(per_shard) if mt else sharding.get("actualCount") or sharding.get(
                 "desiredCount"),
             "tenants": tenants.status_counts(tenant_list) if tenant_list is not None else None,
             "status": _statuses(reps), "vector_queue": _queue(reps) if at is not None else None,
             "objects_per_node": dict(sorted(per_node.items()))}]


def node_rows(name: str, cls: dict[str, Any], nodes: list[dict[str, Any]],
              tenant_list: list[dict[str, Any]] | None, at: float | None,
              growth: Growth) -> list[dict[str, Any]]:
    """One row per node holding a replica of the collection."""
    rows = []
    for node, reps in _grouped(name, nodes, "node").items():
        objects = sum(r.objects or 0 for r in reps)
        rows.append({"collection": name, "node": node, "objects": objects,
                     "growth_per_s": growth.rate((name, node), at, objects),
                     "shards": len(reps), "status": _statuses(reps),
                     "vector_queue": _queue(reps)})
    return rows


def shard_rows(name: str, cls: dict[str, Any], nodes: list[dict[str, Any]],
               tenant_list: list[dict[str, Any]] | None, at: float | None,
               growth: Growth) -> list[dict[str, Any]]:
    """One row per loaded shard (a tenant, for a multi-tenant collection)."""
    per_shard = _shard_objects(name, nodes)
    groups = _grouped(name, nodes, "shard")
    return [{"collection": name, "shard": shard, "objects": per_shard.get(shard),
             "growth_per_s": growth.rate((name, shard), at, per_shard.get(shard)),
             "status": _statuses(reps), "nodes": sorted(r.node for r in reps),
             "vector_queue": _queue(reps)} for shard, reps in groups.items()]


def tenant_rows(name: str, cls: dict[str, Any], nodes: list[dict[str, Any]],
                tenant_list: list[dict[str, Any]] | None, at: float | None,
                growth: Growth) -> list[dict[str, Any]]:
    """One row per tenant of a multi-tenant collection (inactive ones have no count: §1.5)."""
    if not is_multi_tenant(cls):
        return []
    per_shard = _shard_objects(name, nodes)
    queues = {shard: _queue(reps) for shard, reps in _grouped(name, nodes, "shard").items()}
    rows = []
    for tenant in sorted(tenant_list or [], key=lambda t: t.get("name", "")):
        tname = tenant.get("name", "")
        objects = per_shard.get(tname)
        rows.append({"collection": name, "tenant": tname,
                     "status": tenants.documented_status(tenant.get("activityStatus")),
                     "objects": objects, "growth_per_s": growth.rate((name, tname), at, objects),
                     "vector_queue": queues.get(tname)})
    return rows


ROWS = {"collection": collection_rows, "node": node_rows, "shard": shard_rows,
        "tenant": tenant_rows}
