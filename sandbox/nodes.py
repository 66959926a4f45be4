"""Per-node health settings of the emulated cluster, set through ``/__sandbox/nodes/{node}``.

Every node starts HEALTHY, ReadWrite, on the sandbox's version, with a fast, empty disk
and async indexing off. The knobs change what the nodes report, as real Weaviate
reports them (OPERATIONS.md §1.2-§1.4):

* ``status``: how the node answers its peers. UNAVAILABLE and TIMEOUT nodes show up in
  the fan-out answers (``/v1/nodes``, ``/v1/cluster/statistics``) as name and status only;
  a GONE node was declared dead by memberlist and is left out of them altogether, while
  RAFT's configuration and shard ownership still name it. A status set to TIMEOUT is
  reported at once; ``latency_ms`` past the deadline makes a node time out for real.
* ``operational_mode``: reported as ``operationalMode``; the answering node's mode refuses
  requests with 503 as ``OPERATIONAL_MODE`` does (RB§3.4).
* ``latency_ms``: the node answers the fan-out this slowly; peers past the server's
  ``internal_timeout_ms`` (``MINIMUM_INTERNAL_TIMEOUT``, 30 s) are reported TIMEOUT
  after the deadline.
* ``disk_used_percent``: at or above 90 (``DISK_USE_READONLY_PERCENTAGE``) the resource
  scanner makes every loaded shard replica on the node READONLY; below it again, from
  v1.36.0 on, those replicas (and only those) return to READY (§1.3).
* ``vector_queue``: async indexing is on for the node and each of its shards has this many
  vectors queued (§1.4).

The node answering REST requests is the first node, by name, that is up (HEALTHY or
UNHEALTHY).
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.store import Collection, Database

HEALTHY, UNHEALTHY, UNAVAILABLE, TIMEOUT, GONE = (
    "HEALTHY", "UNHEALTHY", "UNAVAILABLE", "TIMEOUT", "GONE")
STATUSES = (HEALTHY, UNHEALTHY, UNAVAILABLE, TIMEOUT, GONE)
UP = (HEALTHY, UNHEALTHY)
MODES = ("ReadWrite", "ReadOnly", "WriteOnly", "ScaleOut")
# mode -> (whitelisted /v1 namespaces, whether it blocks writes (else reads), message)
# [usecases/config/operational_mode.go]
MODE_RULES = {
    "ReadOnly": ({"backups", "graphql", "mcp"}, True,
                 "read-only mode is enabled temporally at the config level: write operations are "
                 "not allowed during this time"),
    "ScaleOut": ({"backups", "graphql", "replication", "mcp"}, True,
                 "scale-out mode is enabled temporally at the config level: write operations "
                 "(besides /replication) are not allowed during this time"),
    "WriteOnly": ({"backups", "cluster", "nodes", "replication", ".well-known", "meta", "mcp"},
                  False, "write-only mode is enabled temporally at the config level: read "
                         "operations are not allowed during this time"),
}
DISK_READONLY_PERCENT = 90.0  # DISK_USE_READONLY_PERCENTAGE default, OPERATIONS.md §1.3
AUTO_RECOVERY = (1, 36, 0)  # resourceUseRecovery, OPERATIONS.md §1.3
DEFAULT_INTERNAL_TIMEOUT_MS = 30_000.0  # MINIMUM_INTERNAL_TIMEOUT, OPERATIONS.md §1.2
_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


class SettingError(ValueError):
    """A knob value the sandbox refuses (answered 422)."""


def _number(name: str, value: Any, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingError(f"{name} must be a number")
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise SettingError(f"{name} must be {bound}")
    return float(value)


@dataclass
class NodeSettings:
    """What one node reports about itself; ``version`` None means the sandbox's version."""

    status: str = HEALTHY
    version: str | None = None
    operational_mode: str = "ReadWrite"
    latency_ms: float = 0.0
    disk_used_percent: float = 0.0
    vector_queue: int | None = None

    def merged(self, body: dict[str, Any]) -> NodeSettings:
        """A copy with a ``PUT /__sandbox/nodes/{node}`` body applied (``SettingError``)."""
        unknown = sorted(set(body) - set(asdict(self)))
        if unknown:
            raise SettingError(f"unknown node setting {unknown[0]!r}; known: "
                               f"{', '.join(asdict(self))}")
        new = NodeSettings(**asdict(self))
        if "status" in body:
            if body["status"] not in STATUSES:
                raise SettingError(f"status must be one of {', '.join(STATUSES)}")
            new.status = body["status"]
        if "version" in body:
            version = body["version"]
            if version is not None and not (isinstance(version, str) and _VERSION.match(version)):
                raise SettingError("version must look like 1.38.2 (or be null)")
            new.version = version
        if "operational_mode" in body:
            if body["operational_mode"] not in MODES:
                raise SettingError(f"operational_mode must be one of {', '.join(MODES)}")
            new.operational_mode = body["operational_mode"]
        if "latency_ms" in body:
            new.latency_ms = _number("latency_ms", body["latency_ms"], 0)
        if "disk_used_percent" in body:
            new.disk_used_percent = _number("disk_used_percent", body["disk_used_percent"],
                                            0, 100)
        if "vector_queue" in body:
            queue = body["vector_queue"]
            if queue is not None and (isinstance(queue, bool) or not isinstance(queue, int)
                                      or queue < 0):
                raise SettingError("vector_queue must be a non-negative integer (or null: "
                                   "async indexing off)")
            new.vector_queue = queue
        return new

    @property
    def under_pressure(self) -> bool:
        return self.disk_used_percent >= DISK_READONLY_PERCENT


