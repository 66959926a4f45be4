"""``\\optimize``: measure one collection with a few bounded requests and estimate memory.

``measure`` makes at most five requests, however large the collection: the class, ``/v1/meta``,
``/v1/nodes/{c}?output=verbose`` (every node answers, so it also gives the node count),
the tenants of a multi-tenant class, and one page of sample objects with their vectors
(the only place vector dimensions are visible, OPERATIONS.md §2.0). The rules that turn
these measurements into recommendations live in ``optimize_rules``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.ops import cluster, collections, tenants
from commands.ops.class_paths import assignment_text
from commands.ops.schema import get_class
from commands.ops.versions import version_tuple

SAMPLE_OBJECTS = 20
"""Objects read (with vectors) for the dimensions and the id-like text check."""

SEVERITIES = ("high", "medium", "low", "info")
APPLIES = ("in-place", "rest-call", "copy", "server-env")
"""How a change is made: ``in-place`` by ``--apply`` (a class PUT or a shard status PUT),
``rest-call`` by another REST call the user sends, ``copy`` by ``\\migrate --as``, and
``server-env`` by a server setting."""


@dataclass(frozen=True, slots=True)
class VectorSpace:
    """One vector index of the class: the class-level one (``name`` None) or a named vector."""

    name: str | None
    index_type: str | None
    config: dict[str, Any]
    compression: str | None
    dimensions: int | None

    @property
    def prefix(self) -> str:
        """The class path of this index's settings (``vectorIndexConfig`` or the named one)."""
        return "vectorIndexConfig" if self.name is None else \
            f"vectorConfig.{self.name}.vectorIndexConfig"

    @property
    def type_path(self) -> str:
        return "vectorIndexType" if self.name is None else \
            f"vectorConfig.{self.name}.vectorIndexType"

    @property
    def label(self) -> str:
        return "the vector index" if self.name is None else f"named vector {self.name}"


@dataclass(frozen=True)
class Measurements:
    """Everything ``\\optimize`` measured about one collection."""

    cls: dict[str, Any]
    version: str
    modules: tuple[str, ...]
    nodes: tuple[str, ...]
    replicas: tuple[cluster.ShardReplica, ...]
    tenant_status: dict[str, str] | None
    vectors: tuple[VectorSpace, ...]
    sample: tuple[dict[str, Any], ...]
    node_memory: int | None = None

    @property
    def shard_objects(self) -> dict[str, int]:
        """Approximate objects per loaded shard: the largest count over its replicas."""
        counts: dict[str, int] = {}
        for rep in self.replicas:
            if rep.objects is not None:
                counts[rep.shard] = max(counts.get(rep.shard, 0), rep.objects)
        return counts

    @property
    def name(self) -> str:
        return self.cls["class"]

    @property
    def multi_tenant(self) -> bool:
        return collections.is_multi_tenant(self.cls)

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return version_tuple(self.version)

    def at_least(self, floor: tuple[int, int]) -> bool:
        """True when the server is at least version ``floor`` (OPERATIONS.md §3.3)."""
        return self.version_tuple[:2] >= floor

    @property
    def objects(self) -> int:
        """Approximate objects over the loaded shards (the largest replica count of each)."""
        return sum(self.shard_objects.values())

    @property
    def largest_shard(self) -> int:
        return max(self.shard_objects.values(), default=0)

    @property
    def replication_factor(self) -> int:
        return int((self.cls.get("replicationConfig") or {}).get("factor") or 1)

    def node_objects(self) -> dict[str, int]:
        """Objects (so vectors per index) each node holds over its shard replicas."""
        out = dict.fromkeys(self.nodes, 0)
        for rep in self.replicas:
            out[rep.node] = out.get(rep.node, 0) + (rep.objects or 0)
        return out

    def busiest_node(self) -> tuple[str, int]:
        """The node holding the most objects over its replicas, and that number."""
        nodes = self.node_objects()
        return max(nodes.items(), key=lambda kv: (kv[1], kv[0])) if nodes else ("-", 0)

    def index_bytes(self, space: VectorSpace, quantizer: str | None = None) -> int | None:
        """Memory of an HNSW index on the busiest node (§2.1); None when not estimable."""
        if space.index_type != "hnsw" or not space.dimensions:
            return None
        connections = int(space.config.get("maxConnections") or 32)
        return hnsw_bytes(self.busiest_node()[1], space.dimensions, connections, quantizer)

    def readonly_shards(self) -> dict[str, list[str]]:
        """READONLY shards and the nodes reporting them so (OPERATIONS.md §1.3)."""
        out: dict[str, list[str]] = defaultdict(list)
        for rep in self.replicas:
            if rep.status == "READONLY":
                out[rep.shard].append(rep.node)
        return dict(sorted(out.items()))


