"""``\\optimize`` rules for vector indexes: compression, index type and HNSW settings.

Each rule reads ``Measurements`` and returns ``Recommendation``s; none sends a request.
The rule ids of OPERATIONS.md §2.3 (T1...T33) are given with each; the thresholds are
module constants, documented in the README's "Optimize rules".
"""

from __future__ import annotations

from typing import Any

from commands.ops.optimize.measure import (
    SEVERITIES,
    Measurements,
    Recommendation,
    Rule,
    VectorSpace,
    setting,
    size,
)
from commands.ops.optimize.rules_cluster import CLUSTER_RULES
from commands.ops.optimize.rules_inverted import INVERTED_RULES

COMPRESS_RAM_SHARE = 0.25
"""With ``--node-memory``: compress when the uncompressed HNSW index on the busiest node would
take this share of its RAM [JUDGEMENT; T5 says "a significant share of node RAM"]."""
COMPRESS_HIGH_SHARE = 0.5
COMPRESS_MIN_BYTES = 1024 ** 3
"""Without ``--node-memory``: compress from 1 GiB per node (the docs' quick table: 1M × 256-d
≈ 1.5 GB; "below about 1M objects no planning is needed", OPERATIONS.md §2.1)."""
COMPRESS_MIN_SHARD_VECTORS = 100_000
"""... or from 100,000 vectors in one shard (T5: "N per shard ≥ ~100k")."""
DYNAMIC_THRESHOLD = 10_000
"""The dynamic index's default flat→hnsw switch (T1, T3)."""
FLAT_MAX_VECTORS = 100_000
"""Flat is for "fewer than 100,000" per index (T2)."""
EF_MAX = 512
"""Above this ``ef`` buys little recall (T11)."""

QUANTIZERS = {
    # id: (OPERATIONS.md rule, name, settings under the index config, version floor, effect)
    "rq8": ("T5", "RQ-8", {"rq.enabled": True}, (1, 32),
            "about 4x smaller vectors at 98-99% recall, no training (v1.32+)"),
    "rq1": ("T6", "RQ-1", {"rq.enabled": True, "rq.bits": 1}, (1, 33),
            "about 32x smaller vectors, recall slightly below tuned PQ; rescoreLimit "
            "defaults to 512 (v1.33+)"),
    "sq": ("T5", "SQ", {"sq.enabled": True}, (1, 31),
           "4x smaller vectors; trains on the first trainingLimit (100,000) vectors of a shard"),
    "pq": ("T5", "PQ", {"pq.enabled": True}, (0, 0),
           "about 85% smaller vectors; the codebook trains on the vectors present, so load "
           "10k-100k per shard first (T7)"),
}
COMPRESSION_SOURCE = ("D/weaviate/best-practices; D/weaviate/configuration/compression/"
                      "rq-compression; D/weaviate/concepts/vector-quantization")


def _hnsw(m: Measurements) -> list[VectorSpace]:
    return [s for s in m.vectors if s.index_type == "hnsw"]


def _connections(space: VectorSpace) -> int:
    return int(space.config.get("maxConnections") or 32)


def _quantizer(m: Measurements, space: VectorSpace) -> str:
    """The lightest quantizer the server has that brings the index under the RAM share
    (the strongest one when none does); without a RAM figure, the recommended start."""
    usable = [q for q, spec in QUANTIZERS.items() if m.at_least(spec[3])]
    # RQ where the server has it, else SQ (post-creation v1.31+), else PQ (OPERATIONS.md §3.3)
    usable = [q for q in usable if q.startswith("rq")] or usable[:1]
    if m.node_memory is None:
        return usable[0]
    for q in usable:
        if (m.index_bytes(space, q) or 0) < COMPRESS_RAM_SHARE * m.node_memory:
            return q
    return usable[-1]


