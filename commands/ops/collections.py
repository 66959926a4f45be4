"""Collections: listing with approximate counts in a constant number of requests, and a
description of one collection with an exact count.

``list_collections`` makes exactly two requests (``GET /v1/schema`` and
``GET /v1/nodes?output=verbose``) whatever the number of collections. The
class-JSON readers (``vectorizer_summary``, ``vector_index_summary``,
``property_rows``) are pure.
"""

from __future__ import annotations

import fnmatch
import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.ops import cluster, objects, tenants
from commands.ops.schema import fetch_schema, get_class

COMPRESSIONS = ("pq", "bq", "sq", "rq")


@dataclass(frozen=True, slots=True)
class CollectionSummary:
    """One line of ``\\ls``; ``objects`` is approximate, ``tenants`` counts active tenants."""

    name: str
    description: str | None
    objects: int | None
    tenants: int | None
    multi_tenancy: bool
    replication: int | None
    shards: int | None
    vectorizer: str | None
    vector_index: str | None


@dataclass(frozen=True, slots=True)
class VectorInfo:
    """One vector space: the class-level one (``name`` None) or a named vector."""

    name: str | None
    vectorizer: str | None
    index_type: str | None
    compression: str | None
    distance: str | None


@dataclass(frozen=True, slots=True)
class CollectionDetails:
    """What ``\\show`` reports: the class JSON plus counts and placement."""

    definition: dict[str, Any]
    objects: int | None
    objects_exact: bool
    tenant_status: dict[str, int] | None
    replicas: list[cluster.ShardReplica]
    shards_per_node: dict[str, int]


def creatable(cls: dict[str, Any]) -> dict[str, Any]:
    """The class JSON as ``POST /v1/schema`` accepts it: as GET returns it, except that the
    all-zero ``shardingConfig`` of a multi-tenant class is left out (Weaviate refuses a
    multi-tenant class that carries one: "cannot have both shardingConfig and
    multiTenancyConfig", REST-BEHAVIOUR.md §4.2).
    """
    if not is_multi_tenant(cls):
        return cls
    return {k: v for k, v in cls.items() if k != "shardingConfig"}