def _dimensions(sample: list[dict[str, Any]]) -> dict[str | None, int]:
    """Dimensions per vector name from sampled objects (``None``: the class-level vector).

    Multi-vectors (a list of lists) are left out: their memory depends on the token count.
    """
    out: dict[str | None, int] = {}
    for obj in sample:
        spaces: list[tuple[str | None, Any]] = [(None, obj.get("vector"))]
        spaces += list((obj.get("vectors") or {}).items())
        for name, vec in spaces:
            if isinstance(vec, list) and vec and all(isinstance(x, int | float) for x in vec[:8]):
                out.setdefault(name, len(vec))
    return out


def _vector_spaces(cls: dict[str, Any], dims: dict[str | None, int]) -> tuple[VectorSpace, ...]:
    spaces = []
    for info in collections.vectors(cls):
        config = (cls.get("vectorIndexConfig") if info.name is None else
                  ((cls.get("vectorConfig") or {}).get(info.name) or {}).get("vectorIndexConfig"))
        # a legacy single vector may be reported under "default" by a one-named-vector class
        found = dims.get(info.name) or (dims.get("default") if info.name is None else None)
        spaces.append(VectorSpace(info.name, info.index_type, config or {}, info.compression,
                                  found))
    return tuple(spaces)


def _sample(api: RestClient, name: str, tenant: str | None) -> list[dict[str, Any]]:
    body = api.get_json("/v1/objects", **{"class": name, "limit": SAMPLE_OBJECTS,
                                          "include": "vector", "tenant": tenant})
    return body.get("objects") or []


def measure(api: RestClient, collection: str, node_memory: int | None = None) -> Measurements:
    """Measure ``collection`` (an alias resolves) in at most five requests."""
    cls = get_class(api, collection)
    name = cls["class"]
    meta = api.get_json("/v1/meta")
    node_list = cluster.fetch_nodes(api, name)
    replicas = tuple(cluster.replicas(node_list))
    status = None
    if collections.is_multi_tenant(cls):
        status = {t.get("name", ""): tenants.documented_status(t.get("activityStatus"))
                  for t in tenants.fetch_tenants(api, name)}
    counts = cluster.shard_counts(node_list)
    loaded = [(count or 0, shard) for (_c, shard), count in counts.items()]
    sample: list[dict[str, Any]] = []
    if loaded and max(loaded)[0] > 0:
        tenant = max(loaded)[1] if status is not None else None
        sample = _sample(api, name, tenant)
    return Measurements(
        cls=cls, version=str(meta.get("version") or ""),
        modules=tuple(sorted(meta.get("modules") or {})),
        nodes=tuple(sorted(n.get("name", "") for n in node_list)), replicas=replicas,
        tenant_status=status, vectors=_vector_spaces(cls, _dimensions(sample)),
        sample=tuple(o.get("properties") or {} for o in sample), node_memory=node_memory)


@dataclass(frozen=True)
class Recommendation:
    """One recommendation. ``assignments`` are class settings (``PATH``, value) changed in
    place or on the copy; ``property_edits`` (property, key, value) can only be copied or
    reindexed; ``shards`` are returned to READY; ``impact`` orders within a severity."""

    rule: str
    operations_rule: str
    severity: str
    reason: str
    change: str
    applies: str
    effect: str
    source: str
    assignments: tuple[tuple[str, Any], ...] = ()
    property_edits: tuple[tuple[str, str, Any], ...] = ()
    shards: tuple[str, ...] = ()
    impact: float = 0.0