def compression(m: Measurements) -> list[Recommendation]:
    """T5/T6: an uncompressed HNSW index that is large on its busiest node."""
    node, vectors = m.busiest_node()
    out = []
    for space in _hnsw(m):
        full = m.index_bytes(space)
        if space.compression or not full:
            continue
        share = full / m.node_memory if m.node_memory else None
        if share is not None:
            fires, high = share >= COMPRESS_RAM_SHARE, share >= COMPRESS_HIGH_SHARE
            measured = f"{share:.0%} of the {size(m.node_memory or 0)} given by --node-memory"
        else:
            fires = full >= COMPRESS_MIN_BYTES or m.largest_shard >= COMPRESS_MIN_SHARD_VECTORS
            high = full >= 4 * COMPRESS_MIN_BYTES
            measured = f"the largest shard has {m.largest_shard:,} vectors"
        if not fires:
            continue
        q = _quantizer(m, space)
        ops_rule, name, settings, _floor, effect = QUANTIZERS[q]
        after = m.index_bytes(space, q) or 0
        out.append(setting(
            tuple((f"{space.prefix}.{k}", v) for k, v in settings.items()), "in-place",
            rule=f"compress-{q}", operations_rule=ops_rule,
            severity="high" if high else "medium",
            reason=f"{node} holds {vectors:,} vectors of {space.dimensions} dimensions in "
                   f"{space.label} (hnsw, maxConnections {_connections(space)}, no quantizer): "
                   f"about {size(full)} in memory by N x (D x 4 + maxConnections x 10) B "
                   f"(OPERATIONS.md §2.1); {measured}",
            effect=f"about {size(after)} with {name} ({size(full - after)} less on {node}; the "
                   f"graph is unchanged and full vectors stay on disk): {effect}. A quantizer "
                   "cannot be disabled once enabled",
            source=COMPRESSION_SOURCE, impact=full - after))
    return out


def _index_copy(space: VectorSpace, new_type: str, extra: dict[str, Any] | None = None,
                **fields: Any) -> Recommendation:
    """A recommendation to copy the collection with another index type for ``space``."""
    config = {"distance": space.config.get("distance", "cosine"), **(extra or {})}
    return setting(((space.type_path, new_type), (space.prefix, config)), "copy", **fields)


def small_hnsw(m: Measurements) -> list[Recommendation]:
    """T1/T3/T31: HNSW indexes whose shards (tenants) stay below the dynamic threshold."""
    out: list[Recommendation] = []
    largest = m.largest_shard
    tenants = m.multi_tenant and bool(m.tenant_status)
    if largest >= DYNAMIC_THRESHOLD or not (tenants or (largest and not m.multi_tenant)):
        return out
    node, vectors = m.busiest_node()
    for space in _hnsw(m):
        # per node, as the summary's memory_per_node: the graph's share of that estimate (§2.1)
        graph = vectors * _connections(space) * 10 if space.dimensions else 0
        saves = f" (about {size(graph)} less on {node}, the busiest node)" if graph else ""
        if tenants:
            out.append(_index_copy(
                space, "dynamic", rule="index-dynamic", operations_rule="T31/T3/T1",
                severity="medium" if len(m.tenant_status) >= 10 else "low",
                reason=f"{len(m.tenant_status):,} tenants; the largest active one has "
                       f"{largest:,} vectors (< {DYNAMIC_THRESHOLD:,}, the dynamic index's "
                       f"switch point), yet each keeps an HNSW graph for {space.label}",
                effect=f"each tenant starts as a flat index without a graph{saves} and becomes "
                       f"HNSW at "
                       f"{DYNAMIC_THRESHOLD:,} vectors, one way; needs ASYNC_INDEXING=true on "
                       "the server, else creating the copy fails",
                source="D/weaviate/starter-guides/managing-resources/indexing; "
                       "D/weaviate/config-refs/indexing/vector-index", impact=graph))
        elif space.dimensions:  # objects without vectors leave the index empty anyway
            out.append(_index_copy(
                space, "flat", rule="index-flat", operations_rule="T1", severity="low",
                reason=f"{m.objects:,} vectors, at most {largest:,} per shard (< "
                       f"{DYNAMIC_THRESHOLD:,}), in an HNSW index ({space.label})",
                effect=f"flat keeps no graph{saves} and brute force is "
                       "fast at this size; if the collection will grow past ~100,000 per shard, "
                       "keep hnsw",
                source="D/weaviate/config-refs/indexing/vector-index", impact=graph))
    if any(r.rule == "index-dynamic" for r in out):
        out.append(Recommendation(
            rule="async-indexing", operations_rule="T33/T3", severity="info",
            reason="a dynamic index is recommended, and it can only be created with "
                   "asynchronous indexing (its setting is not visible over REST)",
            change="ASYNC_INDEXING=true", applies="server-env",
            effect="imports return before vectors are indexed; the dynamic index and AutoPQ "
                   "become available",
            source="D/deploy/configuration/env-vars"))
    return out