def matches(name: str, patterns: Sequence[str]) -> bool:
    """True when ``name`` matches every glob in ``patterns`` (case-insensitive)."""
    return all(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a loop that only allocates: with a parsed schema of
    10,000 classes alive, each of its passes walks those millions of objects (a third of
    ``list_collections`` at that size). Nothing here makes cycles; refcounting frees it all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def list_collections(api: RestClient, patterns: Sequence[str] = (),
                     vectors_too: bool = True) -> list[CollectionSummary]:
    """Every collection matching all ``patterns``, sorted by name, in two requests;
    ``vectors_too=False`` leaves ``vectorizer`` and ``vector_index`` None (plain ``\\ls``)."""
    classes = [c for c in fetch_schema(api) if matches(c["class"], patterns)]
    if not classes:
        return []
    nodes = cluster.fetch_nodes(api)
    with _collector_paused():
        return _summaries(classes, nodes, vectors_too)


def _summaries(classes: list[dict[str, Any]], nodes: list[dict[str, Any]],
               vectors_too: bool) -> list[CollectionSummary]:
    # cluster.collection_counts and cluster.shard_names in one pass over the replicas
    # (each would make its own: a quarter of this function at 10,000 collections)
    counts: dict[str, int] = defaultdict(int)
    loaded: dict[str, int] = defaultdict(int)
    for (collection, _shard), count in cluster.shard_counts(nodes).items():
        counts[collection] += count or 0
        loaded[collection] += 1
    out = []
    for cls in classes:
        name = cls["class"]
        mt = is_multi_tenant(cls)
        spaces = vectors(cls) if vectors_too else []
        sharding = cls.get("shardingConfig") or {}
        shards = loaded.get(name, 0) if mt else (
            sharding.get("actualCount") or sharding.get("desiredCount"))
        out.append(CollectionSummary(
            name=name, description=cls.get("description") or None,
            objects=counts.get(name, 0 if mt else None),
            tenants=loaded.get(name, 0) if mt else None,
            multi_tenancy=mt, replication=(cls.get("replicationConfig") or {}).get("factor"),
            shards=shards, vectorizer=_vectorizer_summary(spaces),
            vector_index=_index_summary(spaces)))
    return sorted(out, key=lambda c: c.name.lower())


def is_multi_tenant(cls: dict[str, Any]) -> bool:
    """True when the class has multi-tenancy enabled."""
    return bool((cls.get("multiTenancyConfig") or {}).get("enabled"))


def compression(config: dict[str, Any] | None) -> str | None:
    """The enabled quantizer of a vector index config (``pq``, ``bq``, ``sq``, ``rq``), or None.

    A ``dynamic`` index nests its ``hnsw`` and ``flat`` configs; those are searched too.
    """
    if not isinstance(config, dict):
        return None
    for key in COMPRESSIONS:
        if isinstance(config.get(key), dict) and config[key].get("enabled"):
            return key
    for nested in ("hnsw", "flat"):
        found = compression(config.get(nested))
        if found:
            return found
    return None


def _vectorizer_name(vectorizer: Any) -> str | None:
    if isinstance(vectorizer, dict):
        return ", ".join(vectorizer) or None
    return vectorizer or None


def vectors(cls: dict[str, Any]) -> list[VectorInfo]:
    """The class-level vector space (if any) followed by the named vectors, in schema order."""
    out = []
    if cls.get("vectorIndexType") or cls.get("vectorizer"):
        config = cls.get("vectorIndexConfig") or {}
        out.append(VectorInfo(None, _vectorizer_name(cls.get("vectorizer")),
                              cls.get("vectorIndexType"), compression(config),
                              config.get("distance")))
    for name, vec in (cls.get("vectorConfig") or {}).items():
        config = vec.get("vectorIndexConfig") or {}
        out.append(VectorInfo(name, _vectorizer_name(vec.get("vectorizer")),
                              vec.get("vectorIndexType"), compression(config),
                              config.get("distance")))
    return out


def _summary(parts: list[tuple[str | None, str | None]]) -> str | None:
    if not parts:
        return None
    return ", ".join((value or "-") if name is None else f"{name}:{value or '-'}"
                     for name, value in parts)


def vectorizer_summary(cls: dict[str, Any]) -> str | None:
    """``none``, or per named vector ``title_vector:none, image_vector:none``."""
    return _vectorizer_summary(vectors(cls))


def _vectorizer_summary(spaces: list[VectorInfo]) -> str | None:
    return _summary([(v.name, v.vectorizer) for v in spaces])


def vector_index_summary(cls: dict[str, Any]) -> str | None:
    """``hnsw``, ``hnsw+pq``, or per named vector ``title_vector:hnsw, image_vector:flat``."""
    return _index_summary(vectors(cls))


def _index_summary(spaces: list[VectorInfo]) -> str | None:
    return _summary([(v.name, v.index_type and v.index_type + (
        f"+{v.compression}" if v.compression else "")) for v in spaces])


def property_rows(cls: dict[str, Any]) -> list[dict[str, Any]]:
    """One dict per property (nested ones as ``parent.child``): type, index flags, tokenization."""
    out: list[dict[str, Any]] = []

    def walk(props: list[dict[str, Any]], prefix: str) -> None:
        for prop in props or []:
            out.append({"name": prefix + prop.get("name", ""),
                        "data_type": ", ".join(prop.get("dataType") or []),
                        "filterable": prop.get("indexFilterable"),
                        "searchable": prop.get("indexSearchable"),
                        "range_filters": prop.get("indexRangeFilters"),
                        "tokenization": prop.get("tokenization")})
            walk(prop.get("nestedProperties") or [], f"{prefix}{prop.get('name', '')}.")

    walk(cls.get("properties") or [], "")
    return out


def describe(api: RestClient, name: str) -> CollectionDetails:
    """A collection with its exact count (one tenant at a time for multi-tenant classes, so
    there the approximate total of the active tenants), tenants and shard placement.

    Requests: the class, its nodes, then the Aggregate count (or the tenant list).
    """
    cls = get_class(api, name)
    canonical = cls["class"]
    nodes = cluster.fetch_nodes(api, canonical)
    if is_multi_tenant(cls):
        count = cluster.collection_counts(nodes).get(canonical, 0)
        exact, status = False, tenants.status_counts(tenants.fetch_tenants(api, canonical))
    else:
        count, exact, status = objects.aggregate_count(api, canonical), True, None
    return CollectionDetails(definition=cls, objects=count, objects_exact=exact,
                             tenant_status=status, replicas=cluster.replicas(nodes),
                             shards_per_node=cluster.shards_per_node(nodes))