Rule = Callable[[Measurements], list[Recommendation]]


def setting(assignments: tuple[tuple[str, Any], ...], applies: str,
            **fields: Any) -> Recommendation:
    """A recommendation that changes class settings; its ``change`` is their PATH=VALUE text."""
    text = " ".join(assignment_text(p, v) for p, v in assignments)
    return Recommendation(change=text, applies=applies, assignments=assignments, **fields)


# --- memory (OPERATIONS.md §2.1) --------------------------------------------------------------

def _roundup64(dims: int) -> int:
    return -(-dims // 64) * 64


def pq_segments(dims: int) -> int:
    """Weaviate's default PQ segment count for ``dims`` (OPERATIONS.md §2.1)."""
    for minimum, divisor in ((2048, 8), (768, 6), (256, 4)):
        if dims >= minimum and dims % divisor == 0:
            return dims // divisor
    return dims // 2 if dims % 2 == 0 else dims


def vector_bytes(dims: int, quantizer: str | None) -> int:
    """Bytes one vector takes in memory, full precision or with ``quantizer`` (§2.1)."""
    return {
        None: dims * 4,
        "rq8": _roundup64(dims) + 16,
        "rq1": max(_roundup64(dims), 256) // 8 + 8,
        "bq": math.ceil(dims / 8),
        "sq": dims,
        "pq": pq_segments(dims),
    }[quantizer]


def hnsw_bytes(vectors: int, dims: int, max_connections: int,
               quantizer: str | None = None) -> int:
    """N × (vector bytes + maxConnections × 10 B): vectors plus graph, without GC overhead
    (OPERATIONS.md §2.1; the graph is unchanged by quantization)."""
    return vectors * (vector_bytes(dims, quantizer) + max_connections * 10)


def size(n: float) -> str:
    """``2.4 MiB``: bytes in binary units, for reasons people read."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def parse_size(text: str) -> int:
    """``16GiB``, ``512MB``, ``8g``, ``1073741824`` -> bytes (binary units for K/M/G/T)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        raise ValueError(text)
    power = " kmgt".index(match.group(2) or " ")
    return int(float(match.group(1)) * 1024 ** power)


def assumptions(m: Measurements) -> list[dict[str, str]]:
    """What could not be measured over REST, and what the analysis assumed instead (§2.0)."""
    out = [
        ("node RAM", f"{size(m.node_memory)} per node, as given by --node-memory" if m.node_memory
         else "not visible over REST: compression is recommended from 1 GiB of index per node "
              "or 100,000 vectors per shard; --node-memory SIZE compares with the real RAM"),
        ("query mix", "which properties are filtered or searched, how, at what QPS and recall "
                      "target is not visible over REST: filter and index rules are low severity"),
        ("counts", "object counts come from /v1/nodes (approximate: flushed segments only); "
                   "tenants that are not active are not loaded, so their size is unknown"),
        ("server settings", "ASYNC_INDEXING, DEFAULT_QUANTIZATION, RUNTIME_REINDEX_ENABLED and "
                            "disk usage are not visible over REST"),
    ]
    known = [s for s in m.vectors if s.dimensions]
    if m.vectors:
        out.append(("vectors", f"dimensions read from {len(m.sample)} sampled objects; every "
                               "object is assumed to carry every vector" if known else
                    "no object with a vector was found: dimensions and memory are unknown"))
    if m.multi_tenant:
        note = ("when tenants were last used is only on the metrics port (:2112/tenant-activity): "
                "idle ACTIVE tenants are not detected")
        if "offload-s3" not in m.modules:
            note += "; the offload-s3 module is not enabled, so tenants cannot be offloaded"
        out.append(("tenant activity", note))
    return [{"input": k, "assumption": v} for k, v in out]