def flat_index(m: Measurements) -> list[Recommendation]:
    """T2: a flat index too large for brute force; T8: a mid-sized one without compression."""
    out = []
    largest = m.largest_shard
    for space in (s for s in m.vectors if s.index_type == "flat"):
        if largest > FLAT_MAX_VECTORS:
            extra = {"rq": {"enabled": True}} if m.at_least((1, 32)) else None
            out.append(_index_copy(
                space, "hnsw", extra, rule="index-hnsw", operations_rule="T2", severity="high",
                reason=f"a flat index ({space.label}) with {largest:,} vectors in one shard "
                       f"(flat is for fewer than {FLAT_MAX_VECTORS:,})",
                effect="flat search is linear in the vector count; HNSW answers in "
                       "logarithmic time" + (" and RQ-8 keeps its memory 4x smaller" if extra
                                             else ""),
                source="D/weaviate/best-practices", impact=float(largest)))
        elif not space.compression and largest >= DYNAMIC_THRESHOLD:
            quantizer = "rq" if m.at_least((1, 35)) else "bq"
            out.append(_index_copy(
                space, "flat", {quantizer: {"enabled": True}}, rule=f"flat-compress-{quantizer}",
                operations_rule="T8", severity="low",
                reason=f"an uncompressed flat index ({space.label}) with {largest:,} vectors "
                       "in one shard",
                effect=f"{quantizer.upper()} makes each brute-force scan read 4-32x less; on a "
                       "flat index only RQ and BQ work, and only at creation",
                source="D/weaviate/starter-guides/managing-resources/compression",
                impact=float(largest)))
    return out


def hnsw_settings(m: Measurements) -> list[Recommendation]:
    """T11 (ef too high), T15 (vector cache below the vector count), T16 (sweeping)."""
    out = []
    largest = m.largest_shard
    for space in _hnsw(m):
        ef = space.config.get("ef")
        if isinstance(ef, int) and ef > EF_MAX:
            out.append(setting(
                ((f"{space.prefix}.ef", -1),), "in-place",
                rule="ef-dynamic", operations_rule="T11", severity="low",
                reason=f"ef is {ef} in {space.label}; above {EF_MAX} recall barely improves "
                       "while every search gets slower",
                effect="dynamic ef: min(max(dynamicEfMin, limit x dynamicEfFactor), "
                       "dynamicEfMax), 100/8/500 by default; raise dynamicEfMax for large "
                       "result sets (T12)",
                source="D/weaviate/config-refs/indexing/vector-index",
                impact=float(ef)))
        cache = space.config.get("vectorCacheMaxObjects")
        if isinstance(cache, int) and 0 < cache < largest:
            target = -(-2 * largest // 1000) * 1000
            out.append(setting(
                ((f"{space.prefix}.vectorCacheMaxObjects", target),), "in-place",
                rule="vector-cache", operations_rule="T15", severity="medium",
                reason=f"vectorCacheMaxObjects is {cache:,} in {space.label}, below the "
                       f"{largest:,} vectors of the largest shard",
                effect="a full cache is dropped wholesale, so searches and imports keep "
                       "reading vectors from disk; twice the largest shard leaves room to grow",
                source="D/weaviate/concepts/resources#vector-cache",
                impact=float(largest - cache)))
        if space.config.get("filterStrategy") == "sweeping" and m.at_least((1, 34)):
            out.append(setting(
                ((f"{space.prefix}.filterStrategy", "acorn"),), "in-place",
                rule="filter-acorn", operations_rule="T16", severity="low",
                reason=f"filterStrategy is sweeping in {space.label} (collections from before "
                       "v1.34); whether filtered searches are slow is not measurable here",
                effect="ACORN (the default since v1.34) keeps filtered vector search fast with "
                       "restrictive filters that do not correlate with the query",
                source="D/weaviate/concepts/filtering"))
    return out


VECTOR_RULES: tuple[Rule, ...] = (compression, small_hnsw, flat_index, hnsw_settings)


RULES: tuple[Rule, ...] = (*VECTOR_RULES, *CLUSTER_RULES, *INVERTED_RULES)
RULE_IDS: tuple[str, ...] = (
    "shard-readonly", *(f"compress-{q}" for q in QUANTIZERS), "index-dynamic", "async-indexing",
    "index-flat", "index-hnsw", "flat-compress-rq", "flat-compress-bq", "ef-dynamic",
    "vector-cache", "filter-acorn", "replication-factor", "shard-count", "offload-tenants",
    "range-filters", "tokenization-field", "optional-indexes")
"""Every id a rule can recommend (the README's "Optimize rules" table lists them): ``--apply``
of one not recommended now is nothing to do, of any other id a usage error."""


def analyze(m: Measurements) -> list[Recommendation]:
    """Every recommendation for ``m``, by severity, then by impact (bytes, objects...)."""
    found = [rec for rule in RULES for rec in rule(m)]
    return sorted(found, key=lambda r: (SEVERITIES.index(r.severity), -r.impact))