@dataclass
class BatchRate:
    """``batchStats.ratePerSecond`` of one node: the objects its shards stored in the last
    second, recomputed only when objects arrive. Weaviate's first batch worker likewise
    stores a new rate only while it processes jobs, so the value keeps its last reading
    when imports stop (adapters/repos/db/repo.go ``batchWorker``); it counts jobs per
    second times the worker count, which this approximates by the real count."""

    rate: int = 0
    _recent: deque[tuple[float, int]] = field(default_factory=deque)

    def add(self, objects: int) -> None:
        now = time.monotonic()
        recent = self._recent
        recent.append((now, objects))
        while recent[0][0] < now - 1.0:
            recent.popleft()
        self.rate = sum(n for _, n in recent)


@dataclass
class Cluster:
    """The settings of every node and the peer deadline of the fan-out requests."""

    names: list[str]
    internal_timeout_ms: float = DEFAULT_INTERNAL_TIMEOUT_MS
    nodes: dict[str, NodeSettings] = field(default_factory=dict)
    rates: dict[str, BatchRate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.names:
            self.nodes.setdefault(name, NodeSettings())
            self.rates.setdefault(name, BatchRate())

    def answering(self) -> str | None:
        """The node serving REST requests: the first one up, by name; None when all are down."""
        return next((n for n in sorted(self.names) if self.nodes[n].status in UP), None)

    def version(self, node: str, default: str) -> str:
        """The version a node reports (``default``: the sandbox's)."""
        return self.nodes[node].version or default

    def mode_refusal(self, method: str, path: str) -> str | None:
        """The 503 message of the answering node's operational mode for this request, or None
        (RB§3.4; middlewares.go ``addOperationalMode``; paths outside ``/v1`` always pass)."""
        me = self.answering()
        mode = self.nodes[me].operational_mode if me else "ReadWrite"
        parts = path.split("/")
        if mode == "ReadWrite" or len(parts) < 3 or parts[1] != "v1":
            return None
        reading = method in ("GET", "HEAD", "OPTIONS", "TRACE")
        allowed, writes, message = MODE_RULES[mode]
        if parts[2] in allowed or reading == writes:
            return None
        return message

    def fan_out(self) -> tuple[float, dict[str, str]]:
        """What asking every peer costs: the seconds the answering node waits, and each
        node's status as reported (TIMEOUT for peers slower than the deadline)."""
        me = self.answering()
        deadline = self.internal_timeout_ms
        wait = 0.0
        statuses = {}
        for name in sorted(self.names):
            settings = self.nodes[name]
            status = settings.status
            if status in UP and settings.latency_ms:
                if name != me and settings.latency_ms >= deadline:
                    status, waited = TIMEOUT, deadline
                else:
                    waited = settings.latency_ms  # the local status has no deadline
                wait = max(wait, waited)
            statuses[name] = status
        return wait / 1000, statuses

    def configure(self, body: dict[str, Any]) -> None:
        """Apply a ``PUT /__sandbox/cluster`` body (``SettingError``)."""
        unknown = sorted(set(body) - {"internal_timeout_ms"})
        if unknown:
            raise SettingError(f"unknown cluster setting {unknown[0]!r}; known: "
                               "internal_timeout_ms")
        if "internal_timeout_ms" in body:
            timeout = _number("internal_timeout_ms", body["internal_timeout_ms"], 1)
            self.internal_timeout_ms = timeout

    def set_node(self, db: Database, name: str, body: dict[str, Any], version: str) -> None:
        """Apply a ``PUT /__sandbox/nodes/{node}`` body and let the resource scanner react."""
        old = self.nodes[name]
        new = old.merged(body)
        self.nodes[name] = new
        if new.under_pressure and not old.under_pressure:
            with db.lock:
                for col in db.collections.values():
                    col.mark_pressure(name)
        elif old.under_pressure and not new.under_pressure and \
                version_tuple(self.version(name, version)) >= AUTO_RECOVERY:
            with db.lock:
                for col in db.collections.values():
                    col.clear_pressure(name)

    def to_json(self, version: str) -> dict[str, Any]:
        """Every node's settings, with the version each one reports."""
        return {name: {**asdict(s), "version": s.version or version}
                for name, s in sorted(self.nodes.items())}


def version_tuple(version: str) -> tuple[int, ...]:
    """``"1.32.9"`` -> ``(1, 32, 9)``; suffixes such as ``-dev`` are ignored."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("-")[0])[:3])


def replica_status(col: Collection, shard: str, node: str, queue: int | None) -> str:
    """A replica's status as ``GetStatus`` reports it: a READY shard with vectors queued for
    async indexing is INDEXING (OPERATIONS.md §1.3)."""
    status = col.replica_status(shard, node)
    return "INDEXING" if status == "READY" and queue else status
